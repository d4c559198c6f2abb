// The OOM watch of a container's cgroup (container_cgroup.hpp), opened with libberth's v1/v2
// watchers.
#pragma once
#include <memory>
#include <string>

#include "berth/cgroups/manager.hpp"

namespace berth::shim {

// nullptr when the container has no cgroup or no memory controller; throws berth::Error
// when the state cannot be read.
std::unique_ptr<cgroups::OomWatch> open_oom_watch(const std::string& root, const std::string& id);

}  // namespace berth::shim
