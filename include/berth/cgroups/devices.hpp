// The device rules a container's cgroup really gets, as runc 1.1 builds them:
// the config's linux.resources.devices, then the devices every container
// needs (runc's AllowedDevices), on top of a deny-all default. Entries of
// linux.devices are created as nodes but are NOT implicitly allowed: a config
// must allow them in linux.resources.devices (runc >= 1.0 does the same).
#pragma once
#include <vector>

#include "berth/oci/spec.hpp"

namespace berth::cgroups {

std::vector<oci::DeviceCgroupRule> effective_device_rules(const oci::Spec& spec);

}  // namespace berth::cgroups
