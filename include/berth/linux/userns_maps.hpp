// Writing the uid/gid maps of a new user namespace, privileged or not.
//
// A privileged berth (euid 0) writes /proc/<pid>/{uid,gid}_map itself. An
// unprivileged one may only write a map that is exactly its own id mapped to
// one id (and, for gid_map, only after writing "deny" to setgroups); anything
// else goes through the setuid helpers newuidmap/newgidmap (package uidmap),
// which check the ranges against /etc/subuid and /etc/subgid.
#pragma once
#include <sys/types.h>

#include <cstdint>

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

// A new user namespace without uidMappings/gidMappings (runc refuses it; crun
// accepts it, and so does berth, with crun's default maps):
// - the caller has a subordinate range in /etc/subuid (/etc/subgid) under its
//   name: [0, id) from the range, `id` -> the caller's own id, the rest of the
//   range after it (crun's format_default_id_mapping);
// - else root: the first 65536 ids (and up to `id`) mapped to themselves
//   (crun: 0..id, which fails the usual devpts gid=5 mount); an unprivileged
//   caller: 0 -> its own id.
// `id` is process.user.uid (gid). Pure: unit-tested.
struct SubIdRange {
  uint32_t start = 0;
  uint32_t count = 0;
};
std::vector<oci::IdMapping> default_id_map(uint32_t id, uint32_t caller_id, const SubIdRange* range);
// The first "name:start:count" line for `name` in /etc/subuid-style text; false if none.
bool find_subid_range(const std::string& text, const std::string& name, SubIdRange& out);
// Fills the spec's empty maps of a new user namespace from the caller's ids and
// /etc/subuid, /etc/subgid. Nothing to do without a new user namespace.
void fill_default_id_maps(oci::Spec& spec);

// Runs argv (argv[0] looked up in PATH), waits; throws on a failure to run it or
// a non-zero exit: "<argv joined>: exit status N: <its stderr+stdout>".
void run_helper(const std::vector<std::string>& argv);

}  // namespace berth::linux_
