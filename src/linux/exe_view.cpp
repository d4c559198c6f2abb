// See exe_view.hpp for why and what.
#include "berth/linux/exe_view.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/mount.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace berth::linux_ {
namespace {

int fsconfig(int fs, unsigned cmd, const char* key, const char* value) {
  return static_cast<int>(::syscall(SYS_fsconfig, fs, cmd, key, value, 0));
}

// A detached mount of a new file system of `type` (fsopen + fsmount); empty on failure.
UniqueFd detached_mount(const char* type, const char* lowerdir) {
  UniqueFd fs(static_cast<int>(::syscall(SYS_fsopen, type, FSOPEN_CLOEXEC)));
  if (!fs) return fs;
  if (lowerdir && fsconfig(fs.get(), FSCONFIG_SET_STRING, "lowerdir", lowerdir) < 0) return UniqueFd();
  if (fsconfig(fs.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr) < 0) return UniqueFd();
  return UniqueFd(static_cast<int>(::syscall(SYS_fsmount, fs.get(), FSMOUNT_CLOEXEC,
                                             MOUNT_ATTR_RDONLY | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOSUID)));
}

// A directory of root's that no one else can change: owned by root, not group- or
// world-writable (and, when `private_dir`, no access for anyone else at all).
bool trusted_dir(int fd, bool private_dir) {
  struct stat st {};
  if (::fstat(fd, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != 0) return false;
  return (st.st_mode & (private_dir ? 077 : 022)) == 0;
}

UniqueFd open_dir(int parent, const char* name) {
  return UniqueFd(::openat(parent, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
}

// /run/berth/.exe, walked from / without following symlinks, every step checked;
// made (as 0711 /run/berth and 0700 .exe, like the default --root) when `create`.
UniqueFd open_view_dir(bool create) {
  UniqueFd dir = open_dir(AT_FDCWD, "/");
  if (!dir || !trusted_dir(dir.get(), false)) return UniqueFd();
  static constexpr const char* kSteps[] = {"run", "berth", ".exe"};
  static constexpr mode_t kModes[] = {0755, 0711, 0700};
  for (size_t i = 0; i < 3; ++i) {
    UniqueFd next = open_dir(dir.get(), kSteps[i]);
    if (!next && errno == ENOENT && create && i > 0) {
      if (::mkdirat(dir.get(), kSteps[i], kModes[i]) < 0 && errno != EEXIST) return UniqueFd();
      next = open_dir(dir.get(), kSteps[i]);
    }
    if (!next || !trusted_dir(next.get(), i == 2)) return UniqueFd();
    dir = std::move(next);
  }
  return dir;
}

// The binary in the view `name` of the view directory, if the view is one we trust.
UniqueFd open_verified(int viewdir, const std::string& name, const std::string& base, const struct stat& exe) {
  UniqueFd view = open_dir(viewdir, name.c_str());
  if (!view) return UniqueFd();
  UniqueFd file(::openat(view.get(), base.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
  if (!file || !is_readonly_view_of(file.get(), exe)) return UniqueFd();
  return file;
}

// Unmounts and removes the views whose binary is gone (link count 0: deleted or
// replaced by a rename) or changed in place (not the identity in its name). Runs
// only when a view is made, under the lock: rare, and the unmount's RCU wait is paid once.
void remove_stale_views(int viewdir, const std::string& keep) {
  UniqueFd list(::openat(viewdir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!list) return;
  DIR* d = ::fdopendir(list.release());
  if (!d) return;
  std::vector<std::string> stale;
  while (dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n == "." || n == ".." || n == ".lock" || n == keep) continue;
    // <dev>-<ino>-<size>-<sec>.<nsec>-<basename>
    size_t pos = std::string::npos, from = 0;
    for (int i = 0; i < 4; ++i) {
      pos = n.find('-', from);
      if (pos == std::string::npos) break;
      from = pos + 1;
    }
    if (pos == std::string::npos) continue;
    std::string base = n.substr(pos + 1);
    UniqueFd file;
    if (UniqueFd view = open_dir(::dirfd(d), n.c_str())) {
      file.reset(::openat(view.get(), base.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
    }
    struct stat st {};
    // (st_dev through the overlay is the overlay's: compare what follows it)
    auto after_dev = [](const std::string& s) { return s.substr(s.find('-')); };
    bool gone = !file || ::fstat(file.get(), &st) < 0 || st.st_nlink == 0 ||
                after_dev(exe_view_name(st, base)) != after_dev(n);
    if (gone) stale.push_back(n);
  }
  ::closedir(d);
  for (const auto& n : stale) {
    std::string path = std::string(kExeViewDir) + "/" + n;
    ::umount2(path.c_str(), MNT_DETACH | UMOUNT_NOFOLLOW);
    ::unlinkat(viewdir, n.c_str(), AT_REMOVEDIR);  // fails, harmlessly, if something else is there
  }
}

}  // namespace

UniqueFd detached_readonly_overlay(int dirfd) {
  // overlayfs without an upper layer needs two lower ones, which must not overlap:
  // an empty tmpfs of our own, mounted nowhere.
  UniqueFd empty = detached_mount("tmpfs", nullptr);
  if (!empty) return UniqueFd();
  std::string lower = "/proc/self/fd/" + std::to_string(dirfd) + ":/proc/self/fd/" + std::to_string(empty.get());
  return detached_mount("overlay", lower.c_str());
}

bool is_readonly_view_of(int file, const struct stat& exe) {
  struct statfs sfs {};
  struct stat st {};
  if (::fstatfs(file, &sfs) < 0 || sfs.f_type != OVERLAYFS_SUPER_MAGIC || !(sfs.f_flags & ST_RDONLY)) return false;
  return ::fstat(file, &st) == 0 && S_ISREG(st.st_mode) && st.st_ino == exe.st_ino && st.st_size == exe.st_size &&
         st.st_mode == exe.st_mode && st.st_mtim.tv_sec == exe.st_mtim.tv_sec &&
         st.st_mtim.tv_nsec == exe.st_mtim.tv_nsec;
}

std::string exe_view_name(const struct stat& exe, const std::string& base) {
  char nsec[16];
  std::snprintf(nsec, sizeof nsec, "%09ld", static_cast<long>(exe.st_mtim.tv_nsec));
  return std::to_string(exe.st_dev) + "-" + std::to_string(exe.st_ino) + "-" + std::to_string(exe.st_size) + "-" +
         std::to_string(exe.st_mtim.tv_sec) + "." + nsec + "-" + base;
}

UniqueFd persistent_exe_view(const struct stat& exe, int dirfd, const std::string& base) {
  if (::geteuid() != 0 || base.empty() || base[0] == '.') return UniqueFd();
  if (std::getenv("BERTH_NO_EXE_VIEW")) return UniqueFd();  // A/B measurements, tests
  const std::string name = exe_view_name(exe, base);
  // The common case: the view is there; open and verify, nothing else.
  if (UniqueFd dir = open_view_dir(false)) {
    if (UniqueFd file = open_verified(dir.get(), name, base, exe)) return file;
  }
  // Make it, under the lock (concurrent first invocations: one mounts, the others wait, then use it).
  UniqueFd dir = open_view_dir(true);
  if (!dir) return UniqueFd();
  UniqueFd lock(::openat(dir.get(), ".lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600));
  struct stat lst {};
  if (!lock || ::fstat(lock.get(), &lst) < 0 || !S_ISREG(lst.st_mode) || lst.st_uid != 0) return UniqueFd();
  while (::flock(lock.get(), LOCK_EX) < 0)
    if (errno != EINTR) return UniqueFd();
  if (UniqueFd file = open_verified(dir.get(), name, base, exe)) return file;
  // Something is there that is not a good view: a directory left by a crash between
  // mkdir and move_mount is empty and removed; anything else stays, and we fall back.
  struct stat st {};
  if (::fstatat(dir.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
      ::unlinkat(dir.get(), name.c_str(), AT_REMOVEDIR) < 0)
    return UniqueFd();
  UniqueFd ovl = detached_readonly_overlay(dirfd);
  if (!ovl) return UniqueFd();
  UniqueFd probe(::openat(ovl.get(), base.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
  if (!probe || !is_readonly_view_of(probe.get(), exe)) return UniqueFd();
  if (::mkdirat(dir.get(), name.c_str(), 0700) < 0) return UniqueFd();
  UniqueFd target = open_dir(dir.get(), name.c_str());
  if (!target || ::syscall(SYS_move_mount, ovl.get(), "", target.get(), "",
                           MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0) {
    ::unlinkat(dir.get(), name.c_str(), AT_REMOVEDIR);
    return UniqueFd();
  }
  remove_stale_views(dir.get(), name);
  // Through the path, as every later invocation will see it.
  return open_verified(dir.get(), name, base, exe);
}

}  // namespace berth::linux_
