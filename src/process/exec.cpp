// `berth exec`: a process of berth's that enters a running container.
//
// Parent                                     Middle child (host pid ns)       Exec process
//   open /proc/<init>/ns/*, check the init
//   clone3 (born in a cgroup2 cgroup) ---->  not dumpable, parent-death signal,
//                                            fds closed but stdio/preserved/sync/ns/console
//                                            setns pid (for children), user (then uid/gid 0),
//                                            ipc, uts, net, cgroup, time, mnt
//                                            fork --------------------------> (in every namespace)
//   <------------------------------ InitPid  report its pid, exit
//   (a subreaper: the exec process is ours)
//   open v1 `tasks`, prlimit, oom_score_adj
//   Go + tasks fds -------------------------------------------------------->  write "0" to each (joins the v1 cgroups)
//                                                                            setsid, pty in the container's /dev/pts, keyring
//                                                                            chdir, find the executable (126/127 with the reason)
//                                                                            seccomp (early without no_new_privs), bounding set,
//                                                                            user, caps, umask, LSM labels, no_new_privs, seccomp
//   <---------------------------------------------------------------- Ready  execve: the close-on-exec sync socket closes
//   EOF: exec'ed; Error: report, reap
//
// Why the middle child: a process becomes a member of a pid namespace only at its birth, and
// from then on the container's processes see it. Born there before it has joined the mount
// namespace, its /proc/<pid>/root and cwd would be the host's "/" for a moment, and a
// container process with CAP_SYS_PTRACE (which being non-dumpable does not stop) could
// reach the host's files through them, the runtime binary included (runc and crun fork
// after joining too). So the middle child, invisible to the container, joins every
// namespace first, and only its child is born in the container's pid namespace.
// An unprivileged berth (rootless) joins the user namespace before the pid namespace
// (which it owns); as root the pid namespace comes first (its owner need not be the
// container's user namespace). The middle child's own oom_score_adj is inherited.
//
// A container without a pid namespace of its own shares the host's, which the exec
// process cannot hide from: then a single child joins the namespaces after Go.
#include "berth/process/exec.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <utility>
#include <vector>

#include "berth/cgroups/manager.hpp"
#include "berth/linux/caps.hpp"
#include "berth/linux/console.hpp"
#include "berth/linux/lsm.hpp"
#include "berth/linux/mempolicy.hpp"
#include "berth/linux/sched_attrs.hpp"
#include "berth/linux/namespaces.hpp"
#include "berth/linux/process_attrs.hpp"
#include "berth/linux/seccomp.hpp"
#include "berth/linux/syscalls.hpp"
#include "berth/oci/parse.hpp"
#include "berth/process/close_fds.hpp"
#include "berth/process/exec_check.hpp"
#include "berth/process/init.hpp"
#include "berth/process/sync.hpp"
#include "berth/process/syscall_seam.hpp"
#include "berth/util/error.hpp"
#include "berth/util/log.hpp"

