// A process and its descendants, from the parent pids in /proc/<pid>/stat:
// what `ps` and `kill --all` reach for a container that has no cgroup
// (rootless). (/proc/<pid>/task/<tid>/children needs CONFIG_PROC_CHILDREN,
// which not every kernel has.) Unlike a cgroup it is a snapshot: a process
// forked meanwhile, or re-parented out of the tree, can be missed.
#pragma once
#include <sys/types.h>

#include <map>
#include <string_view>
#include <vector>

namespace berth::linux_ {

// Field 4 (ppid) of a /proc/<pid>/stat line; -1 if malformed.
pid_t stat_ppid(std::string_view stat);
// `root` first, then its descendants breadth-first, from a pid -> ppid table.
std::vector<pid_t> descendants(pid_t root, const std::multimap<pid_t, pid_t>& children);
// The same over the live /proc; empty if root is gone.
std::vector<pid_t> process_tree(pid_t root);

}  // namespace berth::linux_
