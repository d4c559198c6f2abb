#include "berth/container/container.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <climits>
#include <cstring>
#include <ctime>
#include <optional>

#include "berth/cgroups/devices.hpp"
#include "berth/cgroups/fs.hpp"
#include "berth/cgroups/manager.hpp"
#include "berth/cgroups/rootless.hpp"
#include "berth/container/record.hpp"
#include "berth/container/host_files.hpp"
#include "berth/container/state_store.hpp"
#include "berth/linux/idmap_mount.hpp"
#include "berth/linux/lsm.hpp"
#include "berth/linux/proc_tree.hpp"
#include "berth/linux/process_attrs.hpp"
#include "berth/linux/seccomp.hpp"
#include "berth/linux/seccomp_cache.hpp"
#include "berth/linux/syscalls.hpp"
#include "berth/oci/parse.hpp"
#include "berth/process/hooks.hpp"
#include "berth/process/init.hpp"
#include "berth/process/sync.hpp"
#include "berth/util/error.hpp"
#include "berth/util/log.hpp"

namespace berth::container {
namespace {

std::string state_json(const std::string& id, const Record& r, oci::Status status, int pid) {
  oci::State s;
  s.id = id;
  s.status = status;
  s.pid = pid;
  s.bundle = r.bundle;
  s.annotations = r.annotations;
  return oci::to_json(s).dump();
}

std::string now_rfc3339_nano() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm {};
  gmtime_r(&ts.tv_sec, &tm);
  // snprintf, not strftime: glibc's strftime reads /etc/localtime (tzset) on every call.
  char out[96];
  std::snprintf(out, sizeof out, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec);
  return out;
}

std::string absolute(const std::string& p) {
  if (!p.empty() && p[0] == '/') return p;
  char cwd[PATH_MAX];
  if (!::getcwd(cwd, sizeof cwd)) throw_errno("getcwd");
  std::string base = cwd;
  if (p.empty() || p == ".") return base;
  return base + "/" + p;
}

// Waits until the process behind pidfd has exited (not necessarily reaped).
bool wait_exit(int pidfd, int timeout_ms) {
  pollfd p{pidfd, POLLIN, 0};
  for (;;) {
    int n = ::poll(&p, 1, timeout_ms);
    if (n < 0 && errno == EINTR) continue;
    return n > 0;
  }
}

// Signals every process of the container: through the cgroup when there is one
// (frozen while we do it for SIGKILL, so nothing forks past us), else the init.
void signal_all(const Record& r, int sig) {
  auto cg = record_cgroup(r);
  if (!cg) {
    // Rootless without a cgroup: the init's process tree, as far as it can be seen.
    if (init_alive(r))
      for (pid_t p : linux_::process_tree(r.pid)) ::kill(p, sig);
    return;
  }
  std::vector<pid_t> pids;
  if (cg) pids = cg->pids();
  if (pids.empty()) {
    if (init_alive(r)) ::kill(r.pid, sig);
    return;
  }
  bool freeze = sig == SIGKILL && cg->driver() == cgroups::Driver::V1;
  if (freeze) {
    try { cg->freeze(true); } catch (const Error&) { freeze = false; }
  }
  for (pid_t p : cg->pids()) ::kill(p, sig);
  if (freeze) cg->freeze(false);
}

void kill_and_wait(const Record& r) {
  if (!init_alive(r)) return;
  UniqueFd pfd(sys::pidfd_open(r.pid));
  signal_all(r, SIGKILL);
  if (pfd && !wait_exit(pfd.get(), 10000)) throw Error("container init " + std::to_string(r.pid) + " did not exit after SIGKILL");
}

// Removes everything the container owns on the host. Poststop hook failures are warnings (spec).
void destroy(StateDir& dir, const Record& r, const std::string& id) {
  if (auto cg = record_cgroup(r)) {
    for (pid_t p : cg->pids()) ::kill(p, SIGKILL);
    cg->destroy();
  }
  try {
    process::run_hooks("poststop", r.spec.hooks.poststop, state_json(id, r, oci::Status::Stopped, 0));
  } catch (const Error& e) {
    log::warn(e.what());
  }
  dir.remove();
}

// Creates the container's cgroup. Rootless and not allowed to create one
// (no delegated, writable cgroup): none, as runc does, unless the config asks
// for limits, which would silently not hold. Returns null for "no cgroup".
std::unique_ptr<cgroups::Manager> make_cgroup(std::unique_ptr<cgroups::Manager> cg, const oci::Spec& spec,
                                              const CreateOptions& o) {
  try {
    cg->create();
    return cg;
  } catch (const Error& e) {
    if (!o.rootless || !cgroups::is_permission_error(e.code())) throw;
    // Nothing is destroyed: an existing directory may be a cgroup berth did not
    // make (an absolute cgroupsPath), and an unprivileged mkdir that failed made none.
    std::vector<std::string> limits;
    if (spec.linux && spec.linux->resources) limits = cgroups::requested_limits(*spec.linux->resources);
    if (!limits.empty()) {
      std::string names;
      for (const auto& l : limits) names += (names.empty() ? "linux.resources." : ", linux.resources.") + l;
      throw Error("rootless container: " + names + " needs a cgroup, but berth cannot create one (" + e.what() +
                      "): run as root, give this user a delegated writable cgroup, or remove the limits",
                  e.code());
    }
    log::debug(std::string("rootless: going on without a cgroup: ") + e.what());
    return nullptr;
  }
}

// Without a mount namespace of its own the container shares the host's mounts:
// masked and read-only paths, mounts, a read-only root cannot be applied there
// (they would change the host). runc refuses masked/readonly paths with this
// message; berth refuses everything that needs mounts (docs/architecture.md).
void require_mount_namespace(const oci::Spec& spec) {
  if (spec.has_namespace(oci::NamespaceType::Mount)) return;
  const oci::Linux* lx = spec.linux ? &*spec.linux : nullptr;
  if (lx && (!lx->maskedPaths.empty() || !lx->readonlyPaths.empty()))
    throw Error("unable to restrict sys entries without a private MNT namespace "
                "(linux.maskedPaths / linux.readonlyPaths need a \"mount\" entry in linux.namespaces)");
  if (!spec.mounts.empty())
    throw Error("config.json: mounts: " + std::to_string(spec.mounts.size()) +
                " mount(s) need a private mount namespace (add {\"type\": \"mount\"} to linux.namespaces)");
  if (spec.root.readonly)
    throw Error("config.json: root.readonly needs a private mount namespace (add {\"type\": \"mount\"} to linux.namespaces)");
}

}  // namespace

