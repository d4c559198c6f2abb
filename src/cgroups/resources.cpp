// linux.resources written to cgroup files. Each write names the file and the
// value in its error. Values follow runc's conversions (v1 -> v2).
#include "berth/cgroups/resources.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include "berth/linux/process_attrs.hpp"
#include "berth/util/error.hpp"
#include "berth/util/log.hpp"

namespace berth::cgroups {
namespace {

void put(const std::string& dir, const std::string& file, const std::string& value) {
  try {
    linux_::write_file(dir + "/" + file, value);
  } catch (const Error& e) {
    throw Error("cgroup: write " + value + " to " + file + ": " + e.what(), e.code());
  }
}

std::string hierarchy(const std::map<std::string, std::string>& dirs, const std::string& ctrl) {
  auto it = dirs.find("/sys/fs/cgroup/" + ctrl);
  if (it != dirs.end()) return it->second;
  for (const auto& [mnt, dir] : dirs) {
    std::string base = mnt.substr(mnt.rfind('/') + 1);
    // comounted hierarchies such as "cpu,cpuacct"
    if (("," + base + ",").find("," + ctrl + ",") != std::string::npos) return dir;
  }
  return "";
}

std::string need(const std::map<std::string, std::string>& dirs, const std::string& ctrl) {
  std::string d = hierarchy(dirs, ctrl);
  if (d.empty()) throw Error("cgroup: the " + ctrl + " controller is not mounted on this host");
  return d;
}

std::string device_rule(const oci::DeviceCgroupRule& d) {
  std::string type = d.type.empty() ? "a" : d.type;
  std::string maj = d.major ? std::to_string(*d.major) : "*";
  std::string min = d.minor ? std::to_string(*d.minor) : "*";
  std::string access = d.access.empty() ? "rwm" : d.access;
  if (type == "a") return "a";
  return type + " " + maj + ":" + min + " " + access;
}

}  // namespace

void apply_v1(const std::map<std::string, std::string>& dirs, const oci::Resources& r) {
  if (!r.devices.empty()) {
    std::string d = need(dirs, "devices");
    for (const auto& rule : r.devices)
      put(d, rule.allow ? "devices.allow" : "devices.deny", device_rule(rule));
  }
  if (r.memory) {
    const auto& m = *r.memory;
    std::string d = need(dirs, "memory");
    if (m.reservation) put(d, "memory.soft_limit_in_bytes", std::to_string(*m.reservation));
    // memsw must stay >= limit: raise memsw first when growing, limit first when shrinking.
    if (m.limit && m.swap) {
      std::string cur = linux_::read_file(d + "/memory.limit_in_bytes");
      bool growing = *m.limit == -1 || std::stoll(cur) < *m.limit;
      if (growing) {
        put(d, "memory.memsw.limit_in_bytes", std::to_string(*m.swap));
        put(d, "memory.limit_in_bytes", std::to_string(*m.limit));
      } else {
        put(d, "memory.limit_in_bytes", std::to_string(*m.limit));
        put(d, "memory.memsw.limit_in_bytes", std::to_string(*m.swap));
      }
    } else if (m.limit) {
      put(d, "memory.limit_in_bytes", std::to_string(*m.limit));
    } else if (m.swap) {
      put(d, "memory.memsw.limit_in_bytes", std::to_string(*m.swap));
    }
    if (m.kernel) log::warn("linux.resources.memory.kernel is deprecated and ignored by this kernel");
    if (m.kernelTCP) put(d, "memory.kmem.tcp.limit_in_bytes", std::to_string(*m.kernelTCP));
    if (m.swappiness && *m.swappiness <= 100) put(d, "memory.swappiness", std::to_string(*m.swappiness));
    if (m.disableOOMKiller && *m.disableOOMKiller) put(d, "memory.oom_control", "1");
  }
  if (r.cpu) {
    const auto& c = *r.cpu;
    if (c.shares || c.quota || c.period || c.burst || c.realtimeRuntime || c.realtimePeriod) {
      std::string d = need(dirs, "cpu");
      if (c.shares) put(d, "cpu.shares", std::to_string(*c.shares));
      if (c.period) put(d, "cpu.cfs_period_us", std::to_string(*c.period));
      if (c.quota) put(d, "cpu.cfs_quota_us", std::to_string(*c.quota));
      if (c.burst) put(d, "cpu.cfs_burst_us", std::to_string(*c.burst));
      if (c.realtimePeriod) put(d, "cpu.rt_period_us", std::to_string(*c.realtimePeriod));
      if (c.realtimeRuntime) put(d, "cpu.rt_runtime_us", std::to_string(*c.realtimeRuntime));
    }
    if (!c.cpus.empty()) put(need(dirs, "cpuset"), "cpuset.cpus", c.cpus);
    if (!c.mems.empty()) put(need(dirs, "cpuset"), "cpuset.mems", c.mems);
  }
  if (r.pids) put(need(dirs, "pids"), "pids.max", r.pids->limit > 0 ? std::to_string(r.pids->limit) : "max");
  if (r.blockIO) {
    const auto& b = *r.blockIO;
    std::string d = need(dirs, "blkio");
    if (b.weight) put(d, "blkio.weight", std::to_string(*b.weight));
    if (b.leafWeight) put(d, "blkio.leaf_weight", std::to_string(*b.leafWeight));
    for (const auto& w : b.weightDevice) {
      std::string dev = std::to_string(w.major) + ":" + std::to_string(w.minor);
      if (w.weight) put(d, "blkio.weight_device", dev + " " + std::to_string(*w.weight));
      if (w.leafWeight) put(d, "blkio.leaf_weight_device", dev + " " + std::to_string(*w.leafWeight));
    }
    auto throttle = [&](const std::vector<oci::ThrottleDevice>& v, const char* file) {
      for (const auto& t : v)
        put(d, file, std::to_string(t.major) + ":" + std::to_string(t.minor) + " " + std::to_string(t.rate));
    };
    throttle(b.throttleReadBpsDevice, "blkio.throttle.read_bps_device");
    throttle(b.throttleWriteBpsDevice, "blkio.throttle.write_bps_device");
    throttle(b.throttleReadIOPSDevice, "blkio.throttle.read_iops_device");
    throttle(b.throttleWriteIOPSDevice, "blkio.throttle.write_iops_device");
  }
  for (const auto& h : r.hugepageLimits)
    put(need(dirs, "hugetlb"), "hugetlb." + h.pageSize + ".limit_in_bytes", std::to_string(h.limit));
  if (r.network) {
    if (r.network->classID) put(need(dirs, "net_cls"), "net_cls.classid", std::to_string(*r.network->classID));
    for (const auto& p : r.network->priorities)
      put(need(dirs, "net_prio"), "net_prio.ifpriomap", p.name + " " + std::to_string(p.priority));
  }
  if (!r.unified.empty())
    throw Error("linux.resources.unified needs cgroup v2, but this host's controllers are on cgroup v1");
}

void apply_v2(const std::string& d, const oci::Resources& r) {
  if (r.memory) {
    const auto& m = *r.memory;
    auto val = [](int64_t v) { return v == -1 ? std::string("max") : std::to_string(v); };
    if (m.reservation) put(d, "memory.low", val(*m.reservation));
    if (m.limit) put(d, "memory.max", val(*m.limit));
    // OCI swap is memory+swap; v2's memory.swap.max is swap alone (runc's conversion).
    if (m.swap) {
      std::string s = "max";
      if (*m.swap != -1) {
        if (!m.limit || *m.limit == -1) throw Error("linux.resources.memory.swap needs memory.limit on cgroup v2");
        if (*m.swap < *m.limit) throw Error("linux.resources.memory.swap must be >= memory.limit");
        s = std::to_string(*m.swap - *m.limit);
      }
      put(d, "memory.swap.max", s);
    }
  }
  if (r.cpu) {
    const auto& c = *r.cpu;
    // runc's shares -> weight mapping: [2, 262144] -> [1, 10000].
    if (c.shares && *c.shares) put(d, "cpu.weight", std::to_string(1 + ((*c.shares - 2) * 9999) / 262142));
    if (c.quota || c.period) {
      std::string q = (c.quota && *c.quota > 0) ? std::to_string(*c.quota) : "max";
      put(d, "cpu.max", q + " " + std::to_string(c.period.value_or(100000)));
    }
    if (c.burst) put(d, "cpu.max.burst", std::to_string(*c.burst));
    if (c.idle) put(d, "cpu.idle", std::to_string(*c.idle));
    if (!c.cpus.empty()) put(d, "cpuset.cpus", c.cpus);
    if (!c.mems.empty()) put(d, "cpuset.mems", c.mems);
  }
  if (r.pids) put(d, "pids.max", r.pids->limit > 0 ? std::to_string(r.pids->limit) : "max");
  if (r.blockIO && r.blockIO->weight) {
    // blkio.weight [10, 1000] -> io.weight [1, 10000]
    put(d, "io.weight", std::to_string(1 + ((*r.blockIO->weight - 10) * 9999) / 990));
  }
  for (const auto& h : r.hugepageLimits) put(d, "hugetlb." + h.pageSize + ".max", std::to_string(h.limit));
  for (const auto& [k, v] : r.unified) {
    if (k.find('/') != std::string::npos) throw Error("linux.resources.unified: invalid key \"" + k + "\"");
    put(d, k, v);
  }
  if (!r.devices.empty())
    log::warn("linux.resources.devices on cgroup v2 needs an eBPF device program, not implemented yet; device rules not enforced by the cgroup");
}

}  // namespace berth::cgroups