namespace berth::process {
namespace {

bool same_file(int fd, const std::string& path) {
  struct stat a {}, b {};
  if (::fstat(fd, &a) < 0 || ::stat(path.c_str(), &b) < 0) return false;
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

bool exited(int pidfd) {
  pollfd p{pidfd, POLLIN, 0};
  return ::poll(&p, 1, 0) > 0;
}

// The init's namespace of every type the container's config lists (created or
// joined by path alike), in join order: user first (it grants the rights for
// the others), mount last (it changes "/"). Namespaces berth already shares
// are skipped (setns into one's own user namespace fails).
std::vector<linux_::JoinedNs> open_init_namespaces(pid_t pid, const oci::Linux* lx) {
  using T = oci::NamespaceType;
  static const T order[] = {T::User, T::Ipc, T::Uts, T::Network, T::Pid, T::Cgroup, T::Time, T::Mount};
  std::vector<linux_::JoinedNs> out;
  if (!lx) return out;
  for (T t : order) {
    bool listed = false;
    for (const auto& ns : lx->namespaces) listed = listed || ns.type == t;
    if (!listed) continue;
    std::string name = oci::namespace_proc_name(t);
    std::string path = "/proc/" + std::to_string(pid) + "/ns/" + name;
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) {
      int err = errno;
      // Until `start` the init is berth and not dumpable: only a privileged caller may open
      // its /proc files. (After execve the container's own process is the caller's.)
      std::string hint = err == EACCES && ::geteuid() != 0
                             ? " (an unprivileged caller can exec only after `start`: until then the init is not dumpable)"
                             : "";
      throw_errno(std::string("open the container's ") + oci::namespace_name(t) + " namespace " + path + hint, err);
    }
    if (same_file(fd.get(), "/proc/self/ns/" + name)) continue;
    out.push_back({t, oci::namespace_clone_flag(t), std::move(fd), path});
  }
  return out;
}

// Nothing of berth's past the preserved fds: the state dir lock, the host's
// files. The fds still needed are close-on-exec.
void close_berth_fds(const ExecConfig& cfg, int sync, const std::vector<linux_::JoinedNs>& joined) {
  unsigned first = 3 + static_cast<unsigned>(cfg.preserve_fds);
  std::vector<int> keep = {sync, cfg.console_socket};
  for (const auto& ns : joined) keep.push_back(ns.fd.get());
  keep.push_back(log::file_fd());
  close_fds_except(linux_syscalls(), first, keep);
}

// Joins the container's namespaces (the pid namespace for our children only),
// then its root: a joined mount namespace's, else the init's chroot.
void join_container(const ExecConfig& cfg, std::vector<linux_::JoinedNs>& joined, bool pid_first) {
  using T = oci::NamespaceType;
  auto join = [&](linux_::JoinedNs& ns) {
    linux_::join_namespace(ns);
    ns.fd.reset();
    if (ns.type == T::User) {
      // Root of the container's user namespace: full capabilities there.
      if (::setresgid(0, 0, 0) < 0) throw_errno("setgid 0 in the container's user namespace");
      if (::setresuid(0, 0, 0) < 0) throw_errno("setuid 0 in the container's user namespace");
    }
  };
  if (pid_first)
    for (auto& ns : joined)
      if (ns.type == T::Pid) join(ns);
  bool mntns = false;
  for (auto& ns : joined) {
    if (!ns.fd) continue;
    join(ns);
    mntns = mntns || ns.type == T::Mount;
  }
  joined.clear();
  if (!mntns) {
    // No mount namespace of its own: the init chroot()ed into the rootfs; so do we.
    // (Joining a mount namespace sets root and cwd to its "/" already.)
    if (::chroot(cfg.rootfs.c_str()) < 0) throw_errno("chroot " + cfg.rootfs);
  }
  if (::chdir("/") < 0) throw_errno("chdir /");
}

// Everything the exec process does until execve. `entered`: the middle child
// joined the namespaces already (see the top of this file). Throws on error;
// the caller reports it to the parent.
[[noreturn]] void exec_main(const ExecConfig& cfg, int sync, std::vector<linux_::JoinedNs>& joined,
                            bool entered) {
  const oci::Process& proc = *cfg.process;

  // Not dumpable (inherited from the parent, and set again here): no process
  // in the container may open /proc/<us>/exe (the berth binary) or our fds
  // while we are still berth (CVE-2019-5736, CVE-2024-21626).
  if (::prctl(PR_SET_DUMPABLE, 0) < 0) throw_errno("prctl PR_SET_DUMPABLE");
  // Die with berth during setup (cleared by the kernel at the user switch).
  // After the double fork our parent is the short-lived middle child: the
  // sync socket alone guards (a read sees EOF when berth is gone).
  if (!entered && ::prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) throw_errno("prctl PR_SET_PDEATHSIG");
  // A foreground `exec` blocks signals to forward them; the process starts with none blocked.
  sigset_t none;
  ::sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  // runtime-spec 1.2: the joining process runs on the initial CPUs, the final
  // ones are set after the cgroup (whose cpuset would reset them).
  const auto& affinity = proc.execCPUAffinity;
  if (affinity && !affinity->initial.empty())
    linux_::apply_cpu_affinity(affinity->initial, "process.execCPUAffinity.initial");

  if (!entered) close_berth_fds(cfg, sync, joined);  // else the middle child did, before its fork

  std::vector<UniqueFd> tasks;
  SyncMsg go = recv_msg_fds(sync, &tasks);
  if (go.type != SyncType::Go) throw Error("unexpected sync message from parent");
  cgroups::join_self(tasks);  // v1: no global cgroup lock (see Manager::join)
  tasks.clear();

  if (!entered) join_container(cfg, joined, false);

  // A session of its own; with a terminal, a pty of the container's /dev/pts
  // becomes its controlling tty and stdio.
  if (::setsid() < 0) throw_errno("setsid");
  if (proc.terminal) {
    linux_::Pty pty = linux_::open_pty(proc.consoleSize);
    send_fd(cfg.console_socket, pty.master.get(), "/dev/ptmx");
    linux_::attach_terminal(pty.slave.get());
  }
  if (cfg.console_socket >= 0) ::close(cfg.console_socket);

  // A fresh session keyring: the host's keys stay out.
  if (!cfg.no_new_keyring) join_session_keyring(cfg.id);

  // The cwd is entered as root first and again as the user below: one only
  // root can reach stays the cwd (runc). runc's wording, so that tools
  // matching on it keep working.
  const std::string cwd_error = "chdir to cwd (\"" + proc.cwd + "\") set in config.json failed";
  bool cwd_entered = ::chdir(proc.cwd.c_str()) == 0;
  if (!cwd_entered && errno != EACCES && errno != EPERM) throw_errno(cwd_error);
  // HOME from the container's /etc/passwd when the environment has none (runc does the same).
  const std::vector<std::string> env = with_home(proc.env, proc.user.uid);

  // process.scheduler and process.ioPriority apply to an exec'd process too
  // (the init's set_scheduler / set_io_priority), before the capabilities go.
  if (proc.scheduler) linux_::apply_scheduler(*proc.scheduler);
  if (proc.ioPriority) linux_::apply_io_priority(*proc.ioPriority);
  if (affinity && !affinity->final.empty())
    linux_::apply_cpu_affinity(affinity->final, "process.execCPUAffinity.final");
  else
    linux_::reset_cpu_affinity();
  // linux.memoryPolicy and linux.personality are the container's: its exec'd processes get
  // them too (the init's set_memory_policy, set_personality; runc's personality.bats).
  if (cfg.linux && cfg.linux->memoryPolicy) linux_::apply_memory_policy(*cfg.linux->memoryPolicy);
  if (cfg.linux && cfg.linux->personality) linux_::apply_personality(*cfg.linux->personality);

  linux_::apply_selinux_label(proc.selinuxLabel);

  // Without no_new_privs, loading seccomp needs CAP_SYS_ADMIN: load it before
  // the capabilities go (as the init and runc do); otherwise load it last.
  // A notify fd goes to the parent right after the load: until an agent has it, a syscall of a
  // SCMP_ACT_NOTIFY rule (read, close, openat...) would block this process for ever.
  auto send_notify_fd = [&](UniqueFd notify) {
    if (!notify) return;
    send_msg_fd(sync, {SyncType::SeccompFd, 0, 0, {}}, notify.get());
  };
  bool seccomp_early = cfg.seccomp && !proc.noNewPrivileges;
  if (seccomp_early) send_notify_fd(cfg.seccomp->load());

  become_process_user(proc, cfg.keep_original_groups);
  if (::chdir(proc.cwd.c_str()) < 0 && !(cwd_entered && (errno == EACCES || errno == EPERM))) throw_errno(cwd_error);
  ::umask(proc.user.umask.value_or(022));
  // Found and checked as the process's user: what it may not run fails here,
  // with 127/126 and the reason.
  ExecTarget target = find_executable(proc.args.at(0), env);
  if (!target.error.empty()) {
    send_msg(sync, {SyncType::Error, ENOENT, target.status, target.error});
    ::_exit(target.status);
  }
  linux_::apply_apparmor(proc.apparmorProfile);

  if (proc.noNewPrivileges && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) throw_errno("prctl PR_SET_NO_NEW_PRIVS");
  if (cfg.seccomp && !seccomp_early) send_notify_fd(cfg.seccomp->load());

  auto argv = cstrings(proc.args);
  auto envp = cstrings(env);
  send_msg(sync, {SyncType::Ready, 0, 0, {}});
  // From here the process may outlive berth (exec --detach).
  ::prctl(PR_SET_PDEATHSIG, 0);
  ::execve(target.path.c_str(), argv.data(), envp.data());
  int err = errno;
  int status = err == ENOENT ? 127 : 126;
  send_msg(sync, {SyncType::Error, err, status, explain_exec_failure(target.path, err)});
  ::_exit(status);
}

// Blocks until a message is pending (true) or the peer has closed the socket (false).
bool message_pending(int sock) {
  char c;
  for (;;) {
    ssize_t n = ::recv(sock, &c, 1, MSG_PEEK);
    if (n >= 0) return n > 0;
    // ECONNRESET: the child closed with our Go unread; its packets come first (sync.hpp).
    if (errno != EINTR && errno != ECONNRESET) throw_errno("receive sync message");
  }
}

// Per-process limits set from outside, with berth's privileges (see process_attrs.hpp).
// oom_done: the middle child of the rootless path set it already (see enter_container).
void set_limits(pid_t pid, const oci::Process& proc, bool oom_done) {
  linux_::apply_rlimits(pid, proc.rlimits);
  if (!proc.oomScoreAdj || oom_done) return;
  // The exec'd process is not dumpable (it is born in the container's pid namespace while
  // still berth), so its /proc files belong to root: an unprivileged berth cannot open them.
  if (::geteuid() != 0)
    throw Error("process.oomScoreAdj " + std::to_string(*proc.oomScoreAdj) +
                ": an unprivileged berth cannot set oom_score_adj of an exec'd process that shares the "
                "host's pid namespace (not dumpable during setup, its /proc files belong to root)",
                EACCES);
  linux_::write_oom_score_adj(pid, *proc.oomScoreAdj);
}

std::string describe_death(pid_t pid) {
  int st = 0;
  pid_t r;
  do r = ::waitpid(pid, &st, 0);
  while (r < 0 && errno == EINTR);
  if (r < 0) return "";
  if (WIFSIGNALED(st)) return " (killed by signal " + std::to_string(WTERMSIG(st)) + ")";
  if (WIFEXITED(st)) return " (exit status " + std::to_string(WEXITSTATUS(st)) + ")";
  return "";
}

// The middle child (see the top of this file): joins every namespace of the
// container, forks the exec process into them, reports its pid and exits; the
// exec process returns to exec_main with everything joined.
void enter_container(const ExecConfig& cfg, int sync, std::vector<linux_::JoinedNs>& joined, bool unprivileged) {
  const oci::Process& proc = *cfg.process;
  const pid_t berth = ::getppid();
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) throw_errno("prctl PR_SET_PDEATHSIG");
  if (unprivileged && proc.oomScoreAdj) {
    // Inherited by the fork below. Set here, where our /proc files may be ours for a moment:
    // this process lives outside the container's pid namespace, no container process can
    // see it, and the parent could not open the (non-dumpable) exec process's files.
    if (::prctl(PR_SET_DUMPABLE, 1) < 0) throw_errno("prctl PR_SET_DUMPABLE");
    linux_::write_oom_score_adj(0, *proc.oomScoreAdj);
    if (::prctl(PR_SET_DUMPABLE, 0) < 0) throw_errno("prctl PR_SET_DUMPABLE");
  }
  close_berth_fds(cfg, sync, joined);
  join_container(cfg, joined, !unprivileged);
  // Becoming root of a user namespace cleared the parent-death signal: set again, and
  // berth may have gone in between.
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) throw_errno("prctl PR_SET_PDEATHSIG");
  if (::getppid() != berth) ::_exit(1);
  pid_t g = ::fork();
  if (g < 0) {
    if (errno == ENOMEM)  // a dying pid namespace: its init has exited
      throw Error("container init (pid " + std::to_string(cfg.init_pid) + ") has exited", ENOMEM);
    throw_errno("fork the exec process into the container's pid namespace");
  }
  if (g > 0) {
    send_msg(sync, {SyncType::InitPid, 0, 0, std::to_string(g)});
    ::_exit(0);
  }
}

