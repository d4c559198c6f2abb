// linux.resources written to cgroup files, following runc 1.1 on each field:
// the same files, the same write order for inter-dependent values, the same
// treatment of what the kernel does not have. Errors name the file and value.
//
// Decisions (runc 1.1 behaviour, checked on a v1 host):
//   memory.kernel / kernelTCP  ignored with the warning "Kernel memory settings
//                              are ignored and will be removed" (cgroup.cpp warns
//                              where the config is read: create, update)
//   memory.limit -1, no swap   memsw set to -1 too (both unlimited)
//   memory + swap              written in the order the kernel accepts (memsw >= limit)
//   memory below usage         "unable to set memory limit to N (current usage: U, peak usage: P)"
//   cpu.shares                 read back: "the minimum/maximum allowed cpu-shares is N"
//   pids.limit 0               no change; < 0 = "max"
//   blkio weight               blkio.weight, or blkio.bfq.weight when only BFQ is there
//   missing controller         "cannot set <ctrl> limit: ..." (hugetlb, net_cls, net_prio, rdma ...)
//   hugepageLimits             the usage and the reservation (rsvd) limit; on a hybrid host whose
//                              hugetlb is bound to the unified hierarchy, its v2 files there
//                              (runc 1.1 refuses: its v1 driver has no hugetlb there)
//   unified on v1              "invalid configuration: cannot use unified on cgroup v1"
//   devices in a user ns       skipped (the kernel refuses them)
//   devices on v2              not here: an eBPF program (devices_bpf.cpp), attached by fs_v2
#include "berth/cgroups/resources.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <limits>

#include "berth/cgroups/convert.hpp"
#include "berth/cgroups/fs.hpp"
#include "berth/cgroups/stats.hpp"
#include "berth/util/error.hpp"
#include "berth/util/fd.hpp"
#include "berth/util/log.hpp"

