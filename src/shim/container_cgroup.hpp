// Where a container's cgroup is, read from berth's state.json (the "cgroup" entry its Manager
// saved): the OOM watch and Stats use it. Not through container::record_cgroup: that links
// every cgroup driver (systemd's D-Bus client too) into the shim, +250 KB of code and
// +0.24 MiB of resident memory measured.
#pragma once
#include <map>
#include <string>

namespace berth::shim {

struct ContainerCgroup {
  enum class Kind { None, V1, V2 } kind = Kind::None;  // None: made without a cgroup (rootless)
  std::map<std::string, std::string> v1_dirs;         // controller -> directory
  std::string v2_dir;                                  // the unified directory
};

// Throws berth::Error when the state cannot be read.
ContainerCgroup container_cgroup(const std::string& root, const std::string& id);

}  // namespace berth::shim
