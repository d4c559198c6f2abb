// How containerd 1.6 starts and cleans up a shim (runtime/v2: `start` and `delete`), and
// the address of a shim group's socket.
#pragma once
#include <sys/types.h>

#include <string>

#include "flags.hpp"

namespace berth::shim {

// Where shim sockets live, as containerd's runc shim puts them.
inline constexpr const char* kSocketDir = "/run/containerd/s";

// "unix:///run/containerd/s/<sha256 hex of ADDRESS/NS/GROUP>".
std::string socket_address(const std::string& containerd_address, const std::string& ns, const std::string& group);
// The group a bundle's container belongs to: its io.kubernetes.cri.sandbox-id or
// io.containerd.runc.v2.group annotation, else its own id.
std::string group_of(const std::string& config_json_path, const std::string& id);
// Writes `address` to dir/address through a rename, so a reader never sees half of it.
void write_address_file(const std::string& dir, const std::string& address);
// Moves process `pid` into `cgroup` (runc's shim_cgroup option): on a unified host the one
// directory under /sys/fs/cgroup, on v1 every hierarchy that has it. Throws berth::Error.
void join_cgroup(pid_t pid, const std::string& cgroup);
// The runtime root of berth for a containerd namespace.
std::string berth_root(const std::string& ns);

// `start`: binds (or reuses) the group's socket, daemonises the shim on it, writes the
// address file, prints the address. Returns the exit code.
int start_action(const Flags& f, const std::string& self);
// `delete`: force-deletes the container, unmounts its rootfs, prints a DeleteResponse.
int delete_action(const Flags& f);

}  // namespace berth::shim
