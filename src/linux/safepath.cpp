#include "berth/linux/safepath.hpp"

#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <optional>

#include <vector>

#include "berth/linux/syscalls.hpp"
#include "berth/util/error.hpp"

namespace berth::linux_ {
namespace {
constexpr uint64_t kResolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;

std::string relative(const std::string& path) {
  std::string c = clean_path(path);
  return c == "/" ? "." : c.substr(1);
}
}  // namespace

std::string clean_path(const std::string& path) {
  std::vector<std::string> parts;
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    std::string part = path.substr(i, j - i);
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
    } else if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
    i = j + 1;
  }
  std::string out;
  for (const auto& p : parts) out += "/" + p;
  return out.empty() ? "/" : out;
}

std::pair<std::string, std::string> split_parent(const std::string& path) {
  std::string c = clean_path(path);
  if (c == "/") return {"/", ""};
  size_t slash = c.rfind('/');
  return {slash == 0 ? "/" : c.substr(0, slash), c.substr(slash + 1)};
}

std::string fd_path(int fd) { return "/proc/self/fd/" + std::to_string(fd); }

UniqueFd try_open_in_root(int rootfd, const std::string& path, int flags, mode_t mode) {
  int fd;
  do {
    fd = sys::openat2(rootfd, relative(path).c_str(), static_cast<uint64_t>(flags | O_CLOEXEC), mode,
                      kResolve);
  } while (fd < 0 && errno == EAGAIN);  // EAGAIN: a concurrent rename raced the lookup; retry
  return UniqueFd(fd);
}

UniqueFd open_in_root(int rootfd, const std::string& path, int flags, mode_t mode) {
  UniqueFd fd = try_open_in_root(rootfd, path, flags, mode);
  if (!fd) throw_errno("open " + path + " in container rootfs");
  return fd;
}

namespace {
// As many symlinks as the kernel follows in one lookup (MAXSYMLINKS) before ELOOP.
constexpr int kMaxSymlinks = 40;

// Where a symlink named `base` in `dir` points, as a clean path inside the root: relative
// targets against dir's own place in the root (from the fd, so a symlinked parent counts as
// the kernel counts it), absolute ones against the root, as RESOLVE_IN_ROOT follows them.
// nullopt when `base` is not a symlink.
std::optional<std::string> symlink_target_in_root(int rootfd, int dir, const std::string& base) {
  char buf[PATH_MAX];
  ssize_t n = ::readlinkat(dir, base.c_str(), buf, sizeof buf);
  if (n < 0 || n == sizeof buf) return std::nullopt;
  std::string target(buf, static_cast<size_t>(n));
  if (target.empty()) return std::nullopt;
  if (target[0] == '/') return clean_path(target);
  auto real = [](int fd) {
    char p[PATH_MAX];
    ssize_t len = ::readlink(fd_path(fd).c_str(), p, sizeof p);
    if (len < 0 || len == sizeof p) throw_errno("readlink " + fd_path(fd));
    return std::string(p, static_cast<size_t>(len));
  };
  std::string root = real(rootfd), here = real(dir);
  if (root == "/") root.clear();
  if (here != root && here.compare(0, root.size() + 1, root + "/") != 0)
    throw Error("open " + base + ": outside the container rootfs");
  return clean_path(here.substr(root.size()) + "/" + target);
}

// One level of mkdir -p on an already-clean path: the whole path first (usually
// it exists: /proc, /dev, /sys in an image), else the parent (recursively) and
// then the last name, made and opened relative to the parent's fd. Usually only
// the last component is missing (/dev/pts on the fresh /dev tmpfs): 5 calls, not
// a walk from the root.
UniqueFd mkdir_all_clean(int rootfd, const std::string& c, mode_t mode, bool follow, int links = 0) {
  if (UniqueFd whole = try_open_in_root(rootfd, c, O_PATH | O_DIRECTORY)) return whole;
  if (c == "/") throw_errno("open / in container rootfs");
  auto [parent, base] = split_parent(c);
  UniqueFd dir = mkdir_all_clean(rootfd, parent, mode, follow, links);
  // Created relative to the already-resolved parent fd: no path walk to race.
  if (::mkdirat(dir.get(), base.c_str(), mode) < 0 && errno != EEXIST)
    throw_errno("mkdir " + c + " in container rootfs");
  // `base` is one name (no "/", "." or ".."); a symlink there is not followed
  // here (ELOOP) but resolved like any path, inside the root.
  int fd;
  do {
    fd = sys::openat2(dir.get(), base.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC, 0,
                      RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
  } while (fd < 0 && errno == EAGAIN);
  if (fd < 0 && errno == ELOOP) {
    if (!follow) return open_in_root(rootfd, c, O_PATH | O_DIRECTORY);
    if (UniqueFd followed = try_open_in_root(rootfd, c, O_PATH | O_DIRECTORY)) return followed;
    // A dangling symlink: the directory is made where it points, inside the root, as runc
    // (SecureJoin + MkdirAll) and crun do.
    std::optional<std::string> target = symlink_target_in_root(rootfd, dir.get(), base);
    if (!target) throw_errno("open " + c + " in container rootfs");
    if (++links > kMaxSymlinks) throw Error("open " + c + " in container rootfs: too many levels of symbolic links");
    return mkdir_all_clean(rootfd, *target, mode, follow, links);
  }
  if (fd < 0) throw_errno("open " + c + " in container rootfs");
  return UniqueFd(fd);
}
}  // namespace

UniqueFd mkdir_all_in_root(int rootfd, const std::string& path, mode_t mode, bool follow_dangling) {
  return mkdir_all_clean(rootfd, clean_path(path), mode, follow_dangling);
}

UniqueFd ensure_file_in_root(int rootfd, const std::string& path, mode_t mode) {
  std::string at = path;
  for (int links = 0;; ++links) {
    UniqueFd fd = try_open_in_root(rootfd, at, O_PATH);
    if (fd) return fd;
    if (errno != ENOENT) throw_errno("open " + at + " in container rootfs");
    auto [parent, base] = split_parent(at);
    UniqueFd dir = mkdir_all_in_root(rootfd, parent, 0755, true);
    // O_NOFOLLOW|O_EXCL: never create through a (dangling) symlink...
    UniqueFd created(::openat(dir.get(), base.c_str(), O_CREAT | O_EXCL | O_NOFOLLOW | O_WRONLY | O_CLOEXEC, mode));
    if (!created && errno != EEXIST) throw_errno("create " + at + " in container rootfs");
    if (created) return open_in_root(rootfd, at, O_PATH);
    // ...but where it points, resolved inside the root, as runc (SecureJoin) and crun do:
    // a mount on /etc/localtime -> ../usr/share/zoneinfo/X lands on X, made if missing.
    std::optional<std::string> target = symlink_target_in_root(rootfd, dir.get(), base);
    if (!target) return open_in_root(rootfd, at, O_PATH);  // made meanwhile: open it
    if (links >= kMaxSymlinks) throw Error("open " + path + " in container rootfs: too many levels of symbolic links");
    at = *target;
  }
}

}  // namespace berth::linux_
