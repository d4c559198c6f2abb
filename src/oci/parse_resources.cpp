// config.json "linux.resources": cgroup limits, parsed into typed structs so
// the cgroup drivers never look at JSON.
#include <limits>

#include "berth/oci/parse.hpp"
#include "parse_internal.hpp"

namespace berth::oci::detail {

namespace {

DeviceCgroupRule parse_device_rule(const Cursor& c) {
  DeviceCgroupRule r;
  r.allow = required_member<bool>(c, "allow");
  if (const Cursor type = c["type"]) {
    r.type = type.str();
    if (r.type != "a" && r.type != "b" && r.type != "c")
      type.fail("unknown device type " + quote(r.type) + ": want a, b or c");
  }
  optional_member(c, "major", r.major);
  optional_member(c, "minor", r.minor);
  if (const Cursor access = c["access"]) {
    r.access = access.str();
    if (r.access.find_first_not_of("rwm") != std::string::npos) {
      std::string known;
      for (char ch : r.access)
        if ((ch == 'r' || ch == 'w' || ch == 'm') && known.find(ch) == std::string::npos) known += ch;
      // An allow rule with a letter that names no permission would grant less than asked:
      // refused. A deny rule only takes away, and no permission is left granted that such a
      // letter could have meant: the letter is dropped with a warning (runc 1.1.5 drops it
      // silently; its update.bats denies "rwa").
      if (r.allow || known.empty())
        access.fail("invalid access " + quote(r.access) + ": want a combination of r, w and m");
      warn(access.path() + ": deny rule access " + quote(r.access) + ": unknown letters ignored, denying " +
                quote(known));
      r.access = known;
    }
  }
  return r;
}

MemoryResources parse_memory(const Cursor& c) {
  MemoryResources m;
  optional_member(c, "limit", m.limit);
  optional_member(c, "reservation", m.reservation);
  optional_member(c, "swap", m.swap);
  optional_member(c, "kernel", m.kernel);
  optional_member(c, "kernelTCP", m.kernelTCP);
  if (const Cursor s = c["swappiness"]) {
    m.swappiness = s.integer<uint64_t>();
    // UINT64_MAX is Go's uint64(-1), which runc reads as "not set".
    if (*m.swappiness > 100 && *m.swappiness != std::numeric_limits<uint64_t>::max())
      s.fail("invalid memory swappiness " + std::to_string(*m.swappiness) + ": valid range is 0-100");
  }
  optional_member(c, "disableOOMKiller", m.disableOOMKiller);
  optional_member(c, "useHierarchy", m.useHierarchy);
  optional_member(c, "checkBeforeUpdate", m.checkBeforeUpdate);
  return m;
}

CpuResources parse_cpu(const Cursor& c) {
  CpuResources r;
  optional_member(c, "shares", r.shares);
  optional_member(c, "quota", r.quota);
  optional_member(c, "burst", r.burst);
  optional_member(c, "period", r.period);
  optional_member(c, "realtimeRuntime", r.realtimeRuntime);
  optional_member(c, "realtimePeriod", r.realtimePeriod);
  optional_member(c, "cpus", r.cpus);
  optional_member(c, "mems", r.mems);
  optional_member(c, "idle", r.idle);
  return r;
}

WeightDevice parse_weight_device(const Cursor& c) {
  WeightDevice w;
  w.major = required_member<int64_t>(c, "major");
  w.minor = required_member<int64_t>(c, "minor");
  optional_member(c, "weight", w.weight);
  optional_member(c, "leafWeight", w.leafWeight);
  return w;
}

std::vector<ThrottleDevice> parse_throttle_list(const Cursor& blkio, const char* key) {
  std::vector<ThrottleDevice> out;
  if (const Cursor list = blkio[key]) {
    for (const Cursor& c : list.items()) {
      ThrottleDevice t;
      t.major = required_member<int64_t>(c, "major");
      t.minor = required_member<int64_t>(c, "minor");
      optional_member(c, "rate", t.rate);
      out.push_back(t);
    }
  }
  return out;
}

BlockIOResources parse_blockio(const Cursor& c) {
  BlockIOResources b;
  optional_member(c, "weight", b.weight);
  optional_member(c, "leafWeight", b.leafWeight);
  if (const Cursor list = c["weightDevice"])
    for (const Cursor& item : list.items()) b.weightDevice.push_back(parse_weight_device(item));
  b.throttleReadBpsDevice = parse_throttle_list(c, "throttleReadBpsDevice");
  b.throttleWriteBpsDevice = parse_throttle_list(c, "throttleWriteBpsDevice");
  b.throttleReadIOPSDevice = parse_throttle_list(c, "throttleReadIOPSDevice");
  b.throttleWriteIOPSDevice = parse_throttle_list(c, "throttleWriteIOPSDevice");
  return b;
}

// The schema's pattern ^[1-9][0-9]*[KMG]B$: it becomes part of a cgroup file
// name (hugetlb.<size>.limit_in_bytes), so anything else must not get through.
bool valid_page_size(const std::string& s) {
  if (s.size() < 3 || s[0] < '1' || s[0] > '9' || s.back() != 'B') return false;
  const char unit = s[s.size() - 2];
  if (unit != 'K' && unit != 'M' && unit != 'G') return false;
  return s.find_first_not_of("0123456789", 0) == s.size() - 2;
}

HugepageLimit parse_hugepage_limit(const Cursor& c) {
  HugepageLimit h;
  const Cursor size = c["pageSize"];
  h.pageSize = size.str();
  if (!valid_page_size(h.pageSize)) size.fail("invalid page size " + quote(h.pageSize) + ": want e.g. \"2MB\"");
  h.limit = required_member<uint64_t>(c, "limit");
  return h;
}

NetworkResources parse_network(const Cursor& c) {
  NetworkResources n;
  optional_member(c, "classID", n.classID);
  if (const Cursor list = c["priorities"]) {
    for (const Cursor& item : list.items()) {
      InterfacePriority p;
      p.name = required_member<std::string>(item, "name");
      p.priority = required_member<uint32_t>(item, "priority");
      n.priorities.push_back(std::move(p));
    }
  }
  return n;
}

std::map<std::string, RdmaLimit> parse_rdma(const Cursor& c) {
  std::map<std::string, RdmaLimit> out;
  for (const auto& [device, item] : c.members()) {
    if (device.empty()) item.fail("device name must not be empty");
    RdmaLimit r;
    optional_member(item, "hcaHandles", r.hcaHandles);
    optional_member(item, "hcaObjects", r.hcaObjects);
    out.emplace(device, r);
  }
  return out;
}

}  // namespace

Resources parse_resources(const Cursor& c) {
  c.require_object();
  Resources r;
  if (const Cursor devs = c["devices"])
    for (const Cursor& d : devs.items()) r.devices.push_back(parse_device_rule(d));
  if (const Cursor m = c["memory"]) r.memory = parse_memory(m);
  if (const Cursor cpu = c["cpu"]) r.cpu = parse_cpu(cpu);
  if (const Cursor p = c["pids"]) r.pids = PidsResources{required_member<int64_t>(p, "limit")};
  if (const Cursor b = c["blockIO"]) r.blockIO = parse_blockio(b);
  if (const Cursor h = c["hugepageLimits"])
    for (const Cursor& item : h.items()) r.hugepageLimits.push_back(parse_hugepage_limit(item));
  if (const Cursor n = c["network"]) r.network = parse_network(n);
  if (const Cursor rd = c["rdma"]) r.rdma = parse_rdma(rd);
  optional_member(c, "unified", r.unified);
  return r;
}

}  // namespace berth::oci::detail

namespace berth::oci {

Resources parse_resources(const nlohmann::json& j, const std::string& doc) {
  return detail::parse_resources(detail::Cursor::root(j, doc));
}

}  // namespace berth::oci
