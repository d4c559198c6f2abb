// `berth exec`: a new process inside a running container. A clone3 child of
// berth that joins every namespace of the container's init (pid namespace via
// pid_for_children of the parent, so the child is born inside it), is put into
// the init's cgroup by the parent, applies the process's own terminal, user,
// capabilities, no_new_privs, LSM labels and seccomp, and execve()s. The parent
// returns only once execve has succeeded (the close-on-exec sync socket reads
// EOF); any failure before that comes back over the sync socket as a message.
#pragma once
#include <sys/types.h>

#include <functional>
#include <string>

#include "berth/oci/spec.hpp"
#include "berth/util/fd.hpp"

namespace berth::linux_ {
class SeccompFilter;
}
namespace berth::cgroups {
class Manager;
}

namespace berth::process {

struct ExecConfig {
  const oci::Process* process = nullptr;  // complete: args, env, cwd, user, caps, rlimits, terminal...
  const oci::Linux* linux = nullptr;      // the container's: which namespace types to join (may be null)
  std::string id;                         // container id (session keyring "_ses.<id>")
  std::string rootfs;                     // chroot target when the container has no mount namespace
  pid_t init_pid = 0;                     // the container's init, whose namespaces are joined
  int init_pidfd = -1;                    // its pidfd: proves the namespaces opened are still the init's
  bool no_new_keyring = false;
  bool keep_original_groups = false;      // the container's run.oci.keep_original_groups: no setgroups
  int preserve_fds = 0;                   // fds 3 .. 3+n-1 pass to the process
  int console_socket = -1;                // receives the pty master when process->terminal
  const linux_::SeccompFilter* seccomp = nullptr;  // the container's filter, loaded last
  // Parent side: receives the seccomp notify fd (linux.seccomp.listenerPath).
  std::function<void(pid_t pid, int fd)> seccomp_listener;
  // Parent side, with the cgroup join, before the process goes on: other groups of the
  // container's (its linux.intelRdt resctrl group).
  std::function<void(pid_t pid)> join_host_groups;
};

struct ExecProcess {
  pid_t pid = 0;  // host pid
  UniqueFd pidfd;
};

// Spawns the process and returns once it has exec'ed. The parent puts it in
// `cgroup` (if any) and sets its rlimits and oom_score_adj before the child
// joins the namespaces. On failure the child is killed and reaped; berth::Error
// carries the child's message, ExecError 126/127 when the program cannot run.
ExecProcess spawn_exec(const ExecConfig& cfg, cgroups::Manager* cgroup);

}  // namespace berth::process
