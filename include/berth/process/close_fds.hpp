// Closing every fd berth holds but a few, before the container's process runs
// (CVE-2024-21626: no host fd may reach it). close_range(2) needs Linux 5.9;
// where it is missing (ENOSYS) the open fds are read from /proc/self/fd, and
// where /proc is not there either every fd below the fd limit is closed one by
// one. Any other failure is an error: a host fd must never stay open silently.
#pragma once
#include <vector>

namespace berth::process {

class SyscallSeam;

// Closes every fd >= first that is not in `keep`; those in `keep` become
// close-on-exec; the preserved fds 3 .. first-1 lose close-on-exec (they pass
// to the process). Throws berth::Error when close_range fails otherwise than
// with ENOSYS.
void close_fds_except(SyscallSeam& sys, unsigned first, std::vector<int> keep);

}  // namespace berth::process
