// `exec`: a new process in a running (or created) container, built like
// runc's: from the container's config.json process, or from a process.json,
// then overridden by the command line's flags.
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "berth/oci/spec.hpp"
#include "berth/util/fd.hpp"

namespace berth::container {

struct ExecOptions {
  std::string root;
  std::string id;
  std::string process_path;       // --process: a process.json; else the container's process + args
  std::vector<std::string> args;  // the command (required without --process)

  // Overrides; unset ones keep the process's value.
  std::optional<bool> tty;
  std::optional<std::string> cwd;
  std::vector<std::string> env;   // appended; a later NAME= replaces an earlier one
  std::optional<uint32_t> uid, gid;
  std::vector<uint32_t> additional_gids;  // appended
  std::vector<std::string> caps;  // added to bounding, effective, permitted (+ambient if inheritable)
  bool no_new_privs = false;      // true: set; false: keep the process's value
  std::string apparmor;
  std::string process_label;

  std::string console_socket;  // --console-socket path
  // For foreground exec with a terminal and no console socket: the caller's
  // socket that receives the pty master. -1 otherwise.
  int console_fd = -1;
  bool detach = false;
  std::string pid_file;
  std::string pidfd_socket;  // --pidfd-socket: receives a pidfd of the exec'd process
  int preserve_fds = 0;
  bool ignore_paused = false;
  std::vector<std::string> cgroups;  // --cgroup [controllers:]path: a sub-cgroup (exec_cgroup.hpp)
};

struct Executed {
  pid_t pid = 0;   // host pid of the new process
  UniqueFd pidfd;  // it is our child: wait on it (foreground exec)
  bool terminal = false;
};

// The process `exec` would run: the container's process (config.json as saved
// at create) or the process.json, with the overrides of `o` applied, validated.
// Fields a process.json leaves empty (capabilities, rlimits, AppArmor profile,
// SELinux label, oomScoreAdj) come from the container's process, as in runc.
oci::Process exec_process(const oci::Spec& container_spec, const ExecOptions& o);

// Refuses a stopped container ("cannot exec in a stopped container") and a
// paused one unless ignore_paused; returns once the process has exec'ed.
Executed exec(const ExecOptions& o);

}  // namespace berth::container