Created create(const CreateOptions& o) {
  check_id(o.id);
  std::string bundle = absolute(o.bundle);
  // Relative paths in config.json (root.path, bind sources) are relative to the bundle, as in runc.
  if (::chdir(bundle.c_str()) < 0) throw_errno("chdir to bundle " + bundle);
  oci::Spec spec = oci::load_spec("config.json");
  if (!spec.process) throw Error("config.json: process: required for create");
  require_mount_namespace(spec);
  if (spec.process->terminal && o.console_socket.empty() && o.console_fd < 0)
    throw Error("cannot allocate tty if berth will detach without setting console socket");
  if (!spec.process->terminal && !o.console_socket.empty())
    throw Error("cannot use console socket if berth will not detach or allocate tty");
  std::string rootfs = spec.root.path[0] == '/' ? spec.root.path : bundle + "/" + spec.root.path;
  struct stat st {};
  if (::stat(rootfs.c_str(), &st) < 0) throw_errno("rootfs " + rootfs);
  if (!S_ISDIR(st.st_mode)) throw Error("rootfs " + rootfs + ": not a directory");
  // Labels the host cannot apply are refused now, not by a failed write in the init.
  // Only a config that asks for a label pays for probing the host's LSMs.
  if (linux_::wants_lsm(spec)) linux_::require_lsm_support(spec, linux_::detect_lsm());
  // With SELinux present the label passes the check above, but berth does not put context= on
  // the container's mounts (runc does): say so rather than pretend.
  if (spec.linux && !spec.linux->mountLabel.empty())
    log::warn("linux.mountLabel \"" + spec.linux->mountLabel + "\" is not applied: berth does not label mounts");
  std::optional<linux_::SeccompFilter> seccomp;
  if (spec.linux && spec.linux->seccomp)
    seccomp = linux_::compile_seccomp_cached(*spec.linux->seccomp, seccomp_cache_dir(o.root));
  UniqueFd console;
  if (!o.console_socket.empty()) console = connect_console_socket(o.console_socket);

  StateDir dir = StateDir::create(o.root, o.id);
  std::unique_ptr<cgroups::Manager> cg;
  bool cgroup_made = false;
  try {
    std::string fifo = dir.file("exec.fifo");
    if (::mkfifo(fifo.c_str(), 0622) < 0) throw_errno("mkfifo " + fifo);
    // O_RDWR: open does not block, and the init's read blocks until `start` writes.
    UniqueFd fifo_fd(::open(fifo.c_str(), O_RDWR | O_CLOEXEC));
    if (!fifo_fd) throw_errno("open " + fifo);

    oci::Resources res = spec.linux && spec.linux->resources ? *spec.linux->resources : oci::Resources{};
    // Rootless: no device rules (see cgroups/rootless.hpp); root: runc's defaults + the config's.
    if (o.rootless) res.devices.clear();
    else res.devices = cgroups::effective_device_rules(spec);
    cg = cgroups::make_manager(spec.linux ? spec.linux->cgroupsPath : "", o.id, o.systemd_cgroup);
    // On v1 the init joins its cgroup after it runs (Manager::join), so the ~10
    // directories and their limits are made then too, while the init mounts its
    // rootfs (spawn_init: after Go, before CgroupJoined). v2 needs the directory for
    // CLONE_INTO_CGROUP, systemd a connection, rootless the answer "is there one".
    bool late_cgroup = !o.rootless && cg->driver() == cgroups::Driver::V1;
    // Recorded before any cgroup is made: a create killed from here on leaves a
    // record that `delete --force` cleans up (rootless: only a cgroup it made).
    const std::string created_at = now_rfc3339_nano();
    auto partial = [&](pid_t pid, unsigned long long start, const nlohmann::json& cgroup) {
      dir.write_partial({{"pid", pid}, {"start_time", start}, {"bundle", bundle}, {"rootfs", rootfs},
                         {"created", created_at}, {"cgroup", cgroup}, {"rootless", o.rootless}});
    };
    if (!o.rootless) partial(0, 0, cg->save());
    if (!late_cgroup) {
      cg = make_cgroup(std::move(cg), spec, o);
      cgroup_made = cg != nullptr;
      if (cg) cg->apply(res);
    }

    Record rec;
    rec.bundle = bundle;
    rec.annotations = spec.annotations;
    // Idmapped trees are made here, in the host's namespaces; the init attaches them.
    std::map<size_t, UniqueFd> idmapped = linux_::prepare_idmapped_mounts(spec);
    process::InitConfig ic;
    for (const auto& [idx, fd] : idmapped) ic.idmapped[idx] = fd.get();
    ic.spec = &spec;
    ic.id = o.id;
    ic.bundle = bundle;
    ic.rootfs = rootfs;
    ic.no_pivot = o.no_pivot;
    ic.no_new_keyring = o.no_new_keyring;
    ic.preserve_fds = o.preserve_fds;
    ic.console_socket = console ? console.get() : o.console_fd;
    ic.exec_fifo = fifo_fd.get();
    ic.seccomp = seccomp ? &*seccomp : nullptr;
    if (cg) ic.cgroup_dirs = cg->dirs();
    if (late_cgroup) {
      // From here on the directories are ours to remove on failure (as runc does):
      // clone_into_fd() may make the unified one before the init is cloned.
      cgroup_made = true;
      ic.setup_cgroup = [&] {
        cg->create();
        cg->apply(res);
      };
    }
    ic.on_init_cloned = [&](pid_t pid) {
      auto st2 = proc_stat(pid);
      partial(pid, st2 ? st2->first : 0ULL, cg ? cg->save() : nlohmann::json());
    };
    ic.state_json = [&](pid_t pid) { return state_json(o.id, rec, oci::Status::Creating, pid); };
    ic.runtime_hooks = [&](pid_t pid) {
      std::string s = state_json(o.id, rec, oci::Status::Creating, pid);
      process::run_hooks("prestart", spec.hooks.prestart, s);
      process::run_hooks("createRuntime", spec.hooks.createRuntime, s);
    };
    ic.seccomp_listener = [&](pid_t pid, int fd) {
      const auto& sc = *spec.linux->seccomp;
      if (sc.listenerPath.empty()) return;
      linux_::send_seccomp_listener(sc.listenerPath, fd, state_json(o.id, rec, oci::Status::Creating, pid),
                                    sc.listenerMetadata, pid);
    };

    for (const auto& h : cgroups::host_hierarchies())
      if (!h.unified) ic.cgroup_v1.emplace_back(h.mountpoint, h.options);
    // state.json is written while the init mounts its rootfs, not after: other
    // commands wait for our lock on the state directory, so none reads it early,
    // and a failed create removes the directory with it.
    ic.while_init_sets_up = [&](pid_t pid) {
      auto st2 = proc_stat(pid);
      rec.pid = pid;
      rec.start_time = st2 ? st2->first : 0ULL;
      rec.rootfs = rootfs;
      rec.created = created_at;
      rec.cgroup = cg ? cg->save() : nlohmann::json();
      rec.rootless = o.rootless;
      nlohmann::json j = {
          {"ociVersion", oci::kSpecVersion}, {"id", o.id}, {"pid", pid},
          {"start_time", rec.start_time}, {"bundle", bundle}, {"rootfs", rootfs},
          {"created", rec.created}, {"owner", ""}, {"annotations", spec.annotations},
          {"cgroup", rec.cgroup}, {"rootless", o.rootless}, {"config", oci::to_json(spec)},
      };
      dir.write_state(j);
    };

    process::InitProcess init = process::spawn_init(ic, cg.get());
    if (!o.pid_file.empty()) write_pid_file(absolute(o.pid_file), init.pid);
    rec.spec = std::move(spec);
    return Created{init.pid, std::move(init.pidfd), std::move(rec)};
  } catch (...) {
    // A failed create leaves nothing behind: no cgroup, no state directory.
    if (cgroup_made) {
      try { cg->destroy(); } catch (const Error& e) { log::warn(e.what()); }
    }
    try { dir.remove(); } catch (const Error& e) { log::warn(e.what()); }
    throw;
  }
}

