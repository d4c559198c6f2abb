// Bringing the container's init to life without re-executing berth: the
// parent's steps (clone3 with the plan's namespace flags and a pidfd, the
// parent's half of the handshake); the init's steps are in init_steps.hpp.
#pragma once
#include <sys/types.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "berth/oci/spec.hpp"
#include "berth/process/hooks.hpp"
#include "berth/process/listen_fds.hpp"
#include "berth/process/plan.hpp"
#include "berth/process/sync.hpp"
#include "berth/util/fd.hpp"

namespace berth::linux_ {
class SeccompFilter;
}
namespace berth::cgroups {
class Manager;
}

namespace berth::process {

class InitParent;

struct InitConfig {
  const oci::Spec* spec = nullptr;
  std::string id;
  std::string bundle;
  std::string rootfs;          // absolute
  bool no_pivot = false;
  bool no_new_keyring = false;
  int preserve_fds = 0;        // fds 3 .. 3+n-1 pass to the process (listen fds included)
  ListenFds listen;            // the first listen.count of them: LISTEN_* set for the process
  int console_socket = -1;     // connected --console-socket, or -1
  int exec_fifo = -1;          // the exec fifo, opened O_RDWR: the init blocks reading it
  HookOutput hook_io;          // createContainer/startContainer hooks' output files (hooks.hpp)
  const linux_::SeccompFilter* seccomp = nullptr;  // compiled by the parent; loaded by the init last
                                                   // (before the user switch without no_new_privs)
  // Hierarchy mount point -> container cgroup dir, for cgroup mounts without a cgroupns.
  std::map<std::string, std::string> cgroup_dirs;
  // Host cgroup v1 hierarchy mount point -> its super options (linux/rootfs.hpp).
  std::vector<std::pair<std::string, std::string>> cgroup_v1;
  // Index into spec.mounts -> detached idmapped tree fd, made by the parent.
  std::map<size_t, int> idmapped;
  // The caller's part of the parent's steps (below); null: none.
  InitParent* parent = nullptr;
};

// What the caller of spawn_init (container::create) does in the parent's steps
// that are not about the init itself (plan.hpp's ParentStep).
class InitParent {
 public:
  virtual ~InitParent() = default;
  // RecordInit: the init's pid is known, before it is told to go on: recorded
  // now, nothing of the container may outlive a killed parent unrecorded
  // (until Go the init dies with the parent).
  virtual void record_init(pid_t /*pid*/) {}
  // MakeCgroup: makes the cgroup and applies its limits, after Go and before the
  // init is added (overlaps the init's mounts; v1 as root).
  virtual void make_cgroup() {}
  // RecordState: the init is in its cgroup and goes on with its set-up (the
  // state file is written now, not after it is ready).
  virtual void record_state(pid_t /*pid*/) {}
  // ServeHooks: prestart + createRuntime, in the runtime's namespaces; returns
  // the state JSON for the init's createContainer and startContainer hooks.
  virtual std::string runtime_hooks(pid_t /*pid*/) { return "{}"; }
  // ForwardSeccompFd: the seccomp notify fd, for linux.seccomp.listenerPath.
  virtual void seccomp_listener(pid_t /*pid*/, int /*fd*/) {}
};

struct InitProcess {
  pid_t pid = 0;
  UniqueFd pidfd;
};

// Parent side of `create`: clones the init, writes id maps, joins the cgroup,
// runs the runtime-namespace hooks when the init asks, and returns once the
// init waits on the exec fifo. On failure the init is killed and reaped and
// berth::Error carries the init's message; ExecError carries 126/127.
// The parent's steps and the init's are the plan's (plan.hpp).
InitProcess spawn_init(const InitConfig& cfg, const InitPlan& plan, cgroups::Manager* cgroup);

// argv/envp for execve: pointers into `v`, null-terminated (v must outlive them).
std::vector<char*> cstrings(const std::vector<std::string>& v);

// process.capabilities' bounding set, then process.user (uid, gids, groups),
// then the other capability sets: the order runc uses, shared by init and exec.
// keep_groups: run.oci.keep_original_groups (no setgroups).
void become_process_user(const oci::Process& proc, bool keep_groups = false);

// Joins a new session keyring "_ses.<id>": the caller's keys stay out of the
// container. Kernels or user namespaces without keyring support are fine (as runc).
void join_session_keyring(const std::string& id);

// Thrown when the process cannot be executed; status is 126 or 127.
class ExecError : public std::runtime_error {
 public:
  ExecError(const std::string& m, int status) : std::runtime_error(m), status_(status) {}
  int status() const { return status_; }

 private:
  int status_;
};

// Shared by spawn_init and spawn_exec (parent side of the handshake):
// turns a SyncType::Error message into ExecError (126/127) or berth::Error.
[[noreturn]] void throw_child_error(const SyncMsg& m);
// The same for the container's init, in runc's frame ("unable to start container process:
// error during container init: ..."), which engines show and runc's tests match.
[[noreturn]] void throw_init_error(const SyncMsg& m);
// The init and the exec child are clone3 copies of berth that allocate and
// throw before they execve: safe only when no other thread of berth held a
// lock (malloc's, the unwinder's) at the moment of the copy. Throws
// berth::Error if this process has more than one thread (/proc/self/stat).
void require_single_threaded(const std::string& what);

// SIGKILLs a half-made child through its pidfd and reaps it.
void kill_and_reap(int pidfd, pid_t pid);

}  // namespace berth::process
