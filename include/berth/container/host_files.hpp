// Host-side files a create or exec hands to its caller: the console socket it
// connects to and the pid file it writes.
#pragma once
#include <sys/types.h>

#include <string>

#include "berth/util/fd.hpp"

namespace berth::container {

// Connects to the --console-socket (a listening unix stream socket).
UniqueFd connect_console_socket(const std::string& path);
// Writes the pid atomically (temp file + rename), no trailing newline, as runc.
void write_pid_file(const std::string& path, pid_t pid);

}  // namespace berth::container
