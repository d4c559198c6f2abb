// Checkpoint and restore of a container with CRIU (runc's `checkpoint` and
// `restore`). berth runs the criu command line (criu dump / pre-dump / restore),
// not criu's swrk RPC: no protobuf schema to carry, the same options runc puts in
// its RPC request, and criu's own log (dump.log / restore.log in the work
// directory) to read when it fails.
#pragma once
#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

#include "berth/oci/spec.hpp"

namespace berth::container {

// Options shared by checkpoint and restore (runc's flag names).
struct CriuOptions {
  std::string criu;        // --criu (global): "" = "criu" found in PATH
  std::string image_path;  // --image-path; default ./checkpoint (as runc)
  std::string work_path;   // --work-path: criu's logs; default: the image path
  bool tcp_established = false;
  bool ext_unix_sk = false;
  bool shell_job = false;
  bool file_locks = false;
  bool auto_dedup = false;  // criu --auto-dedup: punch holes in parent images
  bool lazy_pages = false;           // criu --lazy-pages: pages served on demand (userfaultfd)
  std::string manage_cgroups_mode;   // soft (default), full, strict, ignore
  std::vector<std::string> empty_ns; // --empty-ns: only "network" (as runc)
};

struct CheckpointOptions : CriuOptions {
  std::string root, id;
  bool leave_running = false;
  bool pre_dump = false;     // criu pre-dump --track-mem: the container keeps running
  std::string parent_path;   // --parent-path: a previous (pre-)dump, relative to the image path
  std::string page_server;   // --page-server ADDRESS:PORT: the pages go there (with --lazy-pages:
                             // criu serves them there until a lazy restore has taken them all)
  int status_fd = -1;        // --status-fd: criu writes \0 there once its lazy page server is ready
};

struct RestoreOptions : CriuOptions {
  std::string root, id;
  std::string bundle;          // "" = current directory
  bool detach = false;
  std::string pid_file;
  std::string console_socket;  // the new pty master of a terminal container goes there
  bool no_subreaper = false;
  bool systemd_cgroup = false;
};

// The criu program to run: the --criu value (a path, or a name looked up in
// PATH), "criu" by default. Throws "criu: not found ..." when there is none.
std::string find_criu(const std::string& flag);

// The argument vectors, without the program (pure: unit-tested). `root` is the
// rootfs criu sees as the tasks' root; `cgroup_roots` maps a controller list
// ("memory", "cpu,cpuacct", "" for the unified hierarchy) to the container's
// cgroup path in that hierarchy.
// `cgroup_binds` (cgroup_bind_mounts) are declared external like bind mounts: the dump names them
// by their container path, the restore maps that name to the new container's directories.
using CgroupBinds = std::vector<std::pair<std::string, std::string>>;
std::vector<std::string> criu_dump_args(const CheckpointOptions& o, const oci::Spec& spec, pid_t pid,
                                        const std::string& root, const std::string& freezer_dir,
                                        const CgroupBinds& cgroup_binds = {});
std::vector<std::string> criu_restore_args(const RestoreOptions& o, const oci::Spec& spec, const std::string& root,
                                           const std::string& pid_file,
                                           const std::map<std::string, std::string>& cgroup_roots,
                                           const CgroupBinds& cgroup_binds = {});
// runc's criu configuration file for a container: the annotation org.criu.config names it ("":
// none); without the annotation /etc/criu/runc.conf.
std::string criu_config_file(const std::map<std::string, std::string>& annotations);
// Adds `--config FILE` to a criu command line when FILE exists (a missing one is no error, as
// with runc). runc hands criu the file over RPC, where the file's options override runc's; on
// criu's command line berth's options win, so the one runc's users set there, log-file, is taken
// out of berth's. Returns the log file criu writes (a relative one taken in `work`).
std::string apply_criu_config(std::vector<std::string>& args, const std::string& file, const std::string& work);

// --page-server ADDRESS:PORT (runc's form; [v6-address]:port too), checked.
struct PageServer {
  std::string address, port;
};
PageServer parse_page_server(const std::string& value);

// The binds a cgroup mount is made of without a cgroup namespace (linux/rootfs.cpp
// mount_cgroup): container path -> the host directory bound there (the container's cgroup
// directory of that hierarchy, from `dirs`, keyed by mount point; the hierarchy's root when the
// container has none in it). On a v2 host (`unified`) one bind at the destination; otherwise
// one per v1 hierarchy under /sys/fs/cgroup (`v1_mountpoints`). None with a cgroup namespace:
// then they are cgroup mounts criu restores itself.
CgroupBinds cgroup_bind_mounts(const oci::Spec& spec, const std::map<std::string, std::string>& dirs, bool unified,
                               const std::vector<std::string>& v1_mountpoints);

// checkpoint: dumps a running container into the image path. Unless
// leave_running or pre_dump, the container's processes are gone afterwards and
// the container is deleted (as runc).
void checkpoint(const CheckpointOptions& o);
// restore: a new container `id` from the bundle's config.json and the images.
// Detached: returns 0 once the restored tree runs. Otherwise waits for the
// restored init and returns its exit status (128+n for signal n).
int restore(const RestoreOptions& o);

}  // namespace berth::container
