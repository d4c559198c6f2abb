// Writes the runtime makes to the container's procfs (sysctl under /proc/sys,
// LSM labels under /proc/<tid>/attr) reach procfs's own file or fail
// (CVE-2025-52881): a config mount over a file or directory there (a bind
// mount whose target the image made a symlink into /proc, say) would otherwise
// receive them. /proc must be the root of a procfs; the path is resolved
// beneath it with openat2 RESOLVE_NO_XDEV (no mount crossed), no symlink
// followed; "self" and "thread-self" are read from that procfs and checked.
#pragma once
#include <string>

#include "berth/util/fd.hpp"

namespace berth::linux_ {

// `/proc` opened O_PATH, checked to be the root directory of a procfs.
// Throws berth::Error saying what it is instead.
UniqueFd open_procfs_root(const std::string& where = "/proc");

// Opens `rel` (e.g. "sys/net/ipv4/ip_forward", "thread-self/attr/exec") under
// the procfs root `proc` with `flags`: a path that crosses a mount or a symlink
// (other than a leading self / thread-self) is refused with an error naming it.
UniqueFd open_in_procfs(int proc, const std::string& rel, int flags);

// open_procfs_root + open_in_procfs("...", O_WRONLY) + one write of `data`.
void write_procfs(const std::string& rel, const std::string& data);

// Whether `rel` exists under /proc, resolved as open_in_procfs does.
bool procfs_exists(const std::string& rel);

}  // namespace berth::linux_
