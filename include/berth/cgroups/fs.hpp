// cgroupfs drivers (v1 per-controller hierarchies, v2 unified), internal to cgroups/.
#pragma once
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "berth/cgroups/manager.hpp"

namespace berth::cgroups {

bool host_is_unified();
std::unique_ptr<Manager> make_v1(const std::string& path);
std::unique_ptr<Manager> load_v1(const nlohmann::json& saved);
std::unique_ptr<Manager> make_v2(const std::string& path);
std::unique_ptr<Manager> load_v2(const nlohmann::json& saved);

// Helpers shared by the drivers.
struct Hierarchy {
  std::string mountpoint;                // /sys/fs/cgroup/memory
  std::vector<std::string> controllers;  // memory; name=systemd; empty for cgroup2
  bool unified = false;
};
// Cgroup hierarchies mounted on this host (from /proc/self/mountinfo).
std::vector<Hierarchy> host_hierarchies();
// This process's cgroup per hierarchy: "memory" -> "/user.slice", "" -> unified path.
std::map<std::string, std::string> own_cgroups();
// Reads the pids listed in <dir>/cgroup.procs and in every child cgroup.
void collect_pids(const std::string& dir, std::vector<pid_t>& out);
// rmdir a cgroup directory tree, children first; missing directories are fine.
void remove_tree(const std::string& dir);
// Joins a hierarchy mount point and a cgroup path ("/a/b"), cleaning ".." away.
std::string join_cgroup(const std::string& mountpoint, const std::string& path);

}  // namespace berth::cgroups
