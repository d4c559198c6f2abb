// Container resource usage from the cgroup files, in runc's `events` shape.
#include "berth/cgroups/stats.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <optional>
#include <sstream>

#include "berth/cgroups/fs.hpp"
#include "berth/util/error.hpp"

namespace berth::cgroups {
namespace {

using ojson = nlohmann::ordered_json;

std::string trim(const std::string& s) {
  size_t a = s.find_first_not_of(" \t\n");
  if (a == std::string::npos) return "";
  size_t b = s.find_last_not_of(" \t\n");
  return s.substr(a, b - a + 1);
}

// The file's content, or nullopt if it does not exist (or cannot be read).
std::optional<std::string> slurp(const std::string& dir, const std::string& file) {
  if (dir.empty()) return std::nullopt;
  try {
    return read_cgroup_file(dir, file);
  } catch (const Error&) {
    return std::nullopt;
  }
}

uint64_t uint_of(const std::string& dir, const std::string& file) {
  auto t = slurp(dir, file);
  if (!t) return 0;
  try {
    return parse_cgroup_uint(*t, file);
  } catch (const Error&) {
    return 0;
  }
}

std::vector<uint64_t> uint_list(const std::string& text) {
  std::vector<uint64_t> out;
  std::istringstream in(text);
  std::string w;
  while (in >> w) out.push_back(std::strtoull(w.c_str(), nullptr, 10));
  return out;
}

// ---- v1 ----

void cpu_v1(const std::string& cpu, const std::string& cpuacct, Stats& s) {
  if (auto t = slurp(cpu, "cpu.stat")) {
    auto kv = parse_key_values(*t, "cpu.stat");
    s.cpu.periods = kv["nr_periods"];
    s.cpu.throttled_periods = kv["nr_throttled"];
    s.cpu.throttled_time = kv["throttled_time"];
  }
  if (cpuacct.empty()) return;
  // cpuacct.stat is in USER_HZ ticks; runc (and the kernel ABI) use 100.
  constexpr uint64_t kNsPerTick = 1000000000ULL / 100;
  if (auto t = slurp(cpuacct, "cpuacct.stat")) {
    auto kv = parse_key_values(*t, "cpuacct.stat");
    s.cpu.user = kv["user"] * kNsPerTick;
    s.cpu.kernel = kv["system"] * kNsPerTick;
  }
  s.cpu.total = uint_of(cpuacct, "cpuacct.usage");
  if (auto t = slurp(cpuacct, "cpuacct.usage_percpu")) s.cpu.percpu = uint_list(*t);
  if (auto t = slurp(cpuacct, "cpuacct.usage_all")) {
    std::istringstream in(*t);
    std::string line;
    std::getline(in, line);  // "cpu user system"
    while (std::getline(in, line)) {
      auto v = uint_list(line);
      if (v.size() < 3) continue;
      s.cpu.percpu_user.push_back(v[1]);
      s.cpu.percpu_kernel.push_back(v[2]);
    }
  }
}

void cpuset_v1(const std::string& d, Stats& s) {
  if (d.empty()) return;
  try {
    if (auto t = slurp(d, "cpuset.cpus")) s.cpuset.cpus = parse_cpu_list(trim(*t));
    if (auto t = slurp(d, "cpuset.mems")) s.cpuset.mems = parse_cpu_list(trim(*t));
  } catch (const Error&) {
  }
  s.cpuset.cpu_exclusive = uint_of(d, "cpuset.cpu_exclusive");
  s.cpuset.mem_hardwall = uint_of(d, "cpuset.mem_hardwall");
  s.cpuset.mem_exclusive = uint_of(d, "cpuset.mem_exclusive");
  s.cpuset.memory_migrate = uint_of(d, "cpuset.memory_migrate");
  s.cpuset.memory_spread_page = uint_of(d, "cpuset.memory_spread_page");
  s.cpuset.memory_spread_slab = uint_of(d, "cpuset.memory_spread_slab");
  s.cpuset.memory_pressure = uint_of(d, "cpuset.memory_pressure");
  s.cpuset.sched_load_balance = uint_of(d, "cpuset.sched_load_balance");
  if (auto t = slurp(d, "cpuset.sched_relax_domain_level"))
    s.cpuset.sched_relax_domain_level = std::strtoll(trim(*t).c_str(), nullptr, 10);
}

MemoryData memory_data_v1(const std::string& d, const std::string& prefix) {
  MemoryData m;
  if (!slurp(d, prefix + ".usage_in_bytes")) return m;  // memsw / kmem are optional
  m.usage = uint_of(d, prefix + ".usage_in_bytes");
  m.max = uint_of(d, prefix + ".max_usage_in_bytes");
  m.failcnt = uint_of(d, prefix + ".failcnt");
  m.limit = uint_of(d, prefix + ".limit_in_bytes");
  return m;
}

void memory_v1(const std::string& d, Stats& s) {
  auto stat = slurp(d, "memory.stat");
  if (!stat) return;
  s.memory.raw = parse_key_values(*stat, "memory.stat");
  s.memory.cache = s.memory.raw.count("cache") ? s.memory.raw["cache"] : 0;
  s.memory.usage = memory_data_v1(d, "memory");
  s.memory.swap = memory_data_v1(d, "memory.memsw");
  s.memory.kernel = memory_data_v1(d, "memory.kmem");
  s.memory.kernel_tcp = memory_data_v1(d, "memory.kmem.tcp");
}

void pids_common(const std::string& d, Stats& s) {
  if (d.empty()) return;
  s.pids.current = uint_of(d, "pids.current");
  uint64_t max = uint_of(d, "pids.max");
  s.pids.limit = max == std::numeric_limits<uint64_t>::max() ? 0 : max;
}

// runc's order of preference: BFQ with debug stats, BFQ, CFQ, throttling
// (recursive), throttling. A group is taken if its first file has entries.
void blkio_v1(const std::string& d, Stats& s) {
  if (d.empty()) return;
  using Field = std::vector<BlkioEntry> Stats::Blkio::*;
  using Group = std::vector<std::pair<const char*, Field>>;
  using B = Stats::Blkio;
  const std::vector<Group> groups = {
      {{"blkio.bfq.sectors_recursive", &B::sectors},
       {"blkio.bfq.io_service_time_recursive", &B::service_time},
       {"blkio.bfq.io_wait_time_recursive", &B::wait_time},
       {"blkio.bfq.io_merged_recursive", &B::merged},
       {"blkio.bfq.io_queued_recursive", &B::queued},
       {"blkio.bfq.time_recursive", &B::time},
       {"blkio.bfq.io_serviced_recursive", &B::serviced},
       {"blkio.bfq.io_service_bytes_recursive", &B::service_bytes}},
      {{"blkio.bfq.io_serviced_recursive", &B::serviced},
       {"blkio.bfq.io_service_bytes_recursive", &B::service_bytes}},
      {{"blkio.sectors_recursive", &B::sectors},
       {"blkio.io_service_time_recursive", &B::service_time},
       {"blkio.io_wait_time_recursive", &B::wait_time},
       {"blkio.io_merged_recursive", &B::merged},
       {"blkio.io_queued_recursive", &B::queued},
       {"blkio.time_recursive", &B::time},
       {"blkio.io_serviced_recursive", &B::serviced},
       {"blkio.io_service_bytes_recursive", &B::service_bytes}},
      {{"blkio.throttle.io_serviced_recursive", &B::serviced},
       {"blkio.throttle.io_service_bytes_recursive", &B::service_bytes}},
      {{"blkio.throttle.io_serviced", &B::serviced}, {"blkio.throttle.io_service_bytes", &B::service_bytes}},
  };
  for (const auto& g : groups) {
    for (size_t i = 0; i < g.size(); ++i) {
      auto text = slurp(d, g[i].first);
      std::vector<BlkioEntry> entries;
      if (text) {
        try {
          entries = parse_blkio_stat(*text, g[i].first);
        } catch (const Error&) {
          entries.clear();
        }
      }
      if (entries.empty()) {
        if (i == 0) break;  // this group is not available: try the next
        return;
      }
      s.blkio.*(g[i].second) = std::move(entries);
      if (i + 1 == g.size()) return;
    }
  }
}

void hugetlb_v1(const std::string& d, Stats& s) {
  if (d.empty()) return;
  for (const auto& size : hugepage_sizes()) {
    std::string p = "hugetlb." + size + ".";
    if (!slurp(d, p + "usage_in_bytes")) continue;
    HugetlbData h;
    h.usage = uint_of(d, p + "usage_in_bytes");
    h.max = uint_of(d, p + "max_usage_in_bytes");
    h.failcnt = uint_of(d, p + "failcnt");
    s.hugetlb[size] = h;
  }
}

// ---- v2 ----

void cpu_v2(const std::string& d, Stats& s) {
  auto t = slurp(d, "cpu.stat");
  if (!t) return;
  auto kv = parse_key_values(*t, "cpu.stat");
  s.cpu.total = kv["usage_usec"] * 1000;
  s.cpu.user = kv["user_usec"] * 1000;
  s.cpu.kernel = kv["system_usec"] * 1000;
  s.cpu.periods = kv["nr_periods"];
  s.cpu.throttled_periods = kv["nr_throttled"];
  s.cpu.throttled_time = kv["throttled_usec"] * 1000;
}

void memory_v2(const std::string& d, Stats& s) {
  if (auto t = slurp(d, "memory.stat")) {
    s.memory.raw = parse_key_values(*t, "memory.stat");
    s.memory.cache = s.memory.raw.count("file") ? s.memory.raw["file"] : 0;
  }
  if (!slurp(d, "memory.current")) return;
  s.memory.usage.usage = uint_of(d, "memory.current");
  s.memory.usage.limit = uint_of(d, "memory.max");
  if (auto ev = slurp(d, "memory.events")) s.memory.usage.failcnt = parse_key_values(*ev, "memory.events")["max"];
  if (slurp(d, "memory.swap.current")) {
    // v1 reports memory+swap; so does runc on v2, for compatibility.
    s.memory.swap.usage = uint_of(d, "memory.swap.current") + s.memory.usage.usage;
    s.memory.swap.limit = uint_of(d, "memory.swap.max");
    constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
    if (s.memory.swap.limit != kMax && s.memory.usage.limit != kMax) s.memory.swap.limit += s.memory.usage.limit;
    else s.memory.swap.limit = kMax;
  }
}

void io_v2(const std::string& d, Stats& s) {
  auto t = slurp(d, "io.stat");
  if (!t) return;
  std::istringstream in(*t);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string dev, item;
    if (!(ls >> dev)) continue;
    auto colon = dev.find(':');
    if (colon == std::string::npos) continue;
    uint64_t major = std::strtoull(dev.substr(0, colon).c_str(), nullptr, 10);
    uint64_t minor = std::strtoull(dev.substr(colon + 1).c_str(), nullptr, 10);
    while (ls >> item) {
      auto eq = item.find('=');
      if (eq == std::string::npos) continue;
      std::string k = item.substr(0, eq);
      uint64_t v = std::strtoull(item.substr(eq + 1).c_str(), nullptr, 10);
      if (k == "rbytes") s.blkio.service_bytes.push_back({major, minor, "Read", v});
      else if (k == "wbytes") s.blkio.service_bytes.push_back({major, minor, "Write", v});
      else if (k == "rios") s.blkio.serviced.push_back({major, minor, "Read", v});
      else if (k == "wios") s.blkio.serviced.push_back({major, minor, "Write", v});
    }
  }
}

void hugetlb_v2(const std::string& d, Stats& s) {
  for (const auto& size : hugepage_sizes()) {
    std::string p = "hugetlb." + size + ".";
    if (!slurp(d, p + "current")) continue;
    HugetlbData h;
    h.usage = uint_of(d, p + "current");
    if (auto ev = slurp(d, p + "events")) h.failcnt = parse_key_values(*ev, p + "events")["max"];
    s.hugetlb[size] = h;
  }
}

// ---- JSON ----

template <class T>
void put_nonzero(ojson& j, const char* key, const T& v) {
  if (v != T{}) j[key] = v;
}

ojson memory_entry(const MemoryData& m) {
  ojson j;
  j["limit"] = m.limit;
  put_nonzero(j, "usage", m.usage);
  put_nonzero(j, "max", m.max);
  j["failcnt"] = m.failcnt;
  return j;
}

ojson blkio_list(const std::vector<BlkioEntry>& v) {
  ojson a = ojson::array();
  for (const auto& e : v) {
    ojson j = ojson::object();
    put_nonzero(j, "major", e.major);
    put_nonzero(j, "minor", e.minor);
    put_nonzero(j, "op", e.op);
    put_nonzero(j, "value", e.value);
    a.push_back(std::move(j));
  }
  return a;
}

}  // namespace

