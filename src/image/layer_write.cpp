// Reproducible layer tars. The tar stream goes through a sink that hashes it (diff_id),
// gzips it with zlib (header mtime 0) and hashes the result (the blob digest) in one pass.
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <map>
#include <memory>
#include <vector>

#include "berth/image/digest.hpp"
#include "berth/image/layer.hpp"
#include "berth/util/error.hpp"

namespace berth::image {
namespace {

// One pass: the tar stream is hashed (diff_id), compressed, hashed again (blob digest) and
// written. gzip through zlib (header: no name, mtime 0), zstd through libzstd (level 3).
class Sink {
 public:
  Sink(const std::string& path, Compression c) : path_(path), c_(c) {
    fd_.reset(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    if (!fd_) throw_errno("create " + path);
    if (c_ == Compression::Gzip) {
      std::memset(&z_, 0, sizeof z_);
      if (deflateInit2(&z_, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        throw Error("gzip: deflateInit2 failed");
      }
      z_init_ = true;
    } else if (c_ == Compression::Zstd) {
      zs_ = ZSTD_createCCtx();
      if (!zs_) throw Error("zstd: cannot create a context");
      ZSTD_CCtx_setParameter(zs_, ZSTD_c_compressionLevel, 3);
      ZSTD_CCtx_setParameter(zs_, ZSTD_c_checksumFlag, 1);
    }
  }
  ~Sink() {
    if (z_init_) deflateEnd(&z_);
    if (zs_) ZSTD_freeCCtx(zs_);
  }

  void write(const void* data, size_t n) {
    tar_hash_.update(data, n);
    if (c_ == Compression::None) {
      out(data, n);
    } else if (c_ == Compression::Gzip) {
      z_.next_in = static_cast<Bytef*>(const_cast<void*>(data));
      z_.avail_in = static_cast<uInt>(n);
      deflate_loop(Z_NO_FLUSH);
    } else {
      ZSTD_inBuffer in{data, n, 0};
      zstd_loop(in, ZSTD_e_continue);
    }
  }

  void finish() {
    if (c_ == Compression::Gzip) deflate_loop(Z_FINISH);
    if (c_ == Compression::Zstd) {
      ZSTD_inBuffer in{nullptr, 0, 0};
      zstd_loop(in, ZSTD_e_end);
    }
    if (::fsync(fd_.get()) != 0) throw_errno("fsync " + path_);
    fd_.reset();
  }

  std::string diff_id() { return tar_hash_.digest(); }
  std::string blob_digest() { return c_ != Compression::None ? blob_hash_.digest() : diff_id(); }
  int64_t size() const { return size_; }

 private:
  void deflate_loop(int flush) {
    unsigned char buf[1 << 16];
    for (;;) {
      z_.next_out = buf;
      z_.avail_out = sizeof buf;
      int rc = deflate(&z_, flush);
      if (rc == Z_STREAM_ERROR) throw Error("gzip: deflate failed");
      size_t have = sizeof buf - z_.avail_out;
      out(buf, have);
      if (flush == Z_FINISH ? rc == Z_STREAM_END : z_.avail_out != 0) break;
    }
  }
  void zstd_loop(ZSTD_inBuffer& in, ZSTD_EndDirective mode) {
    unsigned char buf[1 << 16];
    for (;;) {
      ZSTD_outBuffer o{buf, sizeof buf, 0};
      size_t left = ZSTD_compressStream2(zs_, &o, &in, mode);
      if (ZSTD_isError(left)) throw Error(std::string("zstd: ") + ZSTD_getErrorName(left));
      out(buf, o.pos);
      if (mode == ZSTD_e_end ? left == 0 : in.pos == in.size) break;
    }
  }
  void out(const void* data, size_t n) {
    if (c_ != Compression::None) blob_hash_.update(data, n);
    const char* p = static_cast<const char*>(data);
    while (n) {
      ssize_t w = ::write(fd_.get(), p, n);
      if (w < 0) {
        if (errno == EINTR) continue;
        throw_errno("write " + path_);
      }
      p += w;
      n -= static_cast<size_t>(w);
      size_ += w;
    }
  }

  std::string path_;
  Compression c_;
  UniqueFd fd_;
  z_stream z_{};
  bool z_init_ = false;
  ZSTD_CCtx* zs_ = nullptr;
  Sha256 tar_hash_, blob_hash_;
  int64_t size_ = 0;
};

la_ssize_t sink_write(struct archive* a, void* client, const void* buf, size_t n) {
  try {
    static_cast<Sink*>(client)->write(buf, n);
    return static_cast<la_ssize_t>(n);
  } catch (const Error& e) {
    archive_set_error(a, e.code() ? e.code() : EIO, "%s", e.what());
    return -1;
  }
}

struct ArchiveWriteDeleter {
  void operator()(struct archive* a) const { archive_write_free(a); }
};
struct EntryDeleter {
  void operator()(archive_entry* e) const { archive_entry_free(e); }
};

class Walker {
 public:
  Walker(struct archive* a, std::string root, const LayerWriteOptions& o) : a_(a), root_(std::move(root)), opts_(o) {}

  void walk(const std::string& rel) {
    std::string abs = rel.empty() ? root_ : root_ + "/" + rel;
    std::vector<std::string> names = sorted_dir_names(abs);
    // Whiteouts given beside the tree sort by the name they hide, as their 0/0 devices would.
    std::string prefix = rel.empty() ? "" : rel + "/";
    bool added = false;
    for (auto it = opts_.whiteouts.lower_bound(prefix); it != opts_.whiteouts.end() && it->rfind(prefix, 0) == 0; ++it) {
      if (it->find('/', prefix.size()) != std::string::npos) continue;  // deeper down
      std::string base = it->substr(prefix.size());
      if (std::binary_search(names.begin(), names.end(), base)) {
        throw Error("write layer: " + root_ + "/" + *it + ": both a whiteout and an entry");
      }
      names.push_back(base);
      added = true;
    }
    if (added) std::sort(names.begin(), names.end());
    for (const auto& n : names) {
      std::string r = rel.empty() ? n : rel + "/" + n;
      if (opts_.whiteouts.count(r)) {
        struct stat st {};
        ::clock_gettime(CLOCK_REALTIME, &st.st_mtim);  // a device made now would have this mtime
        whiteout(prefix + ".wh." + n, st);
        continue;
      }
      entry(r);
    }
  }

 private:
  int64_t mtime(const struct stat& st) const {
    if (!opts_.epoch) return 0;
    return std::min<int64_t>(st.st_mtim.tv_sec, *opts_.epoch);
  }

  void check(int rc, const std::string& what) {
    if (rc < ARCHIVE_OK) throw Error("write layer: " + what + ": " + (archive_error_string(a_) ? archive_error_string(a_) : "error"));
  }

  std::map<std::string, std::string> xattrs(const std::string& abs) {
    std::map<std::string, std::string> out;
    ssize_t n = ::llistxattr(abs.c_str(), nullptr, 0);
    if (n <= 0) return out;
    std::string names(static_cast<size_t>(n), '\0');
    n = ::llistxattr(abs.c_str(), names.data(), names.size());
    if (n <= 0) return out;
    for (size_t i = 0; i < static_cast<size_t>(n);) {
      std::string name(names.c_str() + i);
      i += name.size() + 1;
      if (name.rfind("trusted.overlay.", 0) == 0) continue;
      ssize_t vn = ::lgetxattr(abs.c_str(), name.c_str(), nullptr, 0);
      if (vn < 0) continue;
      std::string v(static_cast<size_t>(vn), '\0');
      vn = ::lgetxattr(abs.c_str(), name.c_str(), v.data(), v.size());
      if (vn < 0) continue;
      v.resize(static_cast<size_t>(vn));
      out[name] = v;
    }
    return out;
  }

  bool opaque(const std::string& abs) {
    char v[4];
    ssize_t n = ::lgetxattr(abs.c_str(), "trusted.overlay.opaque", v, sizeof v);
    return n == 1 && v[0] == 'y';
  }

  std::unique_ptr<archive_entry, EntryDeleter> base_entry(const std::string& rel, const struct stat& st) {
    std::unique_ptr<archive_entry, EntryDeleter> e(archive_entry_new());
    archive_entry_set_pathname(e.get(), rel.c_str());
    archive_entry_set_uid(e.get(), st.st_uid);
    archive_entry_set_gid(e.get(), st.st_gid);
    archive_entry_set_perm(e.get(), st.st_mode & 07777);
    archive_entry_set_mtime(e.get(), mtime(st), 0);
    return e;
  }

  void whiteout(const std::string& rel_marker, const struct stat& st) {
    struct stat z = st;
    z.st_mode = S_IFREG;
    z.st_uid = z.st_gid = 0;
    auto e = base_entry(rel_marker, z);
    archive_entry_set_filetype(e.get(), AE_IFREG);
    archive_entry_set_size(e.get(), 0);
    check(archive_write_header(a_, e.get()), rel_marker);
  }

  void entry(const std::string& rel) {
    std::string abs = root_ + "/" + rel;
    struct stat st {};
    if (::lstat(abs.c_str(), &st) != 0) throw_errno("lstat " + abs);
    size_t slash = rel.rfind('/');
    std::string dir = slash == std::string::npos ? "" : rel.substr(0, slash + 1);
    std::string base = slash == std::string::npos ? rel : rel.substr(slash + 1);
    if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0)) {
      whiteout(dir + ".wh." + base, st);
      return;
    }
    if (base.rfind(".wh.", 0) == 0) throw Error("write layer: " + abs + ": names starting with .wh. are reserved for whiteouts");
    auto e = base_entry(S_ISDIR(st.st_mode) ? rel + "/" : rel, st);
    bool data = false;
    if (S_ISREG(st.st_mode)) {
      auto key = std::make_pair(st.st_dev, st.st_ino);
      if (st.st_nlink > 1) {
        auto it = links_.find(key);
        if (it != links_.end()) {
          archive_entry_set_filetype(e.get(), AE_IFREG);
          archive_entry_set_hardlink(e.get(), it->second.c_str());
          archive_entry_set_size(e.get(), 0);
          check(archive_write_header(a_, e.get()), rel);
          return;
        }
        links_[key] = rel;
      }
      archive_entry_set_filetype(e.get(), AE_IFREG);
      archive_entry_set_size(e.get(), st.st_size);
      data = true;
    } else if (S_ISDIR(st.st_mode)) {
      archive_entry_set_filetype(e.get(), AE_IFDIR);
    } else if (S_ISLNK(st.st_mode)) {
      std::string target(static_cast<size_t>(st.st_size) + 1, '\0');
      ssize_t n = ::readlink(abs.c_str(), target.data(), target.size());
      if (n < 0) throw_errno("readlink " + abs);
      target.resize(static_cast<size_t>(n));
      archive_entry_set_filetype(e.get(), AE_IFLNK);
      archive_entry_set_symlink(e.get(), target.c_str());
      archive_entry_set_perm(e.get(), 0777);
    } else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
      archive_entry_set_filetype(e.get(), S_ISCHR(st.st_mode) ? AE_IFCHR : AE_IFBLK);
      archive_entry_set_rdevmajor(e.get(), major(st.st_rdev));
      archive_entry_set_rdevminor(e.get(), minor(st.st_rdev));
    } else if (S_ISFIFO(st.st_mode)) {
      archive_entry_set_filetype(e.get(), AE_IFIFO);
    } else {
      return;  // sockets are not kept in layers (as Docker)
    }
    if (!S_ISLNK(st.st_mode)) {
      for (const auto& [k, v] : xattrs(abs)) archive_entry_xattr_add_entry(e.get(), k.c_str(), v.data(), v.size());
    }
    check(archive_write_header(a_, e.get()), rel);
    if (data) copy_data(abs, st.st_size);
    if (S_ISDIR(st.st_mode)) {
      if (opaque(abs) || opts_.opaque_dirs.count(rel)) whiteout(rel + "/.wh..wh..opq", st);
      walk(rel);
    }
  }

