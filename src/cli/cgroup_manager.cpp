// crun's global --cgroup-manager, for the engines and scripts that pass it (podman with
// crun, crun's own tests): its values mapped onto berth's cgroup drivers.
#include "berth/util/error.hpp"
#include "cli.hpp"

namespace berth::cli {

void apply_cgroup_manager(Globals& g) {
  const std::string& m = g.cgroup_manager;
  if (m.empty()) return;
  if (m == "systemd") {
    g.systemd_cgroup = true;
  } else if (m == "cgroupfs") {
    if (g.systemd_cgroup) throw Error("--cgroup-manager cgroupfs contradicts --systemd-cgroup");
  } else if (m == "disabled") {
    // crun then leaves the container in the caller's cgroup and drops linux.resources;
    // berth's kill --all, pause, ps, update and delete --force all work through the
    // container's own cgroup, and a resource limit must never be silently dropped.
    throw Error("--cgroup-manager disabled: not supported: berth always creates the container's cgroup "
                "(use cgroupfs or systemd)");
  } else {
    throw Error("--cgroup-manager " + m + ": unknown cgroup manager (cgroupfs, systemd or disabled)");
  }
}

}  // namespace berth::cli