std::vector<uint16_t> parse_cpu_list(const std::string& s) {
  std::vector<uint16_t> out;
  if (s.empty()) return out;
  std::istringstream in(s);
  std::string part;
  auto num = [&](const std::string& t) -> uint16_t {
    if (t.empty() || t.find_first_not_of("0123456789") != std::string::npos || t.size() > 5)
      throw Error("invalid cpu list \"" + s + "\"");
    unsigned long v = std::stoul(t);
    if (v > 65535) throw Error("invalid cpu list \"" + s + "\"");
    return static_cast<uint16_t>(v);
  };
  while (std::getline(in, part, ',')) {
    part = trim(part);
    auto dash = part.find('-');
    if (dash == std::string::npos) {
      out.push_back(num(part));
      continue;
    }
    uint16_t lo = num(part.substr(0, dash)), hi = num(part.substr(dash + 1));
    if (hi < lo) throw Error("invalid cpu list \"" + s + "\"");
    for (uint32_t c = lo; c <= hi; ++c) out.push_back(static_cast<uint16_t>(c));
  }
  return out;
}

std::vector<BlkioEntry> parse_blkio_stat(const std::string& text, const std::string& what) {
  std::vector<BlkioEntry> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (trim(line).empty()) continue;
    std::vector<std::string> f;
    std::string cur;
    for (char c : line) {
      if (c == ' ' || c == ':') {
        if (!cur.empty()) f.push_back(cur);
        cur.clear();
      } else {
        cur += c;
      }
    }
    if (!cur.empty()) f.push_back(cur);
    if (f.size() < 3) {
      if (f.size() == 2 && f[0] == "Total") continue;
      throw Error("invalid line in " + what + ": " + line);
    }
    auto u = [&](const std::string& t) {
      if (t.find_first_not_of("0123456789") != std::string::npos) throw Error("invalid line in " + what + ": " + line);
      return std::strtoull(t.c_str(), nullptr, 10);
    };
    BlkioEntry e;
    e.major = u(f[0]);
    e.minor = u(f[1]);
    if (f.size() == 4) {
      e.op = f[2];
      e.value = u(f[3]);
    } else {
      e.value = u(f[2]);
    }
    out.push_back(std::move(e));
  }
  return out;
}

