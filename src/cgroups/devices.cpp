#include "berth/cgroups/devices.hpp"

namespace berth::cgroups {

std::vector<oci::DeviceCgroupRule> effective_device_rules(const oci::Spec& spec) {
  std::vector<oci::DeviceCgroupRule> rules;
  // runc always builds a whitelist: whatever the cgroup inherited, start from
  // "deny everything", even when the config has no device rules at all.
  rules.push_back({false, "a", std::nullopt, std::nullopt, "rwm"});
  if (spec.linux && spec.linux->resources) {
    for (const auto& r : spec.linux->resources->devices) rules.push_back(r);
  }
  auto allow = [&](const char* type, std::optional<int64_t> major, std::optional<int64_t> minor, const char* access) {
    rules.push_back({true, type, major, minor, access});
  };
  // runc's AllowedDevices, in the order runc's device emulator writes them.
  allow("b", std::nullopt, std::nullopt, "m");  // mknod of any block device
  allow("c", std::nullopt, std::nullopt, "m");  // mknod of any char device
  allow("c", 1, 3, "rwm");                      // /dev/null
  allow("c", 1, 5, "rwm");                      // /dev/zero
  allow("c", 1, 7, "rwm");                      // /dev/full
  allow("c", 1, 8, "rwm");                      // /dev/random
  allow("c", 1, 9, "rwm");                      // /dev/urandom
  allow("c", 5, 0, "rwm");                      // /dev/tty
  allow("c", 5, 2, "rwm");                      // /dev/ptmx
  allow("c", 10, 200, "rwm");                   // /dev/net/tun
  allow("c", 136, std::nullopt, "rwm");         // /dev/pts/*
  return rules;
}

}  // namespace berth::cgroups
