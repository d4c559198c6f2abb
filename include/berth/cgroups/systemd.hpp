// The systemd cgroup driver's pure parts: runc's cgroupsPath rules
// ("slice:prefix:name"), slice expansion, unit name checks and the unit
// properties made from linux.resources. No D-Bus here (see src/cgroups/sdbus.*),
// so all of it is unit-tested without systemd.
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "berth/oci/spec.hpp"

namespace berth::cgroups {

// Where a container's unit lives, from cgroupsPath (runc's specconv + getUnitName).
struct SystemdPath {
  std::string slice;   // parent slice unit, "system.slice" by default
  std::string prefix;  // "berth" by default
  std::string name;    // the container id by default
  std::string unit;    // "prefix-name.scope", or `name` itself when it ends in ".slice"
  std::string cgroup;  // the unit's cgroup below the cgroup2 mount: "/system.slice/berth-ID.scope"
  bool is_slice() const;
};

// "" -> system.slice:berth:<id>; otherwise exactly three ':'-separated parts
// (an empty slice means system.slice). Throws berth::Error with runc's wording
// for a malformed path, and for slice or unit names systemd would refuse.
SystemdPath parse_systemd_path(const std::string& cgroups_path, const std::string& id);

// systemd's slice hierarchy is in the name: "a-b.slice" -> "/a.slice/a-b.slice";
// "-.slice" -> "/". Throws "invalid slice name: X" like runc's ExpandSlice.
std::string expand_slice(const std::string& slice);

// Refuses what systemd refuses in a unit name (characters outside
// [A-Za-z0-9:_.\\@-], more than 255 bytes, no type suffix), before any D-Bus
// call, with the reason. berth does not escape names: runc does not either, and
// tools find a container's unit by the name runc would give it.
void check_unit_name(const std::string& unit);

// A cpuset list ("0-3,5") as systemd's AllowedCPUs/AllowedMemoryNodes byte
// array: bit i of byte i/8 set for every listed number (runc's RangeToBits).
std::vector<uint8_t> range_to_bits(const std::string& list);

// One D-Bus unit property: its value's type gives the signature
// (b, t, s, au, ay, as).
struct UnitProperty {
  using Value = std::variant<bool, uint64_t, std::string, std::vector<uint32_t>, std::vector<uint8_t>,
                             std::vector<std::string>>;
  std::string name;
  Value value;
  std::string signature() const;
};

// The properties of StartTransientUnit that are not resources, as runc's
// unifiedManager.Apply: Description, Slice + Delegate (scope) or Wants (slice),
// PIDs (scope only: systemd refuses PIDs on a slice), the four accounting
// switches, DefaultDependencies=false.
std::vector<UnitProperty> unit_properties(const SystemdPath& p, pid_t pid);

// linux.resources -> properties (runc's genV2ResourcesProperties, plus
// IOWeight): MemoryMax, MemoryLow, MemorySwapMax, CPUWeight, CPUQuotaPerSecUSec
// (+ CPUQuotaPeriodUSec from systemd 242), AllowedCPUs/AllowedMemoryNodes (from
// 244), TasksMax, IOWeight. -1 ("unlimited") becomes UINT64_MAX (infinity).
// Throws for values runc refuses (swap without memory limit, bad cpuset list).
std::vector<UnitProperty> resource_properties(const oci::Resources& r, int systemd_version);

}  // namespace berth::cgroups
