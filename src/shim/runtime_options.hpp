// containerd's runc runtime options (containerd.runc.v1.Options), as the runc shim honours
// them: they come in the Any of a Create request (and on `start`'s stdin, where only
// shim_cgroup matters). Kept in the bundle (options.json) so that `delete`, run by
// containerd after a shim died, finds the same binary and root.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace berth::shim {

struct RuntimeOptions {
  std::string binary_name;  // the runtime binary instead of berth (a name in PATH or a path)
  std::string root;         // runtime root directory; the namespace is appended, as runc's shim does
  bool systemd_cgroup = false;
  bool no_pivot_root = false;
  bool no_new_keyring = false;
  std::string criu_path, criu_image_path, criu_work_path;
  std::string shim_cgroup;  // the shim itself joins this cgroup at start
  std::uint32_t io_uid = 0, io_gid = 0;
};

// Decodes a serialized google.protobuf.Any. containerd.runc.v1.Options is decoded; an empty
// Any or one of another type (CRI's runtimeoptions, a type we do not know) gives the
// defaults. Throws ttrpc::RpcError(InvalidArgument) when runc options do not decode or ask
// for what the shim cannot do (io_uid/io_gid: the shim hands containerd's fifos to the
// process and has no pipes of its own to give to another owner).
RuntimeOptions parse_runtime_options(const std::string& any_bytes);

// Global flags for berth (--systemd-cgroup, --criu PATH).
std::vector<std::string> global_args(const RuntimeOptions& o);
// The --root for berth in namespace `ns` (default_root when the options name none).
std::string runtime_root(const RuntimeOptions& o, const std::string& ns, const std::string& default_root);

// bundle/options.json.
void save_runtime_options(const std::string& bundle, const RuntimeOptions& o);
// Defaults when the bundle has none.
RuntimeOptions load_runtime_options(const std::string& bundle);

}  // namespace berth::shim
