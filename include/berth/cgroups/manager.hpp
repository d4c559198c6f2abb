// One interface over the cgroup drivers. The runtime core needs: make the
// container's cgroup, put the init in it, list its processes, freeze/thaw
// (pause/resume, kill --all, delete --force), read its usage and OOM events
// (events), and remove it.
#pragma once
#include <sys/types.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "berth/cgroups/stats.hpp"
#include "berth/oci/spec.hpp"
#include "berth/util/fd.hpp"

namespace berth::cgroups {

enum class Driver { V1, V2, Systemd };

// OOM notifications of one cgroup. fd() becomes readable (poll) when the OOM
// killer acted in the cgroup or when the cgroup went away; read() then says which.
class OomWatch {
 public:
  struct Events {
    int ooms = 0;       // OOM events since the last read
    bool gone = false;  // the cgroup was removed / has no process left: no more events
  };
  virtual ~OomWatch() = default;
  virtual int fd() const = 0;
  // Non-blocking; {0, false} if nothing happened.
  virtual Events read() = 0;
};

class Manager {
 public:
  virtual ~Manager() = default;
  virtual Driver driver() const = 0;
  // Creates the directories (idempotent). The systemd driver only connects
  // here: its unit needs a pid and is started by the first add().
  virtual void create() = 0;
  // Applies linux.resources (runc 1.1's rules, see resources.cpp); warns about
  // ignored kernel memory settings; throws berth::Error naming the file and value.
  virtual void apply(const oci::Resources& r) = 0;
  // Moves `pid` into the cgroup (every hierarchy on v1).
  virtual void add(pid_t pid) = 0;
  // Puts a new, single-threaded process in the cgroup; `born`: clone3 already
  // placed it in clone_into_fd()'s cgroup. Writes what must come from outside
  // now and returns files the process itself must write "0" into (v1 `tasks`,
  // opened here with our credentials): a thread that moves itself does not take
  // the global cgroup_threadgroup_rwsem, whose first writer after a quiet spell
  // waits a whole RCU grace period (8-16 ms on this host's cgroup v1 kernel).
  virtual std::vector<UniqueFd> join(pid_t pid, bool born) {
    if (!born) add(pid);
    return {};
  }
  // Every process in the cgroup and its descendants.
  virtual std::vector<pid_t> pids() const = 0;
  // Freezes (pause) or thaws (resume) every process; waits until the kernel
  // reports the new state. A freeze that cannot complete is undone and throws.
  virtual void freeze(bool frozen) = 0;
  // Frozen by us (v1: freezer.self_freezing; v2: cgroup.freeze), not via a parent.
  virtual bool frozen() const = 0;
  // Current usage, runc-shaped (see stats.hpp).
  virtual Stats stats() const = 0;
  // Starts watching for OOM kills (v1: eventfd on memory.oom_control; v2:
  // inotify on memory.events). Throws if the memory controller is unavailable.
  virtual std::unique_ptr<OomWatch> watch_oom() const = 0;
  // Removes the directories (children first); processes must be gone.
  virtual void destroy() = 0;
  // Hierarchy mount point -> the container's directory in it (for cgroup mounts).
  virtual std::map<std::string, std::string> dirs() const = 0;
  // An fd of a cgroup2 directory for clone3(CLONE_INTO_CGROUP), so that a child
  // is born in the cgroup: v2's, or on a hybrid host v1's unified hierarchy (made
  // here if need be); none on a pure v1 host.
  virtual UniqueFd clone_into_fd() const { return {}; }
  // Persisted in state.json so later commands find the same cgroup.
  virtual nlohmann::json save() const = 0;
};

// Chooses the driver. With `systemd` (--systemd-cgroup): the systemd driver,
// cgroupsPath "slice:prefix:name" (see systemd.hpp); it needs systemd as PID 1
// and a cgroup v2 host, and throws saying which is missing. Otherwise cgroupfs:
// v2 when /sys/fs/cgroup is cgroup2, else v1 (a hybrid host's v1 controllers
// are used, as runc does); absolute paths are taken from the hierarchy roots,
// relative ones (and the default, "<id>") from berth's own cgroup.
std::unique_ptr<Manager> make_manager(const std::string& cgroups_path, const std::string& id, bool systemd = false);
std::unique_ptr<Manager> load_manager(const nlohmann::json& saved);

// The other half of Manager::join, run by the process that joins: writes "0"
// into each file it was given (moves the calling thread; the caller must be
// single-threaded). Throws berth::Error.
void join_self(const std::vector<UniqueFd>& tasks_files);

}  // namespace berth::cgroups
