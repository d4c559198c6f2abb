// Host-side files a create or exec hands to its caller: the console and pidfd sockets it
// connects to and the pid file it writes.
#pragma once
#include <sys/types.h>

#include <string>

#include "berth/util/fd.hpp"

namespace berth::container {

// Connects to the --console-socket (a listening unix stream socket).
UniqueFd connect_console_socket(const std::string& path);
// Connects to the --pidfd-socket (runc 1.2's): connected before anything is spawned, so a bad
// path fails the command early.
UniqueFd connect_pidfd_socket(const std::string& path);
// Sends a pidfd of the container's process (the init or the exec'd one) over that socket, one
// SCM_RIGHTS message named "pidfd", as runc does.
void send_pidfd(int sock, int pidfd, const std::string& path);
// Writes the pid atomically (temp file + rename), no trailing newline, as runc.
void write_pid_file(const std::string& path, pid_t pid);

}  // namespace berth::container
