// Writing the uid/gid maps of a new user namespace, privileged or not.
//
// A privileged berth (euid 0) writes /proc/<pid>/{uid,gid}_map itself. An
// unprivileged one may only write a map that is exactly its own id mapped to
// one id (and, for gid_map, only after writing "deny" to setgroups); anything
// else goes through the setuid helpers newuidmap/newgidmap (package uidmap),
// which check the ranges against /etc/subuid and /etc/subgid.
#pragma once
#include <sys/types.h>

#include <string>
#include <vector>

#include "berth/oci/spec.hpp"

namespace berth::linux_ {

enum class MapWriter {
  Direct,  // write /proc/<pid>/{uid,gid}_map ourselves
  Helper,  // run newuidmap / newgidmap
};

// How one map is written by a process with effective id `own_id` (privileged:
// it may write any map). Pure, so the decision is unit-tested.
MapWriter choose_map_writer(const std::vector<oci::IdMapping>& m, unsigned own_id, bool privileged);

// argv of newuidmap/newgidmap: {helper, "<pid>", "<containerID>", "<hostID>", "<size>", ...}.
std::vector<std::string> map_helper_argv(const std::string& helper, pid_t pid, const std::vector<oci::IdMapping>& m);

// Writes the maps of the user namespace of `pid` (a child that waits for them),
// choosing per map with choose_map_writer (privileged = euid 0). Throws
// berth::Error naming the file or the helper command and its stderr.
void write_userns_maps(pid_t pid, const std::vector<oci::IdMapping>& uid, const std::vector<oci::IdMapping>& gid);

// Runs argv (argv[0] looked up in PATH), waits; throws on a failure to run it or
// a non-zero exit: "<argv joined>: exit status N: <its stderr+stdout>".
void run_helper(const std::vector<std::string>& argv);

}  // namespace berth::linux_
