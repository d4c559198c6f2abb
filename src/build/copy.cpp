#include "copy.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <functional>

#include "berth/image/digest.hpp"
#include "berth/image/layer.hpp"
#include "berth/linux/safepath.hpp"
#include "berth/util/error.hpp"
#include "berth/util/fd.hpp"

namespace berth::build {
namespace {

std::string rel_of(const std::string& arg) {
  std::string c = linux_::clean_path("/" + arg);
  return c == "/" ? "." : c.substr(1);
}

std::string join(const std::string& a, const std::string& b) { return a == "." ? b : a + "/" + b; }

std::vector<std::string> list(int dirfd) {
  std::vector<std::string> names;
  DIR* d = ::fdopendir(::dup(dirfd));
  if (!d) throw_errno("opendir");
  while (auto* e = ::readdir(d)) {
    if (std::strcmp(e->d_name, ".") && std::strcmp(e->d_name, "..")) names.push_back(e->d_name);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

// Every path below root (not following symlinks), skipping ignored ones.
void walk_all(int dirfd, const std::string& rel, const DockerIgnore* ig, std::vector<std::string>& out) {
  for (const auto& n : list(dirfd)) {
    std::string r = join(rel, n);
    if (ig && ig->excluded(r) && !ig->has_exceptions()) continue;
    out.push_back(r);
    struct stat st {};
    if (::fstatat(dirfd, n.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode)) {
      UniqueFd sub(::openat(dirfd, n.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (sub) walk_all(sub.get(), r, ig, out);
    }
  }
}

}  // namespace

Sources find_sources(const std::string& root, const std::vector<std::string>& args, const DockerIgnore* ignore) {
  Sources s;
  s.root = root;
  s.ignore = ignore;
  UniqueFd rootfd(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!rootfd) throw_errno("open " + root);
  std::vector<std::string> all;
  bool listed = false;
  for (const auto& a : args) {
    if (a.rfind("http://", 0) == 0 || a.rfind("https://", 0) == 0 || a.rfind("git@", 0) == 0) {
      throw Error("source \"" + a + "\": URLs are not supported: berth-build has no network access for ADD yet");
    }
    // ".." in a source may not climb out of the root (cleaning keeps it inside, as Docker).
    std::string rel = rel_of(a);
    if (has_glob(rel)) {
      s.wildcard = true;
      if (!listed) {
        walk_all(rootfd.get(), ".", ignore, all);
        listed = true;
      }
      size_t before = s.rels.size();
      for (const auto& p : all) {
        if (path_match(rel, p) && !(ignore && ignore->excluded(p))) s.rels.push_back(p);
      }
      if (s.rels.size() == before) throw Error("no source files were specified (\"" + a + "\" matches nothing)");
      continue;
    }
    if (ignore && rel != "." && ignore->excluded(rel)) throw Error("\"" + a + "\": excluded by .dockerignore");
    UniqueFd fd = linux_::try_open_in_root(rootfd.get(), rel, O_PATH);
    if (!fd) throw Error("\"" + a + "\": not found in " + (ignore ? "the build context" : root), errno);
    s.rels.push_back(rel);
  }
  return s;
}

namespace {

void hash_tree(image::Sha256& h, int dirfd, const std::string& name, const std::string& rel, const DockerIgnore* ig,
               bool top) {
  struct stat st {};
  // The top source follows symlinks (inside the root); what is below it is taken as is.
  if (::fstatat(dirfd, name.c_str(), &st, top ? 0 : AT_SYMLINK_NOFOLLOW) != 0) throw_errno("stat " + rel);
  std::string head = rel + "\n" + std::to_string(st.st_mode) + "\n";
  h.update(head.data(), head.size());
  if (S_ISLNK(st.st_mode)) {
    char t[4096];
    ssize_t n = ::readlinkat(dirfd, name.c_str(), t, sizeof t);
    if (n > 0) h.update(t, static_cast<size_t>(n));
  } else if (S_ISREG(st.st_mode)) {
    UniqueFd f(::openat(dirfd, name.c_str(), O_RDONLY | O_CLOEXEC | (top ? 0 : O_NOFOLLOW)));
    if (!f) throw_errno("open " + rel);
    char buf[1 << 16];
    ssize_t n;
    while ((n = ::read(f.get(), buf, sizeof buf)) > 0) h.update(buf, static_cast<size_t>(n));
    if (n < 0) throw_errno("read " + rel);
  } else if (S_ISDIR(st.st_mode)) {
    UniqueFd d(::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | (top ? 0 : O_NOFOLLOW)));
    if (!d) throw_errno("open " + rel);
    for (const auto& n : list(d.get())) {
      std::string r = join(rel, n);
      if (ig && ig->excluded(r)) continue;
      hash_tree(h, d.get(), n, r, ig, false);
    }
  }
}

}  // namespace

std::string digest_sources(const Sources& s) {
  image::Sha256 h;
  UniqueFd rootfd(::open(s.root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!rootfd) throw_errno("open " + s.root);
  for (const auto& rel : s.rels) {
    UniqueFd fd = linux_::open_in_root(rootfd.get(), rel, O_PATH);
    // hash through the resolved fd: "" relative to it is the source itself
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) throw_errno("stat " + rel);
    if (S_ISDIR(st.st_mode)) {
      UniqueFd d = linux_::open_in_root(rootfd.get(), rel, O_RDONLY | O_DIRECTORY);
      hash_tree(h, d.get(), ".", rel, s.ignore, true);
    } else {
      UniqueFd f = linux_::open_in_root(rootfd.get(), rel, O_RDONLY);
      std::string head = rel + "\n" + std::to_string(st.st_mode) + "\n";
      h.update(head.data(), head.size());
      char buf[1 << 16];
      ssize_t n;
      while ((n = ::read(f.get(), buf, sizeof buf)) > 0) h.update(buf, static_cast<size_t>(n));
      if (n < 0) throw_errno("read " + rel);
    }
  }
  return h.digest();
}

namespace {

class Copier {
 public:
  Copier(int rootfs, const CopyOptions& o, const DockerIgnore* ig) : rootfs_(rootfs), opts_(o), ig_(ig) {}

  // Copies the object at src to dest (absolute inside the rootfs): resolves dest's parent
  // inside the rootfs once, then works relative to directory fds all the way down.
  void copy_any(int src_parent, const std::string& name, const std::string& rel, const std::string& dest, bool top) {
    auto [dparent, dbase] = linux_::split_parent(dest);
    if (dbase.empty()) throw Error("cannot copy onto /");
    mkdir_owned(rootfs_, dparent, opts_.uid.value_or(0), opts_.gid.value_or(0));
    UniqueFd pfd = linux_::mkdir_all_in_root(rootfs_, dparent, 0755);
    copy_at(src_parent, name, rel, pfd.get(), dbase, dest, top);
  }

 private:
  // top: src_parent is the source itself, already resolved inside its root (name unused).
  void copy_at(int src_parent, const std::string& name, const std::string& rel, int pfd, const std::string& dbase,
               const std::string& dest, bool top) {
    struct stat st {};
    if (::fstatat(src_parent, top ? "" : name.c_str(), &st, top ? AT_EMPTY_PATH : AT_SYMLINK_NOFOLLOW) != 0) {
      throw_errno("stat " + rel);
    }
    struct stat old {};
    bool exists = ::fstatat(pfd, dbase.c_str(), &old, AT_SYMLINK_NOFOLLOW) == 0;
    if (exists && !(S_ISDIR(st.st_mode) && S_ISDIR(old.st_mode))) {
      if (::unlinkat(pfd, dbase.c_str(), S_ISDIR(old.st_mode) ? AT_REMOVEDIR : 0) != 0) {
        throw_errno("replace " + dest);
      }
    }
    uid_t uid = opts_.uid.value_or(0);
    gid_t gid = opts_.gid.value_or(0);
    mode_t mode = opts_.chmod.value_or(st.st_mode & 07777);
    struct timespec ts[2] = {st.st_mtim, st.st_mtim};
    if (S_ISDIR(st.st_mode)) {
      if (!exists || !S_ISDIR(old.st_mode)) {
        if (::mkdirat(pfd, dbase.c_str(), 0700) != 0) throw_errno("mkdir " + dest);
      }
      UniqueFd src(top ? ::open(linux_::fd_path(src_parent).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
                       : ::openat(src_parent, name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW));
      if (!src) throw_errno("open " + rel);
      UniqueFd d(::openat(pfd, dbase.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!d) throw_errno("open " + dest);
      for (const auto& n : list(src.get())) {
        std::string r = join(rel, n);
        if (ig_ && ig_->excluded(r)) continue;
        copy_at(src.get(), n, r, d.get(), n, dest + "/" + n, false);
      }
      if (::fchown(d.get(), uid, gid) != 0 || ::fchmod(d.get(), mode) != 0) throw_errno("set owner/mode of " + dest);
      ::futimens(d.get(), ts);
      return;
    }
    if (S_ISREG(st.st_mode)) {
      UniqueFd src(top ? ::open(linux_::fd_path(src_parent).c_str(), O_RDONLY | O_CLOEXEC)
                       : ::openat(src_parent, name.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
      if (!src) throw_errno("open " + rel);
      UniqueFd out(::openat(pfd, dbase.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
      if (!out) throw_errno("create " + dest);
      off_t left = st.st_size;
      while (left > 0) {
        ssize_t n = -1;
        if (cfr_) {
          n = ::copy_file_range(src.get(), nullptr, out.get(), nullptr, static_cast<size_t>(left), 0);
          // overlayfs over another file system says EXDEV: stop asking for this copy
          if (n < 0 && (errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP)) cfr_ = false;
        }
        if (!cfr_) {
          char buf[1 << 16];
          n = ::read(src.get(), buf, sizeof buf);
          if (n > 0 && ::write(out.get(), buf, static_cast<size_t>(n)) != n) throw_errno("write " + dest);
        }
        if (n < 0) throw_errno("copy " + rel + " to " + dest);
        if (n == 0) break;
        left -= n;
      }
      if (::fchown(out.get(), uid, gid) != 0 || ::fchmod(out.get(), mode) != 0) throw_errno("set owner/mode of " + dest);
      ::futimens(out.get(), ts);
      return;
    }
    if (S_ISLNK(st.st_mode)) {
      char t[4096];
      ssize_t n = ::readlinkat(src_parent, name.c_str(), t, sizeof t - 1);
      if (n < 0) throw_errno("readlink " + rel);
      t[n] = 0;
      if (::symlinkat(t, pfd, dbase.c_str()) != 0) throw_errno("symlink " + dest);
      ::fchownat(pfd, dbase.c_str(), uid, gid, AT_SYMLINK_NOFOLLOW);
      ::utimensat(pfd, dbase.c_str(), ts, AT_SYMLINK_NOFOLLOW);
      return;
    }
    if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) || S_ISFIFO(st.st_mode)) {
      if (::mknodat(pfd, dbase.c_str(), (st.st_mode & S_IFMT) | mode, st.st_rdev) != 0) throw_errno("mknod " + dest);
      ::fchownat(pfd, dbase.c_str(), uid, gid, AT_SYMLINK_NOFOLLOW);
    }
  }

  int rootfs_;
  bool cfr_ = true;
  const CopyOptions& opts_;
  const DockerIgnore* ig_;
};

}  // namespace

bool mkdir_owned(int rootfd, const std::string& path, uid_t uid, gid_t gid) {
  std::string clean = linux_::clean_path(path), sofar;
  bool made = false;
  size_t b = 1;
  while (b < clean.size()) {
    size_t e = clean.find('/', b);
    if (e == std::string::npos) e = clean.size();
    sofar += "/" + clean.substr(b, e - b);
    b = e + 1;
    if (linux_::try_open_in_root(rootfd, sofar, O_PATH | O_DIRECTORY)) continue;
    UniqueFd d = linux_::mkdir_all_in_root(rootfd, sofar, 0755);
    if (::fchownat(d.get(), "", uid, gid, AT_EMPTY_PATH) != 0) throw_errno("chown " + sofar);
    made = true;
  }
  return made;
}

void copy_sources(const Sources& s, const std::string& rootfs, const std::string& dest_in, const CopyOptions& opts) {
  UniqueFd rootfd(::open(rootfs.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!rootfd) throw_errno("open " + rootfs);
  UniqueFd srcroot(::open(s.root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!srcroot) throw_errno("open " + s.root);
  bool dest_dir = dest_in.back() == '/' || s.rels.size() > 1 || s.wildcard;
  std::string dest = linux_::clean_path(dest_in);
  if (!dest_dir) {
    UniqueFd d = linux_::try_open_in_root(rootfd.get(), dest, O_PATH | O_DIRECTORY);
    if (d) dest_dir = true;  // an existing directory: copy into it
  }
  Copier c(rootfd.get(), opts, s.ignore);
  for (const auto& rel : s.rels) {
    UniqueFd fd = linux_::open_in_root(srcroot.get(), rel, O_PATH);
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) throw_errno("stat " + rel);
    if (S_ISDIR(st.st_mode)) {
      // A directory's contents are copied, not the directory itself.
      UniqueFd d = linux_::open_in_root(srcroot.get(), rel, O_RDONLY | O_DIRECTORY);
      mkdir_owned(rootfd.get(), dest, opts.uid.value_or(0), opts.gid.value_or(0));
      for (const auto& n : list(d.get())) {
        std::string r = join(rel, n);
        if (s.ignore && s.ignore->excluded(r)) continue;
        c.copy_any(d.get(), n, r, (dest == "/" ? "" : dest) + "/" + n, false);
      }
      continue;
    }
    std::string base = linux_::split_parent("/" + rel).second;
    UniqueFd rfd = linux_::open_in_root(srcroot.get(), rel, O_RDONLY);
    if (opts.extract_archives && S_ISREG(st.st_mode) && image::looks_like_archive(linux_::fd_path(rfd.get()))) {
      UniqueFd target = linux_::mkdir_all_in_root(rootfd.get(), dest, 0755);
      image::extract_tar_file(linux_::fd_path(rfd.get()), linux_::fd_path(target.get()), image::ExtractMode::Apply,
                              "ADD " + rel);
      continue;
    }
    std::string target = dest_dir ? (dest == "/" ? "" : dest) + "/" + base : dest;
    c.copy_any(rfd.get(), "", rel, target, true);
  }
}

}  // namespace berth::build
