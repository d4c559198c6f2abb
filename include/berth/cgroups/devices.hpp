// The device rules a container's cgroup really gets: the config's rules, then
// the devices every container needs (as runc adds them), then an allow rule for
// each linux.devices entry.
#pragma once
#include <vector>

#include "berth/oci/spec.hpp"

namespace berth::cgroups {

std::vector<oci::DeviceCgroupRule> effective_device_rules(const oci::Spec& spec);

}  // namespace berth::cgroups
