#include "step_root.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <ctime>
#include <unordered_map>
#include <set>
#include <unordered_set>

#include "berth/image/layer.hpp"
#include "berth/util/error.hpp"
#include "berth/util/fd.hpp"

namespace berth::build {

struct StepRoot::Snapshot {
  // Who an entry is: the inode number alone is not enough, a file system reuses a freed one
  // at once (`rm -rf d && mkdir d` gives the new d the old number on ext4); the birth time
  // tells them apart where the file system records it (ext4, xfs, btrfs, tmpfs). Without it a
  // replaced directory is taken for the same one: its layer then holds whiteouts for the old
  // entries instead of an opaque marker (the same file system, another layer digest).
  struct Entry {
    uint64_t ino;
    uint32_t type;
    struct statx_timestamp btime, ctime;
    uint32_t nlink;
  };
  std::unordered_map<std::string, Entry> entries;  // "a", "a/b" (relative to the root)
};

namespace {

using Snapshot = StepRoot::Snapshot;
using Entry = Snapshot::Entry;

bool same_time(const struct statx_timestamp& a, const struct statx_timestamp& b) {
  return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

Entry entry_of(int dirfd, const std::string& name, const std::string& what) {
  struct statx sx {};
  if (::statx(dirfd, name.c_str(), AT_SYMLINK_NOFOLLOW | AT_STATX_DONT_SYNC, STATX_BASIC_STATS | STATX_BTIME, &sx) != 0) {
    throw_errno("stat " + what);
  }
  Entry e{sx.stx_ino, static_cast<uint32_t>(sx.stx_mode & S_IFMT), {}, sx.stx_ctime, sx.stx_nlink};
  if (sx.stx_mask & STATX_BTIME) e.btime = sx.stx_btime;
  return e;
}

std::string child_of(const std::string& rel, const char* name) { return rel.empty() ? name : rel + "/" + name; }

// The names in an open directory (fd stays the caller's).
std::vector<std::string> names_in(int dirfd, const std::string& what) {
  int dup = ::fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
  if (dup < 0) throw_errno("dup " + what);
  DIR* d = ::fdopendir(dup);
  if (!d) {
    ::close(dup);
    throw_errno("opendir " + what);
  }
  std::vector<std::string> out;
  errno = 0;
  while (auto* e = ::readdir(d)) {
    if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) out.emplace_back(e->d_name);
  }
  int err = errno;
  ::closedir(d);
  if (err) throw_errno("readdir " + what, err);
  return out;
}

UniqueFd open_subdir(int dirfd, const std::string& name, const std::string& what) {
  UniqueFd fd(::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) throw_errno("open " + what);
  return fd;
}

void record(int dirfd, const std::string& rel, Snapshot& snap, const std::string& root) {
  for (const auto& name : names_in(dirfd, root + "/" + rel)) {
    std::string c = child_of(rel, name.c_str());
    Entry e = entry_of(dirfd, name, root + "/" + c);
    snap.entries[c] = e;
    if (e.type == S_IFDIR) record(open_subdir(dirfd, name, root + "/" + c).get(), c, snap, root);
  }
}

// Copies the extended attributes of `from` (an open directory) onto the path `to`.
void copy_xattrs(int from, const std::string& to, const std::string& what) {
  ssize_t n = ::flistxattr(from, nullptr, 0);
  if (n < 0) {
    if (errno == ENOTSUP) return;
    throw_errno("list xattrs of " + what);
  }
  std::vector<char> names(static_cast<size_t>(n) + 1);
  n = ::flistxattr(from, names.data(), names.size());
  if (n < 0) throw_errno("list xattrs of " + what);
  for (ssize_t i = 0; i < n; i += static_cast<ssize_t>(std::strlen(names.data() + i)) + 1) {
    const char* name = names.data() + i;
    ssize_t len = ::fgetxattr(from, name, nullptr, 0);
    if (len < 0) throw_errno(std::string("read xattr ") + name + " of " + what);
    std::vector<char> value(static_cast<size_t>(len) + 1);
    len = ::fgetxattr(from, name, value.data(), value.size());
    if (len < 0) throw_errno(std::string("read xattr ") + name + " of " + what);
    if (::lsetxattr(to.c_str(), name, value.data(), static_cast<size_t>(len), 0) != 0) {
      throw_errno(std::string("set xattr ") + name + " on " + to);
    }
  }
}

// Finds what a step changed in `merged` against the snapshot and moves it into `upper`, with
// the removed entries and replaced directories listed beside it (whiteouts_, opaque_): the
// store may be on a file system that cannot hold overlayfs' forms of them (overlayfs itself
// refuses 0/0 devices and trusted.overlay xattrs). The step's container is gone (its pid
// namespace died with it): nothing else changes the tree now. Merged is walked by directory
// fds, never following a symlink; the upper dir is made here from nothing but real directories.
class Differ {
 public:
  Differ(const Snapshot& snap, std::string merged, std::string upper)
      : snap_(snap), merged_(std::move(merged)), upper_(std::move(upper)) {}

