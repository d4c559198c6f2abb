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

// MS_* flag for a propagation name ("rslave", "private", ...), 0 if unknown.
unsigned long propagation_flag(const std::string& name);

}  // namespace berth::linux_
