#include "berth/linux/mount_fd.hpp"

#include <fcntl.h>
#include <linux/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <vector>

#include "berth/linux/syscalls.hpp"
#include "berth/util/error.hpp"

namespace berth::linux_ {
namespace {

std::string relative(const std::string& path) {
  size_t i = path.find_first_not_of('/');
  return i == std::string::npos ? "." : path.substr(i);
}

int move_mount_fd(int from, int to) {
  return static_cast<int>(::syscall(SYS_move_mount, from, "", to, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH));
}

int setattr(int fd, uint64_t set, bool recursive) {
  struct mount_attr a {};
  a.attr_set = set;
  return static_cast<int>(
      ::syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &a, sizeof a));
}

// Detached bind mounts of the host's null device, one per masked path: after
// pivot_root the host's /dev is no longer in our mount namespace, so they are
// cloned before it and each is attached (moved) once.
std::vector<UniqueFd>& null_mounts() {
  static std::vector<UniqueFd> v;
  return v;
}

}  // namespace

UniqueFd try_open_no_symlinks(int rootfd, const std::string& path, int flags) {
  int fd;
  do {
    fd = sys::openat2(rootfd, relative(path).c_str(), static_cast<uint64_t>(flags | O_CLOEXEC), 0,
                      RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
  } while (fd < 0 && errno == EAGAIN);
  return UniqueFd(fd);
}

void bind_fd(int src, int target, const std::string& desc, bool recursive, uint64_t attrs) {
  unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0);
  UniqueFd tree(static_cast<int>(::syscall(SYS_open_tree, src, "", flags)));
  if (!tree) throw_errno("bind mount on " + desc + ": open_tree");
  if (attrs && setattr(tree.get(), attrs, recursive) < 0) throw_errno("bind mount on " + desc + ": mount_setattr");
  if (move_mount_fd(tree.get(), target) < 0) throw_errno("bind mount on " + desc + ": move_mount");
}

void tmpfs_on_fd(int target, const std::string& desc, uint64_t attrs) {
  UniqueFd fs(static_cast<int>(::syscall(SYS_fsopen, "tmpfs", FSOPEN_CLOEXEC)));
  if (!fs) throw_errno("mount tmpfs on " + desc + ": fsopen");
  if (::syscall(SYS_fsconfig, fs.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) < 0)
    throw_errno("mount tmpfs on " + desc + ": fsconfig");
  UniqueFd mnt(static_cast<int>(::syscall(SYS_fsmount, fs.get(), FSMOUNT_CLOEXEC, attrs)));
  if (!mnt) throw_errno("mount tmpfs on " + desc + ": fsmount");
  if (move_mount_fd(mnt.get(), target) < 0) throw_errno("mount tmpfs on " + desc + ": move_mount");
}

void open_host_nulls(size_t n) {
  UniqueFd fd(::open("/dev/null", O_PATH | O_CLOEXEC));
  if (!fd) throw_errno("open the host's /dev/null");
  struct stat st {};
  if (::fstat(fd.get(), &st) < 0) throw_errno("stat the host's /dev/null");
  if (!S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3))
    throw Error("the host's /dev/null is not the null device (1:3): refusing to mask paths with it");
  for (size_t i = 0; i < n; ++i) {
    UniqueFd tree(static_cast<int>(
        ::syscall(SYS_open_tree, fd.get(), "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH)));
    if (!tree) throw_errno("clone a mount of the host's /dev/null");
    null_mounts().push_back(std::move(tree));
  }
}

void mask_with_null(int target, const std::string& desc) {
  auto& v = null_mounts();
  if (v.empty()) throw Error(desc + ": no mount of the host's null device left (opened before pivot_root)");
  UniqueFd tree = std::move(v.back());
  v.pop_back();
  if (move_mount_fd(tree.get(), target) < 0) throw_errno("bind /dev/null on " + desc + ": move_mount");
}

void close_host_nulls() { null_mounts().clear(); }

}  // namespace berth::linux_
