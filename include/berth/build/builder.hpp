// berth-build's executor: a parsed Dockerfile and a context directory in, an image in the
// store out. Steps run in order per stage; each layer step is keyed by its parent's key,
// its expanded instruction and its sources' content digest, and reused from the cache.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "berth/image/layer.hpp"
#include "berth/image/oci.hpp"
#include "berth/image/registry.hpp"
#include "berth/image/store.hpp"

namespace berth::build {

// --secret id=ID,src=PATH or id=ID,env=VAR: read when a RUN mounts it, never stored.
struct SecretSource {
  std::string file;
  std::string env;
};

struct BuildOptions {
  std::string context = ".";
  std::string dockerfile;  // default: CONTEXT/Dockerfile
  std::vector<std::string> tags;
  std::map<std::string, std::string> build_args;
  std::map<std::string, std::string> labels;
  std::string target;
  bool no_cache = false;
  bool host_network = false;
  bool quiet = false;                 // no step lines, no RUN output
  bool tty_progress = false;          // the live display on stderr (a terminal) instead of plain lines
  std::optional<int64_t> epoch;       // SOURCE_DATE_EPOCH / --timestamp
  image::Compression compression = image::Compression::Gzip;
  std::string runtime;                // a runtime binary for RUN; "" = libberth in-process
  image::RegistryOptions registry;    // FROM of a registry image: registries.conf, auth, TLS
  std::map<std::string, SecretSource> secrets;  // RUN --mount=type=secret,id=ID
  std::map<std::string, std::string> ssh;       // RUN --mount=type=ssh,id=ID: agent socket paths
  std::string snapshotter = "auto";   // auto, overlayfs, native (a copy of the layers; step_root.hpp)
};

struct BuildResult {
  image::Descriptor manifest;
  std::string config_digest;
  int steps = 0;
  int cached = 0;
};

BuildResult build_image(image::Store& store, const BuildOptions& opts, std::ostream& progress);

}  // namespace berth::build
