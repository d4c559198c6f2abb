// The mount options berth understands in config.json mounts[].options (flags,
// propagation and recursive attributes, idmap). Shared by the features
// document and the mount option table in src/linux so the two cannot drift.
// Anything not in this list is passed to the filesystem as data ("size=64k").
#pragma once
#include <string>
#include <vector>

namespace berth::oci {

// Sorted; stable for the life of the process.
const std::vector<std::string>& known_mount_options();

}  // namespace berth::oci