// Waits (bounded) until process `pid` no longer runs the binary it ran when
// `before` was taken: it has exec'd the container process, or died. A few polls
// of a stat; only used when both startContainer and poststart hooks exist.
static void wait_for_exec(pid_t pid, const struct stat& before) {
  const std::string exe = "/proc/" + std::to_string(pid) + "/exe";
  for (int i = 0; i < 30000; ++i) {  // 30 s at most: a hook without a timeout may hang
    struct stat st {};
    if (::stat(exe.c_str(), &st) < 0 || st.st_dev != before.st_dev || st.st_ino != before.st_ino) return;
    ::usleep(1000);
  }
  log::warn("poststart: container process " + std::to_string(pid) + " has not started after 30 s");
}

void start(const std::string& root, const std::string& id, const Record* known) {
  StateDir dir = StateDir::open(root, id);
  std::optional<Record> loaded;
  if (!known) loaded = load_record(dir, RecordSpec::HooksOnly);
  const Record& r = known ? *known : *loaded;
  oci::Status s = status_of(r, dir);
  if (s == oci::Status::Stopped) throw Error("cannot start a container that has stopped");
  if (s == oci::Status::Paused) throw Error("cannot start a container in the paused state");
  if (s == oci::Status::Creating)
    throw Error("cannot start a container whose create did not finish (delete it with --force)");
  if (s != oci::Status::Created) throw Error("cannot start an already running container");
  std::string fifo = dir.file("exec.fifo");
  UniqueFd fd(::open(fifo.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC));
  if (!fd) {
    if (errno == ENXIO || errno == ENOENT) throw Error("cannot start a container that has stopped");
    throw_errno("open exec fifo " + fifo);
  }
  // The init runs a sealed copy of berth (linux/exe_seal.hpp), not our binary:
  // what it runs now is what it must stop running.
  const bool wait_exec = !r.spec.hooks.poststart.empty() && !r.spec.hooks.startContainer.empty();
  struct stat init_exe {};
  const bool know_exe = wait_exec && ::stat(("/proc/" + std::to_string(r.pid) + "/exe").c_str(), &init_exe) == 0;
  if (::write(fd.get(), "0", 1) != 1) throw_errno("write exec fifo " + fifo);
  if (::unlink(fifo.c_str()) < 0) throw_errno("remove exec fifo " + fifo);
  // The init runs the startContainer hooks after the fifo byte, just before its
  // execve; poststart hooks must come after the process started (runtime-spec).
  if (know_exe) wait_for_exec(r.pid, init_exe);
  try {
    process::run_hooks("poststart", r.spec.hooks.poststart, state_json(id, r, oci::Status::Running, r.pid));
  } catch (const Error& e) {
    log::warn(e.what());
  }
}

