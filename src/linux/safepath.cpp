#include "berth/linux/safepath.hpp"

#include <fcntl.h>
#include <sys/stat.h>

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
// One level of mkdir -p on an already-clean path: the whole path first (usually
// it exists: /proc, /dev, /sys in an image), else the parent (recursively) and
// then the last name, made and opened relative to the parent's fd. Usually only
// the last component is missing (/dev/pts on the fresh /dev tmpfs): 5 calls, not
// a walk from the root.
UniqueFd mkdir_all_clean(int rootfd, const std::string& c, mode_t mode) {
  if (UniqueFd whole = try_open_in_root(rootfd, c, O_PATH | O_DIRECTORY)) return whole;
  if (c == "/") throw_errno("open / in container rootfs");
  auto [parent, base] = split_parent(c);
  UniqueFd dir = mkdir_all_clean(rootfd, parent, mode);
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
  if (fd < 0 && errno == ELOOP) return open_in_root(rootfd, c, O_PATH | O_DIRECTORY);
  if (fd < 0) throw_errno("open " + c + " in container rootfs");
  return UniqueFd(fd);
}
}  // namespace

UniqueFd mkdir_all_in_root(int rootfd, const std::string& path, mode_t mode) {
  return mkdir_all_clean(rootfd, clean_path(path), mode);
}

UniqueFd ensure_file_in_root(int rootfd, const std::string& path, mode_t mode) {
  UniqueFd fd = try_open_in_root(rootfd, path, O_PATH);
  if (fd) return fd;
  if (errno != ENOENT) throw_errno("open " + path + " in container rootfs");
  auto [parent, base] = split_parent(path);
  UniqueFd dir = mkdir_all_in_root(rootfd, parent);
  // O_NOFOLLOW|O_EXCL: never create through a (dangling) symlink.
  UniqueFd created(::openat(dir.get(), base.c_str(), O_CREAT | O_EXCL | O_NOFOLLOW | O_WRONLY | O_CLOEXEC, mode));
  if (!created && errno != EEXIST) throw_errno("create " + path + " in container rootfs");
  return open_in_root(rootfd, path, O_PATH);
}

}  // namespace berth::linux_
