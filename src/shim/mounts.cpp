#include "mounts.hpp"

#include <sys/mount.h>
#include <sys/stat.h>

#include <cerrno>

#include "berth/linux/mount_flags.hpp"
#include "berth/util/error.hpp"

namespace berth::shim {

void mount_rootfs(const std::vector<RootfsMount>& mounts, const std::string& target) {
  if (mounts.empty()) return;
  if (mkdir(target.c_str(), 0711) < 0 && errno != EEXIST) throw_errno("mkdir " + target);
  std::size_t done = 0;
  try {
    for (const auto& m : mounts) {
      auto f = linux_::parse_mount_options(m.options);
      std::string type = m.type;
      if (type.empty() && f.bind) type = "bind";
      if (type == "bind" || f.bind) {
        unsigned long flags = MS_BIND | (f.recursive_bind ? MS_REC : 0);
        if (mount(m.source.c_str(), target.c_str(), nullptr, flags, nullptr) < 0)
          throw_errno("mount " + m.source + " on " + target + " (bind)");
        ++done;
        if (f.flags & ~static_cast<unsigned long>(MS_BIND | MS_REC)) {
          unsigned long re = MS_BIND | MS_REMOUNT | (f.flags & ~static_cast<unsigned long>(MS_REC | MS_BIND));
          if (mount(nullptr, target.c_str(), nullptr, re, nullptr) < 0)
            throw_errno("remount " + target + " with the options of " + m.source);
        }
      } else {
        if (mount(m.source.c_str(), target.c_str(), type.c_str(), f.flags, f.data.empty() ? nullptr : f.data.c_str()) < 0)
          throw_errno("mount " + type + " " + m.source + " on " + target);
        ++done;
      }
      if (f.propagation && mount(nullptr, target.c_str(), nullptr, f.propagation, nullptr) < 0)
        throw_errno("set propagation of " + target);
    }
  } catch (...) {
    for (; done > 0; --done) umount2(target.c_str(), MNT_DETACH);
    throw;
  }
}

void unmount_all(const std::string& target) {
  for (int i = 0; i < 64; ++i) {
    if (umount2(target.c_str(), 0) == 0) continue;
    if (errno == EBUSY && umount2(target.c_str(), MNT_DETACH) == 0) continue;
    return;  // EINVAL: not a mount point any more; ENOENT: no such dir
  }
}

}  // namespace berth::shim
