// process.scheduler, process.ioPriority, linux.personality: see sched_attrs.hpp.
#include "berth/linux/sched_attrs.hpp"

#include <sched.h>
#include <sys/personality.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>

#include "berth/util/error.hpp"

namespace berth::linux_ {
namespace {

// The kernel's struct sched_attr, SCHED_ATTR_SIZE_VER0 (no util clamp values:
// the runtime-spec has none, so the parser refuses the UTIL_CLAMP flags).
struct SchedAttr {
  uint32_t size;
  uint32_t sched_policy;
  uint64_t sched_flags;
  int32_t sched_nice;
  uint32_t sched_priority;
  uint64_t sched_runtime;
  uint64_t sched_deadline;
  uint64_t sched_period;
};
static_assert(sizeof(SchedAttr) == 48, "SCHED_ATTR_SIZE_VER0");

template <class N>
struct Named {
  std::string_view name;
  N number;
};

constexpr Named<uint32_t> kPolicies[] = {{"SCHED_OTHER", 0}, {"SCHED_FIFO", 1},     {"SCHED_RR", 2},
                                         {"SCHED_BATCH", 3}, {"SCHED_ISO", 4},      {"SCHED_IDLE", 5},
                                         {"SCHED_DEADLINE", 6}};
constexpr Named<uint64_t> kSchedFlags[] = {
    {"SCHED_FLAG_RESET_ON_FORK", 0x01}, {"SCHED_FLAG_RECLAIM", 0x02},         {"SCHED_FLAG_DL_OVERRUN", 0x04},
    {"SCHED_FLAG_KEEP_POLICY", 0x08},   {"SCHED_FLAG_KEEP_PARAMS", 0x10},     {"SCHED_FLAG_UTIL_CLAMP_MIN", 0x20},
    {"SCHED_FLAG_UTIL_CLAMP_MAX", 0x40}};
constexpr Named<int> kIoClasses[] = {{"IOPRIO_CLASS_RT", 1}, {"IOPRIO_CLASS_BE", 2}, {"IOPRIO_CLASS_IDLE", 3}};
constexpr Named<unsigned long> kDomains[] = {{"LINUX", PER_LINUX}, {"LINUX32", PER_LINUX32}};
constexpr Named<unsigned long> kPersonalityFlags[] = {
    {"UNAME26", UNAME26},
    {"ADDR_NO_RANDOMIZE", ADDR_NO_RANDOMIZE},
    {"FDPIC_FUNCPTRS", FDPIC_FUNCPTRS},
    {"MMAP_PAGE_ZERO", MMAP_PAGE_ZERO},
    {"ADDR_COMPAT_LAYOUT", ADDR_COMPAT_LAYOUT},
    {"READ_IMPLIES_EXEC", READ_IMPLIES_EXEC},
    {"ADDR_LIMIT_32BIT", ADDR_LIMIT_32BIT},
    {"SHORT_INODE", SHORT_INODE},
    {"WHOLE_SECONDS", WHOLE_SECONDS},
    {"STICKY_TIMEOUTS", STICKY_TIMEOUTS},
    {"ADDR_LIMIT_3GB", ADDR_LIMIT_3GB},
};

template <class N, size_t K>
std::optional<N> lookup(const Named<N> (&table)[K], const std::string& name) {
  for (const auto& e : table)
    if (e.name == name) return e.number;
  return std::nullopt;
}

constexpr int kIoprioClassShift = 13;
constexpr int kIoprioWhoProcess = 1;

}  // namespace

std::optional<uint32_t> sched_policy_number(const std::string& name) { return lookup(kPolicies, name); }
std::optional<uint64_t> sched_flag_number(const std::string& name) { return lookup(kSchedFlags, name); }
std::optional<int> ioprio_class_number(const std::string& name) { return lookup(kIoClasses, name); }
std::optional<unsigned long> personality_domain_number(const std::string& name) { return lookup(kDomains, name); }
std::optional<unsigned long> personality_flag_number(const std::string& name) {
  return lookup(kPersonalityFlags, name);
}

void apply_scheduler(const oci::Scheduler& s) {
  SchedAttr a{};
  a.size = sizeof a;
  a.sched_policy = sched_policy_number(s.policy).value_or(0);
  for (const auto& f : s.flags) a.sched_flags |= sched_flag_number(f).value_or(0);
  a.sched_nice = s.nice;
  a.sched_priority = static_cast<uint32_t>(s.priority);
  a.sched_runtime = s.runtime;
  a.sched_deadline = s.deadline;
  a.sched_period = s.period;
  if (::syscall(SYS_sched_setattr, 0, &a, 0) < 0) {
    int err = errno;
    std::string why;
    if (err == EPERM && (a.sched_policy == 1 || a.sched_policy == 2 || a.sched_policy == 6))
      why = " (a real-time policy needs CAP_SYS_NICE, and on cgroup v1 with RT group scheduling a cpu.rt_runtime_us "
            "for the container's cgroup)";
    if (err == EBUSY) why = " (the deadline bandwidth does not fit what the CPUs have left)";
    throw Error("process.scheduler: sched_setattr " + s.policy + ": " + std::strerror(err) + why);
  }
}

void apply_io_priority(const oci::IOPriority& p) {
  int cls = ioprio_class_number(p.ioClass).value_or(0);
  int value = (cls << kIoprioClassShift) | p.priority;
  if (::syscall(SYS_ioprio_set, kIoprioWhoProcess, 0, value) < 0)
    throw_errno("process.ioPriority: ioprio_set " + p.ioClass + " " + std::to_string(p.priority));
}

void apply_personality(const oci::Personality& p) {
  unsigned long persona = personality_domain_number(p.domain).value_or(PER_LINUX);
  for (const auto& f : p.flags) persona |= personality_flag_number(f).value_or(0);
  if (::personality(persona) < 0) throw_errno("linux.personality: personality " + p.domain);
  // personality(2) answers with the previous persona and cannot fail on an
  // unknown one: read back to know that the kernel took it.
  int now = ::personality(0xffffffff);
  if (now < 0 || static_cast<unsigned long>(now) != persona)
    throw Error("linux.personality: the kernel did not take " + p.domain);
}

void apply_cpu_affinity(const std::string& cpus, const std::string& field) {
  cpu_set_t set;
  CPU_ZERO(&set);
  size_t i = 0;
  auto number = [&] {
    size_t start = i;
    while (i < cpus.size() && cpus[i] >= '0' && cpus[i] <= '9') ++i;
    return std::stoul(cpus.substr(start, i - start));
  };
  while (i < cpus.size()) {
    unsigned long a = number(), b = a;
    if (i < cpus.size() && cpus[i] == '-') {
      ++i;
      b = number();
    }
    if (b >= CPU_SETSIZE) throw Error(field + ": CPU " + std::to_string(b) + " is beyond what the kernel supports");
    for (unsigned long c = a; c <= b; ++c) CPU_SET(c, &set);
    if (i < cpus.size()) ++i;  // ','
  }
  if (::sched_setaffinity(0, sizeof set, &set) < 0) throw_errno(field + ": sched_setaffinity " + cpus);
}

void reset_cpu_affinity() noexcept {
  cpu_set_t all;
  std::memset(&all, 0xff, sizeof all);
  (void)::sched_setaffinity(0, sizeof all, &all);
}

}  // namespace berth::linux_
