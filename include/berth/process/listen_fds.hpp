// systemd socket activation through berth (sd_listen_fds(3)): the sockets a
// service manager hands to berth as fds 3..3+LISTEN_FDS-1 are passed on to the
// container's process, ahead of the --preserve-fds ones (runc's and crun's
// order), and the process is told about them in its own terms: LISTEN_PID is
// its pid as it sees it, or sd_listen_fds() in the container ignores the fds.
#pragma once
#include <sys/types.h>

#include <string>
#include <vector>

namespace berth::process {

struct ListenFds {
  int count = 0;      // LISTEN_FDS: fds 3 .. 3+count-1
  std::string names;  // LISTEN_FDNAMES, passed on as is ("" = not set)
};

// What berth's own environment hands over. The fds are ours when LISTEN_PID is
// unset or names `self` (a LISTEN_PID of another process means the variables
// were inherited by accident: sd_listen_fds() would ignore them too); a
// LISTEN_FDS that is not a positive number is ignored, as sd_listen_fds() does.
ListenFds listen_fds_from(const char* listen_fds, const char* listen_pid, const char* listen_fdnames, pid_t self);

// The process's environment with the activation variables: LISTEN_FDS and
// LISTEN_FDNAMES unless the config sets them, LISTEN_PID always `pid_inside`
// (the container process's pid in its own pid namespace; any other value makes
// sd_listen_fds() ignore the fds). `env` unchanged when count is 0.
std::vector<std::string> with_listen_env(std::vector<std::string> env, const ListenFds& l, pid_t pid_inside);

}  // namespace berth::process
