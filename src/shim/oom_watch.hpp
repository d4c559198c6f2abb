// The OOM watch of a container's cgroup, found from berth's state.json (the "cgroup" entry
// its Manager saved) and opened with libberth's v1/v2 watchers. Not through
// container::record_cgroup: that links every cgroup driver (systemd's D-Bus client too) into
// the shim, +250 KB of code and +0.24 MiB of resident memory measured.
#pragma once
#include <memory>
#include <string>

#include "berth/cgroups/manager.hpp"

namespace berth::shim {

// nullptr when the container has no cgroup or no memory controller; throws berth::Error
// when the state cannot be read.
std::unique_ptr<cgroups::OomWatch> open_oom_watch(const std::string& root, const std::string& id);

}  // namespace berth::shim
