// Runs OCI hooks: fork + execve(path, args, env) with the container state JSON
// on stdin, a timeout (SIGKILL to the hook's process group when it expires; it
// covers writing the state too) and the hook's output (first 64 KiB) kept for
// the error message. A terminating signal the caller has blocked (`berth run`)
// ends the wait for a hook: it is killed and the error names the signal.
#pragma once
#include <string>
#include <vector>

#include "berth/oci/spec.hpp"

namespace berth::process {

// Runs each hook in order; throws berth::Error on the first failure, e.g.
// `createRuntime hook #0 (/usr/bin/foo): exit status 1: <output>`.
void run_hooks(const std::string& kind, const std::vector<oci::Hook>& hooks, const std::string& state_json);

}  // namespace berth::process