// Parent side: the middle child's report, then the grandchild (ours by subreaping).
// The middle child is not waited for here: it exits right after its report, and
// spawn_exec reaps it once Go is sent (its exit overlaps the cgroup join); until
// then the exec process is the middle child's, alive or a zombie, its pid ours to use.
ExecProcess adopt_grandchild(int sync, pid_t middle) {
  SyncMsg m;
  try {
    m = recv_msg(sync);
  } catch (...) {
    describe_death(middle);
    throw;
  }
  if (m.type != SyncType::InitPid) {
    std::string died = describe_death(middle);
    if (m.type == SyncType::Error) throw_child_error(m);
    throw Error("unexpected sync message from exec process" + died);
  }
  pid_t g = static_cast<pid_t>(std::stol(m.payload));
  UniqueFd gfd(sys::pidfd_open(g));
  if (!gfd) {
    int err = errno;
    describe_death(middle);
    ::kill(g, SIGKILL);  // our child now: its pid cannot be reused before we reap it
    describe_death(g);
    throw_errno("pidfd_open exec process " + m.payload, err);
  }
  return ExecProcess{g, std::move(gfd)};
}

}  // namespace

ExecProcess spawn_exec(const ExecConfig& cfg, cgroups::Manager* cgroup) {
  if (!cfg.process || cfg.process->args.empty()) throw Error("exec: process.args must not be empty");
  if (cfg.process->terminal && cfg.console_socket < 0) throw Error("exec: a terminal needs a console socket");

  std::vector<linux_::JoinedNs> joined = open_init_namespaces(cfg.init_pid, cfg.linux);
  // The pid could have been reused between the caller's check and the opens:
  // the pidfd still refers to the init, so it must not have exited.
  if (cfg.init_pidfd >= 0 && exited(cfg.init_pidfd))
    throw Error("container init (pid " + std::to_string(cfg.init_pid) + ") has exited");

  require_single_threaded("clone3 exec process");
  // --debug: runc's phase names, which its tests and log readers look for.
  log::debug("nsexec container setup: joining the namespaces of container init " + std::to_string(cfg.init_pid));
  SyncPair sp = make_sync_pair();
  // Dumpability is inherited through clone3: the child, visible in the
  // container's pid namespace from birth, is not dumpable even for the
  // instant before it runs its first instruction.
  int was_dumpable = ::prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
  bool has_pidns = false;
  for (const auto& j : joined) has_pidns = has_pidns || j.type == oci::NamespaceType::Pid;
  const bool unprivileged = ::geteuid() != 0;
  // See the top of this file: the exec process is born only once every namespace is joined.
  const bool double_fork = has_pidns;
  if (double_fork && ::prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) throw_errno("prctl PR_SET_CHILD_SUBREAPER");
  if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) throw_errno("prctl PR_SET_DUMPABLE");
  pid_t pid = -1;
  int pidfd = -1;
  // Born in the container's cgroup where clone3 can (cgroup v2, or a hybrid host's
  // unified hierarchy): no cgroup.procs write, which takes the global cgroup lock.
  UniqueFd cgfd = cgroup ? cgroup->clone_into_fd() : UniqueFd{};
  bool born = false;
  if (cgfd) {
    pid = sys::clone3_fork(CLONE_PIDFD | CLONE_INTO_CGROUP, &pidfd, static_cast<uint64_t>(cgfd.get()));
    born = pid >= 0;
  }
  if (pid < 0) pid = sys::clone3_fork(CLONE_PIDFD, &pidfd);  // or refused: join after
  int err = errno;
  cgfd.reset();
  if (pid != 0 && was_dumpable > 0) ::prctl(PR_SET_DUMPABLE, was_dumpable, 0, 0, 0);
  if (pid < 0) throw_errno("clone3 exec process", err);
  if (pid == 0) {
    sp.parent.reset();
    log::debug("child process in init(): setting up the exec process");  // before the log fd is closed
    try {
      if (double_fork) enter_container(cfg, sp.child.get(), joined, unprivileged);
      exec_main(cfg, sp.child.get(), joined, double_fork);
    } catch (const std::exception& e) {
      int code = 0;
      if (auto* be = dynamic_cast<const Error*>(&e)) code = be->code();
      try {
        send_msg(sp.child.get(), error_msg(code, 1, e.what()));
      } catch (...) {
      }
    } catch (...) {
      try {
        send_msg(sp.child.get(), error_msg(0, 1, "exec process: unknown exception"));
      } catch (...) {
      }
    }
    ::_exit(1);
  }
  sp.child.reset();
  joined.clear();
  ExecProcess ep{pid, UniqueFd(pidfd)};
  pid_t middle = -1;  // reaped after Go (see adopt_grandchild)
  if (double_fork) {
    middle = pid;
    ep = adopt_grandchild(sp.parent.get(), middle);
    pid = ep.pid;
  }

  try {
    std::vector<UniqueFd> join_files = cgroup ? cgroup->join(pid, born) : std::vector<UniqueFd>{};
    if (cfg.join_host_groups) cfg.join_host_groups(pid);
    set_limits(pid, *cfg.process, double_fork && unprivileged);
    send_msg_fds(sp.parent.get(), {SyncType::Go, 0, 0, {}}, join_files);
    if (middle > 0) describe_death(std::exchange(middle, -1));
    bool ready = false;
    for (;;) {
      if (!message_pending(sp.parent.get())) {
        // The socket is close-on-exec: EOF after Ready means execve succeeded.
        if (ready) break;
        throw Error("exec process exited unexpectedly during setup" + describe_death(pid));
      }
      UniqueFd passed;
      SyncMsg m = recv_msg(sp.parent.get(), &passed);
      if (m.type == SyncType::Ready) {
        log::debug("setns_init: about to exec " + cfg.process->args.front());
        ready = true;
      } else if (m.type == SyncType::SeccompFd) {
        if (cfg.seccomp_listener && passed) cfg.seccomp_listener(pid, passed.get());
      } else if (m.type == SyncType::Error) {
        throw_child_error(m);
      } else {
        throw Error("unexpected sync message " + std::to_string(static_cast<int>(m.type)) + " from exec process");
      }
    }
  } catch (...) {
    // Never leave a half-made process behind (ours to reap once the middle child is gone).
    if (middle > 0) describe_death(middle);
    kill_and_reap(ep.pidfd.get(), pid);
    throw;
  }
  return ep;
}

}  // namespace berth::process
