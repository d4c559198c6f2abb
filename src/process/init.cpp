// spawn_init: the parent's side of `create`, as a list of named steps (plan.hpp's
// ParentStep) that mirrors the init's (init_steps.cpp): each exchanges the sync
// messages its counterpart in the init expects. The init is a clone3 child of
// berth, not a re-exec: no second parse of config.json, no second dynamic link.
// Also the helpers init and exec share.
#include "berth/process/init.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <new>

#include "berth/cgroups/manager.hpp"
#include "berth/linux/caps.hpp"
#include "berth/linux/namespaces.hpp"
#include "berth/linux/process_attrs.hpp"
#include "berth/linux/userns_maps.hpp"
#include "berth/linux/syscalls.hpp"
#include "berth/process/init_steps.hpp"
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

void become_process_user(const oci::Process& proc, bool keep_groups) {
  oci::Capabilities caps = proc.capabilities.value_or(oci::Capabilities{});
  linux_::apply_bounding(caps);
  // Keep the permitted set across the uid change; apply_caps then sets all five sets.
  if (::prctl(PR_SET_KEEPCAPS, 1) < 0) throw_errno("prctl PR_SET_KEEPCAPS");
  linux_::apply_user(proc.user, keep_groups);
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

void require_single_threaded(const std::string& what) {
  // Field 20 of /proc/self/stat, after the parenthesised command name.
  char buf[1024];
  UniqueFd fd(::open("/proc/self/stat", O_RDONLY | O_CLOEXEC));
  if (!fd) return;  // no /proc: nothing to check with (berth itself starts no thread)
  ssize_t n = ::read(fd.get(), buf, sizeof buf - 1);
  if (n <= 0) return;
  buf[n] = '\0';
  const char* p = std::strrchr(buf, ')');
  long threads = 1;
  if (p && std::sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %ld", &threads) != 1)
    threads = 1;
  if (threads > 1)
    throw Error(what + ": berth has " + std::to_string(threads) +
                " threads; the cloned child is only safe in a single-threaded process (internal error)");
}

void throw_child_error(const SyncMsg& m) {
  if (m.status == 126 || m.status == 127) throw ExecError(m.payload, m.status);
  throw Error(m.payload, m.code);
}

[[noreturn]] void throw_init_error(const SyncMsg& m) {
  SyncMsg framed = m;
  const bool exec = m.status == 126 || m.status == 127;  // runc frames an execve failure without "init"
  framed.payload = std::string("unable to start container process: ") +
                   (exec ? "" : "error during container init: ") + m.payload;
  throw_child_error(framed);
}

void kill_and_reap(int pidfd, pid_t pid) {
  sys::pidfd_send_signal(pidfd, SIGKILL);
  int st;
  while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
}

namespace {

// The parent's side while it runs its steps (plan.hpp's ParentStep).
struct ParentContext {
  const InitConfig& cfg;
  const InitPlan& plan;
  cgroups::Manager* cgroup;
  std::vector<linux_::JoinedNs> joined;
  UniqueFd own_pidns;      // berth's pid namespace while a joined one is entered for children
  bool in_pidns = false;   // pid_for_children is the joined one
  SyncPair sync;
  pid_t pid = -1;          // the init (after AdoptInit; before it the middle child)
  UniqueFd pidfd;
  bool born_in_cgroup = false;
};

const oci::Linux& linux_of(const ParentContext& ctx) {
  static const oci::Linux empty;
  return ctx.cfg.spec->linux ? *ctx.cfg.spec->linux : empty;
}

// Receives the one message the protocol expects next from the init; its error
// if it sent one instead.
SyncMsg expect(ParentContext& ctx, SyncType type, UniqueFd* fd = nullptr) {
  SyncMsg m = recv_msg(ctx.sync.parent.get(), fd);
  if (m.type == SyncType::Error) throw_init_error(m);
  if (m.type != type)
    throw Error(std::string("unexpected sync message ") + sync_name(m.type) + " (" +
                std::to_string(static_cast<int>(m.type)) + ") from container init, expected " + sync_name(type));
  return m;
}

// The child's side: the init's steps, any failure sent to the parent (while
// the sync socket is open: after Ready the steps exit on their own).
[[noreturn]] void run_init(const InitConfig& cfg, const InitPlan& plan, int sync,
                           std::vector<linux_::JoinedNs>& joined) {
  InitContext ctx(cfg, plan, linux_syscalls(), sync, joined);
  SyncMsg failure{SyncType::Error, 0, 1, "container init: unknown exception"};
  try {
    run_init_steps(ctx);
  } catch (const ExecError& e) {
    failure = error_msg(ENOENT, e.status(), e.what());
  } catch (const Error& e) {
    failure = error_msg(e.code(), 1, e.what());
  } catch (const std::bad_alloc&) {
    failure.payload = "container init: out of memory";
  } catch (const std::exception& e) {
    failure = error_msg(0, 1, std::string("container init: ") + e.what());
  } catch (...) {
  }
  if (ctx.sync >= 0) {
    try {
      send_msg(ctx.sync, failure);
    } catch (...) {
      // The parent is gone or the socket broken: say it where a human may see it.
      const char msg[] = "berth: container init: could not report its error to berth\n";
      (void)!::write(2, msg, sizeof msg - 1);
    }
  } else {
    // After Ready the sync socket is closed (the late steps exit on their own,
    // this is for what they did not foresee): the container's stderr.
    std::string msg = "berth: " + failure.payload + "\n";
    (void)!::write(2, msg.data(), msg.size());
  }
  ::_exit(1);
}

void open_namespaces(ParentContext& ctx) { ctx.joined = linux_::open_joined_namespaces(linux_of(ctx)); }

void become_subreaper(ParentContext&) {
  if (::prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) throw_errno("prctl PR_SET_CHILD_SUBREAPER");
}

// A pid namespace given by path is entered for our children only
// (pid_for_children), then restored, so berth itself stays where it is.
void enter_pid_namespace(ParentContext& ctx) {
  for (const auto& j : ctx.joined) {
    if (j.type != oci::NamespaceType::Pid) continue;
    ctx.own_pidns.reset(::open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC));
    if (!ctx.own_pidns) throw_errno("open /proc/self/ns/pid");
    linux_::join_namespace(j);
    ctx.in_pidns = true;
  }
}

// On cgroup v2 (or a hybrid host's unified hierarchy) the init is born in its
// cgroup (CLONE_INTO_CGROUP, Linux 5.7): one cgroup.procs write less, and no
// moment in which it runs in berth's cgroup. Kernels or cgroups that refuse it
// (EINVAL/E2BIG: too old; EBUSY: not a domain cgroup; EOPNOTSUPP) fall back to
// clone3 + the cgroup.procs write.
void clone_init(ParentContext& ctx) {
  require_single_threaded("clone3 container init");
  // --debug: the phase names runc logs ("nsexec started", "child process in
  // init()"), which runc's tests and log readers look for.
  log::debug("nsexec started: nsexec container setup: cloning the container init (clone3)");
  ctx.sync = make_sync_pair();
  int pidfd = -1;
  pid_t pid = -1;
  UniqueFd cgfd = ctx.plan.cgroup_clone_into && ctx.cgroup ? ctx.cgroup->clone_into_fd() : UniqueFd{};
  if (cgfd) {
    pid = sys::clone3_fork(ctx.plan.clone_flags | CLONE_PIDFD | CLONE_INTO_CGROUP, &pidfd,
                           static_cast<uint64_t>(cgfd.get()));
    if (pid >= 0) {
      ctx.born_in_cgroup = true;
    } else if (errno != EINVAL && errno != E2BIG && errno != EBUSY && errno != EOPNOTSUPP) {
      throw_errno("clone3 container init into its cgroup");
    } else {
      log::debug(std::string("clone3 CLONE_INTO_CGROUP refused (") + std::strerror(errno) +
                 "): cloning, then writing cgroup.procs");
    }
  }
  if (!ctx.born_in_cgroup) pid = sys::clone3_fork(ctx.plan.clone_flags | CLONE_PIDFD, &pidfd);
  else if (pid > 0) log::debug("container init " + std::to_string(pid) + " born in its cgroup (clone3 CLONE_INTO_CGROUP)");
  if (pid < 0) throw_errno("clone3 container init");
  if (pid == 0) {
    ctx.sync.parent.reset();
    log::debug("child process in init(): setting up the container");  // before the log fd is closed
    run_init(ctx.cfg, ctx.plan, ctx.sync.child.get(), ctx.joined);
  }
  ctx.pid = pid;
  ctx.pidfd.reset(pidfd);
  ctx.sync.child.reset();
}

void restore_pid_namespace(ParentContext& ctx) {
  if (::setns(ctx.own_pidns.get(), CLONE_NEWPID) < 0) throw_errno("restore pid namespace");
  ctx.in_pidns = false;
}

// The middle child reports the init's pid and exits; the init is ours by subreaping.
void adopt_init(ParentContext& ctx) {
  SyncMsg m;
  try {
    m = expect(ctx, SyncType::InitPid);
  } catch (...) {
    ::waitpid(ctx.pid, nullptr, 0);
    ctx.pidfd.reset();
    throw;
  }
  ::waitpid(ctx.pid, nullptr, 0);
  ctx.pidfd.reset();
  pid_t g = static_cast<pid_t>(std::stol(m.payload));
  UniqueFd gfd(sys::pidfd_open(g));
  if (!gfd) throw_errno("pidfd_open container init " + m.payload);
  ctx.pid = g;
  ctx.pidfd = std::move(gfd);
}

void record_init(ParentContext& ctx) {
  if (ctx.cfg.parent) ctx.cfg.parent->record_init(ctx.pid);
}

void write_id_maps(ParentContext& ctx) {
  linux_::write_userns_maps(ctx.pid, linux_of(ctx).uidMappings, linux_of(ctx).gidMappings);
}

// Limits from outside, with berth's privileges (a user namespace could not raise them).
void set_limits(ParentContext& ctx) {
  const oci::Process& proc = *ctx.cfg.spec->process;
  linux_::apply_rlimits(ctx.pid, proc.rlimits);
  if (proc.oomScoreAdj) linux_::write_oom_score_adj(ctx.pid, *proc.oomScoreAdj);
}

void send_go(ParentContext& ctx) { send_msg(ctx.sync.parent.get(), {SyncType::Go, 0, 0, {}}); }

// Made now (v1 as root), while the init mounts its rootfs.
void make_cgroup(ParentContext& ctx) {
  if (ctx.cfg.parent) ctx.cfg.parent->make_cgroup();
}

// The files the init joins its cgroup through (Manager::join; see join_cgroup in init_steps.cpp).
void send_cgroup_joined(ParentContext& ctx) {
  send_msg_fds(ctx.sync.parent.get(), {SyncType::CgroupJoined, 0, 0, {}},
               ctx.cgroup ? ctx.cgroup->join(ctx.pid, ctx.born_in_cgroup) : std::vector<UniqueFd>{});
}

void record_state(ParentContext& ctx) {
  if (ctx.cfg.parent) ctx.cfg.parent->record_state(ctx.pid);
}

void serve_hooks(ParentContext& ctx) {
  expect(ctx, SyncType::RunHooks);
  std::string state = ctx.cfg.parent ? ctx.cfg.parent->runtime_hooks(ctx.pid) : "{}";
  send_msg(ctx.sync.parent.get(), {SyncType::HooksDone, 0, 0, state});
}

void forward_seccomp_fd(ParentContext& ctx) {
  UniqueFd fd;
  expect(ctx, SyncType::SeccompFd, &fd);
  if (ctx.cfg.parent && fd) ctx.cfg.parent->seccomp_listener(ctx.pid, fd.get());
}

void await_ready(ParentContext& ctx) { expect(ctx, SyncType::Ready); }

void run_parent_step(ParentStep step, ParentContext& ctx) {
  switch (step) {
    case ParentStep::OpenNamespaces: return open_namespaces(ctx);
    case ParentStep::BecomeSubreaper: return become_subreaper(ctx);
    case ParentStep::EnterPidNamespace: return enter_pid_namespace(ctx);
    case ParentStep::Clone: return clone_init(ctx);
    case ParentStep::RestorePidNamespace: return restore_pid_namespace(ctx);
    case ParentStep::AdoptInit: return adopt_init(ctx);
    case ParentStep::RecordInit: return record_init(ctx);
    case ParentStep::WriteIdMaps: return write_id_maps(ctx);
    case ParentStep::SetLimits: return set_limits(ctx);
    case ParentStep::SendGo: return send_go(ctx);
    case ParentStep::MakeCgroup: return make_cgroup(ctx);
    case ParentStep::SendCgroupJoined: return send_cgroup_joined(ctx);
    case ParentStep::RecordState: return record_state(ctx);
    case ParentStep::ServeHooks: return serve_hooks(ctx);
    case ParentStep::ForwardSeccompFd: return forward_seccomp_fd(ctx);
    case ParentStep::AwaitReady: return await_ready(ctx);
  }
}

}  // namespace

InitProcess spawn_init(const InitConfig& cfg, const InitPlan& plan, cgroups::Manager* cgroup) {
  ParentContext ctx{cfg, plan, cgroup};
  try {
    for (ParentStep s : plan.parent) run_parent_step(s, ctx);
  } catch (...) {
    if (ctx.in_pidns) ::setns(ctx.own_pidns.get(), CLONE_NEWPID);
    if (ctx.pidfd) {
      // The init may have failed on its own meanwhile (then e.g. its /proc files
      // are no longer ours to open): its own error, if it sent one, names the real cause.
      SyncMsg m;
      pollfd p{ctx.sync.parent.get(), POLLIN, 0};
      bool init_failed = false;
      if (::poll(&p, 1, 0) > 0 && (p.revents & POLLIN)) {
        try {
          m = recv_msg(ctx.sync.parent.get());
          init_failed = m.type == SyncType::Error;
        } catch (...) {
        }
      }
      // Never leave a half-made init behind.
      kill_and_reap(ctx.pidfd.get(), ctx.pid);
      if (init_failed) throw_init_error(m);
    }
    throw;
  }
  return InitProcess{ctx.pid, std::move(ctx.pidfd)};
}

}  // namespace berth::process
