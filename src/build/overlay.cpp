#include "overlay.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <set>

#include "berth/image/digest.hpp"
#include "berth/image/layer.hpp"
#include "berth/util/error.hpp"
#include "berth/util/fd.hpp"

namespace berth::build {

OverlayMount::OverlayMount(const std::string& layers_root, const std::vector<std::string>& lowers,
                           const std::string& upper, const std::string& work, const std::string& merged)
    : merged_(merged) {
  // An empty bottom layer: overlayfs wants at least one lower dir (two without an upper).
  std::string empty = layers_root + "/.empty";
  if (::mkdir(empty.c_str(), 0755) != 0 && errno != EEXIST) throw_errno("mkdir " + empty);
  // Lower dirs are named relative to layers_root (the mount options are limited to a page;
  // short relative names allow some 60 layers instead of 30).
  std::string opts = "lowerdir=";
  for (const auto& l : lowers) opts += l + ":";
  opts += ".empty";
  if (!upper.empty()) opts += ",upperdir=" + upper + ",workdir=" + work;
  // Plain copy-up semantics: the layer differ understands whiteouts and opaque dirs only.
  opts += ",redirect_dir=off,index=off,metacopy=off";
  if (opts.size() >= 4000) throw Error("overlay: " + std::to_string(lowers.size()) + " layers are too many for one mount");
  UniqueFd cwd(::open(".", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (::chdir(layers_root.c_str()) != 0) throw_errno("chdir " + layers_root);
  int rc = ::mount("overlay", merged.c_str(), "overlay", upper.empty() ? MS_RDONLY : 0, opts.c_str());
  int err = errno;
  if (cwd) (void)!::fchdir(cwd.get());
  if (rc != 0) throw_errno("mount overlay on " + merged, err);
  mounted_ = true;
}

OverlayMount::~OverlayMount() {
  if (mounted_ && ::umount2(merged_.c_str(), 0) != 0) ::umount2(merged_.c_str(), MNT_DETACH);
}

void OverlayMount::unmount() {
  if (!mounted_) return;
  if (::umount2(merged_.c_str(), 0) != 0) throw_errno("unmount " + merged_);
  mounted_ = false;
}

TmpfsDir::TmpfsDir(const std::string& dir) : dir_(dir) {
  if (::mkdir(dir.c_str(), 0700) != 0) throw_errno("mkdir " + dir);
  if (::mount("tmpfs", dir.c_str(), "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0700,size=16m") != 0) {
    throw_errno("mount tmpfs on " + dir);
  }
}

TmpfsDir::~TmpfsDir() { ::umount2(dir_.c_str(), MNT_DETACH); }

std::string link_root(const image::Store& store) { return store.root() + "/berth/l"; }

std::vector<std::string> layer_stack(image::Store& store, const std::vector<image::Layer>& layers) {
  std::string links = link_root(store);
  if (::mkdir(links.c_str(), 0700) != 0 && errno != EEXIST) throw_errno("mkdir " + links);
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (auto it = layers.rbegin(); it != layers.rend(); ++it) {
    std::string hex = image::digest_hex(it->diff_id);
    if (!seen.insert(hex).second) continue;
    image::ensure_layer_dir(store, *it);
    std::string name = hex.substr(0, 16);
    std::string target = "../layers/" + hex;
    std::string link = links + "/" + name;
    if (::symlink(target.c_str(), link.c_str()) != 0) {
      if (errno != EEXIST) throw_errno("symlink " + link);
      char have[128];
      ssize_t n = ::readlink(link.c_str(), have, sizeof have - 1);
      if (n < 0 || std::string(have, static_cast<size_t>(n)) != target) {
        throw Error(link + ": names another layer (two diff_ids share 64 bits?)");  // never silently mix
      }
    }
    out.push_back(name);
  }
  return out;
}

void private_mount_namespace() {
  if (::unshare(CLONE_NEWNS) != 0) throw_errno("unshare mount namespace");
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) throw_errno("make / private");
}

}  // namespace berth::build
