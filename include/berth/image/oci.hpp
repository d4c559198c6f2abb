// The image-spec's documents as berth uses them: media types, descriptors, and helpers to
// read a manifest / config with errors that name the document and the field.
#pragma once
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

namespace berth::image {

inline constexpr const char* kMediaManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr const char* kMediaIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr const char* kMediaConfig = "application/vnd.oci.image.config.v1+json";
inline constexpr const char* kMediaLayerTar = "application/vnd.oci.image.layer.v1.tar";
inline constexpr const char* kMediaLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr const char* kMediaLayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd";
inline constexpr const char* kDockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr const char* kDockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr const char* kDockerConfig = "application/vnd.docker.container.image.v1+json";
inline constexpr const char* kDockerLayerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip";
inline constexpr const char* kDockerLayerTar = "application/vnd.docker.image.rootfs.diff.tar";
inline constexpr const char* kRefName = "org.opencontainers.image.ref.name";

struct Descriptor {
  std::string media_type;
  std::string digest;
  int64_t size = 0;
  std::map<std::string, std::string> annotations;

  nlohmann::json to_json() const;
  // Throws berth::Error "WHERE: field: why".
  static Descriptor from_json(const nlohmann::json& j, const std::string& where);
};

// A layer as the builder tracks it: the blob and the digest of its uncompressed tar.
struct Layer {
  Descriptor blob;
  std::string diff_id;
};

// "name" -> "name:latest"; keeps "name:tag" and "name@sha256:...". Throws for an empty name
// or characters a reference cannot hold.
std::string normalize_ref(const std::string& ref);

// RFC 3339 UTC time ("1970-01-01T00:00:00Z") of seconds since the epoch.
std::string rfc3339(int64_t secs);

}  // namespace berth::image
