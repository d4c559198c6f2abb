// The init's plan: see plan.hpp. Pure: no syscalls, nothing but the config,
// the options and the host facts it is given.
#include "berth/process/plan.hpp"

#include <sched.h>

#include <algorithm>

#include "berth/linux/safepath.hpp"
#include "berth/oci/parse.hpp"

namespace berth::process {
namespace {

struct InitStepName {
  InitStep step;
  std::string_view name;
};
struct ParentStepName {
  ParentStep step;
  std::string_view name;
};

// The names docs/architecture.md lists (tests/unit/test_process_doc.cpp compares them).
constexpr InitStepName kInitSteps[] = {
    {InitStep::JoinUserNamespace, "join_user_namespace"},
    {InitStep::ForkIntoPidNamespace, "fork_into_pid_namespace"},
    {InitStep::DieWithParent, "die_with_parent"},
    {InitStep::HideFromContainer, "hide_from_container"},
    {InitStep::ResetProcess, "reset_process"},
    {InitStep::InitialCpuAffinity, "initial_cpu_affinity"},
    {InitStep::CloseHostFds, "close_host_fds"},
    {InitStep::UnshareEarly, "unshare_early"},
    {InitStep::AwaitGo, "await_go"},
    {InitStep::JoinNamespaces, "join_namespaces"},
    {InitStep::BecomeUsernsRoot, "become_userns_root"},
    {InitStep::UnshareTime, "unshare_time"},
    {InitStep::SetHostname, "set_hostname"},
    {InitStep::BindRootfs, "bind_rootfs"},
    {InitStep::MountBeforeCgroup, "mount_before_cgroup"},
    {InitStep::JoinCgroup, "join_cgroup"},
    {InitStep::MountAfterCgroup, "mount_after_cgroup"},
    {InitStep::MakeDevices, "make_devices"},
    {InitStep::MakeCwd, "make_cwd"},
    {InitStep::CreateHooks, "create_hooks"},
    {InitStep::PivotRoot, "pivot_root"},
    {InitStep::Chroot, "chroot"},
    {InitStep::Sysctl, "sysctl"},
    {InitStep::FinalizeRootfs, "finalize_rootfs"},
    {InitStep::NewSession, "new_session"},
    {InitStep::Terminal, "terminal"},
    {InitStep::SessionKeyring, "session_keyring"},
    {InitStep::SetPersonality, "set_personality"},
    {InitStep::SetScheduler, "set_scheduler"},
    {InitStep::SetIoPriority, "set_io_priority"},
    {InitStep::FinalCpuAffinity, "final_cpu_affinity"},
    {InitStep::SetMemoryPolicy, "set_memory_policy"},
    {InitStep::TrimHeap, "trim_heap"},
    {InitStep::SeccompEarly, "seccomp_early"},
    {InitStep::SendSeccompFdEarly, "send_seccomp_fd_early"},
    {InitStep::SwitchUser, "switch_user"},
    {InitStep::SetCapabilities, "set_capabilities"},
    {InitStep::EnterCwd, "enter_cwd"},
    {InitStep::FindExecutable, "find_executable"},
    {InitStep::LsmLabels, "lsm_labels"},
    {InitStep::NoNewPrivs, "no_new_privs"},
    {InitStep::OutliveParent, "outlive_parent"},
    {InitStep::SeccompLate, "seccomp_late"},
    {InitStep::SendSeccompFd, "send_seccomp_fd"},
    {InitStep::ReportReady, "report_ready"},
    {InitStep::AwaitStart, "await_start"},
    {InitStep::StartHooks, "start_hooks"},
    {InitStep::Exec, "exec"},
};

constexpr ParentStepName kParentSteps[] = {
    {ParentStep::OpenNamespaces, "open_namespaces"},
    {ParentStep::BecomeSubreaper, "become_subreaper"},
    {ParentStep::EnterPidNamespace, "enter_pid_namespace"},
    {ParentStep::Clone, "clone"},
    {ParentStep::RestorePidNamespace, "restore_pid_namespace"},
    {ParentStep::AdoptInit, "adopt_init"},
    {ParentStep::RecordInit, "record_init"},
    {ParentStep::WriteIdMaps, "write_id_maps"},
    {ParentStep::SetLimits, "set_limits"},
    {ParentStep::SendGo, "send_go"},
    {ParentStep::MakeCgroup, "make_cgroup"},
    {ParentStep::SendCgroupJoined, "send_cgroup_joined"},
    {ParentStep::RecordState, "record_state"},
    {ParentStep::ServeHooks, "serve_hooks"},
    {ParentStep::ForwardSeccompFd, "forward_seccomp_fd"},
    {ParentStep::AwaitReady, "await_ready"},
};

constexpr int kNoCloneFlags = CLONE_NEWCGROUP | CLONE_NEWTIME;  // the init unshares these itself

bool any_hooks(const oci::Hooks& h) {
  return !h.prestart.empty() || !h.createRuntime.empty() || !h.createContainer.empty() ||
         !h.startContainer.empty();
}

}  // namespace

std::string_view step_name(InitStep s) {
  for (const auto& e : kInitSteps)
    if (e.step == s) return e.name;
  return "?";
}

std::string_view step_name(ParentStep s) {
  for (const auto& e : kParentSteps)
    if (e.step == s) return e.name;
  return "?";
}

const std::vector<InitStep>& init_steps() {
  static const std::vector<InitStep> all = [] {
    std::vector<InitStep> v;
    for (const auto& e : kInitSteps) v.push_back(e.step);
    return v;
  }();
  return all;
}

const std::vector<ParentStep>& parent_steps() {
  static const std::vector<ParentStep> all = [] {
    std::vector<ParentStep> v;
    for (const auto& e : kParentSteps) v.push_back(e.step);
    return v;
  }();
  return all;
}

bool InitPlan::has(InitStep s) const { return std::find(init.begin(), init.end(), s) != init.end(); }
bool InitPlan::has(ParentStep s) const { return std::find(parent.begin(), parent.end(), s) != parent.end(); }

InitPlan make_plan(const oci::Spec& spec, const PlanOptions& opts, const HostFacts& host) {
  using T = oci::NamespaceType;
  const oci::Linux empty_linux;
  const oci::Linux& lx = spec.linux ? *spec.linux : empty_linux;
  const oci::Process empty_process;
  const oci::Process& proc = spec.process ? *spec.process : empty_process;
  InitPlan p;

  int newflags = 0;
  bool any_joined = false;
  for (const auto& ns : lx.namespaces) {
    if (ns.path.empty()) {
      newflags |= oci::namespace_clone_flag(ns.type);
      continue;
    }
    any_joined = true;
    if (ns.type == T::User) p.userns_joined = true;
    if (ns.type == T::Pid) p.pidns_joined = true;
  }
  p.userns_new = newflags & CLONE_NEWUSER;
  p.cgroupns_new = newflags & CLONE_NEWCGROUP;
  p.timens_new = newflags & CLONE_NEWTIME;
  p.mount_namespace = spec.has_namespace(T::Mount);

  // A new pid namespace owned by a joined user namespace: only unshare can make
  // it (after setns(user)), and only the unsharer's children live in it, so the
  // init is a grandchild; berth becomes a subreaper to still reap it.
  p.double_fork = p.userns_joined && (newflags & CLONE_NEWPID);
  if (p.userns_joined) {
    // Every namespace must belong to the joined user namespace: the child makes
    // them after setns(user).
    p.clone_flags = 0;
    p.unshare_in_joined_userns = newflags & ~(kNoCloneFlags | CLONE_NEWUSER);
  } else if (p.userns_new) {
    // Made together with the user namespace that owns them.
    p.clone_flags = static_cast<uint64_t>(newflags & ~kNoCloneFlags);
  } else {
    // Only the pid namespace has to come from clone3 (it holds the caller's
    // children). The init unshares the others as its first step, so that making
    // them (mostly the network namespace: its sysctl tables and loopback device,
    // ~0.6 ms here) overlaps the parent's cgroup work instead of holding the
    // parent in clone3.
    p.clone_flags = static_cast<uint64_t>(newflags & CLONE_NEWPID);
    p.unshare_early = newflags & ~(kNoCloneFlags | CLONE_NEWPID);
  }

  // Die with the parent during set-up; after a double fork the parent is the
  // short-lived middle child: the sync socket alone guards.
  p.die_with_parent = !p.double_fork;
  // An unprivileged parent writes the init's id maps and oom_score_adj (itself
  // or through newuidmap, which insists that it owns the init): the /proc files
  // of a non-dumpable process are root's.
  p.dumpable_until_go = p.userns_new && !host.euid_root;
  p.seccomp_early = opts.seccomp && !proc.noNewPrivileges;
  p.hooks_round_trip = any_hooks(spec.hooks);

  p.cgroup_clone_into = host.cgroup == CgroupHost::V2 || host.cgroup == CgroupHost::Hybrid;
  p.cgroup_self_join = host.cgroup == CgroupHost::V1 || host.cgroup == CgroupHost::Hybrid;
  // v2 needs the directory for CLONE_INTO_CGROUP, systemd a connection, rootless
  // the answer "is there one" before the clone.
  p.cgroup_made_late = !host.rootless && (host.cgroup == CgroupHost::V1 || host.cgroup == CgroupHost::Hybrid);
  p.cgroup_join_mount = spec.mounts.size();
  for (size_t i = 0; i < spec.mounts.size(); ++i) {
    if (spec.mounts[i].type == "cgroup" || spec.mounts[i].type == "cgroup2") {
      p.cgroup_join_mount = i;
      break;
    }
  }

  const bool mnt = p.mount_namespace;
  for (ParentStep s : parent_steps()) {
    bool use = true;
    switch (s) {
      case ParentStep::OpenNamespaces: use = any_joined; break;
      case ParentStep::BecomeSubreaper: use = p.double_fork; break;
      case ParentStep::EnterPidNamespace:
      case ParentStep::RestorePidNamespace: use = p.pidns_joined; break;
      case ParentStep::AdoptInit: use = p.double_fork; break;
      case ParentStep::WriteIdMaps: use = p.userns_new; break;
      case ParentStep::MakeCgroup: use = p.cgroup_made_late; break;
      case ParentStep::ServeHooks: use = p.hooks_round_trip; break;
      case ParentStep::ForwardSeccompFd: use = opts.seccomp && opts.seccomp_notify; break;
      default: break;
    }
    if (use) p.parent.push_back(s);
  }

  for (InitStep s : init_steps()) {
    bool use = true;
    switch (s) {
      case InitStep::JoinUserNamespace: use = p.userns_joined; break;
      case InitStep::ForkIntoPidNamespace: use = p.double_fork; break;
      case InitStep::DieWithParent: use = p.die_with_parent; break;
      case InitStep::UnshareEarly: use = p.unshare_early != 0; break;
      case InitStep::JoinNamespaces:
        use = std::any_of(lx.namespaces.begin(), lx.namespaces.end(), [](const oci::Namespace& ns) {
          return !ns.path.empty() && ns.type != T::Pid && ns.type != T::User;
        });
        break;
      case InitStep::BecomeUsernsRoot: use = p.userns_new; break;
      case InitStep::UnshareTime: use = p.timens_new; break;
      case InitStep::SetHostname: use = !spec.hostname.empty() || !spec.domainname.empty(); break;
      case InitStep::BindRootfs:
      case InitStep::MakeDevices:
      case InitStep::PivotRoot:
      case InitStep::FinalizeRootfs: use = mnt; break;
      case InitStep::MountBeforeCgroup: use = mnt && p.cgroup_join_mount > 0; break;
      case InitStep::MountAfterCgroup: use = mnt && p.cgroup_join_mount < spec.mounts.size(); break;
      case InitStep::MakeCwd: use = linux_::clean_path(proc.cwd.empty() ? "/" : proc.cwd) != "/"; break;
      case InitStep::CreateHooks: use = p.hooks_round_trip; break;
      case InitStep::Chroot: use = !mnt; break;
      case InitStep::Sysctl: use = !lx.sysctl.empty(); break;
      case InitStep::Terminal: use = proc.terminal; break;
      case InitStep::SessionKeyring: use = !opts.no_new_keyring; break;
      case InitStep::InitialCpuAffinity:
        use = proc.execCPUAffinity && !proc.execCPUAffinity->initial.empty();
        break;
      case InitStep::SetPersonality: use = lx.personality.has_value(); break;
      case InitStep::SetMemoryPolicy: use = lx.memoryPolicy.has_value(); break;
      case InitStep::SetScheduler: use = proc.scheduler.has_value(); break;
      case InitStep::SetIoPriority: use = proc.ioPriority.has_value(); break;
      case InitStep::SeccompEarly: use = p.seccomp_early; break;
      case InitStep::LsmLabels: use = !proc.selinuxLabel.empty() || !proc.apparmorProfile.empty(); break;
      case InitStep::NoNewPrivs: use = proc.noNewPrivileges; break;
      case InitStep::SeccompLate: use = opts.seccomp && !p.seccomp_early; break;
      case InitStep::SendSeccompFdEarly: use = opts.seccomp && opts.seccomp_notify && p.seccomp_early; break;
      case InitStep::SendSeccompFd: use = opts.seccomp && opts.seccomp_notify && !p.seccomp_early; break;
      case InitStep::StartHooks: use = !spec.hooks.startContainer.empty(); break;
      default: break;
    }
    if (use) p.init.push_back(s);
  }
  return p;
}

}  // namespace berth::process
