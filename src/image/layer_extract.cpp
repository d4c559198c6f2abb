// Safe layer extraction. Every path is resolved inside dest with openat2(RESOLVE_IN_ROOT)
// (linux_::open_in_root / mkdir_all_in_root); the last component is created with *at calls
// relative to its parent's fd and never followed, so neither a symlink planted by an earlier
// entry nor "../" can make an entry land outside dest.
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstring>
#include <memory>
#include <set>
#include <vector>

#include "berth/image/digest.hpp"
#include "berth/image/layer.hpp"
#include "berth/linux/safepath.hpp"
#include "berth/util/error.hpp"

namespace berth::image {
namespace {

struct ArchiveReadDeleter {
  void operator()(struct archive* a) const { archive_read_free(a); }
};

struct Source {
  UniqueFd fd;
  char buf[1 << 16];
};

la_ssize_t source_read(struct archive* a, void* client, const void** out) {
  auto* s = static_cast<Source*>(client);
  for (;;) {
    ssize_t n = ::read(s->fd.get(), s->buf, sizeof s->buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      archive_set_error(a, errno, "read: %s", std::strerror(errno));
      return -1;
    }
    *out = s->buf;
    return n;
  }
}

void remove_child(int dirfd, const std::string& name) {
  if (::unlinkat(dirfd, name.c_str(), 0) == 0 || errno == ENOENT) return;
  if (errno != EISDIR && errno != EPERM) throw_errno("remove " + name);
  UniqueFd sub(::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!sub) throw_errno("open " + name);
  DIR* d = ::fdopendir(::dup(sub.get()));
  if (!d) throw_errno("opendir " + name);
  std::vector<std::string> names;
  while (auto* e = ::readdir(d)) {
    if (std::strcmp(e->d_name, ".") && std::strcmp(e->d_name, "..")) names.push_back(e->d_name);
  }
  ::closedir(d);
  for (const auto& n : names) remove_child(sub.get(), n);
  if (::unlinkat(dirfd, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) throw_errno("rmdir " + name);
}

class Extractor {
 public:
  Extractor(const std::string& dest, ExtractMode mode, std::string what) : mode_(mode), what_(std::move(what)) {
    root_.reset(::open(dest.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!root_) throw_errno("open " + dest);
  }

  void run(struct archive* a) {
    archive_entry* e = nullptr;
    for (;;) {
      int rc = archive_read_next_header(a, &e);
      if (rc == ARCHIVE_EOF) break;
      if (rc < ARCHIVE_WARN) throw Error(what_ + ": " + (archive_error_string(a) ? archive_error_string(a) : "bad tar"));
      const char* p = archive_entry_pathname(e);
      std::string raw = p ? p : "";
      try {
        entry(a, e, raw);
      } catch (const Error& err) {
        throw Error(what_ + ": entry \"" + raw.substr(0, 200) + "\": " + err.what(), err.code());
      }
    }
    // Directory times last: creating their children changed them.
    for (auto it = dir_times_.rbegin(); it != dir_times_.rend(); ++it) {
      UniqueFd fd = linux_::try_open_in_root(root_.get(), it->first, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
      if (!fd) continue;
      struct timespec ts[2] = {{it->second, 0}, {it->second, 0}};
      ::futimens(fd.get(), ts);
    }
  }

 private:
  // "./a/b/" -> "a/b"; refuses ".." components.
  static std::string clean(const std::string& raw) {
    std::string out;
    size_t i = 0;
    while (i <= raw.size()) {
      size_t e = raw.find('/', i);
      if (e == std::string::npos) e = raw.size();
      std::string seg = raw.substr(i, e - i);
      i = e + 1;
      if (seg.empty() || seg == ".") continue;
      if (seg == "..") throw Error("path contains \"..\": refused");
      out += out.empty() ? seg : "/" + seg;
    }
    return out;
  }

  void entry(struct archive* a, archive_entry* e, const std::string& raw) {
    if (raw.find('\0') != std::string::npos) throw Error("NUL in path");
    std::string rel = clean(raw);
    if (rel.empty()) return;  // the layer root itself
    size_t slash = rel.rfind('/');
    std::string parent = slash == std::string::npos ? "" : rel.substr(0, slash);
    std::string base = slash == std::string::npos ? rel : rel.substr(slash + 1);
    UniqueFd pfd = parent.empty() ? UniqueFd(::dup(root_.get())) : linux_::mkdir_all_in_root(root_.get(), parent, 0755);
    if (!pfd) throw_errno("dup");

    if (base.rfind(".wh.", 0) == 0) {
      whiteout(pfd.get(), parent, base);
      return;
    }
    created_.insert(rel);

    mode_t type = archive_entry_filetype(e);
    const char* hl = archive_entry_hardlink(e);
    struct stat old {};
    bool exists = ::fstatat(pfd.get(), base.c_str(), &old, AT_SYMLINK_NOFOLLOW) == 0;
    if (exists && !(S_ISDIR(old.st_mode) && type == AE_IFDIR && !hl)) remove_child(pfd.get(), base);

    uid_t uid = static_cast<uid_t>(archive_entry_uid(e));
    gid_t gid = static_cast<gid_t>(archive_entry_gid(e));
    mode_t perm = archive_entry_perm(e) & 07777;
    int64_t mtime = archive_entry_mtime(e);

    if (hl) {
      std::string target = clean(hl);
      if (target.empty()) throw Error("hard link to the layer root");
      UniqueFd t = linux_::try_open_in_root(root_.get(), target, O_PATH | O_NOFOLLOW);
      if (!t) throw_errno("hard link target \"" + target + "\"");
      struct stat tst {};
      if (::fstat(t.get(), &tst) != 0) throw_errno("stat hard link target");
      if (S_ISDIR(tst.st_mode)) throw Error("hard link to a directory");
      if (::linkat(t.get(), "", pfd.get(), base.c_str(), AT_EMPTY_PATH) != 0) throw_errno("link");
      return;
    }
    switch (type) {
      case AE_IFDIR:
        if (!exists || !S_ISDIR(old.st_mode)) {
          if (::mkdirat(pfd.get(), base.c_str(), 0700) != 0) throw_errno("mkdir");
        }
        {
          UniqueFd d(::openat(pfd.get(), base.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
          if (!d) throw_errno("open dir");
          if (::fchown(d.get(), uid, gid) != 0) throw_errno("chown");
          if (::fchmod(d.get(), perm) != 0) throw_errno("chmod");
          set_xattrs(d.get(), e);
        }
        dir_times_.emplace_back(rel, mtime);
        return;
      case AE_IFREG: {
        UniqueFd f(::openat(pfd.get(), base.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
        if (!f) throw_errno("create");
        const void* buf;
        size_t size;
        la_int64_t off;
        for (;;) {
          int rc = archive_read_data_block(a, &buf, &size, &off);
          if (rc == ARCHIVE_EOF) break;
          if (rc < ARCHIVE_WARN) throw Error(std::string("read data: ") + archive_error_string(a));
          const char* p = static_cast<const char*>(buf);
          while (size) {
            ssize_t w = ::pwrite(f.get(), p, size, off);
            if (w < 0) {
              if (errno == EINTR) continue;
              throw_errno("write");
            }
            p += w;
            off += w;
            size -= static_cast<size_t>(w);
          }
        }
        if (::ftruncate(f.get(), archive_entry_size(e)) != 0) throw_errno("truncate");
        if (::fchown(f.get(), uid, gid) != 0) throw_errno("chown");
        if (::fchmod(f.get(), perm) != 0) throw_errno("chmod");
        set_xattrs(f.get(), e);
        struct timespec ts[2] = {{mtime, 0}, {mtime, 0}};
        ::futimens(f.get(), ts);
        return;
      }
      case AE_IFLNK: {
        const char* target = archive_entry_symlink(e);
        if (::symlinkat(target ? target : "", pfd.get(), base.c_str()) != 0) throw_errno("symlink");
        if (::fchownat(pfd.get(), base.c_str(), uid, gid, AT_SYMLINK_NOFOLLOW) != 0) throw_errno("chown");
        break;
      }
      case AE_IFCHR:
      case AE_IFBLK:
      case AE_IFIFO: {
        mode_t m = perm | (type == AE_IFCHR ? S_IFCHR : type == AE_IFBLK ? S_IFBLK : S_IFIFO);
        dev_t dev = makedev(archive_entry_rdevmajor(e), archive_entry_rdevminor(e));
        if (::mknodat(pfd.get(), base.c_str(), m, dev) != 0) throw_errno("mknod");
        if (::fchownat(pfd.get(), base.c_str(), uid, gid, AT_SYMLINK_NOFOLLOW) != 0) throw_errno("chown");
        if (::fchmodat(pfd.get(), base.c_str(), perm, 0) != 0) throw_errno("chmod");
        break;
      }
      default:
        throw Error("unsupported entry type " + std::to_string(type));
    }
    struct timespec ts[2] = {{mtime, 0}, {mtime, 0}};
    ::utimensat(pfd.get(), base.c_str(), ts, AT_SYMLINK_NOFOLLOW);
  }

  void set_xattrs(int fd, archive_entry* e) {
    const char* name;
    const void* value;
    size_t size;
    archive_entry_xattr_reset(e);
    while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
      // A layer must not plant overlayfs' own attributes (whiteouts are markers, not xattrs).
      if (std::strncmp(name, "trusted.overlay.", 16) == 0) continue;
      if (::fsetxattr(fd, name, value, size, 0) != 0 && errno != ENOTSUP) throw_errno(std::string("setxattr ") + name);
    }
  }

  void whiteout(int pfd, const std::string& parent, const std::string& base) {
    if (base == ".wh..wh..opq") {
      if (mode_ == ExtractMode::Overlay) {
        if (::fsetxattr(UniqueFd(::openat(pfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)).get(), "trusted.overlay.opaque", "y", 1,
                        0) != 0) {
          throw_errno("set opaque xattr");
        }
        return;
      }
      // Apply: drop what lower layers put in this directory, keep what this layer made.
      UniqueFd d(::openat(pfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
      DIR* dir = ::fdopendir(::dup(d.get()));
      if (!dir) throw_errno("opendir");
      std::vector<std::string> names;
      while (auto* de = ::readdir(dir)) {
        if (std::strcmp(de->d_name, ".") && std::strcmp(de->d_name, "..")) names.push_back(de->d_name);
      }
      ::closedir(dir);
      for (const auto& n : names) {
        if (!created_.count(parent.empty() ? n : parent + "/" + n)) remove_child(d.get(), n);
      }
      return;
    }
    std::string victim = base.substr(4);
    if (victim.empty() || victim == "." || victim == ".." || victim.find('/') != std::string::npos) {
      throw Error("invalid whiteout name");
    }
    if (mode_ == ExtractMode::Overlay) {
      remove_child(pfd, victim);
      if (::mknodat(pfd, victim.c_str(), S_IFCHR | 0, makedev(0, 0)) != 0) throw_errno("mknod whiteout");
    } else {
      remove_child(pfd, victim);
    }
  }

  UniqueFd root_;
  ExtractMode mode_;
  std::string what_;
  std::set<std::string> created_;
  std::vector<std::pair<std::string, int64_t>> dir_times_;
};

void extract_from(Source& src, const std::string& dest, ExtractMode mode, const std::string& what) {
  std::unique_ptr<struct archive, ArchiveReadDeleter> a(archive_read_new());
  archive_read_support_filter_all(a.get());
  archive_read_support_format_tar(a.get());
  archive_read_support_format_gnutar(a.get());
  if (archive_read_open(a.get(), &src, nullptr, source_read, nullptr) != ARCHIVE_OK) {
    throw Error(what + ": " + (archive_error_string(a.get()) ? archive_error_string(a.get()) : "cannot open"));
  }
  Extractor(dest, mode, what).run(a.get());
}

}  // namespace

void extract_layer(const Store& store, const Layer& layer, const std::string& dest, ExtractMode mode) {
  std::string what = "layer " + layer.blob.digest;
  auto src = std::make_unique<Source>();
  std::string path = store.blob_path(layer.blob.digest);
  src->fd.reset(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!src->fd) throw_errno(what + ": open " + path);
  // The digest is checked before extracting: a corrupted blob must not touch dest.
  if (sha256_file(path) != layer.blob.digest) throw Error(what + ": content does not match its digest");
  extract_from(*src, dest, mode, what);
}

void extract_tar_file(const std::string& tar_path, const std::string& dest, ExtractMode mode, const std::string& what) {
  auto src = std::make_unique<Source>();
  src->fd.reset(::open(tar_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!src->fd) throw_errno(what + ": open " + tar_path);
  extract_from(*src, dest, mode, what);
}

bool looks_like_archive(const std::string& path) {
  std::unique_ptr<struct archive, ArchiveReadDeleter> a(archive_read_new());
  archive_read_support_filter_all(a.get());
  archive_read_support_format_tar(a.get());
  archive_read_support_format_gnutar(a.get());
  if (archive_read_open_filename(a.get(), path.c_str(), 10240) != ARCHIVE_OK) return false;
  archive_entry* e = nullptr;
  return archive_read_next_header(a.get(), &e) == ARCHIVE_OK;
}

std::string ensure_layer_dir(Store& store, const Layer& layer) {
  std::string dir = store.layer_dir(layer.diff_id);
  struct stat st {};
  if (::stat(dir.c_str(), &st) == 0) return dir;
  std::string tmp = store.make_temp_dir("unpack");
  try {
    ::chmod(tmp.c_str(), 0755);
    extract_layer(store, layer, tmp, ExtractMode::Overlay);
  } catch (...) {
    remove_tree(tmp);
    throw;
  }
  if (::rename(tmp.c_str(), dir.c_str()) != 0) {
    int e = errno;
    remove_tree(tmp);
    if (e != EEXIST && e != ENOTEMPTY) throw_errno("rename " + tmp + " to " + dir, e);  // another build won: fine
  }
  return dir;
}

}  // namespace berth::image
