// Read-only overlayfs views of the berth binary's directory, the cheap half of the
// CVE-2019-5736 protection (linux/exe_seal.hpp).
//
// Making a detached overlay costs little; dissolving it again does not: the close of
// a detached mount's last fd waits for an RCU grace period (~1 ms for the empty tmpfs,
// ~3 ms for the overlay, measured), on every create/run/exec. So root keeps ONE view
// per binary, mounted once in the host's mount namespace at
//   /run/berth/.exe/<dev>-<ino>-<size>-<mtime sec>.<nsec>-<basename>
// (independent of --root), made by the first invocation under a flock of
// /run/berth/.exe/.lock, and only opened and verified by every later one:
//   - /, /run, /run/berth, /run/berth/.exe are directories owned by root and not
//     group- or world-writable (.exe: 0700), walked without following symlinks;
//   - the file in the view is on a read-only overlayfs and has the running binary's
//     inode number, size, mode and mtime (fstat of /proc/self/exe).
// Anything else (a non-root caller, a tmpfs or a writable file in its place, ...) and
// the caller falls back to a per-invocation detached overlay. An upgraded binary has
// another identity, so it gets a view of its own; creating one unmounts the views
// whose binary is gone or changed (link count 0, or identity no longer its name).
// A view is read-only at the superblock (no upper layer), exactly like the
// per-invocation one; a container never has it in its mount namespace.
#pragma once
#include <sys/stat.h>

#include <string>

#include "berth/util/fd.hpp"

namespace berth::linux_ {

// Where the persistent views live.
inline constexpr const char* kExeViewDir = "/run/berth/.exe";

// A detached read-only overlayfs of the directory `dirfd` (its second, empty lower
// layer a detached tmpfs); empty (errno set) where overlayfs cannot be mounted.
UniqueFd detached_readonly_overlay(int dirfd);

// Does the O_PATH fd `file` name a regular file on a read-only overlayfs that is the
// binary `exe` (inode number, size, mode, mtime)?
bool is_readonly_view_of(int file, const struct stat& exe);

// The name of the persistent view of the binary `exe` called `base`.
std::string exe_view_name(const struct stat& exe, const std::string& base);

// An O_PATH fd of the binary in its persistent view (made if missing), verified as
// above; empty when there is none that can be trusted or made. `dirfd` is the
// binary's directory, `base` its file name. Never throws.
UniqueFd persistent_exe_view(const struct stat& exe, int dirfd, const std::string& base);

}  // namespace berth::linux_
