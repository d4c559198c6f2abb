// What a container takes from the host besides its cgroup, and gives back at
// delete: the interfaces of linux.netDevices (moved into its network namespace,
// which is pinned by a bind mount at <state dir>/netns so that they can be
// moved back after the init is gone) and its linux.intelRdt resctrl group.
#pragma once
#include <sys/types.h>

#include <string>

#include "berth/container/state_store.hpp"
#include "berth/oci/spec.hpp"

namespace berth::container {

// What the host must offer for the config, asked before anything is created:
// linux.memoryPolicy (a trial set_mempolicy), each linux.netDevices interface,
// a resctrl mount for linux.intelRdt. Throws berth::Error naming the field.
void require_host_support(const oci::Spec& spec);

// Once the init exists (parked before its execve): the devices moved in, the
// init put in its resctrl group. On failure what was done is undone, then it throws.
void attach_host(const StateDir& dir, const std::string& id, const oci::Spec& spec, pid_t init_pid);
// An exec'd process into the container's linux.intelRdt group (and its monitoring group).
void join_intel_rdt_group(const std::string& id, const oci::Spec& spec, pid_t pid);
// Gives everything back; failures are logged as warnings (delete goes on).
void detach_host(const StateDir& dir, const std::string& id, const oci::Spec& spec);

}  // namespace berth::container
