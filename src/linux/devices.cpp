#include "berth/linux/devices.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "berth/linux/safepath.hpp"
#include "berth/util/error.hpp"

namespace berth::linux_ {

void create_device(int rootfd, const oci::Device& dev, bool bind_from_host) {
  if (bind_from_host) {
    UniqueFd target = ensure_file_in_root(rootfd, dev.path, 0600);
    if (::mount(dev.path.c_str(), fd_path(target.get()).c_str(), nullptr, MS_BIND, nullptr) < 0)
      throw_errno("bind mount device " + dev.path);
    return;
  }
  mode_t type;
  if (dev.type == "c" || dev.type == "u") type = S_IFCHR;
  else if (dev.type == "b") type = S_IFBLK;
  else if (dev.type == "p") type = S_IFIFO;
  else throw Error("device " + dev.path + ": unknown type \"" + dev.type + "\"");
  mode_t perm = dev.fileMode ? (*dev.fileMode & 07777) : 0666;
  auto [parent, base] = split_parent(dev.path);
  if (base.empty()) throw Error("device path \"" + dev.path + "\" is not a file path");
  UniqueFd dir = mkdir_all_in_root(rootfd, parent);
  dev_t rdev = makedev(static_cast<unsigned>(dev.major), static_cast<unsigned>(dev.minor));
  if (::mknodat(dir.get(), base.c_str(), type | perm, rdev) < 0) {
    if (errno != EEXIST) throw_errno("mknod " + dev.path);
    // Something is already there (an image's /dev): replace it, never follow it.
    if (::unlinkat(dir.get(), base.c_str(), 0) < 0) throw_errno("replace " + dev.path);
    if (::mknodat(dir.get(), base.c_str(), type | perm, rdev) < 0) throw_errno("mknod " + dev.path);
  }
  // mknod is subject to the umask; set the exact mode the config asks for.
  if (::fchmodat(dir.get(), base.c_str(), perm, 0) < 0) throw_errno("chmod " + dev.path);
  uid_t uid = dev.uid.value_or(0);
  gid_t gid = dev.gid.value_or(0);
  if (::fchownat(dir.get(), base.c_str(), uid, gid, AT_SYMLINK_NOFOLLOW) < 0) throw_errno("chown " + dev.path);
}

void create_default_devices(int rootfd, bool bind_from_host) {
  struct D {
    const char* path;
    int major, minor;
  };
  static const D defaults[] = {{"/dev/null", 1, 3}, {"/dev/zero", 1, 5}, {"/dev/full", 1, 7},
                               {"/dev/random", 1, 8}, {"/dev/urandom", 1, 9}, {"/dev/tty", 5, 0}};
  for (const auto& d : defaults) {
    oci::Device dev;
    dev.type = "c";
    dev.path = d.path;
    dev.major = d.major;
    dev.minor = d.minor;
    dev.fileMode = 0666;
    create_device(rootfd, dev, bind_from_host);
  }
}

}  // namespace berth::linux_
