// Rootless mode: berth run by an unprivileged user (runc's `--rootless`).
// It decides two things: where state lives by default, and whether a cgroup
// that cannot be created is fatal (see cgroups/rootless.hpp).
#pragma once
#include <sys/types.h>

#include <string>
#include <string_view>

namespace berth::container {

// --rootless true|false|auto. auto: rootless when the effective uid is not 0 or
// berth runs in a user namespace other than the initial one (runc's rule).
// Throws berth::Error for any other value.
bool decide_rootless(std::string_view flag, uid_t euid, bool initial_userns);
bool rootless_mode(std::string_view flag);  // with this process's facts (linux/namespaces.hpp)

// Default --root: $XDG_RUNTIME_DIR/berth when euid != 0 and XDG_RUNTIME_DIR is
// set (runc's rule), else /run/berth. `xdg` may be null.
std::string default_state_root(uid_t euid, const char* xdg);

}  // namespace berth::container
