// An overlayfs mount for one build step: the unpacked layers below (read-only), an upper
// dir that collects the step's changes (whiteouts as 0/0 devices, opaque xattrs), and the
// merged view where RUN's container and COPY work. Unmounted by the destructor.
#pragma once
#include <string>
#include <vector>

#include "berth/image/oci.hpp"
#include "berth/image/store.hpp"

namespace berth::build {

class OverlayMount {
 public:
  // layers_root: the directory holding the lower dirs (link_root); lowers: their names in it,
  // topmost first (may be empty). upper/work empty: a read-only view.
  OverlayMount(const std::string& layers_root, const std::vector<std::string>& lowers, const std::string& upper,
               const std::string& work, const std::string& merged);
  ~OverlayMount();
  OverlayMount(const OverlayMount&) = delete;
  OverlayMount& operator=(const OverlayMount&) = delete;
  // Unmounts now; throws if that fails (the destructor only tries).
  void unmount();
  const std::string& merged() const { return merged_; }

 private:
  std::string merged_;
  bool mounted_ = false;
};

// The lower dirs for an image's layers (bottom first): each unpacked once in the store, named
// topmost first; a layer that occurs twice (two identical steps) is kept only at its topmost
// place — overlayfs refuses a lower dir given twice, and the lower copy changes nothing.
// The names are 16-hex-digit links in link_root(store) to berth/layers/<diff_id>: the mount
// options fit in a page for some 230 layers (full digests: 60).
std::vector<std::string> layer_stack(image::Store& store, const std::vector<image::Layer>& layers);
std::string link_root(const image::Store& store);

// A small private tmpfs (mode 0700) at `dir`, in berth-build's mount namespace: RUN
// --mount=type=secret files live there, never on the store's disk. Unmounted by the destructor.
class TmpfsDir {
 public:
  explicit TmpfsDir(const std::string& dir);
  ~TmpfsDir();
  TmpfsDir(const TmpfsDir&) = delete;
  TmpfsDir& operator=(const TmpfsDir&) = delete;
  const std::string& path() const { return dir_; }

 private:
  std::string dir_;
};

// Puts berth-build in a private mount namespace so that every overlay it mounts goes away
// with the process, whatever happens to it.
void private_mount_namespace();

}  // namespace berth::build
