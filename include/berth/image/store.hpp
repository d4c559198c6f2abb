// The local image store. Its root is an OCI image layout (oci-layout, index.json with
// org.opencontainers.image.ref.name annotations, blobs/sha256/...) that skopeo and umoci
// read as is; berth's own state lives beside it under berth/: unpacked layers in overlayfs
// format (berth/layers/<diff_id hex>), the build cache (berth/cache/<key hex>.json), temporary
// files (berth/tmp) and the lock taken around index.json updates.
#pragma once
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "berth/image/oci.hpp"
#include "berth/util/fd.hpp"

namespace berth::image {

inline constexpr const char* kDefaultStoreRoot = "/var/lib/berth/images";

// An image read from the store: its manifest descriptor, manifest, config and layers.
struct Image {
  Descriptor manifest_desc;
  nlohmann::json manifest;
  nlohmann::json config;
  Descriptor config_desc;
  std::vector<Layer> layers;
};

class Store {
 public:
  // Opens the store, creating the layout when the directory is missing or empty.
  explicit Store(std::string root);

  const std::string& root() const { return root_; }

  Descriptor put_blob(std::string_view data, const std::string& media_type);
  // Moves a file already written under tmp_dir() into blobs/ under `digest`; the caller
  // computed the digest while writing it.
  void adopt_blob(const std::string& tmp_path, const std::string& digest);
  bool has_blob(const std::string& digest) const;
  std::string blob_path(const std::string& digest) const;
  // Reads a blob and checks its digest. Throws "blob sha256:...: ..." on a mismatch.
  std::string read_blob(const std::string& digest) const;

  // A fresh private directory under berth/tmp (the caller removes it).
  std::string make_temp_dir(const std::string& prefix) const;
  std::string tmp_dir() const;

  std::vector<Descriptor> manifests() const;
  // By ref name ("name" means "name:latest"), by manifest digest, or by a unique prefix of
  // at least 12 hex digits of it.
  std::optional<Descriptor> find(const std::string& ref) const;
  // Points `ref` at the manifest (replacing an older entry of the same name).
  void tag(const std::string& ref, const Descriptor& manifest);
  // Removes a ref name; false when there was none.
  bool untag(const std::string& ref);
  Image load(const Descriptor& manifest) const;

  // Where a layer's unpacked (overlayfs-format) tree lives, and whether it is there.
  std::string layer_dir(const std::string& diff_id) const;

  std::optional<nlohmann::json> cache_get(const std::string& key) const;
  void cache_put(const std::string& key, const nlohmann::json& value);
  void cache_clear();

  struct PruneResult {
    size_t blobs = 0, layer_dirs = 0, tmp_dirs = 0;
    uint64_t bytes = 0;
  };
  // Removes blobs and unpacked layers referenced neither by index.json nor by the cache,
  // and the scratch dirs of builds that died (their pid is gone).
  PruneResult prune();

  // Exclusive lock of the store (index.json and prune); released by the destructor.
  class Lock {
   public:
    explicit Lock(const Store& s);

   private:
    UniqueFd fd_;
  };

 private:
  nlohmann::json read_index() const;
  void write_index(const nlohmann::json& idx);
  std::string root_;
};

// Writes a file atomically: a temporary in the same directory, fsync, rename.
void write_file_atomic(const std::string& path, std::string_view data);
std::string read_file(const std::string& path);
// rm -rf without crossing into other file systems' mounts; ignores ENOENT.
void remove_tree(const std::string& path);

}  // namespace berth::image
