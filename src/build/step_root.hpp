// The root file system a layer step works in (RUN's rootfs, COPY's destination, a --from
// view). Two snapshotters, as BuildKit names them:
//   overlayfs: an overlay mount of the unpacked layers; the upper dir collects the changes.
//   native:    where overlayfs cannot be used (a store on a file system overlayfs refuses as
//              upper, e.g. overlayfs itself, or a kernel without it), the layers are applied
//              onto a plain directory; after the step the changes are found by comparing the
//              tree with the inode, birth time and ctime of every entry recorded after the
//              copy (a write, chmod, chown, xattr change, link or rename always moves ctime;
//              a replaced entry has another inode or birth time): new and changed entries are
//              moved into the upper dir, removed ones and replaced directories are listed
//              (whiteouts(), opaque_dirs()) for the layer writer, which makes the same tar as
//              from overlayfs' forms (test_build_native_snapshotter compares digests).
#pragma once
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "berth/image/oci.hpp"
#include "berth/image/store.hpp"
#include "overlay.hpp"

namespace berth::build {

enum class Snapshotter { Auto, Overlayfs, Native };

// "auto", "overlayfs", "native"; throws berth::Error otherwise.
Snapshotter parse_snapshotter(const std::string& s);

// Auto -> Overlayfs when an overlay with an upper dir mounts in the store's scratch area,
// else Native with the reason in *why (the mount error).
Snapshotter resolve_snapshotter(Snapshotter wanted, const image::Store& store, std::string* why);

class StepRoot {
 public:
  // `mode` must be resolved (not Auto). upper and work empty: a read-only view (native: a
  // plain copy of the layers, nothing compared afterwards).
  StepRoot(Snapshotter mode, image::Store& store, const std::vector<image::Layer>& layers, const std::string& upper,
           const std::string& work, const std::string& merged);
  ~StepRoot();
  StepRoot(const StepRoot&) = delete;
  StepRoot& operator=(const StepRoot&) = delete;

  const std::string& merged() const { return merged_; }
  // The step is over: overlayfs unmounts; native writes the changes into the upper dir. Throws
  // naming what failed.
  void finish();

  bool native() const { return mode_ == Snapshotter::Native; }
  // Native, after finish(): what the layer writer must add (image::LayerWriteOptions). The
  // upper dir alone is then not the layer in overlayfs form: it must not become the store's
  // unpacked layer dir.
  const std::set<std::string>& whiteouts() const { return whiteouts_; }
  const std::set<std::string>& opaque_dirs() const { return opaque_; }

  struct Snapshot;

 private:
  Snapshotter mode_;
  std::string upper_, merged_;
  std::unique_ptr<OverlayMount> overlay_;
  std::unique_ptr<Snapshot> snap_;
  std::set<std::string> whiteouts_, opaque_;
};

}  // namespace berth::build
