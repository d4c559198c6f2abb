// linux.resources -> systemd unit properties, runc's conversions
// (libcontainer/cgroups/systemd/v2.go genV2ResourcesProperties, common.go).
#include <cstdlib>
#include <limits>

#include "berth/cgroups/convert.hpp"
#include "berth/cgroups/systemd.hpp"
#include "berth/util/error.hpp"

namespace berth::cgroups {
namespace {

constexpr uint64_t kInfinity = std::numeric_limits<uint64_t>::max();  // systemd's "infinity"
constexpr uint64_t kDefaultCpuPeriod = 100000;

uint64_t limit_value(int64_t v) { return v == -1 ? kInfinity : static_cast<uint64_t>(v); }

uint64_t parse_cpu_number(const std::string& s, const std::string& list) {
  if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos)
    throw Error("cpuset list \"" + list + "\": \"" + s + "\" is not a number");
  uint64_t v = std::strtoull(s.c_str(), nullptr, 10);
  if (v > 65535) throw Error("cpuset list \"" + list + "\": " + s + " is too large");
  return v;
}

std::string trim(const std::string& s) {
  size_t a = s.find_first_not_of(" \t\n"), b = s.find_last_not_of(" \t\n");
  return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

}  // namespace

std::string UnitProperty::signature() const {
  switch (value.index()) {
    case 0: return "b";
    case 1: return "t";
    case 2: return "s";
    case 3: return "au";
    case 4: return "ay";
    default: return "as";
  }
}

std::vector<uint8_t> range_to_bits(const std::string& list) {
  std::vector<uint8_t> out;
  auto set = [&](uint64_t bit) {
    if (out.size() <= bit / 8) out.resize(bit / 8 + 1, 0);
    out[bit / 8] |= static_cast<uint8_t>(1u << (bit % 8));
  };
  size_t i = 0;
  while (i <= list.size()) {
    size_t j = list.find(',', i);
    if (j == std::string::npos) j = list.size();
    std::string item = trim(list.substr(i, j - i));
    i = j + 1;
    if (item.empty()) continue;  // runc allows extra commas
    size_t dash = item.find('-');
    if (dash == std::string::npos) {
      set(parse_cpu_number(item, list));
      continue;
    }
    uint64_t lo = parse_cpu_number(item.substr(0, dash), list), hi = parse_cpu_number(item.substr(dash + 1), list);
    if (lo > hi) throw Error("cpuset list \"" + list + "\": invalid range " + item);
    for (uint64_t b = lo; b <= hi; ++b) set(b);
  }
  if (out.empty()) throw Error("cpuset list \"" + list + "\": empty value");
  return out;
}

std::vector<UnitProperty> unit_properties(const SystemdPath& p, pid_t pid) {
  std::vector<UnitProperty> props;
  props.push_back({"Description", "berth container " + p.name});
  if (p.is_slice()) {
    // A slice's parent is in its name; runc adds Wants= on the given parent.
    props.push_back({"Wants", std::vector<std::string>{p.slice}});
  } else {
    props.push_back({"Slice", p.slice});
    // The container may manage its own sub-cgroups (and berth writes the files).
    props.push_back({"Delegate", true});
    props.push_back({"PIDs", std::vector<uint32_t>{static_cast<uint32_t>(pid)}});
  }
  // As runc: the same accounting as the cgroupfs driver, so the controllers are enabled.
  for (const char* acct : {"MemoryAccounting", "CPUAccounting", "IOAccounting", "TasksAccounting"})
    props.push_back({acct, true});
  // No implicit ordering against shutdown.target & co: the container's life is berth's business.
  props.push_back({"DefaultDependencies", false});
  return props;
}

std::vector<UnitProperty> resource_properties(const oci::Resources& r, int systemd_version) {
  std::vector<UnitProperty> props;
  if (r.memory) {
    const auto& m = *r.memory;
    int64_t limit = m.limit.value_or(0);
    if (limit != 0) props.push_back({"MemoryMax", limit_value(limit)});
    if (m.reservation.value_or(0) != 0) props.push_back({"MemoryLow", limit_value(*m.reservation)});
    // The same value the cgroupfs writer puts in memory.swap.max, so systemd
    // never rewrites the file with something else.
    if (auto swap = memory_swap_max_v2(m.swap.value_or(0), limit))
      props.push_back({"MemorySwapMax", *swap == "max" ? kInfinity : std::strtoull(swap->c_str(), nullptr, 10)});
  }
  if (r.cpu) {
    const auto& c = *r.cpu;
    if (uint64_t w = cpu_shares_to_weight(c.shares.value_or(0))) props.push_back({"CPUWeight", w});
    int64_t quota = c.quota.value_or(0);
    uint64_t period = c.period.value_or(0);
    if (period != 0 && systemd_version >= 242) props.push_back({"CPUQuotaPeriodUSec", period});
    if (quota != 0 || period != 0) {
      uint64_t per_sec = kInfinity;
      if (quota > 0) {
        // systemd keeps CPUQuota as whole percents: round up to 10 ms per
        // second so the cgroupfs cpu.max written next is not above the unit's.
        per_sec = static_cast<uint64_t>(quota) * 1000000 / (period ? period : kDefaultCpuPeriod);
        if (per_sec % 10000 != 0) per_sec = (per_sec / 10000 + 1) * 10000;
      }
      props.push_back({"CPUQuotaPerSecUSec", per_sec});
    }
    if (systemd_version >= 244) {
      if (!c.cpus.empty()) props.push_back({"AllowedCPUs", range_to_bits(c.cpus)});
      if (!c.mems.empty()) props.push_back({"AllowedMemoryNodes", range_to_bits(c.mems)});
    }
  }
  if (r.pids && (r.pids->limit > 0 || r.pids->limit == -1)) props.push_back({"TasksMax", limit_value(r.pids->limit)});
  if (r.blockIO && r.blockIO->weight.value_or(0) != 0)
    props.push_back({"IOWeight", blkio_weight_to_io_weight(*r.blockIO->weight)});
  return props;
}

}  // namespace berth::cgroups
