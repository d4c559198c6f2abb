// RUN --mount=type=bind|cache|tmpfs|secret|ssh,... (BuildKit's syntax): parsing and
// validation. The builder turns each into a runtime mount of the RUN container; what is
// written under a mount target never becomes part of the layer.
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

namespace berth::build {

struct RunMount {
  std::string type = "bind";  // bind, cache, tmpfs, secret, ssh
  std::string target;         // absolute path in the container (ssh: "" = the builder's default)
  std::string source;         // bind: path in the source root ("." by default)
  std::string from;           // bind: a stage or image instead of the build context
  std::string id;             // cache: the cache's name (default: the target); secret: the
                              // --secret id (default: the target's base name); ssh: the --ssh id
                              // (default "default")
  bool required = false;      // secret, ssh: a missing --secret/--ssh is an error (else skipped)
  bool readonly = false;      // cache, tmpfs: mounted read-only (bind mounts always are)
  std::optional<mode_t> mode;
  std::optional<uid_t> uid;
  std::optional<gid_t> gid;
  std::optional<uint64_t> size;  // tmpfs, bytes
  std::string canonical;         // every field, for the cache key
};

// One --mount value (variables already expanded); relative targets are taken from workdir.
// A secret's target defaults to /run/secrets/<id>. Throws berth::Error naming the bad option.
RunMount parse_run_mount(const std::string& value, const std::string& workdir);

}  // namespace berth::build
