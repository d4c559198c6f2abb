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
#include "berth/container/cgroup_kill.hpp"
#include "berth/container/record.hpp"
#include "berth/container/host_attach.hpp"
#include "berth/container/host_files.hpp"
#include "berth/container/state_store.hpp"
#include "berth/container/notify_socket.hpp"
#include "berth/linux/caps.hpp"
#include "berth/linux/idmap_mount.hpp"
#include "berth/linux/lsm.hpp"
#include "berth/linux/namespaces.hpp"
#include "berth/linux/proc_tree.hpp"
#include "berth/linux/rootfs.hpp"
#include "berth/linux/process_attrs.hpp"
#include "berth/linux/seccomp.hpp"
#include "berth/linux/seccomp_cache.hpp"
#include "berth/linux/syscalls.hpp"
#include "berth/linux/userns_maps.hpp"
#include "berth/oci/parse.hpp"
#include "berth/process/hooks.hpp"
#include "berth/process/init.hpp"
#include "berth/process/plan.hpp"
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
// (container/cgroup_kill.hpp: nothing forks past us), else the init.
void signal_all(const Record& r, int sig) {
  auto cg = record_cgroup(r);
  if (!cg) {
    // Rootless without a cgroup: the init's process tree, as far as it can be seen.
    if (init_alive(r))
      for (pid_t p : linux_::process_tree(r.pid)) ::kill(p, sig);
    return;
  }
  if (cg->pids().empty()) {
    if (init_alive(r)) ::kill(r.pid, sig);
    return;
  }
  signal_cgroup(*cg, sig);
}

void kill_and_wait(const Record& r) {
  if (!init_alive(r)) return;
  UniqueFd pfd(sys::pidfd_open(r.pid));
  signal_all(r, SIGKILL);
  if (pfd && !wait_exit(pfd.get(), 10000)) throw Error("container init " + std::to_string(r.pid) + " did not exit after SIGKILL");
}

// The annotation files for hook output (process/hooks.hpp); a file that cannot
// be opened is a warning here: the hooks run on, their output kept for errors.
process::HookFiles hook_files_or_warn(const std::map<std::string, std::string>& annotations) {
  try {
    return process::HookFiles::open(annotations);
  } catch (const Error& e) {
    log::warn(e.what());
    return {};
  }
}

// Removes everything the container owns on the host. Poststop hook failures are
// warnings, and every poststop hook runs (runtime-spec).
void destroy(StateDir& dir, const Record& r, const std::string& id) {
  if (auto cg = record_cgroup(r)) {
    if (!cg->pids().empty()) signal_cgroup(*cg, SIGKILL);
    cg->destroy();
  }
  detach_host(dir, id, r.spec);
  if (!r.spec.hooks.poststop.empty()) {
  process::HookFiles files = hook_files_or_warn(r.annotations);
    for (const auto& failure :
         process::run_all_hooks("poststop", r.spec.hooks.poststop, state_json(id, r, oci::Status::Stopped, 0), files.io()))
      log::warn(failure);
  }
  dir.remove();
}

