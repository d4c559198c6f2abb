// Safe writes into the container's procfs (procfs.hpp).
#include "berth/linux/procfs.hpp"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cctype>

#include "berth/linux/syscalls.hpp"
#include "berth/util/error.hpp"

namespace berth::linux_ {
namespace {

constexpr ino_t kProcRootIno = 1;  // PROC_ROOT_INO

bool all_digits(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

// "self" -> "<pid>", "thread-self" -> "<pid>/task/<tid>", as that procfs
// answers; anything else is refused (a mount or a forged link there).
std::string resolve_self(int proc, const std::string& link) {
  char buf[64];
  ssize_t n = ::readlinkat(proc, link.c_str(), buf, sizeof buf - 1);
  if (n < 0) throw_errno("readlink /proc/" + link);
  std::string target(buf, static_cast<size_t>(n));
  bool ok = false;
  if (link == "self") {
    ok = all_digits(target);
  } else {
    auto slash = target.find("/task/");
    ok = slash != std::string::npos && all_digits(target.substr(0, slash)) && all_digits(target.substr(slash + 6));
  }
  if (!ok) throw Error("/proc/" + link + " -> " + target + ": not procfs's own link; refused");
  return target;
}

}  // namespace

UniqueFd open_procfs_root(const std::string& where) {
  UniqueFd fd(::open(where.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) throw_errno("open " + where);
  struct statfs sfs {};
  if (::fstatfs(fd.get(), &sfs) < 0) throw_errno("statfs " + where);
  if (sfs.f_type != PROC_SUPER_MAGIC) throw Error(where + ": not a procfs (the container has no /proc mount?)");
  struct stat st {};
  if (::fstat(fd.get(), &st) < 0) throw_errno("stat " + where);
  if (st.st_ino != kProcRootIno) throw Error(where + ": a directory of a procfs, not its root; refused");
  return fd;
}

UniqueFd open_in_procfs(int proc, const std::string& rel, int flags) {
  if (rel.empty() || rel[0] == '/' || rel == ".." || rel.rfind("../", 0) == 0 || rel.find("/../") != std::string::npos ||
      (rel.size() >= 3 && rel.compare(rel.size() - 3, 3, "/..") == 0))
    throw Error("/proc/" + rel + ": not a path beneath /proc", EINVAL);
  std::string path = rel;
  for (const char* link : {"thread-self", "self"}) {
    const std::string l = link;
    if (path == l || path.rfind(l + "/", 0) == 0) {
      path = resolve_self(proc, l) + path.substr(l.size());
      break;
    }
  }
  UniqueFd fd(sys::openat2(proc, path.c_str(), static_cast<uint64_t>(flags | O_CLOEXEC | O_NOFOLLOW), 0,
                           RESOLVE_BENEATH | RESOLVE_NO_XDEV | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS));
  if (!fd) {
    if (errno == EXDEV)
      throw Error("open /proc/" + rel + ": a mount covers it or a directory on its way (not procfs's own file); refused",
                  EXDEV);
    if (errno == ELOOP) throw Error("open /proc/" + rel + ": a symlink on its way; refused", ELOOP);
    throw_errno("open /proc/" + rel);
  }
  struct statfs sfs {};
  if (::fstatfs(fd.get(), &sfs) < 0) throw_errno("statfs /proc/" + rel);
  if (sfs.f_type != PROC_SUPER_MAGIC) throw Error("/proc/" + rel + ": not on procfs; refused", EXDEV);
  return fd;
}

void write_procfs(const std::string& rel, const std::string& data) {
  UniqueFd proc = open_procfs_root();
  UniqueFd fd = open_in_procfs(proc.get(), rel, O_WRONLY);
  ssize_t n;
  do n = ::write(fd.get(), data.data(), data.size());
  while (n < 0 && errno == EINTR);
  if (n < 0) throw_errno("write /proc/" + rel);
  if (static_cast<size_t>(n) != data.size()) throw Error("write /proc/" + rel + ": short write");
}

bool procfs_exists(const std::string& rel) {
  UniqueFd proc = open_procfs_root();
  try {
    open_in_procfs(proc.get(), rel, O_PATH);
    return true;
  } catch (const Error& e) {
    if (e.code() == ENOENT) return false;
    throw;
  }
}

}  // namespace berth::linux_
