#include "metrics_v2.hpp"

#include <dirent.h>

#include <cstdint>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>

namespace berth::shim {

namespace v2 = io::containerd::cgroups::v2;

namespace {

bool read_file(const std::string& path, std::string& out) {
  std::ifstream f(path);
  if (!f) return false;
  std::ostringstream ss;
  ss << f.rdbuf();
  out = ss.str();
  return true;
}

std::uint64_t to_u64(const std::string& s) {
  if (s == "max") return std::numeric_limits<std::uint64_t>::max();
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return 0;  // not a count: as if absent
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return v;
}

// A file holding one value; 0 if absent or unreadable.
std::uint64_t single(const std::string& dir, const char* file) {
  std::string s;
  if (!read_file(dir + "/" + file, s)) return 0;
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return to_u64(s);
}

// "key value" lines (cpu.stat, memory.stat, memory.events).
std::map<std::string, std::uint64_t> flat_keyed(const std::string& dir, const char* file) {
  std::map<std::string, std::uint64_t> out;
  std::string s;
  if (!read_file(dir + "/" + file, s)) return out;
  std::istringstream in(s);
  std::string k, v;
  while (in >> k >> v) out[k] = to_u64(v);
  return out;
}

void read_io(const std::string& dir, v2::IOStat* io) {
  std::string s;
  if (!read_file(dir + "/io.stat", s)) return;
  std::istringstream lines(s);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream in(line);
    std::string dev, kv;
    if (!(in >> dev)) continue;
    auto colon = dev.find(':');
    if (colon == std::string::npos) continue;
    auto* e = io->add_usage();
    e->set_major(to_u64(dev.substr(0, colon)));
    e->set_minor(to_u64(dev.substr(colon + 1)));
    while (in >> kv) {
      auto eq = kv.find('=');
      if (eq == std::string::npos) continue;
      std::string k = kv.substr(0, eq);
      std::uint64_t v = to_u64(kv.substr(eq + 1));
      if (k == "rbytes") e->set_rbytes(v);
      else if (k == "wbytes") e->set_wbytes(v);
      else if (k == "rios") e->set_rios(v);
      else if (k == "wios") e->set_wios(v);
    }
  }
}

// hugetlb.<size>.current / .max for every page size the directory has.
void read_hugetlb(const std::string& dir, v2::Metrics& m) {
  DIR* d = opendir(dir.c_str());
  if (!d) return;
  std::map<std::string, bool> sizes;
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    const std::string pre = "hugetlb.", suf = ".current";
    if (n.size() > pre.size() + suf.size() && n.compare(0, pre.size(), pre) == 0 &&
        n.compare(n.size() - suf.size(), suf.size(), suf) == 0) {
      std::string size = n.substr(pre.size(), n.size() - pre.size() - suf.size());
      if (size.find('.') == std::string::npos) sizes[size] = true;  // not hugetlb.2MB.rsvd.current
    }
  }
  closedir(d);
  for (const auto& [size, _] : sizes) {
    auto* h = m.add_hugetlb();
    h->set_pagesize(size);
    h->set_current(single(dir, ("hugetlb." + size + ".current").c_str()));
    h->set_max(single(dir, ("hugetlb." + size + ".max").c_str()));
  }
}

}  // namespace

v2::Metrics read_metrics_v2(const std::string& dir) {
  v2::Metrics m;
  auto* pids = m.mutable_pids();
  pids->set_current(single(dir, "pids.current"));
  pids->set_limit(single(dir, "pids.max"));

  auto cpu = flat_keyed(dir, "cpu.stat");
  auto* c = m.mutable_cpu();
  c->set_usage_usec(cpu["usage_usec"]);
  c->set_user_usec(cpu["user_usec"]);
  c->set_system_usec(cpu["system_usec"]);
  c->set_nr_periods(cpu["nr_periods"]);
  c->set_nr_throttled(cpu["nr_throttled"]);
  c->set_throttled_usec(cpu["throttled_usec"]);

  auto ms = flat_keyed(dir, "memory.stat");
  auto* mem = m.mutable_memory();
  mem->set_anon(ms["anon"]);
  mem->set_file(ms["file"]);
  mem->set_kernel_stack(ms["kernel_stack"]);
  mem->set_slab(ms["slab"]);
  mem->set_sock(ms["sock"]);
  mem->set_shmem(ms["shmem"]);
  mem->set_file_mapped(ms["file_mapped"]);
  mem->set_file_dirty(ms["file_dirty"]);
  mem->set_file_writeback(ms["file_writeback"]);
  mem->set_anon_thp(ms["anon_thp"]);
  mem->set_inactive_anon(ms["inactive_anon"]);
  mem->set_active_anon(ms["active_anon"]);
  mem->set_inactive_file(ms["inactive_file"]);
  mem->set_active_file(ms["active_file"]);
  mem->set_unevictable(ms["unevictable"]);
  mem->set_slab_reclaimable(ms["slab_reclaimable"]);
  mem->set_slab_unreclaimable(ms["slab_unreclaimable"]);
  mem->set_pgfault(ms["pgfault"]);
  mem->set_pgmajfault(ms["pgmajfault"]);
  mem->set_workingset_refault(ms["workingset_refault"]);
  mem->set_workingset_activate(ms["workingset_activate"]);
  mem->set_workingset_nodereclaim(ms["workingset_nodereclaim"]);
  mem->set_pgrefill(ms["pgrefill"]);
  mem->set_pgscan(ms["pgscan"]);
  mem->set_pgsteal(ms["pgsteal"]);
  mem->set_pgactivate(ms["pgactivate"]);
  mem->set_pgdeactivate(ms["pgdeactivate"]);
  mem->set_pglazyfree(ms["pglazyfree"]);
  mem->set_pglazyfreed(ms["pglazyfreed"]);
  mem->set_thp_fault_alloc(ms["thp_fault_alloc"]);
  mem->set_thp_collapse_alloc(ms["thp_collapse_alloc"]);
  mem->set_usage(single(dir, "memory.current"));
  mem->set_usage_limit(single(dir, "memory.max"));
  mem->set_swap_usage(single(dir, "memory.swap.current"));
  mem->set_swap_limit(single(dir, "memory.swap.max"));

  auto events = flat_keyed(dir, "memory.events");
  auto* me = m.mutable_memory_events();
  me->set_low(events["low"]);
  me->set_high(events["high"]);
  me->set_max(events["max"]);
  me->set_oom(events["oom"]);
  me->set_oom_kill(events["oom_kill"]);

  read_io(dir, m.mutable_io());
  read_hugetlb(dir, m);
  return m;
}

}  // namespace berth::shim