  void run(int rootfd) {
    Frame root{"", rootfd, true};
    stack_.push_back(root);
    walk(false);
    stack_.pop_back();
    // Removed entries: a whiteout where the parent directory is the same one as before (in a
    // new or replaced directory nothing of the lower layers shows anyway).
    for (const auto& [rel, e] : snap_.entries) {
      if (seen_.count(rel)) continue;
      size_t slash = rel.rfind('/');
      std::string parent = slash == std::string::npos ? "" : rel.substr(0, slash);
      if (!plain_dirs_.count(parent)) continue;
      ensure_upper_path(parent);
      whiteouts_.insert(rel);
    }
  }

  // The result: removed entries, replaced directories (paths relative to the root).
  std::set<std::string> whiteouts_, opaque_;

 private:
  struct Frame {
    std::string rel;
    int fd;       // the directory in merged
    bool made;    // already in upper
  };

  // The directories of the current path, made in upper as copies of merged's (owner, mode,
  // xattrs), as an overlayfs copy-up makes a changed entry's parents.
  void ensure_upper() {
    for (auto& f : stack_) {
      if (f.made) continue;
      make_dir(f);
      f.made = true;
    }
  }

  // For a whiteout: the parent, which is on the stack only during the walk; afterwards by path.
  void ensure_upper_path(const std::string& rel) {
    if (rel.empty() || made_dirs_.count(rel)) return;
    size_t slash = rel.rfind('/');
    ensure_upper_path(slash == std::string::npos ? "" : rel.substr(0, slash));
    UniqueFd fd(::openat(root_fd(), rel.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    // Every component was a real directory in the walk and nothing changes the tree now.
    if (!fd) throw_errno("open " + merged_ + "/" + rel);
    Frame f{rel, fd.get(), false};
    make_dir(f);
  }

  int root_fd() {
    if (!root_) {
      root_.reset(::open(merged_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
      if (!root_) throw_errno("open " + merged_);
    }
    return root_.get();
  }

  void make_dir(const Frame& f, bool opaque = false) {
    if (f.rel.empty()) return;
    std::string to = upper_ + "/" + f.rel;
    struct stat st {};
    if (::fstat(f.fd, &st) != 0) throw_errno("stat " + merged_ + "/" + f.rel);
    if (::mkdir(to.c_str(), 0700) != 0) throw_errno("mkdir " + to);
    if (::lchown(to.c_str(), st.st_uid, st.st_gid) != 0) throw_errno("chown " + to);
    if (::chmod(to.c_str(), st.st_mode & 07777) != 0) throw_errno("chmod " + to);
    copy_xattrs(f.fd, to, merged_ + "/" + f.rel);
    if (opaque) opaque_.insert(f.rel);
    made_dirs_.insert(f.rel);
  }

  // A non-directory into upper: moved (the tree is thrown away after the step), a second name
  // of an inode already moved becomes a hard link to it.
  void move_leaf(int dirfd, const std::string& name, const std::string& rel, const Entry& st) {
    ensure_upper();
    std::string to = upper_ + "/" + rel;
    if (st.nlink > 1) {
      auto it = moved_.find(st.ino);
      if (it != moved_.end()) {
        if (::link((upper_ + "/" + it->second).c_str(), to.c_str()) != 0) throw_errno("link " + to);
        return;
      }
      moved_[st.ino] = rel;
    }
    if (::renameat(dirfd, name.c_str(), AT_FDCWD, to.c_str()) != 0) throw_errno("move " + merged_ + "/" + rel + " to " + to);
  }

  // The directory on top of the stack; `all`: new or replaced, everything in it goes to upper.
  void walk(bool all) {
    const Frame top = stack_.back();
    if (!all) plain_dirs_.insert(top.rel);
    for (const auto& name : names_in(top.fd, merged_ + "/" + top.rel)) {
      std::string rel = child_of(top.rel, name.c_str());
      seen_.insert(rel);
      Entry st = entry_of(top.fd, name, merged_ + "/" + rel);
      auto it = all ? snap_.entries.end() : snap_.entries.find(rel);
      bool known = it != snap_.entries.end();
      bool same = known && it->second.type == st.type && it->second.ino == st.ino && same_time(it->second.btime, st.btime);
      bool changed = !same || !same_time(it->second.ctime, st.ctime);
      if (st.type != S_IFDIR) {
        if (changed) move_leaf(top.fd, name, rel, st);
        continue;
      }
      UniqueFd sub = open_subdir(top.fd, name, merged_ + "/" + rel);
      stack_.push_back({rel, sub.get(), false});
      if (changed) {
        ensure_upper_parents_only();
        // A directory that replaced another entry of that name hides everything below it.
        make_dir(stack_.back(), known && !same);
        stack_.back().made = true;
      }
      walk(all || !same);
      stack_.pop_back();
    }
  }

  void ensure_upper_parents_only() {
    for (size_t i = 0; i + 1 < stack_.size(); ++i) {
      if (stack_[i].made) continue;
      make_dir(stack_[i]);
      stack_[i].made = true;
    }
  }

  const Snapshot& snap_;
  std::string merged_, upper_;
  std::vector<Frame> stack_;
  std::unordered_set<std::string> seen_, plain_dirs_, made_dirs_;
  std::unordered_map<ino_t, std::string> moved_;
  UniqueFd root_;
};

}  // namespace

Snapshotter parse_snapshotter(const std::string& s) {
  if (s == "auto") return Snapshotter::Auto;
  if (s == "overlayfs" || s == "overlay") return Snapshotter::Overlayfs;
  if (s == "native") return Snapshotter::Native;
  throw Error("snapshotter \"" + s + "\": want auto, overlayfs or native");
}

Snapshotter resolve_snapshotter(Snapshotter wanted, const image::Store& store, std::string* why) {
  if (wanted != Snapshotter::Auto) return wanted;
  std::string dir = store.make_temp_dir("probe");
  std::string err;
  try {
    for (const char* d : {"/l", "/u", "/w", "/m"}) {
      if (::mkdir((dir + d).c_str(), 0700) != 0) throw_errno("mkdir " + dir + d);
    }
    std::string opts = "lowerdir=" + dir + "/l,upperdir=" + dir + "/u,workdir=" + dir + "/w,redirect_dir=off,index=off,metacopy=off";
    if (::mount("overlay", (dir + "/m").c_str(), "overlay", 0, opts.c_str()) != 0) {
      err = std::string("mount overlay on ") + store.root() + "/berth/tmp: " + std::strerror(errno);
    } else {
      ::umount2((dir + "/m").c_str(), 0);
    }
  } catch (const Error& e) {
    err = e.what();
  }
  try {
    image::remove_tree(dir);
  } catch (const Error&) {
  }
  if (err.empty()) return Snapshotter::Overlayfs;
  if (why) *why = err;
  return Snapshotter::Native;
}

StepRoot::StepRoot(Snapshotter mode, image::Store& store, const std::vector<image::Layer>& layers, const std::string& upper,
                   const std::string& work, const std::string& merged)
    : mode_(mode), upper_(upper), merged_(merged) {
  if (mode == Snapshotter::Auto) throw Error("StepRoot: snapshotter not resolved");
  if (mode == Snapshotter::Overlayfs) {
    overlay_ = std::make_unique<OverlayMount>(link_root(store), layer_stack(store, layers), upper, work, merged);
    return;
  }
  for (const auto& l : layers) image::extract_layer(store, l, merged, image::ExtractMode::Apply);
  if (upper.empty()) return;
  snap_ = std::make_unique<Snapshot>();
  UniqueFd root(::open(merged.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!root) throw_errno("open " + merged);
  record(root.get(), "", *snap_, merged);
  // A change in the same clock tick as the newest recorded ctime could leave ctime as it was
  // (file systems stamp with the coarse clock): the step starts only once the tick is over.
  struct statx_timestamp newest {};
  for (const auto& [rel, e] : snap_->entries) {
    if (e.ctime.tv_sec > newest.tv_sec || (e.ctime.tv_sec == newest.tv_sec && e.ctime.tv_nsec > newest.tv_nsec)) newest = e.ctime;
  }
  for (int i = 0; i < 1000; ++i) {
    struct timespec now {};
    ::clock_gettime(CLOCK_REALTIME_COARSE, &now);
    if (now.tv_sec > newest.tv_sec || (now.tv_sec == newest.tv_sec && now.tv_nsec > static_cast<long>(newest.tv_nsec))) break;
    struct timespec ms = {0, 1000000};
    ::nanosleep(&ms, nullptr);
  }
}

StepRoot::~StepRoot() = default;

void StepRoot::finish() {
  if (overlay_) {
    overlay_->unmount();
    return;
  }
  if (!snap_) return;
  UniqueFd root(::open(merged_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!root) throw_errno("open " + merged_);
  Differ d(*snap_, merged_, upper_);
  d.run(root.get());
  whiteouts_ = std::move(d.whiteouts_);
  opaque_ = std::move(d.opaque_);
  snap_.reset();
}

}  // namespace berth::build
