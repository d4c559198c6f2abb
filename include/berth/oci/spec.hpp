// Typed model of the OCI runtime-spec (1.3) config.json.
// Field names mirror the JSON keys so the mapping is obvious. Pure data: no
// syscalls here. Parsing and validation live in oci/parse.hpp.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace berth::oci {

inline constexpr const char* kSpecVersion = "1.3.0";

struct IdMapping {
  uint32_t containerID = 0;
  uint32_t hostID = 0;
  uint32_t size = 0;
};

struct User {
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::optional<uint32_t> umask;
  std::vector<uint32_t> additionalGids;
  std::string username;  // windows only; kept for round-trip
};

struct Rlimit {
  std::string type;  // "RLIMIT_NOFILE" ...; validated against the known list
  uint64_t hard = 0;
  uint64_t soft = 0;
};

struct Capabilities {
  std::vector<std::string> bounding, effective, inheritable, permitted, ambient;
};

struct ConsoleSize {
  uint32_t height = 0;
  uint32_t width = 0;
};

struct IOPriority {
  std::string ioClass;  // JSON key "class"
  int priority = 0;
};

struct Scheduler {
  std::string policy;  // SCHED_OTHER ...
  int32_t nice = 0;
  int32_t priority = 0;
  std::vector<std::string> flags;
  uint64_t runtime = 0, deadline = 0, period = 0;
};

// runtime-spec 1.2: CPU lists ("0-3,7") for the runtime's process before it
// joins the container (initial) and for the container process itself (final).
struct ExecCPUAffinity {
  std::string initial, final;
};

struct Process {
  bool terminal = false;
  std::optional<ConsoleSize> consoleSize;
  User user;
  std::vector<std::string> args;
  std::string commandLine;  // windows only
  std::vector<std::string> env;
  std::string cwd = "/";
  std::optional<Capabilities> capabilities;
  std::vector<Rlimit> rlimits;
  bool noNewPrivileges = false;
  std::string apparmorProfile;
  std::optional<int> oomScoreAdj;
  std::string selinuxLabel;
  std::optional<IOPriority> ioPriority;
  std::optional<Scheduler> scheduler;
  std::optional<ExecCPUAffinity> execCPUAffinity;
};

struct Root {
  std::string path;
  bool readonly = false;
};

struct Mount {
  std::string destination;
  std::string type;
  std::string source;
  std::vector<std::string> options;
  std::vector<IdMapping> uidMappings, gidMappings;
};

struct Hook {
  std::string path;
  std::vector<std::string> args;
  // Absent: the hook inherits berth's environment (runc: Go's nil Cmd.Env; crun); present,
  // even empty: exactly this environment.
  std::optional<std::vector<std::string>> env;
  std::optional<int> timeout;  // seconds, > 0
};

struct Hooks {
  std::vector<Hook> prestart, createRuntime, createContainer, startContainer, poststart, poststop;
};

enum class NamespaceType { Pid, Network, Mount, Ipc, Uts, User, Cgroup, Time };

struct Namespace {
  NamespaceType type;
  std::string path;  // empty: create a new one
};

struct Device {
  std::string type;  // "c", "b", "u", "p"
  std::string path;
  int64_t major = 0, minor = 0;
  std::optional<uint32_t> fileMode, uid, gid;
};

// ---- linux.resources (cgroups) ----
struct DeviceCgroupRule {
  bool allow = false;
  std::string type;  // "a", "c", "b"; empty means "a"
  std::optional<int64_t> major, minor;
  std::string access;  // "rwm" subset
};
struct MemoryResources {
  std::optional<int64_t> limit, reservation, swap, kernel, kernelTCP;
  std::optional<uint64_t> swappiness;
  std::optional<bool> disableOOMKiller, useHierarchy, checkBeforeUpdate;
};
struct CpuResources {
  std::optional<uint64_t> shares, period, realtimePeriod, burst;
  std::optional<int64_t> quota, realtimeRuntime, idle;
  std::string cpus, mems;
};
struct PidsResources {
  int64_t limit = 0;
};
struct WeightDevice {
  int64_t major = 0, minor = 0;
  std::optional<uint16_t> weight, leafWeight;
};
struct ThrottleDevice {
  int64_t major = 0, minor = 0;
  uint64_t rate = 0;
};
struct BlockIOResources {
  std::optional<uint16_t> weight, leafWeight;
  std::vector<WeightDevice> weightDevice;
  std::vector<ThrottleDevice> throttleReadBpsDevice, throttleWriteBpsDevice,
      throttleReadIOPSDevice, throttleWriteIOPSDevice;
};
struct HugepageLimit {
  std::string pageSize;
  uint64_t limit = 0;
};
struct InterfacePriority {
  std::string name;
  uint32_t priority = 0;
};
struct NetworkResources {
  std::optional<uint32_t> classID;
  std::vector<InterfacePriority> priorities;
};
struct RdmaLimit {
  std::optional<uint32_t> hcaHandles, hcaObjects;
};
struct Resources {
  std::vector<DeviceCgroupRule> devices;
  std::optional<MemoryResources> memory;
  std::optional<CpuResources> cpu;
  std::optional<PidsResources> pids;
  std::optional<BlockIOResources> blockIO;
  std::vector<HugepageLimit> hugepageLimits;
  std::optional<NetworkResources> network;
  std::map<std::string, RdmaLimit> rdma;
  std::map<std::string, std::string> unified;
};

