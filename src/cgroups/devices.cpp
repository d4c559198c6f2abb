#include "berth/cgroups/devices.hpp"

namespace berth::cgroups {

std::vector<oci::DeviceCgroupRule> effective_device_rules(const oci::Spec& spec) {
  std::vector<oci::DeviceCgroupRule> rules;
  if (!spec.linux) return rules;
  if (spec.linux->resources) rules = spec.linux->resources->devices;
  if (rules.empty() && spec.linux->devices.empty()) return rules;  // nothing asked: leave the cgroup as inherited
  auto allow = [&](const char* type, std::optional<int64_t> major, std::optional<int64_t> minor, const char* access) {
    rules.push_back({true, type, major, minor, access});
  };
  // runc's AllowedDevices: the default nodes plus ptys.
  allow("c", std::nullopt, std::nullopt, "m");  // mknod of any char device
  allow("b", std::nullopt, std::nullopt, "m");  // mknod of any block device
  allow("c", 1, 3, "rwm");                      // /dev/null
  allow("c", 1, 5, "rwm");                      // /dev/zero
  allow("c", 1, 7, "rwm");                      // /dev/full
  allow("c", 5, 0, "rwm");                      // /dev/tty
  allow("c", 1, 9, "rwm");                      // /dev/urandom
  allow("c", 1, 8, "rwm");                      // /dev/random
  allow("c", 136, std::nullopt, "rwm");         // /dev/pts/*
  allow("c", 5, 2, "rwm");                      // /dev/ptmx
  allow("c", 10, 200, "rwm");                   // /dev/net/tun
  allow("c", 5, 1, "rwm");                      // /dev/console
  for (const auto& d : spec.linux->devices) {
    std::string type = d.type == "u" ? "c" : d.type;
    if (type == "p") continue;  // fifos are not device-controlled
    rules.push_back({true, type, d.major, d.minor, "rwm"});
  }
  return rules;
}

}  // namespace berth::cgroups