static nlohmann::ordered_json state_of(const StateDir& dir, const Record& r) {
  oci::Status s = status_of(r, dir);
  nlohmann::ordered_json j;
  j["ociVersion"] = oci::kSpecVersion;
  j["id"] = dir.id();
  j["pid"] = s == oci::Status::Stopped ? 0 : r.pid;
  j["status"] = oci::status_name(s);
  j["bundle"] = r.bundle;
  j["rootfs"] = r.rootfs;
  j["created"] = r.created;
  j["owner"] = r.owner;
  if (!r.annotations.empty()) j["annotations"] = r.annotations;
  return j;
}

nlohmann::ordered_json state(const std::string& root, const std::string& id) {
  StateDir dir = StateDir::open(root, id);
  return state_of(dir, load_record(dir, RecordSpec::None));
}

std::vector<nlohmann::ordered_json> list(const std::string& root) {
  std::vector<nlohmann::ordered_json> out;
  for (const auto& id : StateDir::list(root)) {
    try {
      StateDir dir = StateDir::open(root, id);
      out.push_back(state_of(dir, load_record(dir, RecordSpec::None)));
    } catch (const Error& e) {
      log::debug("list: skipping " + id + ": " + e.what());  // deleted meanwhile
    }
  }
  return out;
}

void kill(const std::string& root, const std::string& id, int sig, bool all) {
  StateDir dir = StateDir::open(root, id);
  Record r = load_record(dir, RecordSpec::None);
  // --all reaches whatever is left in the cgroup even after the init exited
  // (containerd's shim relies on that for containers sharing the host pid ns).
  if (all) {
    signal_all(r, sig);
    return;
  }
  if (!init_alive(r)) throw Error("container not running");
  // pidfd: the signal reaches exactly the process whose start time we checked.
  UniqueFd pfd(sys::pidfd_open(r.pid));
  if (!pfd || !init_alive(r)) throw Error("container not running");
  if (sys::pidfd_send_signal(pfd.get(), sig) < 0) {
    if (errno == ESRCH) throw Error("container not running");
    throw_errno("kill container init " + std::to_string(r.pid));
  }
}

