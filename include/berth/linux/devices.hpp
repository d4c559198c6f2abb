// Device nodes inside the container: the default set every container gets and
// linux.devices. In a user namespace mknod is not allowed, so the host's node
// is bind-mounted over an empty file instead.
#pragma once
#include "berth/oci/spec.hpp"

namespace berth::linux_ {

// /dev/null, zero, full, random, urandom, tty (mode 0666, root-owned).
void create_default_devices(int rootfd, bool bind_from_host);
void create_device(int rootfd, const oci::Device& dev, bool bind_from_host);

}  // namespace berth::linux_
