// `berth update`: runc 1.1's flags, runc 1.2's --cpu-burst and --cpu-idle, and -r/--resources
// JSON (or "-" for stdin).
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include "berth/cgroups/units.hpp"
#include "berth/container/ops.hpp"
#include "berth/oci/parse.hpp"
#include "berth/util/error.hpp"
#include "cli.hpp"

namespace berth::cli {
namespace {

struct Flags {
  std::string resources;
  std::string blkio_weight, cpu_period, cpu_quota, cpu_share, cpu_rt_period, cpu_rt_runtime, cpu_burst, cpu_idle;
  std::string cpuset_cpus, cpuset_mems, kernel_memory, kernel_memory_tcp;
  std::string memory, memory_reservation, memory_swap, pids_limit;
  std::string l3_cache_schema, mem_bw_schema;
};

// Go's strconv.ParseUint / ParseInt (base 10), with their error text.
uint64_t go_uint(const std::string& opt, const std::string& v) {
  const char* what = "invalid syntax";
  if (!v.empty() && v.find_first_not_of("0123456789") == std::string::npos) {
    errno = 0;
    uint64_t n = std::strtoull(v.c_str(), nullptr, 10);
    if (errno != ERANGE) return n;
    what = "value out of range";
  }
  throw Error("invalid value for " + opt + ": strconv.ParseUint: parsing \"" + v + "\": " + what);
}

int64_t go_int(const std::string& opt, const std::string& v) {
  const char* what = "invalid syntax";
  size_t start = (!v.empty() && (v[0] == '-' || v[0] == '+')) ? 1 : 0;
  if (v.size() > start && v.find_first_not_of("0123456789", start) == std::string::npos) {
    errno = 0;
    long long n = std::strtoll(v.c_str(), nullptr, 10);
    if (errno != ERANGE) return n;
    what = "value out of range";
  }
  throw Error("invalid value for " + opt + ": strconv.ParseInt: parsing \"" + v + "\": " + what);
}

// urfave/cli IntFlag: a bad value is a usage error.
int64_t int_flag(const std::string& flag, const std::string& v) {
  size_t start = (!v.empty() && (v[0] == '-' || v[0] == '+')) ? 1 : 0;
  if (v.size() > start && v.find_first_not_of("0123456789", start) == std::string::npos) {
    errno = 0;
    long long n = std::strtoll(v.c_str(), nullptr, 10);
    if (errno != ERANGE) return n;
  }
  throw Error("invalid value \"" + v + "\" for flag -" + flag + ": parse error");
}

// A memory size: "-1" (unlimited) or go-units RAMInBytes.
int64_t mem_value(const std::string& opt, const std::string& v) {
  if (v == "-1") return -1;
  try {
    return cgroups::parse_bytes(v);
  } catch (const Error& e) {
    throw Error("invalid value for " + opt + ": " + e.what());
  }
}

oci::Resources from_json_source(const std::string& src) {
  std::string text, doc;
  if (src == "-") {
    text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    doc = "resources (stdin)";
  } else {
    std::ifstream f(src);
    if (!f) throw_errno("open " + src);
    text.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
    doc = src;
  }
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw Error(doc + ": invalid JSON: " + e.what());
  }
  return oci::parse_resources(j, doc);
}

oci::Resources from_flags(const Flags& f) {
  oci::Resources r;
  r.memory.emplace();
  r.cpu.emplace();
  r.blockIO.emplace();
  if (!f.blkio_weight.empty()) {
    int64_t w = int_flag("blkio-weight", f.blkio_weight);
    if (w != 0) r.blockIO->weight = static_cast<uint16_t>(w);
  }
  r.cpu->cpus = f.cpuset_cpus;
  r.cpu->mems = f.cpuset_mems;
  if (!f.cpu_period.empty()) r.cpu->period = go_uint("cpu-period", f.cpu_period);
  if (!f.cpu_rt_period.empty()) r.cpu->realtimePeriod = go_uint("cpu-rt-period", f.cpu_rt_period);
  if (!f.cpu_share.empty()) r.cpu->shares = go_uint("cpu-share", f.cpu_share);
  if (!f.cpu_quota.empty()) r.cpu->quota = go_int("cpu-quota", f.cpu_quota);
  if (!f.cpu_burst.empty()) r.cpu->burst = go_uint("cpu-burst", f.cpu_burst);
  if (!f.cpu_idle.empty()) r.cpu->idle = go_int("cpu-idle", f.cpu_idle);
  if (!f.cpu_rt_runtime.empty()) r.cpu->realtimeRuntime = go_int("cpu-rt-runtime", f.cpu_rt_runtime);
  if (!f.memory.empty()) r.memory->limit = mem_value("memory", f.memory);
  if (!f.memory_swap.empty()) r.memory->swap = mem_value("memory-swap", f.memory_swap);
  if (!f.memory_reservation.empty()) r.memory->reservation = mem_value("memory-reservation", f.memory_reservation);
  if (!f.kernel_memory.empty()) r.memory->kernel = mem_value("kernel-memory", f.kernel_memory);
  if (!f.kernel_memory_tcp.empty()) r.memory->kernelTCP = mem_value("kernel-memory-tcp", f.kernel_memory_tcp);
  if (!f.pids_limit.empty()) r.pids = oci::PidsResources{int_flag("pids-limit", f.pids_limit)};
  return r;
}

}  // namespace