  void copy_data(const std::string& abs, off_t size) {
    UniqueFd fd(::open(abs.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) throw_errno("open " + abs);
    char buf[1 << 16];
    off_t left = size;
    while (left > 0) {
      ssize_t n = ::read(fd.get(), buf, static_cast<size_t>(std::min<off_t>(left, sizeof buf)));
      if (n < 0) {
        if (errno == EINTR) continue;
        throw_errno("read " + abs);
      }
      if (n == 0) throw Error("write layer: " + abs + ": file shrank while being read");
      if (archive_write_data(a_, buf, static_cast<size_t>(n)) < 0) check(ARCHIVE_FATAL, abs);
      left -= n;
    }
  }

  struct archive* a_;
  std::string root_;
  const LayerWriteOptions& opts_;
  std::map<std::pair<dev_t, ino_t>, std::string> links_;
};

}  // namespace

Compression parse_compression(const std::string& s) {
  if (s == "gzip") return Compression::Gzip;
  if (s == "zstd") return Compression::Zstd;
  if (s == "none" || s == "uncompressed") return Compression::None;
  throw Error("compression \"" + s + "\": want gzip, zstd or none");
}

Layer write_layer(Store& store, const std::string& dir, const LayerWriteOptions& opts) {
  std::string tmpdir = store.make_temp_dir("layer");
  std::string tmp = tmpdir + "/blob";
  Layer out;
  try {
    Sink sink(tmp, opts.compression);
    std::unique_ptr<struct archive, ArchiveWriteDeleter> a(archive_write_new());
    archive_write_set_format_pax_restricted(a.get());
    archive_write_set_bytes_per_block(a.get(), 512);
    archive_write_set_bytes_in_last_block(a.get(), 1);
    if (archive_write_open2(a.get(), &sink, nullptr, sink_write, nullptr, nullptr) != ARCHIVE_OK) {
      throw Error(std::string("write layer: ") + archive_error_string(a.get()));
    }
    Walker(a.get(), dir, opts).walk("");
    if (archive_write_close(a.get()) != ARCHIVE_OK) throw Error(std::string("write layer: ") + archive_error_string(a.get()));
    sink.finish();
    out.diff_id = sink.diff_id();
    out.blob.digest = sink.blob_digest();
    out.blob.size = sink.size();
    out.blob.media_type = opts.compression == Compression::Gzip   ? kMediaLayerGzip
                          : opts.compression == Compression::Zstd ? kMediaLayerZstd
                                                                  : kMediaLayerTar;
    store.adopt_blob(tmp, out.blob.digest);
  } catch (...) {
    remove_tree(tmpdir);
    throw;
  }
  remove_tree(tmpdir);
  return out;
}

std::vector<std::string> sorted_dir_names(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (!d) throw_errno("opendir " + dir);
  std::unique_ptr<DIR, int (*)(DIR*)> guard(d, ::closedir);
  std::vector<std::string> names;
  errno = 0;
  while (auto* e = ::readdir(d)) {
    if (std::strcmp(e->d_name, ".") && std::strcmp(e->d_name, "..")) names.push_back(e->d_name);
    errno = 0;
  }
  if (errno != 0) throw_errno("readdir " + dir);
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace berth::image