// Creates the container's cgroup. Rootless and not allowed to create one
// (no delegated, writable cgroup): none, as runc does, unless the config asks
// for limits, which would silently not hold. Returns null for "no cgroup".
std::unique_ptr<cgroups::Manager> cgroup_or_none(std::unique_ptr<cgroups::Manager> cg, const oci::Spec& spec,
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

// A cgroup that exists before the container (an absolute cgroupsPath, a pod's): processes in
// it are allowed with runc's warning, a frozen one is refused with runc's error — the init
// would freeze the moment it entered it and create would wait for it for ever.
void check_existing_cgroup(const cgroups::Manager& cg) {
  if (auto pids = cg.pids(); !pids.empty())
    log::warn("container's cgroup is not empty: " + std::to_string(pids.size()) + " process(es) found");
  if (cg.frozen()) throw Error("container's cgroup unexpectedly frozen");
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

// What create takes from the bundle, all of it checked before anything is made.
struct Bundle {
  std::string dir;  // absolute
  oci::Spec spec;
  std::string rootfs;  // absolute
  std::optional<linux_::SeccompFilter> seccomp;
  UniqueFd console;  // the connected --console-socket
  process::HookFiles hook_files;  // run.oci.hooks.stdout/stderr
};

Bundle load_bundle(const CreateOptions& o) {
  check_id(o.id);
  Bundle b;
  b.dir = absolute(o.bundle);
  // Relative paths in config.json (root.path, bind sources) are relative to the bundle, as in runc.
  if (::chdir(b.dir.c_str()) < 0) throw_errno("chdir to bundle " + b.dir);
  b.spec = oci::load_spec(o.config.empty() ? "config.json" : o.config);
  // A new user namespace without mappings: crun's default maps (linux/userns_maps.hpp).
  linux_::fill_default_id_maps(b.spec);
  const oci::Spec& spec = b.spec;
  if (!spec.process) throw Error("config.json: process: required for create");
  require_mount_namespace(spec);
  if (spec.process->capabilities) linux_::warn_unavailable_caps(*spec.process->capabilities);
  linux_::keep_original_groups(spec.annotations, spec.process->user, "config.json: process.user");
  if (spec.process->terminal && o.console_socket.empty() && o.console_fd < 0)
    throw Error("cannot allocate tty if berth will detach without setting console socket (use --console-socket)");
  if (!spec.process->terminal && !o.console_socket.empty())
    throw Error("cannot use console socket if berth will not detach or allocate tty");
  b.rootfs = spec.root.path[0] == '/' ? spec.root.path : b.dir + "/" + spec.root.path;
  linux_::check_rootfs(b.rootfs);
  // Labels the host cannot apply are refused now, not by a failed write in the init.
  // Only a config that asks for a label pays for probing the host's LSMs.
  if (linux_::wants_lsm(spec)) linux_::require_lsm_support(spec, linux_::detect_lsm());
  // linux.memoryPolicy, linux.netDevices, linux.intelRdt: what this host must offer.
  require_host_support(spec);
  if (spec.linux && spec.linux->seccomp)
    b.seccomp = linux_::compile_seccomp_cached(*spec.linux->seccomp, seccomp_cache_dir(o.root));
  if (!o.console_socket.empty()) b.console = connect_console_socket(o.console_socket);
  const oci::Hooks& h = spec.hooks;
  if (!h.prestart.empty() || !h.createRuntime.empty() || !h.createContainer.empty() || !h.startContainer.empty() ||
      !h.poststart.empty() || !h.poststop.empty())
    b.hook_files = process::HookFiles::open(spec.annotations);
  return b;
}

// O_RDWR: open does not block, and the init's read blocks until `start` writes.
UniqueFd make_exec_fifo(const StateDir& dir) {
  std::string fifo = dir.file("exec.fifo");
  if (::mkfifo(fifo.c_str(), 0622) < 0) throw_errno("mkfifo " + fifo);
  UniqueFd fd(::open(fifo.c_str(), O_RDWR | O_CLOEXEC));
  if (!fd) throw_errno("open " + fifo);
  return fd;
}

process::HostFacts host_facts(const cgroups::Manager& cg, const CreateOptions& o) {
  process::HostFacts h;
  h.euid_root = ::geteuid() == 0;
  h.rootless = o.rootless;
  switch (cg.driver()) {
    case cgroups::Driver::V2: h.cgroup = process::CgroupHost::V2; break;
    case cgroups::Driver::Systemd: h.cgroup = process::CgroupHost::Systemd; break;
    case cgroups::Driver::V1:
      h.cgroup = process::CgroupHost::V1;
      for (const auto& hier : cgroups::host_hierarchies())
        if (hier.unified) h.cgroup = process::CgroupHost::Hybrid;
      break;
  }
  return h;
}

// The parent's part of a create that is not about the init itself
// (process::InitParent): the cgroup, state.json, the runtime's hooks, the
// seccomp agent. Owns everything a failed create must remove.
class Creation final : public process::InitParent {
 public:
  Creation(const CreateOptions& o, Bundle& b, StateDir& dir) : o_(o), b_(b), dir_(dir) {
    rec_.bundle = b.dir;
    rec_.annotations = b.spec.annotations;
  }

  // The cgroup's limits, with the device rules: rootless none (see
  // cgroups/rootless.hpp), root runc's defaults + the config's.
  void choose_cgroup() {
    const oci::Spec& spec = b_.spec;
    res_ = spec.linux && spec.linux->resources ? *spec.linux->resources : oci::Resources{};
    if (o_.rootless) res_.devices.clear();
    else res_.devices = cgroups::effective_device_rules(spec);
    cg_ = cgroups::make_manager(spec.linux ? spec.linux->cgroupsPath : "", o_.id, o_.systemd_cgroup);
    check_existing_cgroup(*cg_);
    // Recorded before any cgroup is made: a create killed from here on leaves a
    // record that `delete --force` cleans up (rootless: only a cgroup it made).
    created_at_ = now_rfc3339_nano();
    if (!o_.rootless) record_partial(0, 0);
  }

  // Now, or after Go (the plan's MakeCgroup): v2 needs the directory for
  // CLONE_INTO_CGROUP, systemd a connection, rootless the answer "is there one".
  void make_cgroup_early(const process::InitPlan& plan) {
    if (plan.cgroup_made_late) {
      // From here on the directories are ours to remove on failure (as runc does):
      // clone_into_fd() may make the unified one before the init is cloned.
      cgroup_made_ = true;
      return;
    }
    cg_ = cgroup_or_none(std::move(cg_), b_.spec, o_);
    cgroup_made_ = cg_ != nullptr;
    if (cg_) cg_->apply(res_);
  }

  void make_cgroup() override {
    cg_->create();
    cg_->apply(res_);
  }

  void record_init(pid_t pid) override {
    auto st = proc_stat(pid);
    record_partial(pid, st ? st->first : 0ULL);
  }

  // state.json is written while the init mounts its rootfs, not after: other
  // commands wait for our lock on the state directory, so none reads it early,
  // and a failed create removes the directory with it.
  void record_state(pid_t pid) override {
    auto st = proc_stat(pid);
    rec_.pid = pid;
    rec_.start_time = st ? st->first : 0ULL;
    rec_.rootfs = b_.rootfs;
    rec_.created = created_at_;
    rec_.cgroup = cg_ ? cg_->save() : nlohmann::json();
    rec_.rootless = o_.rootless;
    nlohmann::json j = {
        {"ociVersion", oci::kSpecVersion}, {"id", o_.id}, {"pid", pid},
        {"start_time", rec_.start_time}, {"bundle", b_.dir}, {"rootfs", b_.rootfs},
        {"created", rec_.created}, {"owner", ""}, {"annotations", b_.spec.annotations},
        {"cgroup", rec_.cgroup}, {"rootless", o_.rootless}, {"config", oci::to_json(b_.spec)},
    };
    dir_.write_state(j);
  }

  std::string runtime_hooks(pid_t pid) override {
    std::string s = state_json(o_.id, rec_, oci::Status::Creating, pid);
    process::run_hooks("prestart", b_.spec.hooks.prestart, s, b_.hook_files.io());
    process::run_hooks("createRuntime", b_.spec.hooks.createRuntime, s, b_.hook_files.io());
    return s;
  }

  void seccomp_listener(pid_t pid, int fd) override {
    const auto& sc = *b_.spec.linux->seccomp;
    if (sc.listenerPath.empty()) return;
    linux_::send_seccomp_listener(sc.listenerPath, fd, state_json(o_.id, rec_, oci::Status::Creating, pid),
                                  sc.listenerMetadata, pid);
  }

  cgroups::Manager* cgroup() const { return cg_.get(); }
  Record take_record() {
    rec_.spec = std::move(b_.spec);
    return std::move(rec_);
  }
  // A failed create leaves nothing behind: no cgroup, no state directory.
  void undo() {
    if (cgroup_made_) {
      try { cg_->destroy(); } catch (const Error& e) { log::warn(e.what()); }
    }
    try { dir_.remove(); } catch (const Error& e) { log::warn(e.what()); }
  }

 private:
  // creating.json: what a killed create leaves for `delete --force` (StateDir::write_partial).
  void record_partial(pid_t pid, unsigned long long start_time) {
    dir_.write_partial({{"pid", pid}, {"start_time", start_time}, {"bundle", b_.dir}, {"rootfs", b_.rootfs},
                        {"created", created_at_}, {"cgroup", cg_ ? cg_->save() : nlohmann::json()},
                        {"rootless", o_.rootless}});
  }

  const CreateOptions& o_;
  Bundle& b_;
  StateDir& dir_;
  Record rec_;
  oci::Resources res_;
  std::unique_ptr<cgroups::Manager> cg_;
  bool cgroup_made_ = false;
  std::string created_at_;
};

process::PlanOptions plan_options(const CreateOptions& o, const Bundle& b) {
  process::PlanOptions po;
  po.no_new_keyring = o.no_new_keyring;
  po.seccomp = b.seccomp.has_value();
  po.seccomp_notify = b.seccomp && b.seccomp->has_notify();
  return po;
}

// What the init needs; every pointer and fd stays the caller's.
process::InitConfig init_config(const CreateOptions& o, const Bundle& b, int exec_fifo,
                                const std::map<size_t, UniqueFd>& idmapped, Creation& c) {
  process::InitConfig ic;
  for (const auto& [idx, fd] : idmapped) ic.idmapped[idx] = fd.get();
  ic.spec = &b.spec;
  ic.id = o.id;
  ic.bundle = b.dir;
  ic.rootfs = b.rootfs;
  ic.no_pivot = o.no_pivot;
  ic.no_new_keyring = o.no_new_keyring;
  ic.preserve_fds = o.preserve_fds + o.listen.count;
  ic.listen = o.listen;
  ic.console_socket = b.console ? b.console.get() : o.console_fd;
  ic.exec_fifo = exec_fifo;
  ic.hook_io = b.hook_files.io();
  ic.seccomp = b.seccomp ? &*b.seccomp : nullptr;
  if (c.cgroup()) ic.cgroup_dirs = c.cgroup()->dirs();
  for (const auto& h : cgroups::host_hierarchies())
    if (!h.unified) ic.cgroup_v1.emplace_back(h.mountpoint, h.options);
  ic.parent = &c;
  return ic;
}

}  // namespace

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

Created create(const CreateOptions& given) {
  // --pid-file and --console-socket are relative to the caller's directory, as
  // in runc: load_bundle enters the bundle.
  CreateOptions o = given;
  if (!o.pid_file.empty()) o.pid_file = absolute(o.pid_file);
  if (!o.console_socket.empty()) o.console_socket = absolute(o.console_socket);
  if (!o.pidfd_socket.empty()) o.pidfd_socket = absolute(o.pidfd_socket);
  const std::string& pid_file = o.pid_file;
  UniqueFd pidfd_sock;
  if (!o.pidfd_socket.empty()) pidfd_sock = connect_pidfd_socket(o.pidfd_socket);
  Bundle b = load_bundle(o);
  linux_::check_joined_namespaces(b.spec);
  StateDir dir = StateDir::create(o.root, o.id);
  Creation c(o, b, dir);
  try {
    // sd_notify through the container: its socket's dir, mounted at /run/notify.
    if (!notify_socket_host().empty()) add_notify_socket(b.spec, dir.file("notify"));
    UniqueFd fifo = make_exec_fifo(dir);
    c.choose_cgroup();
    process::InitPlan plan = process::make_plan(b.spec, plan_options(o, b), host_facts(*c.cgroup(), o));
    c.make_cgroup_early(plan);
    // Idmapped trees (and, with a user namespace, the other binds' sources) are made here,
    // in the host's namespaces; the init attaches them.
    std::map<size_t, UniqueFd> idmapped = linux_::prepare_idmapped_mounts(b.spec);
    linux_::prepare_userns_bind_trees(b.spec, idmapped);
    process::InitConfig ic = init_config(o, b, fifo.get(), idmapped, c);
    process::InitProcess init = process::spawn_init(ic, plan, c.cgroup());
    try {
      attach_host(dir, o.id, b.spec, init.pid);
      if (pidfd_sock) send_pidfd(pidfd_sock.get(), init.pidfd.get(), o.pidfd_socket);
    } catch (...) {
      // The init waits on its exec fifo: it must not outlive the failed create (nor may a
      // process whose pidfd someone got be left unrecorded).
      sys::pidfd_send_signal(init.pidfd.get(), SIGKILL);
      ::waitpid(init.pid, nullptr, 0);
      throw;
    }
    if (!pid_file.empty()) write_pid_file(pid_file, init.pid);
    dir.finish_create();
    return Created{init.pid, std::move(init.pidfd), c.take_record()};
  } catch (...) {
    detach_host(dir, o.id, b.spec);
    c.undo();
    throw;
  }
}

// Waits (bounded) until the init has exec'd the container process, or died:
// it holds the exec fifo open (close-on-exec) until its execve, so our write
// end gets POLLERR when that last reader goes. Only used when both
// startContainer and poststart hooks exist.
static void wait_for_exec(int fifo, pid_t pid) {
  pollfd p{fifo, 0, 0};
  int n;
  do n = ::poll(&p, 1, 30000);  // 30 s at most: a startContainer hook without a timeout may hang
  while (n < 0 && errno == EINTR);
  if (n == 0) log::warn("poststart: container process " + std::to_string(pid) + " has not started after 30 s");
}

static void start_released(StateDir& dir, const Record& r, const std::string& id, int fifo_fd);

void start(const std::string& root, const std::string& id, const Record* known, NotifyListener* notify) {
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
  // sd_notify: listening before the process can send (runc binds it in start, too).
  const std::string host = notify_socket_host();
  NotifyListener listener;
  if (!host.empty() && ::access(dir.file("notify").c_str(), F_OK) == 0)
    listener = NotifyListener::bind(dir.file("notify"), r.pid);
  if (::write(fd.get(), "0", 1) != 1) throw_errno("write exec fifo " + fifo);
  if (::unlink(fifo.c_str()) < 0) throw_errno("remove exec fifo " + fifo);
  start_released(dir, r, id, fd.get());
  if (!listener) return;
  if (notify) {
    *notify = std::move(listener);
    return;
  }
  dir.unlock();  // `state`, `kill`, ... meanwhile
  listener.forward_ready(host);
}

// After the exec fifo byte: the poststart hooks.
static void start_released(StateDir& dir, const Record& r, const std::string& id, int fifo_fd) {
  if (r.spec.hooks.poststart.empty()) return;
  const bool wait_exec = !r.spec.hooks.startContainer.empty();
  // The container is running: `state`, `kill` and the rest need not wait for
  // the exec or the poststart hooks (which may take their whole timeout).
  dir.unlock();
  // The init runs the startContainer hooks after the fifo byte, just before its
  // execve; poststart hooks must come after the process started (runtime-spec).
  if (wait_exec) wait_for_exec(fifo_fd, r.pid);
  process::HookFiles files = hook_files_or_warn(r.annotations);
  try {
    process::run_hooks("poststart", r.spec.hooks.poststart, state_json(id, r, oci::Status::Running, r.pid), files.io());
  } catch (const Error& e) {
    // runtime-spec: a failing poststart hook is an error; the container is
    // stopped and deleted (crun does the same; runc 1.1 only logs it).
    dir.relock();
    try {
      if (::access(dir.file("state.json").c_str(), F_OK) == 0) {  // not deleted meanwhile
        kill_and_wait(r);
        destroy(dir, r, id);
      }
    } catch (const Error& cleanup) {
      log::warn(std::string("delete after a failed poststart hook: ") + cleanup.what());
    }
    throw Error(e.what() + std::string(" (container ") + id + " stopped and deleted)", e.code());
  }
}

static nlohmann::ordered_json state_of(const StateDir& dir, const Record& r) {
  // A create still under way holds the lock: "creating" (runtime-spec), even
  // once its state.json is written or before its init exists.
  oci::Status s = dir.create_in_progress() ? oci::Status::Creating : status_of(r, dir);
  nlohmann::ordered_json j;
  j["ociVersion"] = oci::kSpecVersion;
  j["id"] = dir.id();
  j["pid"] = s == oci::Status::Stopped || r.pid < 0 ? 0 : r.pid;
  j["status"] = oci::status_name(s);
  j["bundle"] = r.bundle;
  j["rootfs"] = r.rootfs;
  j["created"] = r.created;
  j["owner"] = r.owner;
  if (!r.annotations.empty()) j["annotations"] = r.annotations;
  return j;
}

nlohmann::ordered_json state(const std::string& root, const std::string& id) {
  StateDir dir = StateDir::open(root, id, Access::Read);
  try {
    return state_of(dir, load_record(dir, RecordSpec::None));
  } catch (const Error&) {
    // Read without the lock: a delete may have removed it meanwhile.
    if (dir.busy() && ::access(dir.path().c_str(), F_OK) != 0) throw Error("container does not exist", ENOENT);
    throw;
  }
}

std::vector<nlohmann::ordered_json> list(const std::string& root) {
  std::vector<nlohmann::ordered_json> out;
  for (const auto& id : StateDir::list(root)) {
    try {
      StateDir dir = StateDir::open(root, id, Access::Read);
      out.push_back(state_of(dir, load_record(dir, RecordSpec::None)));
    } catch (const Error& e) {
      log::debug("list: skipping " + id + ": " + e.what());  // deleted meanwhile
    }
  }
  return out;
}

namespace {
// A PID namespace of the container's own: the kernel ends every process in it with its init.
bool has_private_pid_namespace(const oci::Spec& spec) {
  if (!spec.linux) return false;
  for (const auto& ns : spec.linux->namespaces)
    if (ns.type == oci::NamespaceType::Pid) return ns.path.empty();
  return false;
}
}  // namespace

void kill(const std::string& root, const std::string& id, int sig, bool all) {
  StateDir dir = StateDir::open(root, id);
  // SIGKILL needs the namespaces (below); nothing else reads the config.
  Record r = load_record(dir, sig == SIGKILL && !all ? RecordSpec::Full : RecordSpec::None);
  // --all reaches whatever is left in the cgroup even after the init exited
  // (containerd's shim relies on that for containers sharing the host pid ns).
  if (all) {
    signal_all(r, sig);
    return;
  }
  // Without a PID namespace of its own, killing the init leaves the container's other
  // processes running: SIGKILL goes to all of them, even once the init is gone (runc 1.2,
  // its kill.bats "kill KILL [host pidns]", "[host pidns + init gone]").
  if (sig == SIGKILL && !has_private_pid_namespace(r.spec)) {
    auto cg = record_cgroup(r);
    if (!init_alive(r) && (!cg || cg->pids().empty())) throw Error("container not running");
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
  StateDir dir = StateDir::open(root, id, Access::Read);
  Record r = load_record(dir, RecordSpec::None);
  if (auto cg = record_cgroup(r)) return cg->pids();
  // No cgroup (rootless): the init and its descendants (linux/proc_tree.hpp).
  if (init_alive(r)) return linux_::process_tree(r.pid);
  return {};
}

}  // namespace berth::container