std::map<std::string, uint64_t> parse_key_values(const std::string& text, const std::string& what) {
  std::map<std::string, uint64_t> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string k, v;
    if (!(ls >> k)) continue;
    if (!(ls >> v)) throw Error("invalid line in " + what + ": " + line);
    out[k] = parse_cgroup_uint(v, what);
  }
  return out;
}

uint64_t parse_cgroup_uint(const std::string& text, const std::string& what) {
  std::string t = trim(text);
  if (t == "max") return std::numeric_limits<uint64_t>::max();
  // Some memory statistics can be negative through kernel accounting bugs: 0, as runc.
  if (!t.empty() && t[0] == '-' && t.size() > 1 && t.find_first_not_of("0123456789", 1) == std::string::npos) return 0;
  if (t.empty() || t.find_first_not_of("0123456789") != std::string::npos)
    throw Error(what + ": not a number: \"" + t + "\"");
  errno = 0;
  uint64_t v = std::strtoull(t.c_str(), nullptr, 10);
  if (errno == ERANGE) return std::numeric_limits<uint64_t>::max();
  return v;
}

std::vector<std::string> hugepage_sizes() {
  std::vector<std::string> out;
  DIR* d = ::opendir("/sys/kernel/mm/hugepages");
  if (!d) return out;
  std::unique_ptr<DIR, int (*)(DIR*)> guard(d, ::closedir);
  std::vector<uint64_t> kbs;
  while (dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n.rfind("hugepages-", 0) != 0 || n.size() < 13 || n.substr(n.size() - 2) != "kB") continue;
    kbs.push_back(std::strtoull(n.c_str() + 10, nullptr, 10));
  }
  std::sort(kbs.begin(), kbs.end());
  static const char* kUnits[] = {"KB", "MB", "GB", "TB", "PB"};
  for (uint64_t kb : kbs) {
    double v = static_cast<double>(kb);
    int u = 0;
    while (v >= 1024 && u < 4) {
      v /= 1024;
      ++u;
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g%s", v, kUnits[u]);
    out.push_back(buf);
  }
  return out;
}

