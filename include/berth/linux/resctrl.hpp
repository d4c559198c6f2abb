// linux.intelRdt: the container's resctrl group (Intel RDT, AMD QoS). The
// group is a directory of the resctrl file system: closID, or the container
// id when there is none; the schemata lines are written into its `schemata`
// file, the container's init into its `tasks`; monitoring (enableMonitoring,
// or the older enableCMT/enableMBM) is a mon_groups/<id> group inside it.
// Every function takes the resctrl mount point, so that tests can point them
// at a directory of their own.
#pragma once
#include <sys/types.h>

#include <string>
#include <vector>

#include "berth/oci/spec.hpp"

namespace berth::linux_ {

// Where resctrl is mounted in berth's mount namespace (/proc/self/mountinfo); "" if nowhere.
std::string resctrl_mount();
// Refuses linux.intelRdt when `root` is "" (no resctrl here), before anything is made.
void require_resctrl(const std::string& root);

// The lines written to `schemata`, in order (runtime-spec): l3CacheSchema
// without its MB: lines plus memBwSchema (or whichever of the two is set),
// then the schemata lines.
std::vector<std::string> rdt_schema_lines(const oci::IntelRdt& rdt);
// The group's directory: root/closID, or root/<id>.
std::string rdt_group_dir(const std::string& root, const std::string& id, const oci::IntelRdt& rdt);

// Makes or checks the group, writes its schemata, adds `pid` (and its
// monitoring group). A closID group that exists is shared: its schemata must
// already hold l3CacheSchema/memBwSchema (else an error), and one without
// schemata to write must exist. Throws berth::Error naming the file.
void join_intel_rdt(const std::string& root, const std::string& id, const oci::IntelRdt& rdt, pid_t pid);
// An exec'd process into the container's group (and its monitoring group), which exist.
void add_to_intel_rdt(const std::string& root, const std::string& id, const oci::IntelRdt& rdt, pid_t pid);
// Removes what join made for this container: the group named after it, or its
// monitoring group in a closID group (which stays). Best effort: returns the failures.
std::string leave_intel_rdt(const std::string& root, const std::string& id, const oci::IntelRdt& rdt);

}  // namespace berth::linux_
