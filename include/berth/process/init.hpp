// Bringing the container's init to life without re-executing berth: clone3
// with the namespace flags (and a pidfd), the parent <-> init handshake, and
// the init's ordered setup steps, ending blocked on the exec fifo.
#pragma once
#include <sys/types.h>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "berth/oci/spec.hpp"
#include "berth/process/sync.hpp"
#include "berth/util/fd.hpp"

namespace berth::linux_ {
class SeccompFilter;
}
namespace berth::cgroups {
class Manager;
}

namespace berth::process {

struct InitConfig {
  const oci::Spec* spec = nullptr;
  std::string id;
  std::string bundle;
  std::string rootfs;          // absolute
  bool no_pivot = false;
  bool no_new_keyring = false;
  int preserve_fds = 0;        // fds 3 .. 3+n-1 pass to the process
  int console_socket = -1;     // connected --console-socket, or -1
  int exec_fifo = -1;          // the exec fifo, opened O_RDWR: the init blocks reading it
  const linux_::SeccompFilter* seccomp = nullptr;  // compiled by the parent; loaded last by the init
  // Hierarchy mount point -> container cgroup dir, for cgroup mounts without a cgroupns.
  std::map<std::string, std::string> cgroup_dirs;
  // Host cgroup v1 hierarchy mount point -> its super options (linux/rootfs.hpp).
  std::vector<std::pair<std::string, std::string>> cgroup_v1;
  // Index into spec.mounts -> detached idmapped tree fd, made by the parent.
  std::map<size_t, int> idmapped;
  // Parent side, optional: makes the cgroup and applies its limits, run after the
  // init was told to go on and before it is added (overlaps the init's mounts).
  std::function<void()> setup_cgroup;
  // Parent side, optional: run as soon as the init's pid is known, before it is
  // told to go on (records it: nothing of the container may outlive a killed
  // parent unrecorded; until `Go` the init dies with the parent, see init_main).
  std::function<void(pid_t pid)> on_init_cloned;
  // Parent side, optional: run once the init is in its cgroup, while it goes on
  // with its set-up (the state file is written then, not after it is ready).
  std::function<void(pid_t pid)> while_init_sets_up;
  // Parent side: the state JSON for hooks ("creating", host pid of the init).
  std::function<std::string(pid_t pid)> state_json;
  // Parent side: prestart + createRuntime hooks, in the runtime's namespaces.
  std::function<void(pid_t pid)> runtime_hooks;
  // Parent side: receives the seccomp notify fd (linux.seccomp.listenerPath).
  std::function<void(pid_t pid, int fd)> seccomp_listener;
};

struct InitProcess {
  pid_t pid = 0;
  UniqueFd pidfd;
};

// Parent side of `create`: clones the init, writes id maps, joins the cgroup,
// runs the runtime-namespace hooks when the init asks, and returns once the
// init waits on the exec fifo. On failure the init is killed and reaped and
// berth::Error carries the init's message; ExecError carries 126/127.
InitProcess spawn_init(const InitConfig& cfg, cgroups::Manager* cgroup);

// Closes every fd >= first except those in `keep`, which are marked close-on-exec
// (shared by the init and `exec`: nothing of berth leaks into the container).
void close_fds_except(unsigned first, std::vector<int> keep);

// argv/envp for execve: pointers into `v`, null-terminated (v must outlive them).
std::vector<char*> cstrings(const std::vector<std::string>& v);

// process.capabilities' bounding set, then process.user (uid, gids, groups),
// then the other capability sets: the order runc uses, shared by init and exec.
void become_process_user(const oci::Process& proc);

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
// SIGKILLs a half-made child through its pidfd and reaps it.
void kill_and_reap(int pidfd, pid_t pid);

}  // namespace berth::process
