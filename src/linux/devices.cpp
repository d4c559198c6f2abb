#include "berth/linux/devices.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "berth/linux/mount_fd.hpp"
#include "berth/linux/safepath.hpp"
#include "berth/util/error.hpp"

namespace berth::linux_ {

namespace {
// /dev of the rootfs, refusing a symlink there (it would take every node elsewhere).
UniqueFd open_dev(int rootfd) {
  UniqueFd dev = try_open_no_symlinks(rootfd, "/dev", O_PATH | O_DIRECTORY);
  if (dev) return dev;
  if (errno == ELOOP) throw Error("/dev in the container's rootfs is a symlink: refusing to make device nodes through it", ELOOP);
  if (errno != ENOENT) throw_errno("open /dev in container rootfs");
  return mkdir_all_in_root(rootfd, "/dev");
}

[[noreturn]] void in_the_way(const std::string& path, const struct stat& st, const char* why) {
  std::string what = S_ISLNK(st.st_mode) ? "a symlink" : S_ISDIR(st.st_mode) ? "a directory" : "another file";
  throw Error("device " + path + ": " + what + " is in the way in the container's rootfs (" + why +
                  "): refusing to replace it",
              EEXIST);
}

// The node the config asks for: its file type bits.
mode_t node_type(const oci::Device& dev) {
  if (dev.type == "c" || dev.type == "u") return S_IFCHR;
  if (dev.type == "b") return S_IFBLK;
  if (dev.type == "p") return S_IFIFO;
  throw Error("device " + dev.path + ": unknown type \"" + dev.type + "\"");
}
}  // namespace

DeviceMaker::DeviceMaker(int rootfd, bool bind_from_host, bool fresh_dev)
    : rootfd_(rootfd), bind_(bind_from_host), fresh_(fresh_dev), dev_(open_dev(rootfd)) {
  // umask(2) cannot be read without being set: set 0 (the init's value) and put
  // back anything else at once. Nodes then get exactly the mode given to mknod.
  umask_ = ::umask(0);
  if (umask_ != 0) ::umask(umask_);
  uid_ = ::geteuid();
  gid_ = ::getegid();
  struct stat st {};
  setgid_dir_ = ::fstat(dev_.get(), &st) < 0 || (st.st_mode & S_ISGID);
}

void DeviceMaker::create(const oci::Device& dev) {
  auto [parent, base] = split_parent(dev.path);
  if (bind_) {
    // The mount target: the very file the path names (no symlink), a file or device node.
    UniqueFd target = try_open_no_symlinks(rootfd_, dev.path, O_PATH);
    if (!target && errno == ENOENT) {
      UniqueFd dir = mkdir_all_in_root(rootfd_, parent);
      UniqueFd made(::openat(dir.get(), base.c_str(), O_CREAT | O_EXCL | O_NOFOLLOW | O_WRONLY | O_CLOEXEC, 0600));
      if (!made && errno != EEXIST) throw_errno("create " + dev.path + " in container rootfs");
      target = try_open_no_symlinks(rootfd_, dev.path, O_PATH);
    }
    if (!target && errno == ELOOP)
      throw Error("device " + dev.path + ": a symlink is in the way in the container's rootfs: refusing to mount on it", ELOOP);
    if (!target) throw_errno("open " + dev.path + " in container rootfs");
    struct stat st {};
    if (::fstat(target.get(), &st) < 0) throw_errno("stat " + dev.path);
    if (!S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode))
      in_the_way(dev.path, st, "a device is bound onto a file or a node");
    // The source is the host's node (host /dev, before pivot_root): that very device,
    // never whatever file the host has at the path.
    UniqueFd src(::open(dev.path.c_str(), O_PATH | O_CLOEXEC));
    if (!src) throw_errno("open host device " + dev.path);
    struct stat host {};
    if (::fstat(src.get(), &host) < 0) throw_errno("stat host device " + dev.path);
    const mode_t type = node_type(dev);
    const dev_t rdev = makedev(static_cast<unsigned>(dev.major), static_cast<unsigned>(dev.minor));
    if ((host.st_mode & S_IFMT) != type || (type != S_IFIFO && host.st_rdev != rdev))
      throw Error("device " + dev.path + ": the host's " + dev.path + " is not the device the config names (" +
                      dev.type + " " + std::to_string(dev.major) + ":" + std::to_string(dev.minor) +
                      "): refusing to bind it into the container",
                  EINVAL);
    bind_fd(src.get(), target.get(), "device " + dev.path, false, 0);
    return;
  }
  const mode_t type = node_type(dev);
  mode_t perm = dev.fileMode ? (*dev.fileMode & 07777) : 0666;
  if (base.empty()) throw Error("device path \"" + dev.path + "\" is not a file path");
  bool in_dev = parent == "/dev";
  UniqueFd other;
  if (!in_dev) other = mkdir_all_in_root(rootfd_, parent);
  int dir = in_dev ? dev_.get() : other.get();
  dev_t rdev = makedev(static_cast<unsigned>(dev.major), static_cast<unsigned>(dev.minor));
  bool existed = false;
  if (::mknodat(dir, base.c_str(), type | perm, rdev) < 0) {
    if (errno != EEXIST) throw_errno("mknod " + dev.path);
    struct stat st {};
    if (::fstatat(dir, base.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) throw_errno("stat " + dev.path);
    // Only in our own fresh /dev (a tmpfs no one else has) is a node made again or
    // given the config's mode and owner. In the image's /dev, a bound host directory,
    // or anywhere outside /dev (linux.devices may name any path) the same node stays
    // as it is and anything else is refused.
    const bool same = (st.st_mode & S_IFMT) == type && st.st_rdev == rdev;
    struct stat d {}, fresh {};
    const bool ours = fresh_ && ::fstat(dir, &d) == 0 && ::fstat(dev_.get(), &fresh) == 0 && d.st_dev == fresh.st_dev;
    if (!ours) {
      if (same) return;
      in_the_way(dev.path, st, fresh_ ? "not in the container's own /dev" : "/dev is not a mount of the container");
    }
    if (!same) {
      if (::unlinkat(dir, base.c_str(), 0) < 0) throw_errno("replace " + dev.path);
      if (::mknodat(dir, base.c_str(), type | perm, rdev) < 0) throw_errno("mknod " + dev.path);
    }
    existed = same;
  }
  // mknod is subject to the umask and drops set-ID bits: set the exact mode asked for.
  if (umask_ != 0 || (perm & 07000) != 0 || !in_dev || existed)
    if (::fchmodat(dir, base.c_str(), perm, 0) < 0) throw_errno("chmod " + dev.path);
  uid_t uid = static_cast<uid_t>(dev.uid.value_or(0));
  gid_t gid = static_cast<gid_t>(dev.gid.value_or(0));
  if (uid != uid_ || gid != gid_ || setgid_dir_ || !in_dev || existed)
    if (::fchownat(dir, base.c_str(), uid, gid, AT_SYMLINK_NOFOLLOW) < 0) throw_errno("chown " + dev.path);
}

void DeviceMaker::create_defaults() {
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
    create(dev);
  }
}

void DeviceMaker::create_symlinks() {
  static const std::pair<const char*, const char*> links[] = {
      {"/proc/self/fd", "fd"}, {"/proc/self/fd/0", "stdin"}, {"/proc/self/fd/1", "stdout"},
      {"/proc/self/fd/2", "stderr"}, {"pts/ptmx", "ptmx"},
  };
  for (const auto& [target, name] : links) {
    if (::symlinkat(target, dev_.get(), name) < 0 && errno != EEXIST)
      throw_errno(std::string("symlink /dev/") + name + " -> " + target);
  }
  if (::access("/proc/kcore", F_OK) == 0) {
    if (::symlinkat("/proc/kcore", dev_.get(), "core") < 0 && errno != EEXIST)
      throw_errno("symlink /dev/core -> /proc/kcore");
  }
}

}  // namespace berth::linux_
