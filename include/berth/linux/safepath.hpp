// Path resolution scoped to a root directory: a symlink inside the container's
// rootfs can never lead a mount, mknod or mkdir to the host (CVE-2021-30465).
// Everything goes through openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS).
#pragma once
#include <sys/types.h>

#include <string>

#include "berth/util/fd.hpp"

namespace berth::linux_ {

// Opens `path` (absolute or relative; always taken relative to root) inside root.
// Throws berth::Error naming the path on failure.
UniqueFd open_in_root(int rootfd, const std::string& path, int flags, mode_t mode = 0);
// Like open_in_root but returns an empty fd with errno set instead of throwing.
UniqueFd try_open_in_root(int rootfd, const std::string& path, int flags, mode_t mode = 0);

// mkdir -p inside root; returns an O_PATH fd of the final directory. A dangling symlink on
// the way is an error, unless `follow_dangling`: then the directories are made where it
// points, resolved inside the root (mount destinations, as runc's SecureJoin + MkdirAll and
// crun make them; image layers and berth-build keep the error).
UniqueFd mkdir_all_in_root(int rootfd, const std::string& path, mode_t mode = 0755, bool follow_dangling = false);

// Makes sure `path` exists inside root as a regular file (creating parents)
// unless it already exists as something else; returns an O_PATH fd to it.
// A mount destination: dangling symlinks (the last component too) are followed inside the
// root and the file is made where they point.
UniqueFd ensure_file_in_root(int rootfd, const std::string& path, mode_t mode = 0644);

// "/proc/self/fd/N": the way to hand a verified fd to mount(2) as a path.
std::string fd_path(int fd);

// Splits "/a/b/c" into parent "/a/b" and base "c" ("/" -> "/", "").
std::pair<std::string, std::string> split_parent(const std::string& path);

// Lexically cleans a path: removes "//", "." and resolves ".." without
// touching the file system (and never above "/").
std::string clean_path(const std::string& path);

}  // namespace berth::linux_
