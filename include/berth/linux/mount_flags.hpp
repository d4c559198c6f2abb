// Mount option strings from config.json -> mount(2)/mount_setattr(2) flags.
#pragma once
#include <string>
#include <vector>

namespace berth::linux_ {

struct MountFlags {
  unsigned long flags = 0;        // MS_* passed to mount(2)
  unsigned long clear = 0;        // MS_* explicitly cleared ("rw", "suid", ...)
  unsigned long propagation = 0;  // MS_SHARED|MS_SLAVE|MS_PRIVATE|MS_UNBINDABLE (+MS_REC)
  unsigned long long rec_set = 0;    // MOUNT_ATTR_* set recursively ("rro", "rnosuid", ...)
  unsigned long long rec_clear = 0;  // MOUNT_ATTR_* cleared recursively ("rrw", ...)
  std::string data;               // everything else, comma-joined, for the filesystem
  bool bind = false;              // "bind" or "rbind"
  bool recursive_bind = false;    // "rbind"
  bool tmpcopyup = false;
  bool idmap = false;             // "idmap" / "ridmap"
  bool recursive_idmap = false;
};

// Parses option strings. Unknown options are passed to the filesystem as data,
// the way mount(8) and runc do.
MountFlags parse_mount_options(const std::vector<std::string>& options);

// A bind remount on a mount whose flags the kernel locks: one a container with a user
// namespace got by copying its mount namespace from a more privileged one (MNT_LOCK_*). The
// rules are runc's (its mounts_sshfs.bats): ro, nodev, nosuid and noexec of the source are
// kept unless cleared, and clearing one the source has is refused; an atime flag asked for
// must give the source's atime setting exactly (the kernel refuses any change, and would
// silently drop MS_RELATIME beside MS_NOATIME or both beside MS_STRICTATIME); atime options
// that only clear keep the source's, as a remount without atime flags does.
struct LockedRemount {
  unsigned long flags = 0;  // MS_* for the remount (without MS_BIND|MS_REMOUNT)
  std::string refused;      // non-empty: why the remount would change a locked flag
};
LockedRemount remount_over_locked(unsigned long want, unsigned long cleared, unsigned long source);

// MS_* flags (ro, nosuid, nodev, noexec, the atime ones) of the mount that holds `path`;
// throws when it cannot be read.
unsigned long mount_flags_of(const std::string& path);

// MS_* flag for a propagation name ("rslave", "private", ...), 0 if unknown.
unsigned long propagation_flag(const std::string& name);

}  // namespace berth::linux_