// ---- linux.seccomp ----
struct SeccompArg {
  uint32_t index = 0;
  uint64_t value = 0;
  uint64_t valueTwo = 0;
  std::string op;  // SCMP_CMP_EQ ...
};
struct SeccompSyscall {
  std::vector<std::string> names;
  std::string action;  // SCMP_ACT_...
  std::optional<uint32_t> errnoRet;
  std::vector<SeccompArg> args;
};
struct Seccomp {
  std::string defaultAction;
  std::optional<uint32_t> defaultErrnoRet;
  std::vector<std::string> architectures;  // SCMP_ARCH_...
  std::vector<std::string> flags;          // SECCOMP_FILTER_FLAG_...
  std::string listenerPath;
  std::string listenerMetadata;
  std::vector<SeccompSyscall> syscalls;
};

struct TimeOffset {
  int64_t secs = 0;
  uint32_t nanosecs = 0;
};

struct Personality {
  std::string domain;  // LINUX, LINUX32
  std::vector<std::string> flags;
};

// linux.memoryPolicy (runtime-spec 1.3): the container process's NUMA policy,
// set_mempolicy(2). Checked with the kernel's rules at parse time.
struct MemoryPolicy {
  std::string mode;                // MPOL_DEFAULT, MPOL_BIND, ...
  std::string nodes;               // node list ("0-3,7"); "" = none
  std::vector<std::string> flags;  // MPOL_F_STATIC_NODES, ...
};

// linux.netDevices (runtime-spec 1.2): keyed by the interface's name in the
// runtime's network namespace; `name` is its name in the container's ("" =
// the same). Moved in at create, moved back (with the old name) at delete.
struct NetDevice {
  std::string name;
};

// linux.intelRdt: a resctrl group (closID, default the container id), the
// schemata written into it, monitoring.
struct IntelRdt {
  std::string closID;
  std::string l3CacheSchema, memBwSchema;
  std::vector<std::string> schemata;  // lines (1.3 has an array, 1.2 drafts a string)
  bool enableCMT = false, enableMBM = false, enableMonitoring = false;
};

struct Linux {
  std::vector<Namespace> namespaces;
  std::vector<IdMapping> uidMappings, gidMappings;
  std::map<std::string, TimeOffset> timeOffsets;  // "monotonic", "boottime"
  std::vector<Device> devices;
  std::string cgroupsPath;
  std::optional<Resources> resources;
  std::string rootfsPropagation;  // "", shared, slave, private, unbindable
  std::optional<Seccomp> seccomp;
  std::map<std::string, std::string> sysctl;
  std::vector<std::string> maskedPaths, readonlyPaths;
  std::string mountLabel;
  std::optional<Personality> personality;
  std::optional<IntelRdt> intelRdt;
  std::optional<MemoryPolicy> memoryPolicy;
  std::map<std::string, NetDevice> netDevices;
};

struct Spec {
  std::string ociVersion;
  std::optional<Process> process;
  Root root;
  std::string hostname;
  std::string domainname;
  std::vector<Mount> mounts;
  Hooks hooks;
  std::map<std::string, std::string> annotations;
  std::optional<Linux> linux;

  // Helpers used across the code base.
  bool has_namespace(NamespaceType t) const;
  const Namespace* find_namespace(NamespaceType t) const;
};

}  // namespace berth::oci