void remove(const std::string& root, const std::string& id, bool force, const Record* known) {
  std::optional<StateDir> dir;
  try {
    dir.emplace(StateDir::open(root, id));
  } catch (const Error& e) {
    if (e.code() != ENOENT) throw;
    // A create that died before writing state.json may leave its directory.
    std::string path = root + "/" + id;
    ::unlink((path + "/exec.fifo").c_str());
    ::unlink((path + "/state.json.tmp").c_str());
    ::unlink((path + "/creating.json.tmp").c_str());
    ::rmdir(path.c_str());
    if (force) return;
    throw;
  }
  std::optional<Record> loaded;
  if (!known) loaded = load_record(*dir, RecordSpec::HooksOnly);
  const Record& r = known ? *known : *loaded;
  oci::Status s = status_of(r, *dir);
  if ((s == oci::Status::Running || s == oci::Status::Paused) && !force)
    throw Error("cannot delete container " + id + " that is not stopped: " + oci::status_name(s));
  if (s != oci::Status::Stopped) {
    if (s == oci::Status::Paused) {
      if (auto cg = record_cgroup(r)) {
        for (pid_t p : cg->pids()) ::kill(p, SIGKILL);
        cg->freeze(false);
      }
    }
    kill_and_wait(r);
  }
  destroy(*dir, r, id);
}

std::vector<pid_t> pids(const std::string& root, const std::string& id) {
  StateDir dir = StateDir::open(root, id);
  Record r = load_record(dir, RecordSpec::None);
  if (auto cg = record_cgroup(r)) return cg->pids();
  // No cgroup (rootless): the init and its descendants (linux/proc_tree.hpp).
  if (init_alive(r)) return linux_::process_tree(r.pid);
  return {};
}

}  // namespace berth::container
