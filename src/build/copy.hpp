// COPY and ADD: finding the sources (globs, .dockerignore) inside a source root (the build
// context or another stage's view), their content digest for the cache key, and copying
// them into the step's merged view, every path resolved inside its root.
#pragma once
#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "berth/build/dockerignore.hpp"

namespace berth::build {

struct Sources {
  std::string root;               // the source root directory
  std::vector<std::string> rels;  // matched paths, relative to root ("." for the root itself)
  bool wildcard = false;          // a glob matched them
  const DockerIgnore* ignore = nullptr;
};

// Resolves the source arguments. Throws berth::Error (without the Dockerfile prefix) when
// one is missing, matches nothing, or leaves the root.
Sources find_sources(const std::string& root, const std::vector<std::string>& args, const DockerIgnore* ignore);

// sha256 over names, modes, sizes, link targets and contents of everything selected.
std::string digest_sources(const Sources& s);

struct CopyOptions {
  std::optional<uid_t> uid;
  std::optional<gid_t> gid;
  std::optional<mode_t> chmod;
  bool extract_archives = false;  // ADD
};

// mkdir -p of path inside the root at rootfd; the directories it creates get uid:gid (COPY
// --chown's and WORKDIR's rule, as buildah and BuildKit). True when it created any.
bool mkdir_owned(int rootfd, const std::string& path, uid_t uid, gid_t gid);

// Copies into `dest` (absolute, inside the merged rootfs at rootfs). dest ending in '/',
// several sources or a wildcard make it a directory.
void copy_sources(const Sources& s, const std::string& rootfs, const std::string& dest, const CopyOptions& opts);

}  // namespace berth::build
