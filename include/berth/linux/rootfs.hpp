// The container's file system view: mounts from config.json, /dev, pivot_root,
// masked and read-only paths. Runs in the init, inside its new mount namespace.
#pragma once
#include <map>
#include <string>

#include "berth/oci/spec.hpp"
#include "berth/util/fd.hpp"

namespace berth::linux_ {

// Checked by create before anything is made: `rootfs` (absolute) must be a
// directory and not the host's root directory (itself, or reached through a
// symlink: the container would then be set up on the host's /).
// Throws berth::Error naming the path and the reason.
void check_rootfs(const std::string& rootfs);

struct RootfsContext {
  const oci::Spec* spec = nullptr;
  std::string rootfs;        // absolute host path of the rootfs
  bool userns = false;       // in a new user namespace: devices are bind-mounted, not mknod'ed
  bool cgroupns = false;     // in a new cgroup namespace: cgroup mounts are real cgroup mounts
  // Host cgroup hierarchy mount point -> the container's cgroup directory in it,
  // for cgroup mounts without a cgroup namespace.
  std::map<std::string, std::string> cgroup_dirs;
  // The host's cgroup v1 hierarchies: mount point -> super options without rw/ro,
  // read by the parent (no mountinfo pass in the init).
  std::vector<std::pair<std::string, std::string>> cgroup_v1;
  bool terminal = false;     // create /dev/console as a mount point for the pty
  // Index into spec->mounts -> detached idmapped tree (linux/idmap_mount.hpp).
  const std::map<size_t, int>* idmapped = nullptr;
};

// Before pivot_root, in this order: bind_rootfs, mount_entry for each of
// spec.mounts, make_devices. All targets are resolved inside the rootfs. The
// process must be in the container's cgroup (and cgroup namespace) before the
// first cgroup mount and before make_devices (process/init_steps.cpp).
//
// Root propagation and the rbind of the rootfs onto itself; returns it opened O_PATH.
UniqueFd bind_rootfs(const RootfsContext& ctx);
// spec.mounts[index].
void mount_entry(int rootfd, size_t index, const RootfsContext& ctx);
// Default device nodes and /dev symlinks (unless /dev is bind-mounted),
// linux.devices, and /dev/console as the pty's mount point with a terminal.
void make_devices(int rootfd, const RootfsContext& ctx);

// False when linux.rootfsPropagation is recursive slave or private (the default
// rslave): then no mount of the container's namespace propagates to the host's.
bool host_mounts_may_be_shared(const oci::Spec& spec);

// pivot_root into the rootfs (or MS_MOVE + chroot when no_pivot) and drop the old
// root; `old_root_shared`: make it rslave first so the detach stays ours.
void enter_rootfs(const std::string& rootfs, bool no_pivot, bool old_root_shared);

// After pivot_root: masked paths, read-only paths, rootfsPropagation, root.readonly.
void finalize_rootfs(const oci::Spec& spec);

// Bind-mounts the pty slave (its fd) over /dev/console (terminal: true), after
// pivot_root; nothing if there is none; refuses a symlink or anything but a
// file or character device there.
void mount_console(int slave);

}  // namespace berth::linux_
