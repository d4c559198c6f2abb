// `berth exec --cgroup [CONTROLLER[,CONTROLLER...]:]PATH` (repeatable): the exec'd
// process joins a sub-cgroup of the container's cgroup, as runc 1.1 does.
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace berth::container {

// The saved cgroup (Manager::save() of the container's cgroup) of the
// sub-cgroup the args name: PATH is relative to the container's cgroup ("/"
// is the container's own) and must stay inside it ("bad sub cgroup path");
// with controllers, only the v1 hierarchies that have one of them move (an
// unknown one is "unknown controller"); cgroup v2 (and systemd's) takes one
// PATH without controllers. Pure: the sub-cgroup must exist, the join says so.
// Throws berth::Error.
nlohmann::json sub_cgroup(const nlohmann::json& saved, const std::vector<std::string>& args);

}  // namespace berth::container
