#include "berth/linux/rootfs.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/mount.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <vector>

#include "berth/linux/copy_tree.hpp"
#include "berth/linux/devices.hpp"
#include "berth/linux/idmap_mount.hpp"
#include "berth/linux/lsm.hpp"
#include "berth/linux/mount_flags.hpp"
#include "berth/linux/mount_fd.hpp"
#include "berth/linux/safepath.hpp"
#include "berth/linux/syscalls.hpp"
#include "berth/util/error.hpp"

namespace berth::linux_ {

void check_rootfs(const std::string& rootfs) {
  struct stat st {};
  if (::stat(rootfs.c_str(), &st) < 0) throw_errno("rootfs " + rootfs);
  if (!S_ISDIR(st.st_mode)) throw Error("rootfs " + rootfs + ": not a directory");
  struct stat host {};
  if (::stat("/", &host) < 0) throw_errno("stat /");
  if (st.st_dev != host.st_dev || st.st_ino != host.st_ino) return;
  // Name the link that leads there, if one does.
  std::string how;
  char target[PATH_MAX];
  ssize_t n = ::readlink(rootfs.c_str(), target, sizeof target - 1);
  if (n > 0) how = " (a symlink to " + std::string(target, static_cast<size_t>(n)) + ")";
  else if (char* real = ::realpath(rootfs.c_str(), nullptr)) {
    if (rootfs != real) how = " (resolves to " + std::string(real) + " through a symlink)";
    ::free(real);
  }
  throw Error("rootfs " + rootfs + how +
              ": is the host's root directory; refused (a container's rootfs must be a directory of its own)");
}

namespace {

void do_mount(const std::string& src, const std::string& target_desc, const std::string& target,
              const char* type, unsigned long flags, const std::string& data) {
  if (::mount(src.empty() ? nullptr : src.c_str(), target.c_str(), type, flags,
              data.empty() ? nullptr : data.c_str()) < 0)
    throw_errno("mount " + (src.empty() ? std::string(type ? type : "none") : src) + " on " + target_desc);
}

int mount_setattr_fd(int fd, unsigned long long set, unsigned long long clr, bool recursive) {
  struct mount_attr attr {};
  attr.attr_set = set;
  attr.attr_clr = clr;
  unsigned flags = AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0);
  return static_cast<int>(::syscall(SYS_mount_setattr, fd, "", flags, &attr, sizeof attr));
}

// MS_BIND|MS_REMOUNT of a new bind mount with `flags`. On a mount whose flags the kernel locks
// (EPERM: a mount copied into the user namespace's mount namespace), or one that stands in for
// such a mount (`locked`: a tree berth cloned on the host's side for a source the init could
// not reach), runc's rules apply: the source's ro, nodev, nosuid and noexec are kept unless
// `cleared`, clearing one of them or changing the atime setting is refused (runc's words and
// Go's errno text, as runc's tests match them).
void remount_bind(const std::string& desc, const std::string& target, unsigned long flags, unsigned long cleared = 0,
                  bool locked = false, const std::string& source = "") {
  if (!locked) {
    if (::mount(nullptr, target.c_str(), nullptr, MS_BIND | MS_REMOUNT | flags, nullptr) == 0) return;
    if (errno != EPERM) throw_errno("remount " + desc);
  }
  LockedRemount r = remount_over_locked(flags, cleared, mount_flags_of(target));
  if (!r.refused.empty())
    throw Error("error mounting \"" + (source.empty() ? desc : source) + "\" to rootfs at \"" + desc + "\": " +
                    r.refused + ": " + go_strerror(EPERM),
                EPERM);
  if (::mount(nullptr, target.c_str(), nullptr, MS_BIND | MS_REMOUNT | r.flags, nullptr) < 0)
    throw_errno("remount " + desc);
}

std::string link_of(int fd) {
  char buf[PATH_MAX];
  ssize_t n = ::readlink(fd_path(fd).c_str(), buf, sizeof buf);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

// The mount just made on `target` (dest's fd, opened before the mount), opened
// again by its path (`flags`) for what comes after (the remount that applies a
// bind's flags, recursive attributes, propagation, tmpcopyup): it must be the
// same place (the path `target` names) and the new mount: a bind shows its
// `source` (device and inode), any other mount a file system other than the
// one below it. A destination swapped by a racing process after the mount
// (CVE-2021-30465) resolves elsewhere: refused, rather than, say, a read-only
// flag put on another mount and this one left writable.
UniqueFd reopen_mounted(int rootfd, const std::string& dest, int target, int flags, const std::string& source = "",
                        int source_tree = -1) {
  UniqueFd mounted = open_in_root(rootfd, dest, flags);
  struct stat below {}, got {}, want {};
  bool same = ::fstat(mounted.get(), &got) == 0 && link_of(target) == link_of(mounted.get());
  // A tree berth prepared is compared with itself: the init may not reach its source by path.
  if (same && source_tree >= 0)
    same = ::fstat(source_tree, &want) == 0 && want.st_dev == got.st_dev && want.st_ino == got.st_ino;
  else if (same && !source.empty())
    same = ::stat(source.c_str(), &want) == 0 && want.st_dev == got.st_dev && want.st_ino == got.st_ino;
  else if (same)
    same = ::fstat(target, &below) == 0 && below.st_dev != got.st_dev;
  if (!same)
    throw Error("mount on " + dest +
                    ": the destination changed while it was mounted (renamed or swapped by another process); refused",
                EXDEV);
  return mounted;
}

// Container cgroup directory per hierarchy when there is no cgroup namespace;
// otherwise real cgroup mounts whose root is the namespace's root.
void mount_cgroup(int rootfd, const std::string& dest, const MountFlags& mf, const RootfsContext& ctx) {
  // One statfs, not a pass over mountinfo: is the host's /sys/fs/cgroup itself cgroup2?
  struct statfs sfs {};
  bool v2 = ::statfs("/sys/fs/cgroup", &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC;
  UniqueFd target = mkdir_all_in_root(rootfd, dest, 0755, true);
  unsigned long flags = mf.flags & ~MS_RDONLY;
  if (v2) {
    if (ctx.cgroupns) {
      do_mount("cgroup2", dest, fd_path(target.get()), "cgroup2", mf.flags, "");
    } else {
      auto it = ctx.cgroup_dirs.find("/sys/fs/cgroup");
      std::string src = it != ctx.cgroup_dirs.end() ? it->second : "/sys/fs/cgroup";
      do_mount(src, dest, fd_path(target.get()), nullptr, MS_BIND | MS_REC, "");
      if (mf.flags & MS_RDONLY) {
        UniqueFd t2 = reopen_mounted(rootfd, dest, target.get(), O_PATH, src);
        remount_bind(dest, fd_path(t2.get()), mf.flags);
      }
    }
    return;
  }
  // v1 (and hybrid): a tmpfs holding one directory per hierarchy. The tmpfs is
  // ours and fresh (nothing in it can be a symlink), so its directories are made
  // and mounted on through its fd, and the binds are made read-only etc. with one
  // recursive mount_setattr at the end instead of an open + remount each.
  do_mount("tmpfs", dest, fd_path(target.get()), "tmpfs", flags, "mode=755");
  UniqueFd tmpfs = open_in_root(rootfd, dest, O_PATH | O_DIRECTORY);
  const std::string tmpfs_path = fd_path(tmpfs.get());
  std::vector<std::string> binds;
  for (const auto& [mnt, superopts] : ctx.cgroup_v1) {
    if (mnt.rfind("/sys/fs/cgroup/", 0) != 0) continue;
    std::string name = mnt.substr(std::string("/sys/fs/cgroup/").size());
    if (name.empty() || name.find('/') != std::string::npos || name[0] == '.') continue;
    std::string sub = dest + "/" + name;
    if (::mkdirat(tmpfs.get(), name.c_str(), 0755) < 0 && errno != EEXIST) throw_errno("mkdir " + sub);
    std::string sub_path = tmpfs_path + "/" + name;
    if (ctx.cgroupns) {
      do_mount("cgroup", sub, sub_path, "cgroup", mf.flags, superopts);
    } else {
      auto it = ctx.cgroup_dirs.find(mnt);
      std::string src = it != ctx.cgroup_dirs.end() ? it->second : mnt;
      do_mount(src, sub, sub_path, nullptr, MS_BIND | MS_REC, "");
      binds.push_back(name);
    }
  }
  if (!binds.empty()) {
    unsigned long want = mf.flags | MS_NOSUID | MS_NODEV | MS_NOEXEC;
    unsigned long long attrs = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC |
                               ((want & MS_RDONLY) ? MOUNT_ATTR_RDONLY : 0);
    // Only adds restrictions (never clears a flag the kernel may have locked).
    // The tmpfs gets them too; it holds nothing but the mount points.
    if (mount_setattr_fd(tmpfs.get(), attrs, 0, true) < 0) {
      if (errno != ENOSYS) throw_errno("set mount attributes on " + dest);
      for (const auto& name : binds)  // kernels before 5.12
        remount_bind(dest + "/" + name, tmpfs_path + "/" + name, want);
    }
  }
  if (mf.flags & MS_RDONLY) do_mount("", dest, tmpfs_path, nullptr, MS_REMOUNT | mf.flags, "mode=755");
}


// A read-only tmpfs or /dev (not a bind) is mounted read-write and made
// read-only at the end of the set-up.
bool remounted_readonly_later(const oci::Mount& m) {
  if (m.type == "bind") return false;
  bool ro = false;
  for (const auto& o : m.options) {
    if (o == "bind" || o == "rbind") return false;
    if (o == "ro") ro = true;
    if (o == "rw") ro = false;
  }
  return ro && (m.type == "tmpfs" || clean_path(m.destination) == "/dev");
}

void mount_one(int rootfd, const oci::Mount& m, const RootfsContext& ctx, int prepared_tree) {
  MountFlags mf = parse_mount_options(m.options);
  const std::string& dest = m.destination;
  bool bind = mf.bind || m.type == "bind";
  if (m.type == "cgroup" || m.type == "cgroup2") {
    mount_cgroup(rootfd, dest, mf, ctx);
    return;
  }
  UniqueFd target;
  std::string shows;  // the host path a bind mount shows; "" for a file system of its own
  int source_tree = -1;  // the prepared tree attached here, if one was
  if (bind) {
    shows = m.source;
    // A prepared tree says itself what it is: the init may not be able to stat the source.
    // A source that is not there is an error before anything is made in the rootfs (runc).
    struct stat sst {};
    if (prepared_tree >= 0 ? ::fstat(prepared_tree, &sst) < 0 : ::stat(m.source.c_str(), &sst) < 0)
      throw_errno("mount " + m.source + " on " + dest);
    if (S_ISDIR(sst.st_mode)) target = mkdir_all_in_root(rootfd, dest, 0755, true);
    else target = ensure_file_in_root(rootfd, dest);
    const unsigned long f = MS_BIND | (mf.recursive_bind ? MS_REC : 0);
    // With a user namespace a plain bind is made by path first, here in the container's mount
    // namespace, so that the kernel locks the source's flags (MNT_LOCK_*) as it does under
    // runc: the container's root cannot clear them later. The tree berth cloned on the host's
    // side is attached only for a source the init cannot reach; the lock rules are then kept
    // by remount_bind (the container's root could still clear them afterwards: see
    // docs/security.md).
    const bool idmapped = mf.idmap || !m.uidMappings.empty() || !m.gidMappings.empty();
    if (prepared_tree < 0)
      do_mount(m.source, dest, fd_path(target.get()), nullptr, f, "");
    else if (idmapped || ::mount(m.source.c_str(), fd_path(target.get()).c_str(), nullptr, f, nullptr) < 0)
      attach_tree(source_tree = prepared_tree, target.get(), dest);
    // Any flag set or cleared besides MS_BIND|MS_REC means a remount of the new mount, whose
    // unnamed flags are then cleared (runc); with none the source's flags stay (mount(8)).
    unsigned long rf = mf.flags & ~(MS_REMOUNT);
    if (rf != 0 || mf.clear != 0) {
      UniqueFd mounted = reopen_mounted(rootfd, dest, target.get(), O_PATH, m.source, source_tree);
      remount_bind(dest, fd_path(mounted.get()), rf, mf.clear, source_tree >= 0 && !idmapped, m.source);
    }
  } else {
    // A tmpfs over a directory of the image takes that directory's mode (all
    // of it: set-id and sticky bits too) unless the mount says mode= (runc).
    mode_t keep_mode = 0;
    if (m.type == "tmpfs" && mf.data.find("mode=") == std::string::npos) {
      struct stat st {};
      UniqueFd before = try_open_in_root(rootfd, dest, O_PATH | O_DIRECTORY);
      if (before && ::fstat(before.get(), &st) == 0) keep_mode = st.st_mode & 07777;
    }
    if (keep_mode) {
      char mode[16];
      std::snprintf(mode, sizeof mode, "mode=%04o", static_cast<unsigned>(keep_mode));
      mf.data += (mf.data.empty() ? "" : ",") + std::string(mode);
    }
    // linux.mountLabel: context= on the file systems made here, where SELinux can apply it.
    const std::string& label = ctx.spec->linux ? ctx.spec->linux->mountLabel : std::string();
    if (!label.empty() && selinux_enabled()) mf.data = mount_label_data(mf.data, m.type, false, label);
    if (m.type == "proc" || m.type == "sysfs") {
      // An image's /proc or /sys that is a symlink is refused, in runc's words (mask.bats),
      // rather than followed (inside the root) to wherever it points.
      struct stat st {};
      UniqueFd at = try_open_in_root(rootfd, dest, O_PATH | O_NOFOLLOW);
      if (at && ::fstat(at.get(), &st) == 0 && S_ISLNK(st.st_mode))
        throw Error("mount " + m.type + " on " + dest + ": filesystem \"" + m.type +
                    "\" must be mounted on ordinary directory (" + dest + " is a symlink)");
    }
    target = mkdir_all_in_root(rootfd, dest, 0755, true);
    UniqueFd original;
    if (mf.tmpcopyup) original = open_in_root(rootfd, dest, O_RDONLY | O_DIRECTORY);
    const char* type = m.type.empty() ? nullptr : m.type.c_str();
    std::string src = m.source.empty() ? m.type : m.source;
    // Device nodes still go into a read-only /dev, and tmpfs gets its mode:
    // read-write now, read-only in finalize_rootfs (runc's order).
    const unsigned long flags = remounted_readonly_later(m) ? mf.flags & ~MS_RDONLY : mf.flags;
    if (::mount(src.c_str(), fd_path(target.get()).c_str(), type, flags,
                mf.data.empty() ? nullptr : mf.data.c_str()) < 0) {
      int err = errno;
      // In a user namespace without its own net (sysfs) or ipc (mqueue) namespace the
      // kernel refuses a fresh mount; bind the host's instead, as runc does.
      if (err == EPERM && ctx.userns && (m.type == "sysfs" || m.type == "mqueue")) {
        std::string host = m.type == "sysfs" ? "/sys" : "/dev/mqueue";
        do_mount(host, dest, fd_path(target.get()), nullptr, MS_BIND | MS_REC, "");
        shows = host;
        UniqueFd mounted = reopen_mounted(rootfd, dest, target.get(), O_PATH, host);
        remount_bind(dest, fd_path(mounted.get()), mf.flags | MS_NOSUID | MS_NODEV | MS_NOEXEC);
      } else {
        throw_errno("mount " + src + " (" + m.type + ") on " + dest, err);
      }
    }
    if (original) {
      UniqueFd mounted = reopen_mounted(rootfd, dest, target.get(), O_RDONLY | O_DIRECTORY, shows);
      copy_tree(original.get(), mounted.get());
    }
  }
  if (mf.rec_set || mf.rec_clear) {
    UniqueFd mounted = reopen_mounted(rootfd, dest, target.get(), O_PATH, shows, source_tree);
    if (mount_setattr_fd(mounted.get(), mf.rec_set, mf.rec_clear, true) < 0)
      throw_errno("set recursive mount attributes on " + dest);
  }
  if (mf.propagation) {
    UniqueFd mounted = reopen_mounted(rootfd, dest, target.get(), O_PATH, shows, source_tree);
    do_mount("", dest, fd_path(mounted.get()), nullptr, mf.propagation, "");
  }
}

// The mount that holds `rootfs` (longest mountinfo prefix; the rootfs itself if it is a mount point), made private
// if it is shared, as runc's rootfsParentMountPrivate does.
void make_parent_mount_private(const std::string& rootfs) {
  const std::string& parent = rootfs;
  std::ifstream mi("/proc/self/mountinfo");
  std::string line, best;
  bool best_shared = false;
  while (std::getline(mi, line)) {
    std::istringstream ls(line);
    std::string id, par, dev, root, mnt, opts, optional;
    ls >> id >> par >> dev >> root >> mnt >> opts >> optional;
    bool prefix = parent == mnt || mnt == "/" || parent.rfind(mnt + "/", 0) == 0;
    if (prefix && mnt.size() >= best.size()) {
      best = mnt;
      best_shared = optional.rfind("shared:", 0) == 0;
    }
  }
  if (best_shared && ::mount(nullptr, best.c_str(), nullptr, MS_PRIVATE, nullptr) < 0)
    throw_errno("make " + best + " private");
}

bool dev_is_bind_mounted(const oci::Spec& spec) {
  for (const auto& m : spec.mounts) {
    if (clean_path(m.destination) != "/dev") continue;
    if (m.type == "bind") return true;
    for (const auto& o : m.options)
      if (o == "bind" || o == "rbind") return true;
  }
  return false;
}

// A mount at /dev that is not a bind: a new file system berth made for the container.
bool dev_is_fresh_mount(const oci::Spec& spec) {
  for (const auto& m : spec.mounts)
    if (clean_path(m.destination) == "/dev") return !dev_is_bind_mounted(spec);
  return false;
}

}  // namespace

namespace {
unsigned long requested_root_propagation(const oci::Spec& spec) {
  if (spec.linux && !spec.linux->rootfsPropagation.empty()) return propagation_flag(spec.linux->rootfsPropagation);
  return 0;
}

// The host's mounts as the init sees them before pivot_root. Keep host mount
// events out (and ours off the host): rslave, or private when asked. A shared
// or unbindable "/" cannot come before pivot_root (pivot_root refuses a shared
// root, and the rootfs cannot be bound out of an unbindable one: EINVAL, the
// old "mount .../. on .../.: Invalid argument"): those apply to the new root
// afterwards (finalize_rootfs), as runc 1.2 does.
unsigned long root_propagation(const oci::Spec& spec) {
  unsigned long p = requested_root_propagation(spec);
  if (p & MS_PRIVATE) return p;
  return MS_SLAVE | MS_REC;
}
}  // namespace

bool host_mounts_may_be_shared(const oci::Spec& spec) {
  unsigned long prop = root_propagation(spec);
  return !((prop & MS_REC) && (prop & (MS_SLAVE | MS_PRIVATE)));
}

UniqueFd bind_rootfs(const RootfsContext& ctx) {
  const oci::Spec& spec = *ctx.spec;
  // The source of masked files, from the host's /dev, before anything of the bundle is mounted.
  if (spec.linux && !spec.linux->maskedPaths.empty()) open_host_nulls(spec.linux->maskedPaths.size());
  unsigned long prop = root_propagation(spec);
  if (::mount(nullptr, "/", nullptr, prop, nullptr) < 0) throw_errno("make / " + std::string(prop & MS_PRIVATE ? "private" : "rslave"));
  // pivot_root refuses a shared new root or a shared parent mount of it (any
  // rootfsPropagation that is not recursive leaves host mounts shared here;
  // after a recursive slave or private nothing is shared: no mountinfo pass).
  if (host_mounts_may_be_shared(spec)) make_parent_mount_private(ctx.rootfs);
  do_mount(ctx.rootfs, ctx.rootfs, ctx.rootfs, nullptr, MS_BIND | MS_REC, "");
  UniqueFd rootfd(::open(ctx.rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!rootfd) throw_errno("open rootfs " + ctx.rootfs);
  return rootfd;
}

void mount_entry(int rootfd, size_t index, const RootfsContext& ctx) {
  int tree = -1;
  if (ctx.idmapped) {
    auto it = ctx.idmapped->find(index);
    if (it != ctx.idmapped->end()) tree = it->second;
  }
  mount_one(rootfd, ctx.spec->mounts.at(index), ctx, tree);
}

// The console's mount point, made without following any symlink: a symlink there
// is refused before anything is created through it (a dangling one would have its
// target made in the bundle's rootfs); mount_console checks the file again.
static void ensure_console_file(int rootfd) {
  UniqueFd fd = try_open_no_symlinks(rootfd, "/dev/console", O_PATH);
  if (fd) return;
  if (errno == ELOOP) throw Error("/dev/console is a symlink: refusing to mount the console on it", ELOOP);
  if (errno != ENOENT) throw_errno("open /dev/console in container rootfs");
  UniqueFd dev = try_open_no_symlinks(rootfd, "/dev", O_PATH | O_DIRECTORY);
  if (!dev && errno == ELOOP) throw Error("/dev is a symlink: refusing to make /dev/console through it", ELOOP);
  if (!dev) throw_errno("open /dev in container rootfs");
  UniqueFd made(::openat(dev.get(), "console", O_CREAT | O_EXCL | O_NOFOLLOW | O_WRONLY | O_CLOEXEC, 0600));
  if (!made && errno != EEXIST) throw_errno("create /dev/console in container rootfs");
}


// Device nodes are made inside the container's cgroup (the caller's duty): on
// v1 its devices controller also governs mknod.
void make_devices(int rootfd, const RootfsContext& ctx) {
  const oci::Spec& spec = *ctx.spec;
  bool dev_bound = dev_is_bind_mounted(spec);
  if (!dev_bound || (spec.linux && !spec.linux->devices.empty())) {
    // Only a fresh /dev of the container's own (a tmpfs) may have entries replaced;
    // the image's /dev or a bound host directory is never changed under its names.
    DeviceMaker devices(rootfd, ctx.userns, dev_is_fresh_mount(spec));
    if (!dev_bound) {
      devices.create_defaults();
      devices.create_symlinks();
    }
    if (spec.linux)
      for (const auto& d : spec.linux->devices) devices.create(d);
  }
  if (ctx.terminal) ensure_console_file(rootfd);
}

namespace {

// --no-pivot leaves the host's mounts reachable under the chroot: a full proc
// or sysfs mount of the host lets the kernel allow a fresh proc/sysfs mount
// inside (mnt_already_visible), e.g. from a user namespace the container makes
// (runc's "must not expose bare /proc"). Every such mount outside the rootfs
// is made rslave (no unmount reaches the host) and detached, or covered with a
// tmpfs where it cannot be unmounted (as runc's msMoveRoot).
void hide_host_proc_and_sys(const std::string& rootfs) {
  std::vector<std::string> targets;
  {
    std::ifstream mi("/proc/self/mountinfo");
    std::string line;
    while (std::getline(mi, line)) {
      std::istringstream ls(line);
      std::string id, parent, dev, root, mnt, field, fstype;
      ls >> id >> parent >> dev >> root >> mnt;
      while (ls >> field && field != "-") {}
      ls >> fstype;
      if (root != "/" || (fstype != "proc" && fstype != "sysfs")) continue;
      if (mnt == rootfs || mnt.rfind(rootfs + "/", 0) == 0) continue;
      targets.push_back(mnt);
    }
  }
  // Deepest first: /proc/sys/fs/binfmt_misc before /proc.
  std::sort(targets.begin(), targets.end(), [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  for (const auto& p : targets) {
    if (::mount(nullptr, p.c_str(), nullptr, MS_SLAVE | MS_REC, nullptr) < 0) {
      if (errno == ENOENT) continue;  // under one already detached
      throw_errno("make host mount " + p + " rslave (--no-pivot)");
    }
    if (::umount2(p.c_str(), MNT_DETACH) == 0) continue;
    if (errno != EINVAL && errno != EPERM) throw_errno("detach host mount " + p + " (--no-pivot)");
    if (::mount("tmpfs", p.c_str(), "tmpfs", 0, nullptr) < 0) throw_errno("cover host mount " + p + " (--no-pivot)");
  }
}

}  // namespace

void enter_rootfs(const std::string& rootfs, bool no_pivot, bool old_root_shared) {
  if (no_pivot) {
    hide_host_proc_and_sys(rootfs);
    if (::chdir(rootfs.c_str()) < 0) throw_errno("chdir " + rootfs);
    if (::mount(rootfs.c_str(), "/", nullptr, MS_MOVE, nullptr) < 0) throw_errno("move rootfs " + rootfs + " to /");
    if (::chroot(".") < 0) throw_errno("chroot " + rootfs);
    if (::chdir("/") < 0) throw_errno("chdir /");
    return;
  }
  UniqueFd oldroot(::open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC));
  if (!oldroot) throw_errno("open /");
  UniqueFd newroot(::open(rootfs.c_str(), O_DIRECTORY | O_RDONLY | O_CLOEXEC));
  if (!newroot) throw_errno("open rootfs " + rootfs);
  if (::fchdir(newroot.get()) < 0) throw_errno("chdir " + rootfs);
  // pivot_root(".", "."): the old root ends up stacked under the new one, no
  // directory for it needed inside the container.
  if (sys::pivot_root(".", ".") < 0) throw_errno("pivot_root " + rootfs);
  if (::fchdir(oldroot.get()) < 0) throw_errno("chdir old root");
  // Make the old root slave so the detach below does not propagate to the host
  // (already so after a recursive slave or private root propagation).
  if (old_root_shared && ::mount(nullptr, ".", nullptr, MS_SLAVE | MS_REC, nullptr) < 0)
    throw_errno("make old root rslave");
  if (::umount2(".", MNT_DETACH) < 0) throw_errno("unmount old root");
  if (::chdir("/") < 0) throw_errno("chdir /");
}

void finalize_rootfs(const oci::Spec& spec) {
  UniqueFd rootfd(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!rootfd) throw_errno("open /");
  // Targets are opened without following any symlink and mounted on by fd (linux/mount_fd.hpp):
  // after pivot_root neither the container's symlinks nor its /proc can redirect a mount.
  if (spec.linux) {
    for (const auto& p : spec.linux->readonlyPaths) {
      UniqueFd fd = try_open_no_symlinks(rootfd.get(), p, O_PATH);
      if (!fd) {
        if (errno == ENOENT) continue;
        if (errno == ELOOP) throw Error("readonly path " + p + ": a symlink on the way: refusing to mount on it", ELOOP);
        throw_errno("open readonly path " + p);
      }
      bind_fd(fd.get(), fd.get(), "readonly path " + p, true,
              MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
    }
    for (const auto& p : spec.linux->maskedPaths) {
      UniqueFd fd = try_open_no_symlinks(rootfd.get(), p, O_PATH);
      if (!fd) {
        if (errno == ENOENT) continue;
        if (errno == ELOOP) throw Error("masked path " + p + ": a symlink on the way: refusing to mount on it", ELOOP);
        throw_errno("open masked path " + p);
      }
      struct stat st {};
      if (::fstat(fd.get(), &st) < 0) throw_errno("stat masked path " + p);
      if (S_ISDIR(st.st_mode)) {
        tmpfs_on_fd(fd.get(), "masked path " + p, MOUNT_ATTR_RDONLY);
      } else {
        // The host's null device, opened and verified before pivot_root: never a
        // path of the container (its /dev may be a bind of anything).
        mask_with_null(fd.get(), "masked path " + p);
      }
    }
    close_host_nulls();
  }
  for (const auto& m : spec.mounts) {
    if (!remounted_readonly_later(m)) continue;
    UniqueFd fd = try_open_no_symlinks(rootfd.get(), m.destination, O_PATH);
    // A destination under a symlink of the image (/conf -> /real/conf) was mounted where the
    // symlink leads, resolved inside the root (mkdir_all_in_root): the same resolution finds it
    // again (runc's mounts.bats "tmpfs mount with absolute symlink").
    if (!fd && errno == ELOOP) fd = try_open_in_root(rootfd.get(), m.destination, O_PATH);
    if (!fd) throw_errno("open " + m.destination + " to make it read-only");
    if (mount_setattr_fd(fd.get(), MOUNT_ATTR_RDONLY, 0, false) < 0) throw_errno("make " + m.destination + " read-only");
  }
  if (spec.root.readonly) {
    if (::mount(nullptr, "/", nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY, nullptr) < 0) {
      if (errno != EPERM) throw_errno("remount / read-only");
      remount_bind("/ read-only", "/", MS_RDONLY);
    }
  }
  // linux.rootfsPropagation on the new root ("private" was applied before
  // pivot_root); last: the read-only paths are bind mounts, which an
  // unbindable tree would refuse.
  if (unsigned long p = requested_root_propagation(spec); p && !(p & MS_PRIVATE)) {
    if (::mount(nullptr, "/", nullptr, p, nullptr) < 0)
      throw_errno("apply linux.rootfsPropagation \"" + spec.linux->rootfsPropagation + "\" to /");
  }
}

void mount_console(int slave) {
  UniqueFd root(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root) throw_errno("open /");
  UniqueFd target = try_open_no_symlinks(root.get(), "/dev/console", O_PATH);
  if (!target) {
    if (errno == ENOENT) return;  // no /dev/console in the container (a bound /dev without one)
    if (errno == ELOOP) throw Error("/dev/console is a symlink: refusing to mount the console on it", ELOOP);
    throw_errno("open /dev/console");
  }
  struct stat st {};
  if (::fstat(target.get(), &st) < 0) throw_errno("stat /dev/console");
  if (!S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode))
    throw Error("/dev/console is neither a file nor a character device: refusing to mount the console on it");
  bind_fd(slave, target.get(), "/dev/console", false, 0);
}

}  // namespace berth::linux_