void add_update(CLI::App& app, Globals& g, Action& act) {
  auto* cmd = app.add_subcommand("update", "update container resource constraints");
  auto id = std::make_shared<std::string>();
  auto f = std::make_shared<Flags>();
  cmd->add_option("container-id", *id, "container id")->required();
  cmd->add_option("-r,--resources", f->resources,
                  "path to the file containing the resources to update or '-' to read from the standard input "
                  "(OCI LinuxResources JSON; all other options are then ignored)");
  cmd->add_option("--blkio-weight", f->blkio_weight, "Specifies per cgroup weight, range is from 10 to 1000");
  cmd->add_option("--cpu-period", f->cpu_period, "CPU CFS period to be used for hardcapping (in usecs). 0 to use system default");
  cmd->add_option("--cpu-quota", f->cpu_quota, "CPU CFS hardcap limit (in usecs). Allowed cpu time in a given period");
  cmd->add_option("--cpu-share", f->cpu_share, "CPU shares (relative weight vs. other containers)");
  cmd->add_option("--cpu-burst", f->cpu_burst,
                  "CPU CFS hardcap burst limit (in usecs). Allowed accumulated cpu time additionally for burst a given period");
  cmd->add_option("--cpu-idle", f->cpu_idle, "set cgroup SCHED_IDLE or not, 0: default behavior, 1: SCHED_IDLE");
  cmd->add_option("--cpu-rt-period", f->cpu_rt_period, "CPU realtime period to be used for hardcapping (in usecs). 0 to use system default");
  cmd->add_option("--cpu-rt-runtime", f->cpu_rt_runtime, "CPU realtime hardcap limit (in usecs). Allowed cpu time in a given period");
  cmd->add_option("--cpuset-cpus", f->cpuset_cpus, "CPU(s) to use");
  cmd->add_option("--cpuset-mems", f->cpuset_mems, "Memory node(s) to use");
  cmd->add_option("--kernel-memory", f->kernel_memory, "(obsoleted; ignored)");
  cmd->add_option("--kernel-memory-tcp", f->kernel_memory_tcp, "(obsoleted; ignored)");
  cmd->add_option("--memory", f->memory, "Memory limit (in bytes; units k, m, g ... accepted)");
  cmd->add_option("--memory-reservation", f->memory_reservation, "Memory reservation or soft_limit (in bytes)");
  cmd->add_option("--memory-swap", f->memory_swap, "Total memory usage (memory + swap); set '-1' to enable unlimited swap");
  cmd->add_option("--pids-limit", f->pids_limit, "Maximum number of pids allowed in the container");
  cmd->add_option("--l3-cache-schema", f->l3_cache_schema, "The string of Intel RDT/CAT L3 cache schema (not supported)");
  cmd->add_option("--mem-bw-schema", f->mem_bw_schema, "The string of Intel RDT/MBA memory bandwidth schema (not supported)");
  cmd->callback([&g, &act, id, f] {
    act = [&g, id, f] {
      oci::Resources r = f->resources.empty() ? from_flags(*f) : from_json_source(f->resources);
      if (!f->l3_cache_schema.empty()) throw Error("Intel RDT/CAT: l3 cache schema is not enabled");
      if (!f->mem_bw_schema.empty()) throw Error("Intel RDT/MBA: memory bandwidth schema is not enabled");
      container::update(g.root, *id, r);
      return 0;
    };
  });
}

}  // namespace berth::cli
