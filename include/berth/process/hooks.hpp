// Runs OCI hooks: fork + execve(path, args, env) with the container state JSON
// on stdin, exactly the hook's env (none when it has none: crun's execve, not
// runc's inheritance), a timeout (SIGKILL to the hook's process group when it
// expires; it covers writing the state too). A terminating signal the caller
// has blocked (`berth run`) ends the wait for a hook: it is killed and the
// error names the signal.
//
// The hook's stdout and stderr go where crun sends them: to the files named by
// the annotations run.oci.hooks.stdout / run.oci.hooks.stderr (created 0700,
// appended to), else nowhere but the error message (first 64 KiB kept, as runc).
#pragma once
#include <map>
#include <string>
#include <vector>

#include "berth/oci/spec.hpp"
#include "berth/util/fd.hpp"

namespace berth::process {

struct HookOutput {
  int out = -1;  // -1: kept for the error message
  int err = -1;
};

// The annotation files, opened by the runtime (the init's hooks get the fds:
// the paths are the host's, as in crun).
struct HookFiles {
  UniqueFd out, err;
  // Throws berth::Error naming the annotation and the file.
  static HookFiles open(const std::map<std::string, std::string>& annotations);
  HookOutput io() const { return {out ? out.get() : -1, err ? err.get() : -1}; }
};

// Runs each hook in order; throws berth::Error on the first failure, e.g.
// `error running createRuntime hook #0: /usr/bin/foo: exit status 1: <output>`.
void run_hooks(const std::string& kind, const std::vector<oci::Hook>& hooks, const std::string& state_json,
               HookOutput io = {});
// Every hook runs whatever the others did (poststop: a failure is a warning);
// returns the failures' messages.
std::vector<std::string> run_all_hooks(const std::string& kind, const std::vector<oci::Hook>& hooks,
                                       const std::string& state_json, HookOutput io = {});

}  // namespace berth::process
