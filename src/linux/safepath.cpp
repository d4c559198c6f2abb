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

UniqueFd mkdir_all_in_root(int rootfd, const std::string& path, mode_t mode) {
  std::string c = clean_path(path);
  // Usually the whole path exists already (/proc, /dev, /sys in an image): one
  // openat2 instead of one per component. Any failure takes the walk below,
  // which creates what is missing and names the component that is wrong.
  if (UniqueFd whole = try_open_in_root(rootfd, c, O_PATH | O_DIRECTORY)) return whole;
  UniqueFd cur = open_in_root(rootfd, "/", O_PATH | O_DIRECTORY);
  std::string done;
  size_t i = 1;
  while (i < c.size() + 1 && c != "/") {
    size_t j = c.find('/', i);
    if (j == std::string::npos) j = c.size();
    std::string name = c.substr(i, j - i);
    done += "/" + name;
    UniqueFd next = try_open_in_root(rootfd, done, O_PATH | O_DIRECTORY);
    if (!next) {
      if (errno != ENOENT) throw_errno("open " + done + " in container rootfs");
      // Created relative to the already-resolved parent fd: no path walk to race.
      if (::mkdirat(cur.get(), name.c_str(), mode) < 0 && errno != EEXIST)
        throw_errno("mkdir " + done + " in container rootfs");
      next = open_in_root(rootfd, done, O_PATH | O_DIRECTORY);
    }
    cur = std::move(next);
    i = j + 1;
  }
  return cur;
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
