// Idmapped bind mounts (mount option "idmap"/"ridmap" or a mount's own
// uidMappings/gidMappings). The detached, idmapped tree is made by berth in the
// host's namespaces (where the host ids mean something and CAP_SYS_ADMIN over
// the source mount is held); the init only attaches it with move_mount.
#pragma once
#include <map>
#include <vector>

#include "berth/oci/spec.hpp"
#include "berth/util/fd.hpp"

namespace berth::linux_ {

// A user namespace with the given maps, as an fd (made by a short-lived child).
UniqueFd make_userns(const std::vector<oci::IdMapping>& uid, const std::vector<oci::IdMapping>& gid);

// For every idmapped mount of the spec (index into spec.mounts): an open_tree
// clone of its source with MOUNT_ATTR_IDMAP set. Throws naming the mount.
std::map<size_t, UniqueFd> prepare_idmapped_mounts(const oci::Spec& spec);

// In a container with a user namespace, every other bind mount's source as an open_tree
// clone made here, by berth in the host's namespaces (added to `trees`): the init, root of
// the container's user namespace, may not be able to reach the source (a parent directory
// only the host's root may search; runc 1.1 passes such sources as fds too, crun uses
// open_tree). The init binds by path first (the kernel then locks the source's flags) and
// attaches the clone only when that fails (rootfs.cpp mount_one). Without the privilege for
// open_tree (rootless) nothing is added and the init mounts by path alone.
void prepare_userns_bind_trees(const oci::Spec& spec, std::map<size_t, UniqueFd>& trees);

// Attaches a prepared tree at target_fd (an O_PATH fd inside the rootfs).
void attach_tree(int tree, int target_fd, const std::string& dest);

}  // namespace berth::linux_
