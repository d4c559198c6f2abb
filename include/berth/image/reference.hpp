// Image references as Docker (distribution/reference) normalises them: "busybox" is
// docker.io/library/busybox:latest, "host:5000/a/b@sha256:..." keeps its registry and digest.
// The grammar is distribution's: lower-case path components joined by "/", components made of
// [a-z0-9] separated by ".", "_", "__" or runs of "-"; a first component with a "." or ":" or
// equal to "localhost" is the registry; tags are [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}.
#pragma once
#include <string>

namespace berth::image {

inline constexpr const char* kDefaultRegistry = "docker.io";

struct Reference {
  std::string domain;  // "docker.io", "127.0.0.1:5000"
  std::string path;    // "library/busybox"
  std::string tag;     // empty only when a digest is given without a tag
  std::string digest;  // "sha256:..." or empty
  bool short_name = false;  // written without a registry ("busybox", "user/app"): registries.conf may search

  // "docker.io/library/busybox"
  std::string name() const { return domain + "/" + path; }
  // The full form: "docker.io/library/busybox:latest", "h:5000/a@sha256:..."
  std::string str() const;
  // What docker prints: "busybox:latest", "user/app:1", "h:5000/a:b"
  std::string familiar() const;
  // The tag, or the digest when pinned by digest: what a registry's /manifests/ takes.
  std::string manifest_ref() const { return digest.empty() ? tag : digest; }
};

// Parses and normalises; throws berth::Error `invalid reference "X": why`.
Reference parse_reference(const std::string& s);

}  // namespace berth::image
