// Signalling every process of a container's cgroup so that none escapes by
// forking faster than berth can list and signal (`kill --all`, `delete --force`).
#pragma once
#include "berth/cgroups/manager.hpp"

namespace berth::container {

// SIGKILL: the kernel's cgroup.kill where a hierarchy of the cgroup has one
// (cgroup v2, kernel 5.14+; on a hybrid host the unified hierarchy the init was
// born in): every member and whatever it forks meanwhile dies. Otherwise, and
// for every other signal: the cgroup is frozen (v2 cgroup.freeze, v1 freezer),
// each member signalled, then thawed (a frozen process cannot fork; SIGKILL'd
// ones die at the thaw). Without a freezer, passes over the member list until
// a pass finds no process it has not signalled (bounded).
void signal_cgroup(cgroups::Manager& cg, int sig);

}  // namespace berth::container
