// Mounts made from fd to fd with the new mount API (open_tree, fsopen/fsmount,
// move_mount, mount_setattr): no path is looked up when the mount is made, so
// neither a symlink in the container nor the container's own /proc (after
// pivot_root, /proc/self/fd/N is whatever the container mounted at /proc) can
// redirect it (CVE-2025-52565, CVE-2025-31133 class).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

#include "berth/util/fd.hpp"

namespace berth::linux_ {

// Opens `path` inside root (RESOLVE_IN_ROOT) refusing any symlink on the way
// (RESOLVE_NO_SYMLINKS): a mount target must be the very file the path names.
// Returns an empty fd with errno set (ELOOP: a symlink) instead of throwing.
UniqueFd try_open_no_symlinks(int rootfd, const std::string& path, int flags);

// Bind-mounts what `src` refers to onto what `target` refers to; `attrs`
// (MOUNT_ATTR_*) are set on the new mount before it is attached.
void bind_fd(int src, int target, const std::string& desc, bool recursive, uint64_t attrs);

// A new tmpfs (with `attrs`) attached on `target`.
void tmpfs_on_fd(int target, const std::string& desc, uint64_t attrs);

// The host's null device (verified: a character device 1:3), as `n` detached
// bind mounts made before pivot_root (the host's /dev is out of reach after
// it): the source of masked files, never a path of the container.
void open_host_nulls(size_t n);
// Attaches one of them on `target` (throws when none is left).
void mask_with_null(int target, const std::string& desc);
// Closes the clones no masked path used (paths the rootfs lacks, directories
// masked with a tmpfs): the created init holds no fd it does not need.
void close_host_nulls();

}  // namespace berth::linux_
