// The plan of a container's init: every decision `create` makes about how the
// init comes to life, taken in one pure function from the config, berth's
// options and a few facts about the host. No syscalls: unit-tested as data.
//
// The parent (spawn_init) and the init (init_steps.cpp) then follow the plan:
// the parent's steps and the init's steps are fixed, named lists
// (parent_steps(), init_steps()) in runtime-spec lifecycle order; the plan says
// which of them apply, and with which namespaces, ids and policies.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "berth/oci/spec.hpp"

namespace berth::process {

// How the host's cgroups are laid out, as far as the container's cgroup
// driver sees it (cgroups::Manager::driver() plus a unified hierarchy).
enum class CgroupHost {
  V1,       // per-controller hierarchies only
  Hybrid,   // v1 controllers plus a cgroup2 at /sys/fs/cgroup/unified
  V2,       // cgroup2 at /sys/fs/cgroup
  Systemd,  // --systemd-cgroup: a transient scope started with the init's pid
};

struct HostFacts {
  bool euid_root = true;  // berth's effective uid is 0 (read before clone3)
  bool rootless = false;  // rootless mode: a cgroup berth may not create is skipped
  CgroupHost cgroup = CgroupHost::V2;
};

struct PlanOptions {
  bool no_new_keyring = false;  // --no-new-keyring
  bool seccomp = false;         // a compiled filter is loaded
  bool seccomp_notify = false;  // ... and it has SCMP_ACT_NOTIFY rules: its fd goes to the parent
};

// The init's steps, in the order the init runs them (see init_steps()).
enum class InitStep : uint8_t {
  JoinUserNamespace,   // a user namespace given by path: setns, its root, then unshare the rest in it
  ForkIntoPidNamespace,  // double fork: the middle child reports the init's pid (-> InitPid) and exits
  DieWithParent,       // PR_SET_PDEATHSIG SIGKILL: no half-made container outlives berth
  HideFromContainer,   // not dumpable; or, with InitPlan::dumpable_until_go, dumpable until Go
  ResetProcess,        // umask 0, no blocked signals
  InitialCpuAffinity,  // process.execCPUAffinity.initial, before the cgroup is joined
  CloseHostFds,        // every fd of berth's but the few the init needs
  UnshareEarly,        // the namespaces clone3 left to the init (overlaps the parent's work)
  AwaitGo,             // <- Go: id maps, rlimits and oom_score_adj are written; not dumpable now
  JoinNamespaces,      // setns into the namespaces given by path
  BecomeUsernsRoot,    // uid/gid 0 of the new user namespace; the parent-death signal set again
  UnshareTime,         // a new time namespace and its offsets
  SetHostname,         // hostname and domainname
  BindRootfs,          // root propagation, rbind of the rootfs onto itself
  MountBeforeCgroup,   // config.json's mounts before the first cgroup mount
  JoinCgroup,          // <- CgroupJoined: write "0" into the v1 tasks files; then the new cgroup
                       // namespace (rooted at the cgroup just joined)
  MountAfterCgroup,    // the first cgroup mount and those after it
  MakeDevices,         // default devices, linux.devices, /dev symlinks, /dev/console
  MakeCwd,             // process.cwd inside the rootfs
  CreateHooks,         // the create operation's hooks, before pivot_root: -> RunHooks (the parent
                       // runs prestart, createRuntime), <- HooksDone; createContainer here
  PivotRoot,           // pivot_root(".", ".") (or MS_MOVE + chroot with --no-pivot)
  Chroot,              // no mount namespace: chroot into the rootfs
  Sysctl,              // linux.sysctl
  FinalizeRootfs,      // masked and read-only paths, root.readonly
  NewSession,          // setsid
  Terminal,            // a pty of the container's devpts; its master to the console socket
  SessionKeyring,      // a session keyring of the container's own
  SetPersonality,      // linux.personality: execution domain and flags
  SetScheduler,        // process.scheduler: sched_setattr (before the capabilities go)
  SetIoPriority,       // process.ioPriority: ioprio_set
  FinalCpuAffinity,    // process.execCPUAffinity.final: the process's own
  SetMemoryPolicy,     // linux.memoryPolicy: set_mempolicy, after the cgroup (cpuset.mems)
  TrimHeap,            // give back the set-up's heap before a filter could forbid it (and format
                       // report_ready's --debug line before it)
  SeccompEarly,        // without no_new_privs seccomp needs CAP_SYS_ADMIN: before the caps go
  SendSeccompFdEarly,  // -> SeccompFd right after SeccompEarly: nothing runs under a filter
                       // whose notify fd no agent has yet (its syscalls would wait for ever)
  SwitchUser,          // cwd entered as root, bounding set, then process.user (keeping the permitted
                       // caps); the parent-death signal set again
  SetCapabilities,     // the five capability sets
  EnterCwd,            // chdir process.cwd as the user, process.user.umask
  FindExecutable,      // HOME, process.args[0] found as the user (126/127 reported to the parent)
  LsmLabels,           // SELinux and AppArmor exec labels
  NoNewPrivs,          // PR_SET_NO_NEW_PRIVS
  OutliveParent,       // PR_SET_PDEATHSIG 0: set-up is over (before Ready, before a filter forbids prctl)
  SeccompLate,         // seccomp, the last thing that changes what the process may do
  SendSeccompFd,       // -> SeccompFd right after SeccompLate: the notify fd, for linux.seccomp.listenerPath
  ReportReady,         // -> Ready, the sync socket closed: `create` returns (status "created")
  AwaitStart,          // blocks on the exec fifo until `berth start`
  StartHooks,          // startContainer hooks (as the process's user, under its filter)
  Exec,                // execve process.args (`berth start` then runs poststart)
};

// The parent's side of the same protocol, in order (see parent_steps()).
enum class ParentStep : uint8_t {
  OpenNamespaces,      // open every namespace given by path, before anything changes
  BecomeSubreaper,     // double fork: the init is a grandchild berth must still reap
  EnterPidNamespace,   // a pid namespace given by path, for our children only
  Clone,               // clone3 with the plan's flags, into the cgroup when it can
  RestorePidNamespace, // back to berth's own pid namespace
  AdoptInit,           // double fork: <- InitPid from the middle child
  RecordInit,          // the init's pid and start time recorded (creating.json) before Go
  WriteIdMaps,         // uid/gid maps of a new user namespace
  SetLimits,           // rlimits and oom_score_adj from outside, with berth's privileges
  SendGo,              // -> Go
  MakeCgroup,          // v1 (root): the cgroup is made now, while the init mounts
  SendCgroupJoined,    // -> CgroupJoined with the v1 tasks files
  RecordState,         // state.json, while the init goes on
  ServeHooks,          // <- RunHooks: prestart, createRuntime; -> HooksDone with the state
  ForwardSeccompFd,    // <- SeccompFd: to linux.seccomp.listenerPath
  AwaitReady,          // <- Ready
};

std::string_view step_name(InitStep s);
std::string_view step_name(ParentStep s);
// Every step, in order, whether or not a plan uses it (docs/architecture.md lists them).
const std::vector<InitStep>& init_steps();
const std::vector<ParentStep>& parent_steps();

struct InitPlan {
  // Namespaces (CLONE_NEW* flags).
  uint64_t clone_flags = 0;      // made by clone3 itself
  int unshare_early = 0;         // unshared by the init as its first step (no user ns: overlaps the parent)
  int unshare_in_joined_userns = 0;  // unshared by the child right after setns(user) (user ns joined by path)
  bool userns_new = false;       // a new user namespace: the parent writes its maps
  bool userns_joined = false;    // a user namespace given by path: the child joins it first
  bool pidns_joined = false;     // a pid namespace given by path: entered by the parent for children
  bool cgroupns_new = false;     // unshared by the init once it is in its cgroup
  bool timens_new = false;       // unshared by the init, offsets written before anyone lives in it
  bool mount_namespace = false;  // a mount namespace: mounts + pivot_root; else chroot

