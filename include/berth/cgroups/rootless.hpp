// What a rootless berth does when it cannot create a cgroup: like runc, it
// goes on without one when the config asks for no limits, and refuses with a
// clear error when it does.
#pragma once
#include <string>
#include <vector>

#include "berth/oci/spec.hpp"

namespace berth::cgroups {

// linux.resources fields that set a limit ("memory", "cpu", ...). Device rules
// are not limits: in a user namespace device access is decided by the
// bind-mounted nodes' permissions (and the v1 devices controller needs
// CAP_SYS_ADMIN in the initial namespace anyway).
std::vector<std::string> requested_limits(const oci::Resources& r);

// The cgroup could not be made for lack of permission (not a delegated,
// writable cgroup): EACCES, EPERM, EROFS.
bool is_permission_error(int err);

}  // namespace berth::cgroups