namespace berth::cgroups {
namespace {

void put(const std::string& dir, const std::string& file, const std::string& value) {
  write_cgroup_file(dir, file, value);
}

std::string need(const std::map<std::string, std::string>& dirs, const std::string& ctrl) {
  std::string d = controller_dir(dirs, ctrl);
  if (d.empty()) throw Error("cannot set " + ctrl + " limit: the " + ctrl + " cgroup controller is not mounted on this host");
  return d;
}

uint64_t read_uint(const std::string& dir, const std::string& file) {
  return parse_cgroup_uint(read_cgroup_file(dir, file), file);
}

std::string device_rule(const oci::DeviceCgroupRule& d) {
  std::string type = d.type.empty() ? "a" : d.type;
  if (type == "a") return "a *:* rwm";
  std::string maj = d.major && *d.major >= 0 ? std::to_string(*d.major) : "*";
  std::string min = d.minor && *d.minor >= 0 ? std::to_string(*d.minor) : "*";
  std::string access = d.access.empty() ? "rwm" : d.access;
  return type + " " + maj + ":" + min + " " + access;
}

// ---- v1 ----

// The kernel takes one device rule per write(2): devices.allow and devices.deny
// are opened once each and written rule by rule, in order. A rule equal to the
// one before it is written once (runc's default "deny all" usually follows the
// config's own).
void v1_devices(const std::string& d, const std::vector<oci::DeviceCgroupRule>& rules) {
  UniqueFd allow, deny;
  std::string last;
  for (const auto& rule : rules) {
    std::string line = (rule.allow ? "allow " : "deny ") + device_rule(rule);
    if (line == last) continue;
    last = line;
    const char* file = rule.allow ? "devices.allow" : "devices.deny";
    UniqueFd& fd = rule.allow ? allow : deny;
    std::string value = device_rule(rule);
    std::string path = d + "/" + file;
    if (!fd) {
      fd.reset(::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOFOLLOW));
      if (!fd) throw_errno("failed to write \"" + value + "\": open " + path);
    }
    ssize_t n;
    do {
      n = ::write(fd.get(), value.data(), value.size());
    } while (n < 0 && errno == EINTR);
    if (n < 0) throw_errno("failed to write \"" + value + "\": write " + path);
  }
}

void v1_set_memory(const std::string& d, int64_t v) {
  if (v == 0) return;
  try {
    put(d, "memory.limit_in_bytes", std::to_string(v));
  } catch (const Error& e) {
    if (e.code() != EBUSY) throw;
    // Below what the cgroup already uses: say so, as runc does.
    uint64_t usage = 0, peak = 0;
    try {
      usage = read_uint(d, "memory.usage_in_bytes");
      peak = read_uint(d, "memory.max_usage_in_bytes");
    } catch (const Error&) {
      throw e;
    }
    throw Error("unable to set memory limit to " + std::to_string(v) + " (current usage: " + std::to_string(usage) +
                    ", peak usage: " + std::to_string(peak) + ")",
                EBUSY);
  }
}

void v1_set_swap(const std::string& d, int64_t v) {
  if (v != 0) put(d, "memory.memsw.limit_in_bytes", std::to_string(v));
}

void v1_memory(const std::map<std::string, std::string>& dirs, const oci::MemoryResources& m) {
  int64_t limit = m.limit.value_or(0), swap = m.swap.value_or(0), reservation = m.reservation.value_or(0);
  bool oom_off = m.disableOOMKiller.value_or(false);
  bool swappiness = m.swappiness && *m.swappiness != std::numeric_limits<uint64_t>::max();
  if (!limit && !swap && !reservation && !oom_off && !swappiness) return;
  std::string d = need(dirs, "memory");
  // "memory unlimited" on its own means memory+swap unlimited too.
  if (limit == -1 && swap == 0 && cgroup_file_exists(d, "memory.memsw.limit_in_bytes")) swap = -1;
  bool done = false;
  if (limit != 0 && swap != 0) {
    // The kernel keeps memsw >= limit at every step: raise memsw first when
    // the current limit is below the new memsw, else lower the limit first.
    uint64_t cur = read_uint(d, "memory.limit_in_bytes");
    if (swap == -1 || cur < static_cast<uint64_t>(swap)) {
      v1_set_swap(d, swap);
      v1_set_memory(d, limit);
      done = true;
    }
  }
  if (!done) {
    v1_set_memory(d, limit);
    v1_set_swap(d, swap);
  }
  if (reservation != 0) put(d, "memory.soft_limit_in_bytes", std::to_string(reservation));
  if (oom_off) put(d, "memory.oom_control", "1");
  if (swappiness) {
    if (*m.swappiness > 100)
      throw Error("invalid memory swappiness value: " + std::to_string(*m.swappiness) + " (valid range is 0-100)");
    put(d, "memory.swappiness", std::to_string(*m.swappiness));
  }
}

// Writes `first`; if the kernel refuses it with EINVAL while `second` is to be
// written too, writes `second` and retries `first` (period/quota and rt
// period/runtime depend on each other).
void put_pair(const std::string& d, const std::optional<std::pair<std::string, std::string>>& first,
              const std::optional<std::pair<std::string, std::string>>& second) {
  bool retry = false;
  if (first) {
    try {
      put(d, first->first, first->second);
    } catch (const Error& e) {
      if (e.code() != EINVAL || !second) throw;
      retry = true;
    }
  }
  if (second) put(d, second->first, second->second);
  if (retry) put(d, first->first, first->second);
}

// The kernel refuses cpu.shares (v1) and cpu.weight (v2) while the group is SCHED_IDLE and
// uses them again once it is not: leaving idle is written before them, entering it after
// (idle_after_weight), and they are written only while the group is not idle. Returns whether
// the shares/weight may be written now.
bool idle_before_weight(const std::string& d, const oci::CpuResources& c) {
  if (!c.idle) return true;
  if (*c.idle == 0) {
    put(d, "cpu.idle", "0");
    return true;
  }
  return read_uint(d, "cpu.idle") == 0;
}
void idle_after_weight(const std::string& d, const oci::CpuResources& c) {
  if (c.idle && *c.idle != 0) put(d, "cpu.idle", std::to_string(*c.idle));
}

void v1_cpu(const std::map<std::string, std::string>& dirs, const oci::CpuResources& c) {
  uint64_t shares = c.shares.value_or(0), period = c.period.value_or(0), rt_period = c.realtimePeriod.value_or(0);
  int64_t quota = c.quota.value_or(0), rt_runtime = c.realtimeRuntime.value_or(0);
  if (shares || period || quota || c.burst || rt_period || rt_runtime || c.idle) {
    std::string d = need(dirs, "cpu");
    if (idle_before_weight(d, c) && shares) {
      put(d, "cpu.shares", std::to_string(shares));
      uint64_t got = read_uint(d, "cpu.shares");
      if (shares > got) throw Error("the maximum allowed cpu-shares is " + std::to_string(got));
      if (shares < got) throw Error("the minimum allowed cpu-shares is " + std::to_string(got));
    }
    using P = std::optional<std::pair<std::string, std::string>>;
    put_pair(d, period ? P{{"cpu.cfs_period_us", std::to_string(period)}} : P{},
             quota ? P{{"cpu.cfs_quota_us", std::to_string(quota)}} : P{});
    if (c.burst) put(d, "cpu.cfs_burst_us", std::to_string(*c.burst));
    put_pair(d, rt_period ? P{{"cpu.rt_period_us", std::to_string(rt_period)}} : P{},
             rt_runtime ? P{{"cpu.rt_runtime_us", std::to_string(rt_runtime)}} : P{});
    idle_after_weight(d, c);
  }
  if (!c.cpus.empty()) put(need(dirs, "cpuset"), "cpuset.cpus", c.cpus);
  if (!c.mems.empty()) put(need(dirs, "cpuset"), "cpuset.mems", c.mems);
}

void v1_blkio(const std::map<std::string, std::string>& dirs, const oci::BlockIOResources& b) {
  bool any = b.weight.value_or(0) || b.leafWeight.value_or(0) || !b.weightDevice.empty() ||
             !b.throttleReadBpsDevice.empty() || !b.throttleWriteBpsDevice.empty() ||
             !b.throttleReadIOPSDevice.empty() || !b.throttleWriteIOPSDevice.empty();
  if (!any) return;
  std::string d = need(dirs, "blkio");
  // CFQ's files, or BFQ's when the kernel has only BFQ (CFQ is gone since 5.0).
  // Neither (no proportional I/O scheduler, e.g. mq-deadline only): a weight
  // cannot be applied, and saying so beats "open blkio.bfq.weight: ENOENT".
  bool cfq = cgroup_file_exists(d, "blkio.weight");
  std::string weight_file = cfq ? "blkio.weight" : "blkio.bfq.weight";
  std::string weight_dev_file = cfq ? "blkio.weight_device" : "blkio.bfq.weight_device";
  bool weighted = b.weight.value_or(0) ||
                  std::any_of(b.weightDevice.begin(), b.weightDevice.end(), [](const auto& w) { return w.weight.value_or(0); });
  if (weighted && !cfq && !cgroup_file_exists(d, weight_file))
    throw Error(std::string("linux.resources.blockIO.") + (b.weight.value_or(0) ? "weight" : "weightDevice") +
                ": the blkio controller has neither blkio.weight nor blkio.bfq.weight (no CFQ or BFQ I/O "
                "scheduler on this host's kernel): cannot apply it");
  if (b.weight.value_or(0)) put(d, weight_file, std::to_string(*b.weight));
  if (b.leafWeight.value_or(0)) put(d, "blkio.leaf_weight", std::to_string(*b.leafWeight));
  for (const auto& w : b.weightDevice) {
    std::string dev = std::to_string(w.major) + ":" + std::to_string(w.minor);
    if (w.weight.value_or(0)) put(d, weight_dev_file, dev + " " + std::to_string(*w.weight));
    if (w.leafWeight.value_or(0)) put(d, "blkio.leaf_weight_device", dev + " " + std::to_string(*w.leafWeight));
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

std::string rdma_line(const std::string& device, const oci::RdmaLimit& l) {
  std::string s = device;
  if (l.hcaHandles) s += " hca_handle=" + std::to_string(*l.hcaHandles);
  if (l.hcaObjects) s += " hca_object=" + std::to_string(*l.hcaObjects);
  return s;
}

// hugepageLimits (runtime-spec): the reservation limit where the kernel accounts
// reservations (Linux 5.7+: hugetlb.<size>.rsvd.*), besides the usage limit, as
// runc 1.2 does; a kernel without rsvd files keeps the usage limit alone.
void put_hugetlb(const std::string& d, const oci::HugepageLimit& h, const char* suffix) {
  const std::string value = std::to_string(h.limit);
  put(d, "hugetlb." + h.pageSize + "." + suffix, value);
  const std::string rsvd = "hugetlb." + h.pageSize + ".rsvd." + suffix;
  if (cgroup_file_exists(d, rsvd)) put(d, rsvd, value);
}

// A hybrid host may bind hugetlb to its cgroup2 hierarchy (/sys/fs/cgroup/unified)
// rather than to a v1 one: the container's directory there, with the controller
// enabled in every ancestor's cgroup.subtree_control. "" when no hierarchy has it.
std::string unified_hugetlb_dir(const std::map<std::string, std::string>& dirs) {
  for (const auto& [mnt, dir] : dirs) {
    std::string controllers;
    try {
      controllers = " " + read_cgroup_file(mnt, "cgroup.controllers") + " ";
    } catch (const Error&) {
      continue;  // a v1 hierarchy
    }
    for (char& c : controllers) if (c == '\n') c = ' ';
    if (controllers.find(" hugetlb ") == std::string::npos) continue;
    // From the mount point down to the container's parent.
    for (size_t at = mnt.size(); at != std::string::npos && at < dir.size(); at = dir.find('/', at + 1)) {
      const std::string parent = dir.substr(0, at);
      std::string enabled = " " + read_cgroup_file(parent, "cgroup.subtree_control") + " ";
      for (char& c : enabled) if (c == '\n') c = ' ';
      if (enabled.find(" hugetlb ") == std::string::npos) put(parent, "cgroup.subtree_control", "+hugetlb");
    }
    return dir;
  }
  return "";
}

bool kernel_memory_set(const oci::Resources& r) {
  return r.memory && (r.memory->kernel || r.memory->kernelTCP);
}

}  // namespace

void warn_ignored_resources(const oci::Resources& r) {
  if (kernel_memory_set(r)) log::warn("Kernel memory settings are ignored and will be removed");
}

void apply_v1(const std::map<std::string, std::string>& dirs, const oci::Resources& r) {
  if (!r.unified.empty()) throw Error("invalid configuration: cannot use unified on cgroup v1");
  if (!r.devices.empty() && !in_user_namespace()) v1_devices(need(dirs, "devices"), r.devices);
  if (r.memory) v1_memory(dirs, *r.memory);
  if (r.cpu) v1_cpu(dirs, *r.cpu);
  if (r.pids && r.pids->limit != 0)
    put(need(dirs, "pids"), "pids.max", r.pids->limit > 0 ? std::to_string(r.pids->limit) : "max");
  if (r.blockIO) v1_blkio(dirs, *r.blockIO);
  if (!r.hugepageLimits.empty()) {
    const std::string v1 = controller_dir(dirs, "hugetlb");
    const std::string unified = v1.empty() ? unified_hugetlb_dir(dirs) : "";
    for (const auto& h : r.hugepageLimits) {
      if (!unified.empty()) put_hugetlb(unified, h, "max");
      else put_hugetlb(need(dirs, "hugetlb"), h, "limit_in_bytes");
    }
  }
  if (r.network) {
    if (r.network->classID) put(need(dirs, "net_cls"), "net_cls.classid", std::to_string(*r.network->classID));
    for (const auto& p : r.network->priorities)
      put(need(dirs, "net_prio"), "net_prio.ifpriomap", p.name + " " + std::to_string(p.priority));
  }
  for (const auto& [dev, l] : r.rdma) put(need(dirs, "rdma"), "rdma.max", rdma_line(dev, l));
}

void apply_v2(const std::string& d, const oci::Resources& r) {
  if (r.pids && r.pids->limit != 0) put(d, "pids.max", r.pids->limit > 0 ? std::to_string(r.pids->limit) : "max");
  if (r.memory) {
    const auto& m = *r.memory;
    int64_t limit = m.limit.value_or(0), swap = m.swap.value_or(0), reservation = m.reservation.value_or(0);
    if (limit || swap || reservation) {
      if (m.checkBeforeUpdate.value_or(false) && limit > 0) {
        try {
          uint64_t usage = parse_cgroup_uint(read_cgroup_file(d, "memory.current"), "memory.current");
          if (usage >= static_cast<uint64_t>(limit))
            throw Error("rejecting memory limit " + std::to_string(limit) + " below current usage " + std::to_string(usage));
        } catch (const Error& e) {
          if (std::string(e.what()).rfind("rejecting", 0) == 0) throw;  // best effort otherwise
        }
      }
      if (auto s = memory_swap_max_v2(swap, limit)) {
        try {
          put(d, "memory.swap.max", *s);
        } catch (const Error& e) {
          // No swap accounting in this kernel: "unlimited" and "none" are what we have anyway.
          if (!(e.code() == ENOENT && (*s == "max" || *s == "0"))) throw;
        }
      }
      if (limit) put(d, "memory.max", v2_limit(limit));
      if (reservation) put(d, "memory.low", v2_limit(reservation));
    }
    if (m.swappiness && *m.swappiness != std::numeric_limits<uint64_t>::max())
      log::debug("linux.resources.memory.swappiness has no cgroup v2 equivalent; ignored (as runc)");
    if (m.disableOOMKiller.value_or(false))
      log::debug("linux.resources.memory.disableOOMKiller has no cgroup v2 equivalent; ignored (as runc)");
  }
  if (r.blockIO) {
    const auto& b = *r.blockIO;
    bool bfq = cgroup_file_exists(d, "io.bfq.weight");
    if (b.weight.value_or(0)) {
      if (bfq) put(d, "io.bfq.weight", std::to_string(*b.weight));
      else put(d, "io.weight", std::to_string(blkio_weight_to_io_weight(*b.weight)));
    }
    if (bfq) {
      for (const auto& w : b.weightDevice)
        if (w.weight.value_or(0))
          put(d, "io.bfq.weight", std::to_string(w.major) + ":" + std::to_string(w.minor) + " " + std::to_string(*w.weight));
    }
    auto io_max = [&](const std::vector<oci::ThrottleDevice>& v, const char* key) {
      for (const auto& t : v)
        put(d, "io.max", std::to_string(t.major) + ":" + std::to_string(t.minor) + " " + key + "=" + std::to_string(t.rate));
    };
    io_max(b.throttleReadBpsDevice, "rbps");
    io_max(b.throttleWriteBpsDevice, "wbps");
    io_max(b.throttleReadIOPSDevice, "riops");
    io_max(b.throttleWriteIOPSDevice, "wiops");
  }
  if (r.cpu) {
    const auto& c = *r.cpu;
    if (uint64_t w = cpu_shares_to_weight(c.shares.value_or(0)); idle_before_weight(d, c) && w)
      put(d, "cpu.weight", std::to_string(w));
    if (c.quota.value_or(0) || c.period.value_or(0)) {
      std::string q = c.quota.value_or(0) > 0 ? std::to_string(*c.quota) : "max";
      put(d, "cpu.max", q + " " + std::to_string(c.period.value_or(0) ? *c.period : 100000));
    }
    if (c.burst) put(d, "cpu.max.burst", std::to_string(*c.burst));
    idle_after_weight(d, c);
    if (c.realtimePeriod.value_or(0) || c.realtimeRuntime.value_or(0)) {
      if (!cgroup_file_exists(d, "cpu.rt_runtime_us"))
        throw Error("cannot set realtime CPU limits: this kernel has no cpu.rt_runtime_us on cgroup v2");
      using P = std::optional<std::pair<std::string, std::string>>;
      put_pair(d, c.realtimePeriod.value_or(0) ? P{{"cpu.rt_period_us", std::to_string(*c.realtimePeriod)}} : P{},
               c.realtimeRuntime.value_or(0) ? P{{"cpu.rt_runtime_us", std::to_string(*c.realtimeRuntime)}} : P{});
    }
    if (!c.cpus.empty()) put(d, "cpuset.cpus", c.cpus);
    if (!c.mems.empty()) put(d, "cpuset.mems", c.mems);
  }
  for (const auto& h : r.hugepageLimits) put_hugetlb(d, h, "max");
  for (const auto& [dev, l] : r.rdma) put(d, "rdma.max", rdma_line(dev, l));
  for (const auto& [k, v] : r.unified) {
    if (k.find('/') != std::string::npos || k == "." || k == "..")
      throw Error("linux.resources.unified: invalid key \"" + k + "\"");
    put(d, k, v);
  }
}

}  // namespace berth::cgroups