  // Processes.
  bool double_fork = false;      // a new pid namespace owned by a joined user namespace

  // Policies.
  bool die_with_parent = false;  // PR_SET_PDEATHSIG SIGKILL during set-up (restored after each
                                 // credential change, which clears it)
  bool dumpable_until_go = false;  // an unprivileged parent must open the init's /proc files
  bool seccomp_early = false;      // loaded before the user switch (no no_new_privs)
  bool hooks_round_trip = false;   // any of prestart/createRuntime/createContainer/startContainer

  // Cgroup.
  bool cgroup_clone_into = false;  // try clone3(CLONE_INTO_CGROUP) (v2, hybrid's unified, not systemd)
  bool cgroup_self_join = false;   // v1 tasks files written by the init itself
  bool cgroup_made_late = false;   // v1 as root: made after Go, overlapping the init's mounts
  // Index into spec.mounts of the first cgroup mount: mounts before it are made
  // before the init waits for CgroupJoined (spec.mounts.size(): after all of them).
  size_t cgroup_join_mount = 0;

  std::vector<ParentStep> parent;  // the parent's steps that apply, in order
  std::vector<InitStep> init;      // the init's steps that apply, in order

  bool has(InitStep s) const;
  bool has(ParentStep s) const;
};

// Throws berth::Error for a config it cannot plan (none today: validation ran before).
InitPlan make_plan(const oci::Spec& spec, const PlanOptions& opts, const HostFacts& host);

}  // namespace berth::process
