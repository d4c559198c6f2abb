// The rootfs mounts of a CreateTaskRequest (overlay or bind, as the snapshotter gives them)
// mounted on bundle/rootfs, and taken off again at Delete.
#pragma once
#include <string>
#include <vector>

namespace berth::shim {

struct RootfsMount {
  std::string type, source;
  std::vector<std::string> options;
};

// Mounts each in order on `target`; on failure unmounts what was mounted and throws
// berth::Error naming the mount.
void mount_rootfs(const std::vector<RootfsMount>& mounts, const std::string& target);
// Unmounts everything stacked on `target` (lazily if busy). Quiet if nothing is mounted.
void unmount_all(const std::string& target);

}  // namespace berth::shim
