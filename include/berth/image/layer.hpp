// Layers: writing a directory tree in overlayfs upper-dir form (whiteouts as 0/0 character
// devices, opaque directories as trusted.overlay.opaque=y) into a reproducible layer blob,
// and extracting a layer blob safely, either in that same overlayfs form (one directory per
// layer, stacked by an overlay mount) or applied onto a flat rootfs (whiteouts delete).
#pragma once
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "berth/image/oci.hpp"
#include "berth/image/store.hpp"

namespace berth::image {

enum class Compression { None, Gzip, Zstd };

// "gzip", "zstd", "none" -> Compression; throws berth::Error for anything else.
Compression parse_compression(const std::string& s);

struct LayerWriteOptions {
  // With a value: every mtime is clamped to it (SOURCE_DATE_EPOCH). Without: all mtimes 0.
  std::optional<int64_t> epoch;
  Compression compression = Compression::Gzip;
  // Whiteouts and opaque directories given beside the tree, by path relative to it ("a/b"),
  // for a tree on a file system that cannot hold overlayfs' forms (0/0 character devices,
  // trusted.overlay.opaque): the native snapshotter's upper dir on overlayfs. The parent of a
  // whiteout must be in the tree; the tar is the same as from the overlayfs forms.
  std::set<std::string> whiteouts;
  std::set<std::string> opaque_dirs;
};

// Writes `dir` (an overlayfs upper dir, or any tree) as a layer blob into the store.
// Reproducible: entries sorted by name, numeric ids only, no atime/ctime, fixed mtimes, gzip
// header without a timestamp (zstd frames carry none). Hard links inside the tree are kept as tar hard links, xattrs
// (but not trusted.overlay.*) as pax records.
Layer write_layer(Store& store, const std::string& dir, const LayerWriteOptions& opts);

enum class ExtractMode {
  Overlay,  // whiteouts become 0/0 char devices and opaque xattrs (one dir per layer)
  Apply,    // whiteouts remove what lower layers put in `dest` (a flat rootfs)
};

// Extracts a layer blob into dest (which must exist). Entries never escape dest: absolute
// paths are taken relative to it, ".." components are refused, parents are resolved inside
// dest (a symlink in the layer cannot lead outside), hard links must point inside. The blob's
// digest is checked. Throws berth::Error "layer sha256:...: entry \"x\": why".
void extract_layer(const Store& store, const Layer& layer, const std::string& dest, ExtractMode mode);
// The same for a tar (plain or compressed) already on disk, without a digest check.
void extract_tar_file(const std::string& tar_path, const std::string& dest, ExtractMode mode,
                      const std::string& what);

// True when the file starts like a tar archive (possibly gzip/bzip2/xz/zstd compressed):
// ADD auto-extracts such local sources.
bool looks_like_archive(const std::string& path);

// Makes sure the unpacked overlayfs-form tree of a layer exists in the store
// (store.layer_dir(diff_id)), extracting it once; returns its path.
std::string ensure_layer_dir(Store& store, const Layer& layer);

// The names in a directory but "." and "..", sorted (layers list entries in a fixed order).
std::vector<std::string> sorted_dir_names(const std::string& dir);

}  // namespace berth::image
