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
std::unique_ptr<Manager> make_systemd(const std::string& cgroups_path, const std::string& id);
std::unique_ptr<Manager> load_systemd(const nlohmann::json& saved);

// Helpers shared by the drivers.
struct Hierarchy {
  std::string mountpoint;                // /sys/fs/cgroup/memory
  std::vector<std::string> controllers;  // memory; name=systemd; empty for cgroup2
  bool unified = false;
  std::string options;                   // super options without rw/ro ("cpu,cpuacct", "xattr,name=systemd")
};
// Cgroup hierarchies mounted on this host (from /proc/self/mountinfo, read once
// per process: berth mounts nothing in its own namespace).
const std::vector<Hierarchy>& host_hierarchies();
// This process's cgroup per hierarchy: "memory" -> "/user.slice", "" -> unified path.
std::map<std::string, std::string> own_cgroups();
// Reads the pids listed in <dir>/cgroup.procs and in every child cgroup.
void collect_pids(const std::string& dir, std::vector<pid_t>& out);
// rmdir a cgroup directory tree, children first; missing directories are fine.
// A cgroup still busy (its last processes exiting) is waited for, at most
// kRemoveWaitMs: on cgroup2 until cgroup.events says "populated 0".
inline constexpr int kRemoveWaitMs = 5000;
void remove_tree(const std::string& dir);
// Waits until <dir>/cgroup.events (cgroup2) has the line `want` ("frozen 1",
// "populated 0"): woken by the kernel's file-modified event (poll POLLPRI) and
// re-read each time, with a re-read at least every kEventRecheckMs as a safety
// net. False when timeout_ms pass first; throws if the file cannot be read.
inline constexpr int kEventRecheckMs = 100;
bool wait_cgroup_events(const std::string& dir, const std::string& want, int timeout_ms);
// Joins a hierarchy mount point and a cgroup path ("/a/b"), cleaning ".." away.
std::string join_cgroup(const std::string& mountpoint, const std::string& path);

// v1: the container's directory for a controller ("memory", "cpuacct"), also
// when it is co-mounted ("/sys/fs/cgroup/cpu,cpuacct"); "" if not mounted.
std::string controller_dir(const std::map<std::string, std::string>& dirs, const std::string& ctrl);

// Cgroup file I/O as runc does it: one write(2) of the value to an
// O_WRONLY|O_TRUNC open. Errors carry the errno and runc's wording:
//   failed to write "VALUE": write DIR/FILE: <strerror>
void write_cgroup_file(const std::string& dir, const std::string& file, const std::string& value);
std::string read_cgroup_file(const std::string& dir, const std::string& file);
bool cgroup_file_exists(const std::string& dir, const std::string& file);

// OOM watchers of the drivers (oom.cpp).
std::unique_ptr<OomWatch> watch_oom_v1(const std::string& memory_dir);
std::unique_ptr<OomWatch> watch_oom_v2(const std::string& dir);

// True in a user namespace other than the initial one (device rules cannot be
// written there; runc skips them too).
bool in_user_namespace();

}  // namespace berth::cgroups
