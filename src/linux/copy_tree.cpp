#include "berth/linux/copy_tree.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <string>

#include "berth/util/error.hpp"
#include "berth/util/fd.hpp"

namespace berth::linux_ {
namespace {

void copy_file(int s, int t, const std::string& name) {
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(s, buf, sizeof buf);
    if (n == 0) return;
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("tmpcopyup: read " + name);
    }
    for (ssize_t off = 0; off < n;) {
      ssize_t w = ::write(t, buf + off, static_cast<size_t>(n - off));
      if (w < 0) {
        if (errno == EINTR) continue;
        throw_errno("tmpcopyup: write " + name);
      }
      off += w;
    }
  }
}

}  // namespace

void copy_tree(int srcdir, int dstdir) {
  UniqueFd dup(::fcntl(srcdir, F_DUPFD_CLOEXEC, 0));
  if (!dup) throw_errno("tmpcopyup: dup");
  DIR* d = ::fdopendir(dup.get());
  if (!d) throw_errno("tmpcopyup: opendir");
  dup.release();
  std::unique_ptr<DIR, int (*)(DIR*)> dir(d, ::closedir);
  for (;;) {
    errno = 0;
    dirent* e = ::readdir(dir.get());
    if (!e) {
      if (errno != 0) throw_errno("tmpcopyup: read directory");
      break;
    }
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    struct stat st {};
    if (::fstatat(srcdir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) throw_errno("tmpcopyup: stat " + name);
    if (S_ISDIR(st.st_mode)) {
      if (::mkdirat(dstdir, name.c_str(), 0700) < 0 && errno != EEXIST) throw_errno("tmpcopyup: mkdir " + name);
      UniqueFd s(::openat(srcdir, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!s) throw_errno("tmpcopyup: open " + name);
      UniqueFd t(::openat(dstdir, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!t) throw_errno("tmpcopyup: open copy of " + name);
      copy_tree(s.get(), t.get());
    } else if (S_ISLNK(st.st_mode)) {
      char buf[PATH_MAX];
      ssize_t n = ::readlinkat(srcdir, name.c_str(), buf, sizeof buf - 1);
      if (n < 0) throw_errno("tmpcopyup: readlink " + name);
      buf[n] = 0;
      if (::symlinkat(buf, dstdir, name.c_str()) < 0) throw_errno("tmpcopyup: symlink " + name);
    } else if (S_ISREG(st.st_mode)) {
      UniqueFd s(::openat(srcdir, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
      if (!s) throw_errno("tmpcopyup: open " + name);
      UniqueFd t(::openat(dstdir, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
      if (!t) throw_errno("tmpcopyup: create " + name);
      copy_file(s.get(), t.get(), name);
    } else {
      if (::mknodat(dstdir, name.c_str(), st.st_mode, st.st_rdev) < 0) throw_errno("tmpcopyup: mknod " + name);
    }
    // Owner first, then the mode: chown clears set-id bits, and the mode given to
    // mkdir/open was cut by the umask.
    if (::fchownat(dstdir, name.c_str(), st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0)
      throw_errno("tmpcopyup: chown " + name + " to " + std::to_string(st.st_uid) + ":" + std::to_string(st.st_gid));
    if (!S_ISLNK(st.st_mode) && ::fchmodat(dstdir, name.c_str(), st.st_mode & 07777, 0) < 0)
      throw_errno("tmpcopyup: chmod " + name);
  }
}

}  // namespace berth::linux_
