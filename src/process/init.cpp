// The container's init: a clone3 child of berth that sets itself up step by
// step and then execve()s the container process. No re-exec of berth, so no
// second parse of config.json and no second dynamic link.
#include "berth/process/init.hpp"

#include <fcntl.h>
#include <linux/close_range.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "berth/cgroups/manager.hpp"
#include "berth/linux/caps.hpp"
#include "berth/linux/console.hpp"
#include "berth/linux/footprint.hpp"
#include "berth/linux/lsm.hpp"
#include "berth/linux/namespaces.hpp"
#include "berth/linux/process_attrs.hpp"
#include "berth/linux/rootfs.hpp"
#include "berth/linux/safepath.hpp"
#include "berth/linux/seccomp.hpp"
#include "berth/linux/userns_maps.hpp"
#include "berth/linux/syscalls.hpp"
#include "berth/oci/parse.hpp"
#include "berth/process/exec_check.hpp"
#include "berth/process/hooks.hpp"
#include "berth/process/sync.hpp"
#include "berth/util/error.hpp"
#include "berth/util/log.hpp"

namespace berth::process {

std::vector<char*> cstrings(const std::vector<std::string>& v) {
  std::vector<char*> out;
  for (const auto& s : v) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

void become_process_user(const oci::Process& proc) {
  oci::Capabilities caps = proc.capabilities.value_or(oci::Capabilities{});
  linux_::apply_bounding(caps);
  // Keep the permitted set across the uid change; apply_caps then sets all five sets.
  if (::prctl(PR_SET_KEEPCAPS, 1) < 0) throw_errno("prctl PR_SET_KEEPCAPS");
  linux_::apply_user(proc.user);
  if (::prctl(PR_SET_KEEPCAPS, 0) < 0) throw_errno("prctl PR_SET_KEEPCAPS");
  linux_::apply_caps(caps);
}

void join_session_keyring(const std::string& id) {
  constexpr int kKeyctlJoinSessionKeyring = 1;  // KEYCTL_JOIN_SESSION_KEYRING
  std::string name = "_ses." + id;
  if (::syscall(SYS_keyctl, kKeyctlJoinSessionKeyring, name.c_str()) < 0 && errno != ENOSYS &&
      errno != EACCES && errno != EPERM && errno != EDQUOT)
    throw_errno("join session keyring");
}

// Closes fds >= first that are not in `keep`, with close_range between the kept ones.
void close_fds_except(unsigned first, std::vector<int> keep) {
  std::erase_if(keep, [first](int fd) { return fd < static_cast<int>(first); });
  std::sort(keep.begin(), keep.end());
  unsigned from = first;
  for (int k : keep) {
    if (static_cast<unsigned>(k) > from) ::syscall(SYS_close_range, from, static_cast<unsigned>(k) - 1, 0U);
    ::fcntl(k, F_SETFD, FD_CLOEXEC);
    from = static_cast<unsigned>(k) + 1;
  }
  ::syscall(SYS_close_range, from, ~0U, 0U);
}

namespace {

// Everything the init does between clone3 and the exec fifo. Throws on error;
// the caller reports it to the parent.
[[noreturn]] void init_main(const InitConfig& cfg, int sync, bool die_with_parent,
                            std::vector<linux_::JoinedNs>& joined, bool userns_new, bool parent_root,
                            int early_unshare) {
  const oci::Spec& spec = *cfg.spec;
  const oci::Process& proc = *spec.process;
  const oci::Linux empty_linux;
  const oci::Linux& lx = spec.linux ? *spec.linux : empty_linux;

  // Die with the parent until setup is finished: no half-made container survives berth.
  // (Had the parent died before this point, the next read of the sync socket sees EOF.
  // After a double fork our parent is the short-lived middle child: the socket alone guards.)
  if (die_with_parent && ::prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) throw_errno("prctl PR_SET_PDEATHSIG");
  // Not dumpable: other processes in the container cannot open /proc/<init>/exe
  // (the berth binary) or its fds while we still are berth (CVE-2019-5736).
  // An unprivileged parent writes our uid/gid maps and oom_score_adj (itself or
  // through newuidmap, which insists that it owns us): a non-dumpable process's
  // /proc files belong to root, so we stay dumpable until `Go`. No process of
  // the container exists yet, and other processes of the caller's uid could
  // ptrace berth itself anyway. (`parent_root` is the parent's euid, read before
  // clone3: ours changes to 0 as soon as the parent has written the uid map.)
  const bool dumpable_until_go = userns_new && !parent_root;
  if (::prctl(PR_SET_DUMPABLE, dumpable_until_go ? 1 : 0) < 0) throw_errno("prctl PR_SET_DUMPABLE");
  ::umask(0);
  // `berth run` blocks signals to forward them; the container starts with none blocked.
  sigset_t none;
  ::sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);

  // Close every fd berth had open except the few the init still needs (the
  // state dir lock must not outlive `create` in this copy), and mark those
  // close-on-exec: nothing of the host leaks into the container (CVE-2024-21626).
  unsigned first = 3 + static_cast<unsigned>(cfg.preserve_fds);
  std::vector<int> keep = {sync, cfg.console_socket, cfg.exec_fifo};
  for (const auto& ns : joined) keep.push_back(ns.fd.get());
  for (const auto& [idx, fd] : cfg.idmapped) keep.push_back(fd);
  close_fds_except(first, keep);
  for (int fd = 3; fd < static_cast<int>(first); ++fd) {
    int fl = ::fcntl(fd, F_GETFD);
    if (fl >= 0) ::fcntl(fd, F_SETFD, fl & ~FD_CLOEXEC);
  }

  // The namespaces clone3 left to us (see spawn_init), made while the parent works.
  if (early_unshare && ::unshare(early_unshare) < 0) throw_errno("unshare namespaces");

  SyncMsg go = recv_msg(sync);
  if (go.type != SyncType::Go) throw Error("unexpected sync message from parent");
  if (dumpable_until_go && ::prctl(PR_SET_DUMPABLE, 0) < 0) throw_errno("prctl PR_SET_DUMPABLE");

  for (auto& ns : joined) {
    if (ns.type == oci::NamespaceType::Pid) continue;  // joined by the parent before clone3
    linux_::join_namespace(ns);
  }
  if (userns_new) {
    // Now that the maps are written, become root of the new namespace for setup.
    if (::setresgid(0, 0, 0) < 0) throw_errno("setgid 0 in user namespace");
    if (::setresuid(0, 0, 0) < 0) throw_errno("setuid 0 in user namespace");
    // A credential change clears the parent-death signal: set it again (as runc).
    if (die_with_parent && ::prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) throw_errno("prctl PR_SET_PDEATHSIG");
  }
  bool cgroupns_new = false;
  for (const auto& ns : lx.namespaces) {
    if (!ns.path.empty()) continue;
    // Created here, not by clone3: the cgroup namespace must be rooted at the
    // container's cgroup (see join_cgroup), and time offsets can only be
    // written before any process lives in the namespace; execve enters it.
    if (ns.type == oci::NamespaceType::Cgroup) {
      cgroupns_new = true;
    } else if (ns.type == oci::NamespaceType::Time) {
      if (::unshare(CLONE_NEWTIME) < 0) throw_errno("unshare time namespace");
      linux_::write_time_offsets(lx.timeOffsets);
    }
  }
  // The parent makes the container's cgroup while we set up the rootfs, then
  // passes the v1 `tasks` files we move ourselves with (Manager::join; on a
  // hybrid host we were born in the unified one). We wait for that where
  // membership starts to matter: the cgroup namespace (rooted at the current
  // cgroup) and its mounts, the device nodes, then the hooks and the process.
  bool in_cgroup = false;
  auto join_cgroup = [&] {
    if (in_cgroup) return;
    std::vector<UniqueFd> tasks;
    SyncMsg joined_msg = recv_msg_fds(sync, &tasks);
    if (joined_msg.type != SyncType::CgroupJoined) throw Error("unexpected sync message from parent");
    cgroups::join_self(tasks);  // v1: no global cgroup lock (see Manager::join)
    tasks.clear();
    if (cgroupns_new && ::unshare(CLONE_NEWCGROUP) < 0) throw_errno("unshare cgroup namespace");
    in_cgroup = true;
  };

  if (!spec.hostname.empty() && ::sethostname(spec.hostname.data(), spec.hostname.size()) < 0)
    throw_errno("sethostname " + spec.hostname);
  if (!spec.domainname.empty() && ::setdomainname(spec.domainname.data(), spec.domainname.size()) < 0)
    throw_errno("setdomainname " + spec.domainname);

  linux_::RootfsContext rctx;
  rctx.spec = &spec;
  rctx.rootfs = cfg.rootfs;
  rctx.userns = spec.has_namespace(oci::NamespaceType::User);
  rctx.cgroupns = cgroupns_new;
  rctx.terminal = proc.terminal;
  rctx.cgroup_dirs = cfg.cgroup_dirs;
  rctx.cgroup_v1 = cfg.cgroup_v1;
  rctx.idmapped = &cfg.idmapped;
  rctx.join_cgroup = join_cgroup;
  bool mntns = spec.has_namespace(oci::NamespaceType::Mount);
  if (mntns) linux_::prepare_rootfs(rctx);
  join_cgroup();
  if (linux_::clean_path(proc.cwd) != "/") {
    // The working directory exists even if the image lacks it (runc creates it),
    // made before root.readonly applies.
    UniqueFd root(::open(cfg.rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!root) throw_errno("open rootfs " + cfg.rootfs);
    linux_::mkdir_all_in_root(root.get(), proc.cwd, 0755);
  }

  // prestart + createRuntime run in the parent (runtime namespaces), then
  // createContainer here; the parent's answer is the state the hooks get (also
  // startContainer's, later). No hooks at all: no round trip.
  std::string hook_state;
  const auto& hk = spec.hooks;
  if (!hk.prestart.empty() || !hk.createRuntime.empty() || !hk.createContainer.empty() || !hk.startContainer.empty()) {
    send_msg(sync, {SyncType::RunHooks, 0, 0, {}});
    SyncMsg hooks = recv_msg(sync);
    if (hooks.type != SyncType::HooksDone) throw Error("unexpected sync message from parent");
    hook_state = std::move(hooks.payload);
    run_hooks("createContainer", hk.createContainer, hook_state);
  }

  if (mntns) {
    linux_::enter_rootfs(cfg.rootfs, cfg.no_pivot, linux_::host_mounts_may_be_shared(spec));
    // sysctl before readonlyPaths: /proc/sys is usually one of them.
    linux_::apply_sysctl(lx.sysctl);
    linux_::finalize_rootfs(spec);
  } else if (::chroot(cfg.rootfs.c_str()) < 0 || ::chdir("/") < 0) {
    throw_errno("chroot " + cfg.rootfs);
  } else {
    linux_::apply_sysctl(lx.sysctl);
  }

  // A session of its own; with a terminal, the pty becomes its controlling tty.
  if (::setsid() < 0) throw_errno("setsid");
  if (proc.terminal) {
    linux_::Pty pty = linux_::open_pty(proc.consoleSize);
    if (mntns) linux_::mount_console(pty.slave.get());
    send_fd(cfg.console_socket, pty.master.get(), "/dev/ptmx");
    linux_::attach_terminal(pty.slave.get());
  }

  // A fresh session keyring: the host's keys stay out.
  if (!cfg.no_new_keyring) join_session_keyring(cfg.id);


  ::chdir(proc.cwd.c_str());  // retried after the user switch; permission may differ

  const std::vector<std::string> env = with_home(proc.env, proc.user.uid);
  ExecTarget target = find_executable(proc.args.at(0), env);
  if (!target.error.empty()) {
    send_msg(sync, {SyncType::Error, ENOENT, target.status, target.error});
    ::_exit(target.status);
  }

  // The heavy part of the set-up is over: give back the heap it left, before
  // a filter might forbid madvise or brk.
  linux_::trim_heap();
  // Without no_new_privs, loading seccomp needs CAP_SYS_ADMIN: load it before
  // the capabilities go (runc does the same); otherwise load it last.
  bool seccomp_early = cfg.seccomp && !proc.noNewPrivileges;
  UniqueFd notify;
  if (seccomp_early) notify = cfg.seccomp->load();

  become_process_user(proc);
  if (::chdir(proc.cwd.c_str()) < 0) throw_errno("chdir " + proc.cwd);
  ::umask(proc.user.umask.value_or(022));

  linux_::apply_selinux_label(proc.selinuxLabel);
  linux_::apply_apparmor(proc.apparmorProfile);
  if (proc.noNewPrivileges && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) throw_errno("prctl PR_SET_NO_NEW_PRIVS");
  // Setup is over: the init outlives `berth create` from here on. Cleared
  // before `Ready` (or the parent's exit could race us and kill us) and before
  // the late seccomp filter, which need not allow prctl.
  if (::prctl(PR_SET_PDEATHSIG, 0) < 0) throw_errno("prctl PR_SET_PDEATHSIG");
  if (cfg.seccomp && !seccomp_early) notify = cfg.seccomp->load();
  if (notify) {
    // The parent forwards it to linux.seccomp.listenerPath.
    send_msg_fd(sync, {SyncType::SeccompFd, 0, 0, {}}, notify.get());
    notify.reset();
  }
  // From here on only write, read, close and execve: what any profile allows.
  send_msg(sync, {SyncType::Ready, 0, 0, {}});
  ::close(sync);

  // Held here until `berth start` writes a byte into the exec fifo, maybe for
  // long: first shed the code pages the set-up faulted in.
  if (!cfg.seccomp || cfg.seccomp->may_madvise()) linux_::drop_code_pages();
  char c;
  ssize_t n;
  do n = ::read(cfg.exec_fifo, &c, 1);
  while (n < 0 && errno == EINTR);
  if (n != 1) ::_exit(1);
  ::close(cfg.exec_fifo);

  if (!spec.hooks.startContainer.empty()) {
    try {
      auto state = nlohmann::json::parse(hook_state);
      state["status"] = "created";
      run_hooks("startContainer", spec.hooks.startContainer, state.dump());
    } catch (const Error& e) {
      std::string msg = std::string("berth: ") + e.what() + "\n";
      (void)!::write(2, msg.data(), msg.size());
      ::_exit(1);
    }
  }

  auto argv = cstrings(proc.args);
  auto envp = cstrings(env);
  ::execve(target.path.c_str(), argv.data(), envp.data());
  int err = errno;
  std::string msg = "berth: " + explain_exec_failure(target.path, err) + "\n";
  (void)!::write(2, msg.data(), msg.size());
  ::_exit(err == ENOENT ? 127 : 126);
}

}  // namespace

void throw_child_error(const SyncMsg& m) {
  if (m.status == 126 || m.status == 127) throw ExecError(m.payload, m.status);
  throw Error(m.payload, m.code);
}

void kill_and_reap(int pidfd, pid_t pid) {
  sys::pidfd_send_signal(pidfd, SIGKILL);
  int st;
  while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
}

InitProcess spawn_init(const InitConfig& cfg, cgroups::Manager* cgroup) {
  const oci::Spec& spec = *cfg.spec;
  const oci::Linux empty_linux;
  const oci::Linux& lx = spec.linux ? *spec.linux : empty_linux;

  std::vector<linux_::JoinedNs> joined = linux_::open_joined_namespaces(lx);
  int newflags = linux_::new_namespace_flags(lx);
  bool user_joined = false;
  for (const auto& j : joined) user_joined = user_joined || j.type == oci::NamespaceType::User;
  // A new pid namespace owned by a joined user namespace: only unshare can make
  // it (after setns(user)), and only the children of the unsharer live in it,
  // so the init is a grandchild. berth becomes a subreaper to still reap it.
  bool double_fork = user_joined && (newflags & CLONE_NEWPID);
  if (double_fork && ::prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) throw_errno("prctl PR_SET_CHILD_SUBREAPER");

  // cgroup and time namespaces are unshared by the init itself (see init_main).
  uint64_t cloneflags = static_cast<uint64_t>(newflags & ~(CLONE_NEWCGROUP | CLONE_NEWTIME));
  if (user_joined) {
    // Namespaces must belong to the joined user namespace: the init creates them
    // after setns(user). Only the pid namespace must come from clone3.
    cloneflags = 0;
  }
  bool userns_new = newflags & CLONE_NEWUSER;
  const bool parent_root = ::geteuid() == 0;
  // Only the pid namespace has to come from clone3 (it holds the caller's
  // children). The others the init unshares itself as its first step, so that
  // making them (mostly the network namespace: its sysctl tables and loopback
  // device, ~0.6 ms here) overlaps the parent's cgroup work instead of holding
  // the parent in clone3. With a user namespace (new or joined) they stay where
  // they are: they must belong to it.
  int early_unshare = 0;
  if (!user_joined && !userns_new) {
    early_unshare = static_cast<int>(cloneflags & ~static_cast<uint64_t>(CLONE_NEWPID));
    cloneflags &= CLONE_NEWPID;
  }

  // A pid namespace given by path is entered for our children only
  // (pid_for_children), then restored, so berth itself stays where it is.
  UniqueFd own_pidns;
  for (const auto& j : joined) {
    if (j.type != oci::NamespaceType::Pid) continue;
    own_pidns.reset(::open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC));
    if (!own_pidns) throw_errno("open /proc/self/ns/pid");
    linux_::join_namespace(j);
  }

  SyncPair sp = make_sync_pair();
  int pidfd = -1;
  // On cgroup v2 the init is born in its cgroup (CLONE_INTO_CGROUP, Linux 5.7):
  // one cgroup.procs write less, and no moment in which it runs in berth's cgroup.
  // Kernels or cgroups that refuse it (EINVAL/E2BIG: too old; EBUSY: not a
  // domain cgroup; EOPNOTSUPP) fall back to clone3 + the cgroup.procs write.
  bool born_in_cgroup = false;
  pid_t pid = -1;
  if (UniqueFd cgfd = cgroup ? cgroup->clone_into_fd() : UniqueFd{}) {
    pid = sys::clone3_fork(cloneflags | CLONE_PIDFD | CLONE_INTO_CGROUP, &pidfd, static_cast<uint64_t>(cgfd.get()));
    if (pid >= 0) {
      born_in_cgroup = true;
    } else if (errno != EINVAL && errno != E2BIG && errno != EBUSY && errno != EOPNOTSUPP) {
      int err = errno;
      if (own_pidns) ::setns(own_pidns.get(), CLONE_NEWPID);
      throw_errno("clone3 container init into its cgroup", err);
    } else {
      log::debug(std::string("clone3 CLONE_INTO_CGROUP refused (") + std::strerror(errno) +
                 "): cloning, then writing cgroup.procs");
    }
  }
  if (!born_in_cgroup) pid = sys::clone3_fork(cloneflags | CLONE_PIDFD, &pidfd);
  else if (pid > 0) log::debug("container init " + std::to_string(pid) + " born in its cgroup (clone3 CLONE_INTO_CGROUP)");
  if (pid < 0) {
    int err = errno;
    if (own_pidns) ::setns(own_pidns.get(), CLONE_NEWPID);
    throw_errno("clone3 container init", err);
  }
  if (pid == 0) {
    sp.parent.reset();
    try {
      if (user_joined) {
        for (auto& j : joined)
          if (j.type == oci::NamespaceType::User) linux_::join_namespace(j);
        // Our host ids mean nothing in there: be its root for the setup.
        if (::setresgid(0, 0, 0) < 0) throw_errno("setgid 0 in the joined user namespace");
        if (::setresuid(0, 0, 0) < 0) throw_errno("setuid 0 in the joined user namespace");
        int rest = newflags & ~(CLONE_NEWCGROUP | CLONE_NEWTIME | CLONE_NEWUSER);
        if (rest && ::unshare(rest) < 0) throw_errno("unshare namespaces");
        std::erase_if(joined, [](const linux_::JoinedNs& j) { return j.type == oci::NamespaceType::User; });
      }
      if (double_fork) {
        pid_t g = ::fork();
        if (g < 0) throw_errno("fork container init into its pid namespace");
        if (g > 0) {
          send_msg(sp.child.get(), {SyncType::InitPid, 0, 0, std::to_string(g)});
          ::_exit(0);
        }
      }
      init_main(cfg, sp.child.get(), !double_fork, joined, userns_new, parent_root, early_unshare);
    } catch (const std::exception& e) {
      int code = 0;
      if (auto* be = dynamic_cast<const Error*>(&e)) code = be->code();
      try {
        send_msg(sp.child.get(), {SyncType::Error, code, 1, e.what()});
      } catch (...) {
      }
    }
    ::_exit(1);
  }
  if (own_pidns && ::setns(own_pidns.get(), CLONE_NEWPID) < 0) throw_errno("restore pid namespace");
  sp.child.reset();
  InitProcess init{pid, UniqueFd(pidfd)};
  if (double_fork) {
    // The middle child reports the init's pid and exits; the init is ours by subreaping.
    SyncMsg m;
    try {
      m = recv_msg(sp.parent.get());
    } catch (...) {
      ::waitpid(pid, nullptr, 0);
      throw;
    }
    ::waitpid(pid, nullptr, 0);
    if (m.type == SyncType::Error) throw_child_error(m);
    if (m.type != SyncType::InitPid) throw Error("unexpected sync message from container init");
    pid_t g = static_cast<pid_t>(std::stol(m.payload));
    UniqueFd gfd(sys::pidfd_open(g));
    if (!gfd) throw_errno("pidfd_open container init " + m.payload);
    init = InitProcess{g, std::move(gfd)};
    pid = g;
  }

  try {
    if (cfg.on_init_cloned) cfg.on_init_cloned(pid);
    if (userns_new) linux_::write_userns_maps(pid, lx.uidMappings, lx.gidMappings);
    // Limits from outside, with berth's privileges (a user namespace could not raise them).
    linux_::apply_rlimits(pid, spec.process->rlimits);
    if (spec.process->oomScoreAdj) linux_::write_oom_score_adj(pid, *spec.process->oomScoreAdj);
    // Go first, then the cgroup (made now on v1, see InitConfig::setup_cgroup) and
    // the files the init joins it through: it mounts its rootfs meanwhile (see
    // join_cgroup in init_main).
    send_msg(sp.parent.get(), {SyncType::Go, 0, 0, {}});
    if (cfg.setup_cgroup) cfg.setup_cgroup();
    send_msg_fds(sp.parent.get(), {SyncType::CgroupJoined, 0, 0, {}},
                 cgroup ? cgroup->join(pid, born_in_cgroup) : std::vector<UniqueFd>{});
    if (cfg.while_init_sets_up) cfg.while_init_sets_up(pid);
    for (;;) {
      UniqueFd passed;
      SyncMsg m = recv_msg(sp.parent.get(), &passed);
      if (m.type == SyncType::RunHooks) {
        if (cfg.runtime_hooks) cfg.runtime_hooks(pid);
        send_msg(sp.parent.get(), {SyncType::HooksDone, 0, 0, cfg.state_json ? cfg.state_json(pid) : "{}"});
      } else if (m.type == SyncType::SeccompFd) {
        if (cfg.seccomp_listener && passed) cfg.seccomp_listener(pid, passed.get());
      } else if (m.type == SyncType::Ready) {
        break;
      } else if (m.type == SyncType::Error) {
        throw_child_error(m);
      } else {
        throw Error("unexpected sync message " + std::to_string(static_cast<int>(m.type)) + " from container init");
      }
    }
  } catch (...) {
    // The init may have failed on its own meanwhile (then e.g. its /proc files are no
    // longer ours to open): its own error, if it sent one, names the real cause.
    SyncMsg m;
    pollfd p{sp.parent.get(), POLLIN, 0};
    bool init_failed = false;
    if (::poll(&p, 1, 0) > 0 && (p.revents & POLLIN)) {
      try {
        m = recv_msg(sp.parent.get());
        init_failed = m.type == SyncType::Error;
      } catch (...) {
      }
    }
    // Never leave a half-made init behind.
    kill_and_reap(init.pidfd.get(), pid);
    if (init_failed) throw_child_error(m);
    throw;
  }
  return init;
}

}  // namespace berth::process
