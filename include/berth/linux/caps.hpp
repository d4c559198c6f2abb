// Capabilities (libcap): the five sets of process.capabilities.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "berth/oci/spec.hpp"

namespace berth::linux_ {

// Highest capability the running kernel knows (from /proc/sys/kernel/cap_last_cap).
int cap_last_cap();

// The names of the five sets that grant nothing here: not of the form CAP_[A-Z_]+, unknown to
// libcap, or newer than the running kernel. They are skipped when the sets are applied (fewer
// privileges, never more), as runc and crun skip them; the caller warns with this list, in
// runc's words ("ignoring unknown or unavailable capabilities: [...]").
std::vector<std::string> unavailable_caps(const oci::Capabilities& caps);
// Logs that warning if `caps` names any (create, exec).
void warn_unavailable_caps(const oci::Capabilities& caps);

// Drops everything not in caps.bounding from the bounding set. Needs CAP_SETPCAP,
// so it runs before the user switch.
void apply_bounding(const oci::Capabilities& caps);
// Sets effective, permitted and inheritable, then raises the ambient set.
// Runs after the user switch (with PR_SET_KEEPCAPS held across it).
void apply_caps(const oci::Capabilities& caps);

// Names the kernel knows that berth knows too (for `berth features`).
std::vector<std::string> known_cap_names();

}  // namespace berth::linux_
