// The init's steps (init_steps.hpp), one function each, in the order they run
// (send_seccomp_fd serves both SendSeccompFdEarly and SendSeccompFd).
// What a step does to the kernel goes through ctx.sys (the SyscallSeam); the
// sync messages a step exchanges with the parent are its own.
#include "berth/process/init_steps.hpp"

#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <algorithm>

#include "berth/linux/process_attrs.hpp"
#include "berth/linux/footprint.hpp"
#include "berth/linux/rootfs.hpp"
#include "berth/linux/seccomp.hpp"
#include "berth/oci/parse.hpp"
#include "berth/process/close_fds.hpp"
#include "berth/process/hooks.hpp"
#include "berth/process/sync.hpp"
#include "berth/util/error.hpp"
#include "berth/util/log.hpp"

namespace berth::process {
namespace {

using T = oci::NamespaceType;

const oci::Spec& spec_of(const InitContext& ctx) { return *ctx.cfg.spec; }
const oci::Process& proc_of(const InitContext& ctx) { return *ctx.cfg.spec->process; }
const oci::Linux& linux_of(const InitContext& ctx) {
  static const oci::Linux empty;
  return ctx.cfg.spec->linux ? *ctx.cfg.spec->linux : empty;
}

// Receives the one message the protocol expects next from the parent.
SyncMsg expect(const InitContext& ctx, SyncType type, std::vector<UniqueFd>* fds = nullptr) {
  SyncMsg m = recv_msg_fds(ctx.sync, fds);
  if (m.type != type)
    throw Error(std::string("unexpected sync message ") + sync_name(m.type) + " (" +
                std::to_string(static_cast<int>(m.type)) + ") from parent, expected " + sync_name(type));
  return m;
}

// Any change of the effective ids clears the parent-death signal (commit_creds):
// set it again while set-up lasts, as runc does. Had berth died between the
// change and now, the signal would never come: its end of the sync socket is
// closed then, and the set-up ends here.
void credentials_changed(InitContext& ctx) {
  if (!ctx.death_signal_armed) return;
  ctx.sys.prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (ctx.sync >= 0 && ctx.sys.peer_gone(ctx.sync))
    throw Error("berth exited during the container's set-up (after a credential change)");
}

// A user namespace given by path: joined first (it grants the rights over the
// others), its root for the set-up, and the new namespaces made inside it.
void join_user_namespace(InitContext& ctx) {
  for (const auto& j : ctx.joined)
    if (j.type == T::User) ctx.sys.setns(j);
  // Our host ids mean nothing in there: be its root for the set-up.
  ctx.sys.setresgid(0);
  ctx.sys.setresuid(0);
  if (ctx.plan.unshare_in_joined_userns) ctx.sys.unshare(ctx.plan.unshare_in_joined_userns);
  std::erase_if(ctx.joined, [](const linux_::JoinedNs& j) { return j.type == T::User; });
}

// Only the children of the unsharer live in a new pid namespace: the middle
// child reports its child's pid and exits; the init goes on.
void fork_into_pid_namespace(InitContext& ctx) {
  pid_t g = ctx.sys.fork();
  if (g > 0) {
    send_msg(ctx.sync, {SyncType::InitPid, 0, 0, std::to_string(g)});
    ::_exit(0);
  }
}

// Die with the parent until set-up is finished: no half-made container
// survives berth. (Had the parent died before this point, the next read of the
// sync socket sees EOF.)
void die_with_parent(InitContext& ctx) {
  ctx.sys.prctl(PR_SET_PDEATHSIG, SIGKILL);
  ctx.death_signal_armed = true;
}

// Not dumpable: other processes in the container cannot open /proc/<init>/exe
// (the berth binary) or its fds while we still are berth (CVE-2019-5736). An
// unprivileged parent writes our id maps and oom_score_adj (itself or through
// newuidmap, which insists that it owns us): then we stay dumpable until Go
// (no process of the container exists yet; other processes of the caller's
// uid could ptrace berth itself anyway).
void hide_from_container(InitContext& ctx) { ctx.sys.prctl(PR_SET_DUMPABLE, ctx.plan.dumpable_until_go ? 1 : 0); }

// `berth run` blocks signals to forward them; the container starts with none blocked.
// Until it execs, the init ends on a signal that would end a process (`kill` of a created
// container, a pidfd from --pidfd-socket): as runc's Go init does, where the kernel would
// otherwise spare a PID namespace's init from every signal but SIGKILL.
void reset_process(InitContext& ctx) {
  ctx.sys.umask(0);
  ctx.sys.unblock_signals();
  ctx.sys.exit_on_signals();
}

// runtime-spec 1.2: the set-up runs on the initial CPUs, the process on the
// final ones (set after the cgroup, whose cpuset would reset it); without final
// ones, on every CPU of its cpuset (not the caller's narrower affinity: runc).
void initial_cpu_affinity(InitContext& ctx) {
  ctx.sys.set_cpu_affinity(proc_of(ctx).execCPUAffinity->initial, "process.execCPUAffinity.initial");
}

// Every fd berth had open but the few the init still needs (the state dir lock
// must not outlive `create` in this copy), those close-on-exec: nothing of the
// host leaks into the container (CVE-2024-21626). The preserved fds stay open.
void close_host_fds(InitContext& ctx) {
  const InitConfig& cfg = ctx.cfg;
  unsigned first = 3 + static_cast<unsigned>(cfg.preserve_fds);
  std::vector<int> keep = {ctx.sync, cfg.console_socket, cfg.exec_fifo, cfg.hook_io.out, cfg.hook_io.err};
  for (const auto& ns : ctx.joined) keep.push_back(ns.fd.get());
  for (const auto& [idx, fd] : cfg.idmapped) keep.push_back(fd);
  keep.push_back(log::file_fd());
  close_fds_except(ctx.sys, first, keep);
}

// The namespaces clone3 left to us (see the plan), made while the parent works.
void unshare_early(InitContext& ctx) { ctx.sys.unshare(ctx.plan.unshare_early); }

// The parent has written the id maps, rlimits and oom_score_adj.
void await_go(InitContext& ctx) {
  expect(ctx, SyncType::Go);
  if (ctx.plan.dumpable_until_go) ctx.sys.prctl(PR_SET_DUMPABLE, 0);
}

void join_namespaces(InitContext& ctx) {
  for (const auto& ns : ctx.joined) {
    if (ns.type == T::Pid || ns.type == T::User) continue;  // pid: by the parent before clone3
    ctx.sys.setns(ns);
  }
}

// Now that the maps are written, root of the new user namespace for the set-up.
void become_userns_root(InitContext& ctx) {
  ctx.sys.setresgid(0);
  ctx.sys.setresuid(0);
  credentials_changed(ctx);
}

// Time offsets can only be written before any process lives in the namespace;
// execve enters it.
void unshare_time(InitContext& ctx) {
  ctx.sys.unshare(CLONE_NEWTIME);
  // In a user namespace of its own the init (a clone of berth, never exec'd,
  // not dumpable) finds /proc/self owned by the host's root: EACCES on
  // timens_offsets. Dumpable for this one write, while no process of the
  // container exists yet, the file is its own.
  const bool in_userns = ctx.plan.userns_new || ctx.plan.userns_joined;
  if (in_userns) ctx.sys.prctl(PR_SET_DUMPABLE, 1);
  ctx.sys.write_time_offsets(linux_of(ctx).timeOffsets);
  if (in_userns) ctx.sys.prctl(PR_SET_DUMPABLE, 0);
}

void set_hostname(InitContext& ctx) { ctx.sys.set_hostname(spec_of(ctx).hostname, spec_of(ctx).domainname); }

void bind_rootfs(InitContext& ctx) {
  const oci::Spec& spec = spec_of(ctx);
  linux_::RootfsContext& r = ctx.rootfs;
  r.spec = &spec;
  r.rootfs = ctx.cfg.rootfs;
  r.userns = spec.has_namespace(T::User);
  r.cgroupns = ctx.plan.cgroupns_new;
  r.terminal = proc_of(ctx).terminal;
  r.cgroup_dirs = ctx.cfg.cgroup_dirs;
  r.cgroup_v1 = ctx.cfg.cgroup_v1;
  r.idmapped = &ctx.cfg.idmapped;
  ctx.rootfd = ctx.sys.bind_rootfs(r);
}

void mount_before_cgroup(InitContext& ctx) {
  for (size_t i = 0; i < ctx.plan.cgroup_join_mount; ++i) ctx.sys.mount_entry(ctx.rootfd.get(), i, ctx.rootfs);
}

// The parent makes the container's cgroup while we mount, then passes the v1
// `tasks` files we move ourselves with (Manager::join; on v2 or a hybrid host
// we were born in the cgroup2 one). Membership starts to matter here: the
// cgroup namespace (rooted at the current cgroup) and its mounts, the device
// nodes (v1's devices controller governs mknod), the hooks and the process.
void join_cgroup(InitContext& ctx) {
  std::vector<UniqueFd> tasks;
  expect(ctx, SyncType::CgroupJoined, &tasks);
  ctx.sys.join_cgroup(tasks);
  tasks.clear();
  if (ctx.plan.cgroupns_new) ctx.sys.unshare(CLONE_NEWCGROUP);
}

void mount_after_cgroup(InitContext& ctx) {
  for (size_t i = ctx.plan.cgroup_join_mount; i < spec_of(ctx).mounts.size(); ++i)
    ctx.sys.mount_entry(ctx.rootfd.get(), i, ctx.rootfs);
}

void make_devices(InitContext& ctx) {
  ctx.sys.make_devices(ctx.rootfd.get(), ctx.rootfs);
  ctx.rootfd.reset();
}

// The working directory exists even if the image lacks it (runc makes it),
// made before root.readonly applies.
void make_cwd(InitContext& ctx) { ctx.sys.mkdir_in_root(ctx.cfg.rootfs, proc_of(ctx).cwd); }

// prestart + createRuntime run in the parent (runtime namespaces), then
// createContainer here; the parent's answer is the state the hooks get (also
// startContainer's, later).
void create_hooks(InitContext& ctx) {
  send_msg(ctx.sync, {SyncType::RunHooks, 0, 0, {}});
  ctx.hook_state = expect(ctx, SyncType::HooksDone).payload;
  // In the container's rootfs, as runc runs them (hooks.bats: "touch ./lib/..."), not in the
  // caller's directory; pivot_root moves the cwd to the new root afterwards anyway.
  if (!spec_of(ctx).hooks.createContainer.empty())
    if (int err = ctx.sys.chdir(ctx.cfg.rootfs)) throw_errno("chdir to the rootfs " + ctx.cfg.rootfs + " for createContainer hooks", err);
  run_hooks("createContainer", spec_of(ctx).hooks.createContainer, ctx.hook_state, ctx.cfg.hook_io);
}

void pivot_root(InitContext& ctx) {
  ctx.sys.pivot_root(ctx.cfg.rootfs, ctx.cfg.no_pivot, linux_::host_mounts_may_be_shared(spec_of(ctx)));
}

void chroot(InitContext& ctx) { ctx.sys.chroot(ctx.cfg.rootfs); }

// Before the read-only paths: /proc/sys is usually one of them.
void sysctl(InitContext& ctx) { ctx.sys.sysctl(linux_of(ctx).sysctl); }

void finalize_rootfs(InitContext& ctx) { ctx.sys.finalize_rootfs(spec_of(ctx)); }

// A session of its own; with a terminal, the pty becomes its controlling tty.
void new_session(InitContext& ctx) { ctx.sys.setsid(); }

void terminal(InitContext& ctx) {
  ctx.sys.terminal(proc_of(ctx), ctx.cfg.console_socket, ctx.plan.mount_namespace);
}

// A fresh session keyring: the host's keys stay out.
void session_keyring(InitContext& ctx) { ctx.sys.join_session_keyring(ctx.cfg.id); }

// Set on the init itself: all three survive execve. Before the capabilities
// go (a real-time policy and IOPRIO_CLASS_RT need CAP_SYS_NICE / CAP_SYS_ADMIN)
// and before a seccomp filter could forbid the calls.
void set_personality(InitContext& ctx) { ctx.sys.set_personality(*linux_of(ctx).personality); }
void set_scheduler(InitContext& ctx) { ctx.sys.set_scheduler(*proc_of(ctx).scheduler); }
void set_io_priority(InitContext& ctx) { ctx.sys.set_io_priority(*proc_of(ctx).ioPriority); }
// The process's own CPUs (see initial_cpu_affinity).
void final_cpu_affinity(InitContext& ctx) {
  const auto& affinity = proc_of(ctx).execCPUAffinity;
  if (affinity && !affinity->final.empty())
    ctx.sys.set_cpu_affinity(affinity->final, "process.execCPUAffinity.final");
  else
    ctx.sys.reset_cpu_affinity();
}
// After the cgroup is joined: the kernel relates the nodes to the cpuset's mems.
void set_memory_policy(InitContext& ctx) { ctx.sys.set_memory_policy(*linux_of(ctx).memoryPolicy); }

// The heavy part of the set-up is over: give back the heap it left, before a
// filter might forbid madvise or brk.
// report_ready's --debug line is formatted first: the heap is trimmed and seccomp may be
// loaded by the time it is written. runc logs the phase under this name (its tests look for it).
void trim_heap(InitContext& ctx) {
  ctx.ready_log = log::prepare(log::Level::Debug, "init: closing the pipe to signal completion");
  linux_::trim_heap();
}

// Without no_new_privs, loading seccomp needs CAP_SYS_ADMIN: before the
// capabilities go (as runc does).
void seccomp_early(InitContext& ctx) { ctx.notify = ctx.sys.load_seccomp(*ctx.cfg.seccomp); }

// Three things, in this order: process.cwd entered while still root (enter_cwd tries
// again as the user), the bounding set (needs CAP_SETPCAP, which the uid change may
// take), then process.user, keeping the permitted set across the uid change
// (set_capabilities then sets all five).
void switch_user(InitContext& ctx) {
  const oci::Process& proc = proc_of(ctx);
  // The cwd entered while still root (runc): one only root can reach stays the cwd.
  ctx.cwd_entered = ctx.sys.chdir(proc.cwd) == 0;
  ctx.sys.set_bounding(proc.capabilities.value_or(oci::Capabilities{}));
  ctx.sys.prctl(PR_SET_KEEPCAPS, 1);
  ctx.sys.set_user(proc.user, linux_::keep_original_groups(spec_of(ctx).annotations, proc.user, "process.user"));
  credentials_changed(ctx);
  ctx.sys.prctl(PR_SET_KEEPCAPS, 0);
}

void set_capabilities(InitContext& ctx) { ctx.sys.set_caps(proc_of(ctx).capabilities.value_or(oci::Capabilities{})); }

void enter_cwd(InitContext& ctx) {
  const oci::Process& proc = proc_of(ctx);
  // As the process's user now (a cwd it owns but root could not reach, e.g. on
  // a root-squashing mount); a refusal keeps the cwd entered as root (runc).
  if (int err = ctx.sys.chdir(proc.cwd)) {
    if (!((err == EACCES || err == EPERM) && ctx.cwd_entered))
      throw_errno("chdir to cwd (\"" + proc.cwd + "\") set in config.json failed", err);
  }
  ctx.sys.umask(proc.user.umask.value_or(022));
}

// HOME from the container's /etc/passwd when the environment has none, LISTEN_*, and
// process.args[0] found now, after the user switch, the capabilities and the cwd: it is
// checked with the container user's permissions, so that one it may not run is an error
// of create (127/126 and the reason), not a surprise at start.
void find_executable(InitContext& ctx) {
  const oci::Process& proc = proc_of(ctx);
  // The init execs the process itself: our pid is the process's, as it sees it.
  ctx.env = with_listen_env(with_home(proc.env, proc.user.uid), ctx.cfg.listen, ctx.cfg.listen.count ? ::getpid() : 0);
  ctx.target = process::find_executable(proc.args.at(0), ctx.env);
  if (!ctx.target.error.empty()) throw ExecError(ctx.target.error, ctx.target.status);
}

void lsm_labels(InitContext& ctx) { ctx.sys.lsm_labels(proc_of(ctx)); }

void no_new_privs(InitContext& ctx) { ctx.sys.prctl(PR_SET_NO_NEW_PRIVS, 1); }

// Set-up is over: the init outlives `berth create` from here on. Cleared
// before Ready (or the parent's exit could race us and kill us) and before the
// late seccomp filter, which need not allow prctl.
void outlive_parent(InitContext& ctx) {
  ctx.sys.prctl(PR_SET_PDEATHSIG, 0);
  ctx.death_signal_armed = false;
}

void seccomp_late(InitContext& ctx) { ctx.notify = ctx.sys.load_seccomp(*ctx.cfg.seccomp); }

// The parent forwards it to linux.seccomp.listenerPath. Sent right after the filter is loaded:
// until an agent has the fd, any syscall of a SCMP_ACT_NOTIFY rule (read, close, openat...)
// would block the init for ever (runc's syncParentSeccomp follows InitSeccomp the same way).
void send_seccomp_fd(InitContext& ctx) {
  if (!ctx.notify) throw Error("seccomp: the filter has SCMP_ACT_NOTIFY rules but gave no notify fd");
  send_msg_fd(ctx.sync, {SyncType::SeccompFd, 0, 0, {}}, ctx.notify.get());
  ctx.notify.reset();
}

// From here on only write, read, close and execve: what any profile allows.
void report_ready(InitContext& ctx) {
  log::write_prepared(ctx.ready_log);
  send_msg(ctx.sync, {SyncType::Ready, 0, 0, {}});
  ::close(ctx.sync);
  ctx.sync = -1;
}

void await_start(InitContext& ctx) {
  const bool drop_pages = !ctx.cfg.seccomp || ctx.cfg.seccomp->may_madvise();
  if (!ctx.sys.await_start(ctx.cfg.exec_fifo, drop_pages)) ::_exit(1);
}

// runtime-spec: after `start`, before the user's program. They run in the container
// as the process's user, with its capabilities and under its seccomp filter.
void start_hooks(InitContext& ctx) {
  try {
    auto state = nlohmann::json::parse(ctx.hook_state);
    state["status"] = "created";
    run_hooks("startContainer", spec_of(ctx).hooks.startContainer, state.dump(), ctx.cfg.hook_io);
  } catch (const std::exception& e) {  // Error, or a state JSON nlohmann cannot parse
    std::string msg = std::string("berth: ") + e.what() + "\n";
    (void)!::write(2, msg.data(), msg.size());
    ::_exit(1);
  }
}

void exec(InitContext& ctx) { ctx.sys.exec(ctx.target.path, proc_of(ctx).args, ctx.env); }

}  // namespace

void run_init_step(InitStep step, InitContext& ctx) {
  switch (step) {
    case InitStep::JoinUserNamespace: return join_user_namespace(ctx);
    case InitStep::ForkIntoPidNamespace: return fork_into_pid_namespace(ctx);
    case InitStep::DieWithParent: return die_with_parent(ctx);
    case InitStep::HideFromContainer: return hide_from_container(ctx);
    case InitStep::ResetProcess: return reset_process(ctx);
    case InitStep::InitialCpuAffinity: return initial_cpu_affinity(ctx);
    case InitStep::CloseHostFds: return close_host_fds(ctx);
    case InitStep::UnshareEarly: return unshare_early(ctx);
    case InitStep::AwaitGo: return await_go(ctx);
    case InitStep::JoinNamespaces: return join_namespaces(ctx);
    case InitStep::BecomeUsernsRoot: return become_userns_root(ctx);
    case InitStep::UnshareTime: return unshare_time(ctx);
    case InitStep::SetHostname: return set_hostname(ctx);
    case InitStep::BindRootfs: return bind_rootfs(ctx);
    case InitStep::MountBeforeCgroup: return mount_before_cgroup(ctx);
    case InitStep::JoinCgroup: return join_cgroup(ctx);
    case InitStep::MountAfterCgroup: return mount_after_cgroup(ctx);
    case InitStep::MakeDevices: return make_devices(ctx);
    case InitStep::MakeCwd: return make_cwd(ctx);
    case InitStep::CreateHooks: return create_hooks(ctx);
    case InitStep::PivotRoot: return pivot_root(ctx);
    case InitStep::Chroot: return chroot(ctx);
    case InitStep::Sysctl: return sysctl(ctx);
    case InitStep::FinalizeRootfs: return finalize_rootfs(ctx);
    case InitStep::NewSession: return new_session(ctx);
    case InitStep::Terminal: return terminal(ctx);
    case InitStep::SessionKeyring: return session_keyring(ctx);
    case InitStep::SetPersonality: return set_personality(ctx);
    case InitStep::SetScheduler: return set_scheduler(ctx);
    case InitStep::SetIoPriority: return set_io_priority(ctx);
    case InitStep::FinalCpuAffinity: return final_cpu_affinity(ctx);
    case InitStep::SetMemoryPolicy: return set_memory_policy(ctx);
    case InitStep::TrimHeap: return trim_heap(ctx);
    case InitStep::SeccompEarly: return seccomp_early(ctx);
    case InitStep::SwitchUser: return switch_user(ctx);
    case InitStep::SetCapabilities: return set_capabilities(ctx);
    case InitStep::EnterCwd: return enter_cwd(ctx);
    case InitStep::FindExecutable: return find_executable(ctx);
    case InitStep::LsmLabels: return lsm_labels(ctx);
    case InitStep::NoNewPrivs: return no_new_privs(ctx);
    case InitStep::OutliveParent: return outlive_parent(ctx);
    case InitStep::SeccompLate: return seccomp_late(ctx);
    case InitStep::SendSeccompFdEarly:
    case InitStep::SendSeccompFd: return send_seccomp_fd(ctx);
    case InitStep::ReportReady: return report_ready(ctx);
    case InitStep::AwaitStart: return await_start(ctx);
    case InitStep::StartHooks: return start_hooks(ctx);
    case InitStep::Exec: return exec(ctx);
  }
}

void run_init_steps(InitContext& ctx) {
  for (InitStep s : ctx.plan.init) run_init_step(s, ctx);
}

}  // namespace berth::process