Stats read_stats_v1(const std::map<std::string, std::string>& dirs) {
  Stats s;
  cpu_v1(controller_dir(dirs, "cpu"), controller_dir(dirs, "cpuacct"), s);
  cpuset_v1(controller_dir(dirs, "cpuset"), s);
  memory_v1(controller_dir(dirs, "memory"), s);
  pids_common(controller_dir(dirs, "pids"), s);
  blkio_v1(controller_dir(dirs, "blkio"), s);
  hugetlb_v1(controller_dir(dirs, "hugetlb"), s);
  return s;
}

Stats read_stats_v2(const std::string& dir) {
  Stats s;
  cpu_v2(dir, s);
  memory_v2(dir, s);
  pids_common(dir, s);
  io_v2(dir, s);
  hugetlb_v2(dir, s);
  return s;
}

nlohmann::ordered_json stats_json(const Stats& s) {
  ojson cpu;
  {
    ojson usage = ojson::object();
    put_nonzero(usage, "total", s.cpu.total);
    if (!s.cpu.percpu.empty()) usage["percpu"] = s.cpu.percpu;
    if (!s.cpu.percpu_kernel.empty()) usage["percpu_kernel"] = s.cpu.percpu_kernel;
    if (!s.cpu.percpu_user.empty()) usage["percpu_user"] = s.cpu.percpu_user;
    usage["kernel"] = s.cpu.kernel;
    usage["user"] = s.cpu.user;
    ojson thr = ojson::object();
    put_nonzero(thr, "periods", s.cpu.periods);
    put_nonzero(thr, "throttledPeriods", s.cpu.throttled_periods);
    put_nonzero(thr, "throttledTime", s.cpu.throttled_time);
    cpu["usage"] = std::move(usage);
    cpu["throttling"] = std::move(thr);
  }
  ojson cpuset = ojson::object();
  if (!s.cpuset.cpus.empty()) cpuset["cpus"] = s.cpuset.cpus;
  cpuset["cpu_exclusive"] = s.cpuset.cpu_exclusive;
  if (!s.cpuset.mems.empty()) cpuset["mems"] = s.cpuset.mems;
  cpuset["mem_hardwall"] = s.cpuset.mem_hardwall;
  cpuset["mem_exclusive"] = s.cpuset.mem_exclusive;
  cpuset["memory_migrate"] = s.cpuset.memory_migrate;
  cpuset["memory_spread_page"] = s.cpuset.memory_spread_page;
  cpuset["memory_spread_slab"] = s.cpuset.memory_spread_slab;
  cpuset["memory_pressure"] = s.cpuset.memory_pressure;
  cpuset["sched_load_balance"] = s.cpuset.sched_load_balance;
  cpuset["sched_relax_domain_level"] = s.cpuset.sched_relax_domain_level;

  ojson mem = ojson::object();
  put_nonzero(mem, "cache", s.memory.cache);
  mem["usage"] = memory_entry(s.memory.usage);
  mem["swap"] = memory_entry(s.memory.swap);
  mem["kernel"] = memory_entry(s.memory.kernel);
  mem["kernelTCP"] = memory_entry(s.memory.kernel_tcp);
  if (!s.memory.raw.empty()) {
    ojson raw = ojson::object();
    for (const auto& [k, v] : s.memory.raw) raw[k] = v;  // std::map: sorted, as Go encodes maps
    mem["raw"] = std::move(raw);
  }

  ojson pids = ojson::object();
  put_nonzero(pids, "current", s.pids.current);
  put_nonzero(pids, "limit", s.pids.limit);

  ojson blkio = ojson::object();
  auto list = [&](const char* key, const std::vector<BlkioEntry>& v) {
    if (!v.empty()) blkio[key] = blkio_list(v);
  };
  list("ioServiceBytesRecursive", s.blkio.service_bytes);
  list("ioServicedRecursive", s.blkio.serviced);
  list("ioQueueRecursive", s.blkio.queued);
  list("ioServiceTimeRecursive", s.blkio.service_time);
  list("ioWaitTimeRecursive", s.blkio.wait_time);
  list("ioMergedRecursive", s.blkio.merged);
  list("ioTimeRecursive", s.blkio.time);
  list("sectorsRecursive", s.blkio.sectors);

  ojson huge = ojson::object();
  for (const auto& [size, h] : s.hugetlb) {
    ojson j = ojson::object();
    put_nonzero(j, "usage", h.usage);
    put_nonzero(j, "max", h.max);
    j["failcnt"] = h.failcnt;
    huge[size] = std::move(j);
  }

  ojson out;
  out["cpu"] = std::move(cpu);
  out["cpuset"] = std::move(cpuset);
  out["memory"] = std::move(mem);
  out["pids"] = std::move(pids);
  out["blkio"] = std::move(blkio);
  out["hugetlb"] = std::move(huge);
  out["intel_rdt"] = ojson::object();
  out["network_interfaces"] = nullptr;
  return out;
}

}  // namespace berth::cgroups
