// Compiled seccomp filters kept on disk between berth calls. libseccomp takes
// ~10 ms to compile Docker's default profile for the three architectures Docker
// lists on amd64 (x86_64, x86, x32) -- more than the rest of a container's
// start -- and every container an engine starts uses the same profile.
//
// A cache file is named by a hash of its key but holds the whole key (the
// profile as JSON, berth's version and binary (device, inode, size, mtime),
// libseccomp's version, the kernel's seccomp API level and the native
// architecture) and is used only when that key matches
// byte for byte: no hash collision can hand a container another profile's
// filter. The directory is berth's own (mode 0700, owned by the caller, not a
// symlink) under the state root; anything else there is ignored, never trusted.
#pragma once
#include <string>

#include "berth/linux/seccomp.hpp"
#include "berth/oci/spec.hpp"

namespace berth::linux_ {

// compile_seccomp(cfg), or the filter compiled for the same key before. A cache
// that cannot be read or written only costs the compile (logged at debug level).
SeccompFilter compile_seccomp_cached(const oci::Seccomp& cfg, const std::string& cache_dir);

// The key a filter is cached under (exposed for tests).
std::string seccomp_cache_key(const oci::Seccomp& cfg);

}  // namespace berth::linux_
