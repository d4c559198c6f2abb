// Stats on a cgroup v2 host: io.containerd.cgroups.v2.Metrics read from the container's
// unified cgroup directory, with the field meanings of containerd's cgroups/v2 library
// (memory.max or pids.max of "max" is UINT64_MAX; a missing file leaves its fields zero).
#pragma once
#include <string>

#include "github.com/containerd/cgroups/v2/stats/metrics.pb.h"

namespace berth::shim {

io::containerd::cgroups::v2::Metrics read_metrics_v2(const std::string& dir);

}  // namespace berth::shim
