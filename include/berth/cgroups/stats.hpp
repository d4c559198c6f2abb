// Resource usage of a container's cgroup, in the shape `runc events` prints
// (runc 1.1 types.Stats), read from the v1 or v2 files.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace berth::cgroups {

struct MemoryData {
  uint64_t limit = 0, usage = 0, max = 0, failcnt = 0;
};
struct BlkioEntry {
  uint64_t major = 0, minor = 0;
  std::string op;
  uint64_t value = 0;
};
struct HugetlbData {
  uint64_t usage = 0, max = 0, failcnt = 0;
};

struct Stats {
  struct Cpu {
    uint64_t total = 0;  // ns
    std::vector<uint64_t> percpu, percpu_kernel, percpu_user;
    uint64_t kernel = 0, user = 0;
    uint64_t periods = 0, throttled_periods = 0, throttled_time = 0;
  } cpu;
  struct Cpuset {
    std::vector<uint16_t> cpus, mems;
    uint64_t cpu_exclusive = 0, mem_hardwall = 0, mem_exclusive = 0, memory_migrate = 0,
             memory_spread_page = 0, memory_spread_slab = 0, memory_pressure = 0, sched_load_balance = 0;
    int64_t sched_relax_domain_level = 0;
  } cpuset;
  struct Memory {
    uint64_t cache = 0;
    MemoryData usage, swap, kernel, kernel_tcp;  // v1: memory.*, memsw.*, kmem.*, kmem.tcp.*
    std::map<std::string, uint64_t> raw;         // memory.stat
  } memory;
  struct Pids {
    uint64_t current = 0, limit = 0;  // limit 0 = unlimited
  } pids;
  struct Blkio {
    std::vector<BlkioEntry> service_bytes, serviced, queued, service_time, wait_time, merged, time, sectors;
  } blkio;
  std::map<std::string, HugetlbData> hugetlb;  // page size ("2MB") -> usage
};

// runc 1.1's JSON for the "data" of a stats event: same keys, same order, the
// same members left out when zero (Go omitempty).
nlohmann::ordered_json stats_json(const Stats& s);

// Readers of the v1 / v2 files into Stats. `dirs` as Manager::dirs() of v1
// (hierarchy mount point -> container directory). Missing controllers or
// files leave their part zero, as in runc.
Stats read_stats_v1(const std::map<std::string, std::string>& dirs);
Stats read_stats_v2(const std::string& dir);

// Pieces exposed for unit tests.
// "0-3,8,10-11" -> {0,1,2,3,8,10,11}; throws berth::Error on garbage.
std::vector<uint16_t> parse_cpu_list(const std::string& s);
// blkio.* stat files: "8:0 Read 1234" lines (and "8:0 1234"); "Total N" skipped.
std::vector<BlkioEntry> parse_blkio_stat(const std::string& text, const std::string& what);
// "key value" lines -> map (memory.stat, cpu.stat, pids.events ...).
std::map<std::string, uint64_t> parse_key_values(const std::string& text, const std::string& what);
// A number in a cgroup file; "max" -> UINT64_MAX (as runc's GetCgroupParamUint).
uint64_t parse_cgroup_uint(const std::string& text, const std::string& what);
// hugepage sizes of this host as cgroup file names use them ("2MB", "1GB").
std::vector<std::string> hugepage_sizes();

}  // namespace berth::cgroups
