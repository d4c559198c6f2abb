// Internal to src/oci: the closed vocabularies of the runtime-spec that berth
// validates against, shared by the parser (rejecting unknown names) and the
// features document (advertising them), so the two cannot drift apart.
#pragma once
#include <algorithm>
#include <array>
#include <string_view>

namespace berth::oci::detail {

template <size_t N>
bool contains(const std::array<std::string_view, N>& list, std::string_view name) {
  return std::find(list.begin(), list.end(), name) != list.end();
}

// setrlimit(2) resources that Linux defines.
inline constexpr std::array<std::string_view, 16> kRlimits = {
    "RLIMIT_AS",      "RLIMIT_CORE",     "RLIMIT_CPU",        "RLIMIT_DATA",   "RLIMIT_FSIZE", "RLIMIT_LOCKS",
    "RLIMIT_MEMLOCK", "RLIMIT_MSGQUEUE", "RLIMIT_NICE",       "RLIMIT_NOFILE", "RLIMIT_NPROC", "RLIMIT_RSS",
    "RLIMIT_RTPRIO",  "RLIMIT_RTTIME",   "RLIMIT_SIGPENDING", "RLIMIT_STACK"};

// Sorted, as `runc features` prints them.
inline constexpr std::array<std::string_view, 9> kSeccompActions = {
    "SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO",  "SCMP_ACT_KILL",  "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
    "SCMP_ACT_LOG",   "SCMP_ACT_NOTIFY", "SCMP_ACT_TRACE", "SCMP_ACT_TRAP"};

inline constexpr std::array<std::string_view, 7> kSeccompOperators = {
    "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_LE", "SCMP_CMP_LT", "SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE"};

// Every architecture name the runtime-spec defines plus those newer libseccomp
// releases add (LoongArch, m68k, SuperH): accepted by the parser, and narrowed
// by features() to what the linked libseccomp resolves.
inline constexpr std::array<std::string_view, 23> kSeccompArchs = {
    "SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM",       "SCMP_ARCH_LOONGARCH64", "SCMP_ARCH_M68K",     "SCMP_ARCH_MIPS",
    "SCMP_ARCH_MIPS64",  "SCMP_ARCH_MIPS64N32", "SCMP_ARCH_MIPSEL",      "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32",
    "SCMP_ARCH_PARISC",  "SCMP_ARCH_PARISC64",  "SCMP_ARCH_PPC",         "SCMP_ARCH_PPC64",    "SCMP_ARCH_PPC64LE",
    "SCMP_ARCH_RISCV64", "SCMP_ARCH_S390",      "SCMP_ARCH_S390X",       "SCMP_ARCH_SH",       "SCMP_ARCH_SHEB",
    "SCMP_ARCH_X32",     "SCMP_ARCH_X86",       "SCMP_ARCH_X86_64"};

inline constexpr std::array<std::string_view, 4> kSeccompFlags = {
    "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
    "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"};

inline constexpr std::array<std::string_view, 7> kSchedulerPolicies = {
    "SCHED_OTHER", "SCHED_FIFO", "SCHED_RR", "SCHED_BATCH", "SCHED_ISO", "SCHED_IDLE", "SCHED_DEADLINE"};

inline constexpr std::array<std::string_view, 7> kSchedulerFlags = {
    "SCHED_FLAG_RESET_ON_FORK", "SCHED_FLAG_RECLAIM",        "SCHED_FLAG_DL_OVERRUN",    "SCHED_FLAG_KEEP_POLICY",
    "SCHED_FLAG_KEEP_PARAMS",   "SCHED_FLAG_UTIL_CLAMP_MIN", "SCHED_FLAG_UTIL_CLAMP_MAX"};

inline constexpr std::array<std::string_view, 3> kIoPriorityClasses = {"IOPRIO_CLASS_RT", "IOPRIO_CLASS_BE",
                                                                       "IOPRIO_CLASS_IDLE"};

// "" means "leave the runtime default" (rprivate for the rootfs).
inline constexpr std::array<std::string_view, 9> kRootfsPropagations = {
    "", "shared", "slave", "private", "unbindable", "rshared", "rslave", "rprivate", "runbindable"};

inline constexpr std::array<std::string_view, 2> kTimeOffsetClocks = {"monotonic", "boottime"};

inline constexpr std::array<std::string_view, 2> kPersonalityDomains = {"LINUX", "LINUX32"};
// The kernel's persona flags (<sys/personality.h>), by their C names.
inline constexpr std::array<std::string_view, 11> kPersonalityFlags = {
    "UNAME26",          "ADDR_NO_RANDOMIZE", "FDPIC_FUNCPTRS", "MMAP_PAGE_ZERO", "ADDR_COMPAT_LAYOUT", "READ_IMPLIES_EXEC",
    "ADDR_LIMIT_32BIT", "SHORT_INODE",       "WHOLE_SECONDS",  "STICKY_TIMEOUTS", "ADDR_LIMIT_3GB"};

// linux.memoryPolicy (runtime-spec 1.3), in the kernel's enum order (<linux/mempolicy.h>).
inline constexpr std::array<std::string_view, 7> kMemoryPolicyModes = {
    "MPOL_DEFAULT", "MPOL_PREFERRED", "MPOL_BIND", "MPOL_INTERLEAVE", "MPOL_LOCAL", "MPOL_PREFERRED_MANY",
    "MPOL_WEIGHTED_INTERLEAVE"};
inline constexpr std::array<std::string_view, 3> kMemoryPolicyFlags = {"MPOL_F_NUMA_BALANCING", "MPOL_F_RELATIVE_NODES",
                                                                       "MPOL_F_STATIC_NODES"};

}  // namespace berth::oci::detail
