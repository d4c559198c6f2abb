// berth checkpoint / restore through the criu command line (see checkpoint.hpp
// for why not the RPC). What goes on criu's command line mirrors the options
// runc puts in its RPC request (libcontainer/container_linux.go).
#include "berth/container/checkpoint.hpp"
#include "berth/container/checkpoint_terminal.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <ctime>
#include <fstream>
#include <sstream>

#include "berth/cgroups/devices.hpp"
#include "berth/cgroups/fs.hpp"
#include "berth/cgroups/manager.hpp"
#include "berth/container/container.hpp"
#include "berth/container/host_files.hpp"
#include "berth/container/record.hpp"
#include "berth/container/state_store.hpp"
#include "berth/linux/userns_maps.hpp"
#include "berth/oci/parse.hpp"
#include "berth/oci/state.hpp"
#include "berth/process/sync.hpp"
#include "berth/util/error.hpp"
#include "berth/util/log.hpp"

namespace berth::container {

namespace {

std::string absolute_path(const std::string& p) {
  if (!p.empty() && p[0] == '/') return p;
  char cwd[4096];
  if (!::getcwd(cwd, sizeof cwd)) throw_errno("getcwd");
  return p.empty() ? std::string(cwd) : std::string(cwd) + "/" + p;
}

bool is_bind(const oci::Mount& m) {
  if (m.type == "bind") return true;
  for (const auto& opt : m.options)
    if (opt == "bind" || opt == "rbind") return true;
  return false;
}

// Options both commands refuse or check before criu runs.
void check_common(const CriuOptions& o, const char* command) {
  const std::string cmd = command;
  const std::string& m = o.manage_cgroups_mode;
  if (!m.empty() && m != "soft" && m != "full" && m != "strict" && m != "ignore")
    throw Error(cmd + ": --manage-cgroups-mode \"" + m + "\": must be soft, full, strict or ignore");
  for (const auto& ns : o.empty_ns)
    if (ns != "network")
      throw Error(cmd + ": --empty-ns \"" + ns + "\": only network is supported (as runc)");
}

void add_common(std::vector<std::string>& a, const CriuOptions& o) {
  if (o.tcp_established) a.push_back("--tcp-established");
  if (o.ext_unix_sk) a.push_back("--ext-unix-sk");
  if (o.shell_job) a.push_back("--shell-job");
  if (o.file_locks) a.push_back("--file-locks");
  if (o.auto_dedup) a.push_back("--auto-dedup");
  if (o.lazy_pages) a.push_back("--lazy-pages");
  a.push_back("--manage-cgroups=" + (o.manage_cgroups_mode.empty() ? std::string("soft") : o.manage_cgroups_mode));
  for (const auto& ns : o.empty_ns)
    if (ns == "network") a.insert(a.end(), {"--empty-ns", "net"});
}

std::string image_dir(const CriuOptions& o) { return absolute_path(o.image_path.empty() ? "checkpoint" : o.image_path); }
std::string work_dir(const CriuOptions& o) { return o.work_path.empty() ? image_dir(o) : absolute_path(o.work_path); }

void make_dir(const std::string& d, const char* what) {
  if (::mkdir(d.c_str(), 0700) < 0 && errno != EEXIST) throw_errno(std::string(what) + " " + d);
}

// Runs criu with `args`; `in_child` runs in the child before exec (may be null).
// Returns criu's wait status.
int run_criu(const std::string& criu, const std::vector<std::string>& args, const std::function<void()>& in_child) {
  std::vector<std::string> full{criu};
  full.insert(full.end(), args.begin(), args.end());
  std::string line;
  for (const auto& s : full) line += (line.empty() ? "" : " ") + s;
  log::debug("running " + line);
  std::vector<char*> argv;
  for (auto& s : full) argv.push_back(s.data());
  argv.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) throw_errno("fork for criu");
  if (pid == 0) {
    try {
      if (in_child) in_child();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "%s\n", e.what());
      ::_exit(126);
    }
    ::execv(criu.c_str(), argv.data());
    std::fprintf(stderr, "exec %s: %s\n", criu.c_str(), std::strerror(errno));
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) throw_errno("waitpid criu");
  return status;
}

// The first Error line of criu's log (the cause) and, when another, the last one (the step that
// failed with it, e.g. "Dumping FAILED.").
std::string log_tail(const std::string& log) {
  std::ifstream in(log);
  std::string line, first, last;
  while (std::getline(in, line))
    if (line.find("Error") != std::string::npos) (first.empty() ? first : last) = line;
  if (first.empty()) return "";
  return ": " + first + (last.empty() ? "" : " ... " + last);
}

void check_status(int status, const std::string& what, const std::string& log) {
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return;
  std::string how = WIFEXITED(status) ? "exit status " + std::to_string(WEXITSTATUS(status))
                                      : "signal " + std::to_string(WTERMSIG(status));
  throw Error(what + " failed (" + how + "), see " + log + log_tail(log));
}

// The container's cgroup directory per hierarchy, relative to the hierarchy's
// mount point, keyed by criu's controller names ("cpu,cpuacct"; "" for cgroup2).
std::map<std::string, std::string> cgroup_roots(const cgroups::Manager& cg) {
  std::map<std::string, std::string> out;
  for (const auto& [name, dir] : cg.dirs()) {
    for (const auto& h : cgroups::host_hierarchies()) {
      if (dir.compare(0, h.mountpoint.size(), h.mountpoint) != 0) continue;
      if (dir.size() > h.mountpoint.size() && dir[h.mountpoint.size()] != '/') continue;
      std::string key;
      for (const auto& c : h.controllers) key += (key.empty() ? "" : ",") + c;
      std::string rel = dir.substr(h.mountpoint.size());
      out[key] = rel.empty() ? "/" : rel;
      break;
    }
    (void)name;
  }
  return out;
}

std::vector<std::string> v1_mountpoints() {
  std::vector<std::string> out;
  for (const auto& h : cgroups::host_hierarchies())
    if (!h.unified) out.push_back(h.mountpoint);
  return out;
}

}  // namespace

std::string find_criu(const std::string& flag) {
  std::string name = flag.empty() ? "criu" : flag;
  auto usable = [](const std::string& p) { return ::access(p.c_str(), X_OK) == 0; };
  if (name.find('/') != std::string::npos) {
    if (usable(name)) return name;
    throw Error("criu: " + name + ": " + std::strerror(errno) + " (install criu or give its path with --criu)",
                errno);
  }
  const char* path = std::getenv("PATH");
  std::string p = path ? path : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  size_t start = 0;
  while (start <= p.size()) {
    size_t end = p.find(':', start);
    if (end == std::string::npos) end = p.size();
    std::string candidate = p.substr(start, end - start);
    candidate = (candidate.empty() ? "." : candidate) + "/" + name;
    if (usable(candidate)) return candidate;
    start = end + 1;
  }
  throw Error("criu: \"" + name + "\" not found in $PATH (install the criu package or give its path with --criu)",
              ENOENT);
}

CgroupBinds cgroup_bind_mounts(const oci::Spec& spec, const std::map<std::string, std::string>& dirs, bool unified,
                               const std::vector<std::string>& v1_mountpoints) {
  CgroupBinds out;
  if (spec.linux)
    for (const auto& ns : spec.linux->namespaces)
      if (ns.type == oci::NamespaceType::Cgroup) return out;
  auto dir_of = [&](const std::string& mountpoint) {
    auto it = dirs.find(mountpoint);
    return it != dirs.end() ? it->second : mountpoint;
  };
  for (const auto& m : spec.mounts) {
    if (m.type != "cgroup" && m.type != "cgroup2") continue;
    if (unified) {
      out.emplace_back(m.destination, dir_of("/sys/fs/cgroup"));
      continue;
    }
    const std::string prefix = "/sys/fs/cgroup/";
    for (const auto& mp : v1_mountpoints) {
      if (mp.rfind(prefix, 0) != 0) continue;
      const std::string name = mp.substr(prefix.size());
      if (name.empty() || name.find('/') != std::string::npos || name[0] == '.') continue;
      out.emplace_back(m.destination + "/" + name, dir_of(mp));
    }
  }
  return out;
}

std::string criu_config_file(const std::map<std::string, std::string>& annotations) {
  auto it = annotations.find("org.criu.config");
  if (it != annotations.end()) return it->second;
  return "/etc/criu/runc.conf";
}

std::string apply_criu_config(std::vector<std::string>& args, const std::string& file, const std::string& work) {
  auto log_at = std::find(args.begin(), args.end(), "--log-file");
  std::string log = log_at != args.end() && log_at + 1 != args.end() ? *(log_at + 1) : "";
  std::ifstream in;
  if (!file.empty()) in.open(file);
  if (in.is_open()) {  // as runc: a missing file is no error
    args.insert(args.begin() + 1, {"--config", file});
    // A line is "option value" or "option=value", the option with or without "--".
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream words(line);
      std::string key, value;
      std::getline(words >> std::ws, key, '=');
      if (key.find_first_of(" \t") != std::string::npos) {  // "log-file value"
        words.clear();
        words.str(line);
        words >> key;
      }
      if (key != "log-file" && key != "--log-file") continue;
      if (!(words >> value)) continue;
      log = value;
      if (auto at = std::find(args.begin(), args.end(), "--log-file"); at != args.end()) args.erase(at, at + 2);
    }
  }
  return log.empty() || log[0] == '/' ? log : work + "/" + log;
}

PageServer parse_page_server(const std::string& v) {
  const auto colon = v.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == v.size())
    throw Error("checkpoint: --page-server \"" + v + "\": use --page-server ADDRESS:PORT");
  PageServer ps{v.substr(0, colon), v.substr(colon + 1)};
  if (ps.port.size() > 5 || ps.port.find_first_not_of("0123456789") != std::string::npos ||
      std::stoul(ps.port) == 0 || std::stoul(ps.port) > 65535)
    throw Error("checkpoint: --page-server \"" + v + "\": port \"" + ps.port + "\" is not a port number");
  // [v6]:port as runc takes it
  if (ps.address.size() > 2 && ps.address.front() == '[' && ps.address.back() == ']')
    ps.address = ps.address.substr(1, ps.address.size() - 2);
  return ps;
}

std::vector<std::string> criu_dump_args(const CheckpointOptions& o, const oci::Spec& spec, pid_t pid,
                                        const std::string& root, const std::string& freezer_dir,
                                        const CgroupBinds& cgroup_binds) {
  std::vector<std::string> a{o.pre_dump ? "pre-dump" : "dump",
                             "--tree", std::to_string(pid),
                             "--images-dir", image_dir(o),
                             "--work-dir", work_dir(o),
                             "--log-file", o.pre_dump ? "pre-dump.log" : "dump.log",
                             "-v4",
                             "--root", root};
  add_common(a, o);
  if (o.leave_running && !o.pre_dump) a.push_back("--leave-running");
  if (o.pre_dump) a.push_back("--track-mem");
  if (!o.parent_path.empty()) {
    if (!o.pre_dump) a.push_back("--track-mem");
    a.insert(a.end(), {"--prev-images-dir", o.parent_path});
  }
  if (!freezer_dir.empty()) a.insert(a.end(), {"--freeze-cgroup", freezer_dir});
  if (!o.page_server.empty()) {
    const PageServer ps = parse_page_server(o.page_server);
    // Without --lazy-pages the pages are sent to that server; with it, criu serves them there.
    if (!o.lazy_pages) a.push_back("--page-server");
    a.insert(a.end(), {"--address", ps.address, "--port", ps.port});
  }
  if (o.lazy_pages && o.status_fd >= 0) a.insert(a.end(), {"--status-fd", std::to_string(o.status_fd)});
  // Bind mounts come from outside the container: criu records them as external,
  // keyed by their destination (restore maps the key back to a source).
  for (const auto& m : spec.mounts)
    if (is_bind(m)) a.insert(a.end(), {"--ext-mount-map", m.destination + ":" + m.destination});
  for (const auto& [dest, src] : cgroup_binds) a.insert(a.end(), {"--ext-mount-map", dest + ":" + dest});
  // Masked files are /dev/null bound over them (runc's addMaskPaths).
  if (spec.linux)
    for (const auto& p : spec.linux->maskedPaths) a.insert(a.end(), {"--ext-mount-map", p + ":" + p});
  return a;
}

std::vector<std::string> criu_restore_args(const RestoreOptions& o, const oci::Spec& spec, const std::string& root,
                                           const std::string& pid_file,
                                           const std::map<std::string, std::string>& cgroup_roots,
                                           const CgroupBinds& cgroup_binds) {
  std::vector<std::string> a{"restore",
                             "--images-dir", image_dir(o),
                             "--work-dir", work_dir(o),
                             "--log-file", "restore.log",
                             "-v4",
                             "--root", root,
                             "--restore-detached",
                             "--pidfile", pid_file};
  add_common(a, o);
  for (const auto& [ctrl, path] : cgroup_roots)
    a.insert(a.end(), {"--cgroup-root", ctrl.empty() ? path : ctrl + ":" + path});
  for (const auto& m : spec.mounts)
    if (is_bind(m)) a.insert(a.end(), {"--ext-mount-map", m.destination + ":" + m.source});
  for (const auto& [dest, src] : cgroup_binds) a.insert(a.end(), {"--ext-mount-map", dest + ":" + src});
  if (spec.linux)
    for (const auto& p : spec.linux->maskedPaths) a.insert(a.end(), {"--ext-mount-map", p + ":/dev/null"});
  return a;
}

void checkpoint(const CheckpointOptions& o) {
  check_common(o, "checkpoint");
  if (!o.page_server.empty()) parse_page_server(o.page_server);
  // As runc: the status fd matters with --lazy-pages only, and must be open for writing.
  if (o.lazy_pages && o.status_fd >= 0) {
    const int fl = ::fcntl(o.status_fd, F_GETFL);
    if (fl < 0) throw_errno("checkpoint: invalid --status-fd argument " + std::to_string(o.status_fd));
    if ((fl & O_ACCMODE) == O_RDONLY)
      throw Error("checkpoint: invalid --status-fd argument " + std::to_string(o.status_fd) + ": not writable");
    // criu inherits it
    if (::fcntl(o.status_fd, F_SETFD, 0) < 0) throw_errno("checkpoint: --status-fd " + std::to_string(o.status_fd));
  }
  const std::string criu = find_criu(o.criu);
  {
    StateDir dir = StateDir::open(o.root, o.id);
    Record r = load_record(dir, RecordSpec::Full);
    oci::Status s = status_of(r, dir);
    // A paused container is checkpointed as runc does it: criu finds its freezer cgroup frozen
    // and leaves it so (with --leave-running the container stays paused).
    if (s != oci::Status::Running && s != oci::Status::Paused)
      throw Error("checkpoint: container " + o.id + " is not running: " + oci::status_name(s));
    const std::string images = image_dir(o), work = work_dir(o);
    make_dir(images, "checkpoint: image path");
    make_dir(work, "checkpoint: work path");
    if (!o.parent_path.empty()) {
      std::string parent = o.parent_path[0] == '/' ? o.parent_path : images + "/" + o.parent_path;
      struct stat st {};
      if (::stat(parent.c_str(), &st) < 0) throw_errno("checkpoint: --parent-path " + parent);
    }
    std::string freezer;
    std::map<std::string, std::string> dirs;
    if (auto cg = record_cgroup(r)) dirs = cg->dirs();
    for (const auto& [mount, d] : dirs) {
      // dirs() is keyed by the hierarchy's mount point: v1's freezer (/sys/fs/cgroup/freezer,
      // or a co-mounted one such as .../cpu,freezer), or on a v2 host the one cgroup2 tree,
      // whose cgroup.freeze criu uses as it uses v1's freezer.state.
      const std::string base = mount.substr(mount.rfind('/') + 1);
      if (("," + base + ",").find(",freezer,") != std::string::npos ||
          (cgroups::host_is_unified() && mount == "/sys/fs/cgroup"))
        freezer = d;
    }
    // Without a freezer cgroup criu stops the tasks with ptrace, which waits forever on tasks
    // a cgroup v2 freeze holds.
    if (s == oci::Status::Paused && freezer.empty())
      throw Error("checkpoint: container " + o.id + " is paused and has no freezer cgroup for criu (resume it first)");
    // Only masked files are /dev/null bound over them (external to criu, as runc's
    // addMaskPaths); a masked directory is a read-only tmpfs criu dumps and restores itself,
    // and a path the container does not have was never masked.
    oci::Spec dumped = r.spec;
    if (dumped.linux) {
      auto& masked = dumped.linux->maskedPaths;
      std::erase_if(masked, [&](const std::string& p) {
        struct stat st {};
        return ::stat(("/proc/" + std::to_string(r.pid) + "/root" + p).c_str(), &st) < 0 || S_ISDIR(st.st_mode);
      });
    }
    auto args = criu_dump_args(o, dumped, r.pid, r.rootfs, freezer,
                               cgroup_bind_mounts(r.spec, dirs, cgroups::host_is_unified(), v1_mountpoints()));
    const bool terminal = r.spec.process && r.spec.process->terminal && !o.pre_dump;
    if (terminal) {
      auto more = terminal_dump_args(r.pid, images);
      args.insert(args.end(), more.begin(), more.end());
    }
    try {
      const std::string log = apply_criu_config(args, criu_config_file(r.spec.annotations), work);
      check_status(run_criu(criu, args, nullptr), std::string("criu ") + args[0], log);
    } catch (...) {
      // A failed dump leaves no terminal record behind to pass for a checkpoint's.
      if (terminal) remove_terminal_record(images);
      throw;
    }
    if (o.leave_running || o.pre_dump) return;
  }
  // criu killed the tasks: the container is gone, as after runc's checkpoint.
  remove(o.root, o.id, true);
}

namespace {

// The restore up to a recorded, running container; returns the restored init's pid.
pid_t restore_tree(const RestoreOptions& given) {
  // Paths on the command line are the caller's: resolved before the chdir into the bundle.
  RestoreOptions o = given;
  o.image_path = image_dir(given);
  o.work_path = work_dir(given);
  if (!o.pid_file.empty()) o.pid_file = absolute_path(o.pid_file);
  if (!o.console_socket.empty()) o.console_socket = absolute_path(o.console_socket);
  const std::string criu = find_criu(o.criu);
  check_id(o.id);
  const std::string bundle = absolute_path(o.bundle);
  if (::chdir(bundle.c_str()) < 0) throw_errno("restore: chdir to bundle " + bundle);
  oci::Spec spec = oci::load_spec("config.json");
  // As at create: the recorded config of a new user namespace without mappings carries the
  // default maps the checkpointed container had (criu restores the namespace from its images).
  linux_::fill_default_id_maps(spec);
  const bool terminal = spec.process && spec.process->terminal;
  if (terminal && o.console_socket.empty())
    throw Error("restore: config.json: process.terminal: a terminal needs --console-socket (its new pty master "
                "goes there)");
  if (!terminal && !o.console_socket.empty())
    throw Error("restore: --console-socket: config.json has no process.terminal");
  // The terminal is a new pty (checkpoint_terminal.hpp); its master goes to the console
  // socket once criu has restored the tasks.
  UniqueFd console;
  RestoredTerminal tty;
  if (terminal) {
    tty = terminal_for_restore(image_dir(o));
    console = connect_console_socket(o.console_socket);
  }
  const std::string rootfs = spec.root.path[0] == '/' ? spec.root.path : bundle + "/" + spec.root.path;
  const std::string images = image_dir(o), work = work_dir(o);
  struct stat st {};
  if (::stat((images + "/inventory.img").c_str(), &st) < 0)
    throw_errno("restore: image path " + images + ": no checkpoint (inventory.img)");
  make_dir(work, "restore: work path");

  StateDir dir = StateDir::create(o.root, o.id);
  std::unique_ptr<cgroups::Manager> cg;
  std::string mnt;
  bool ok = false;
  pid_t pid = 0;
  // On failure nothing is left: the tree criu may have started, the cgroup, the mount, the state dir.
  struct Cleanup {
    std::function<void()> f;
    ~Cleanup() { f(); }
  } cleanup{[&] {
    if (!mnt.empty()) {
      ::umount2(mnt.c_str(), MNT_DETACH);
      ::rmdir(mnt.c_str());
    }
    if (ok) return;
    if (pid > 0) ::kill(pid, SIGKILL);
    if (cg) {
      for (pid_t p : cg->pids()) ::kill(p, SIGKILL);
      try {
        cg->destroy();
      } catch (const std::exception& e) {
        log::warn(std::string("restore: cleaning up the cgroup: ") + e.what());
      }
    }
    dir.remove();
  }};

  cg = cgroups::make_manager(spec.linux ? spec.linux->cgroupsPath : "", o.id, o.systemd_cgroup);
  cg->create();
  // The limits and device rules create would apply: runc's default devices + the config's.
  oci::Resources res = spec.linux && spec.linux->resources ? *spec.linux->resources : oci::Resources{};
  res.devices = cgroups::effective_device_rules(spec);
  cg->apply(res);

  // criu wants the root to be a mount point of its own (runc's criu-root).
  mnt = dir.file("criu-root");
  make_dir(mnt, "restore: criu root");
  if (::mount(rootfs.c_str(), mnt.c_str(), nullptr, MS_BIND | MS_REC, nullptr) < 0) {
    int e = errno;
    ::rmdir(mnt.c_str());
    mnt.clear();
    throw_errno("restore: bind mount " + rootfs + " on criu root", e);
  }

  const std::string pidfile = dir.file("restore.pid");
  auto args = criu_restore_args(o, spec, mnt, pidfile, cgroup_roots(*cg),
                                cgroup_bind_mounts(spec, cg->dirs(), cgroups::host_is_unified(), v1_mountpoints()));
  args.insert(args.end(), tty.criu_args.begin(), tty.criu_args.end());
  // The restored init becomes our child when criu detaches: we are its subreaper.
  if (!o.detach && !o.no_subreaper && ::prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) throw_errno("prctl PR_SET_CHILD_SUBREAPER");
  cgroups::Manager* cgp = cg.get();
  // criu itself joins the container's cgroup, so the tasks it forks start there; it alone
  // inherits the new terminal's slave.
  const int tty_slave = tty.pty.slave.get();
  const std::string log = apply_criu_config(args, criu_config_file(spec.annotations), work);
  check_status(run_criu(criu, args,
                        [cgp, tty_slave] {
                          cgp->add(::getpid());
                          if (tty_slave >= 0 && ::fcntl(tty_slave, F_SETFD, 0) < 0)
                            throw_errno("criu: inherit the terminal's slave");
                        }),
               "criu restore", log);
  {
    std::ifstream in(pidfile);
    if (!(in >> pid) || pid <= 0) throw Error("restore: criu wrote no pid to " + pidfile);
  }
  ::unlink(pidfile.c_str());
  if (terminal) {
    tty.pty.slave.reset();
    process::send_fd(console.get(), tty.pty.master.get(), "/dev/ptmx");
  }
  auto ps = proc_stat(pid);
  if (!ps) throw Error("restore: the restored init " + std::to_string(pid) + " is gone");
  nlohmann::json j = {
      {"ociVersion", oci::kSpecVersion}, {"id", o.id}, {"pid", pid},
      {"start_time", ps->first}, {"bundle", bundle}, {"rootfs", rootfs},
      {"created", now_rfc3339_nano()}, {"owner", ""}, {"annotations", spec.annotations},
      {"cgroup", cg->save()}, {"rootless", false}, {"config", oci::to_json(spec)},
  };
  dir.write_state(j);
  if (!o.pid_file.empty()) write_pid_file(o.pid_file, pid);
  ok = true;
  return pid;
}

}  // namespace

int restore(const RestoreOptions& o) {
  check_common(o, "restore");
  pid_t pid = restore_tree(o);
  if (o.detach || o.no_subreaper) return 0;
  // Foreground: the restored init's exit is ours, and the container goes with it
  // (runc restore without -d, like run).
  int status = 0;
  for (;;) {
    pid_t w = ::waitpid(-1, &status, 0);
    if (w < 0) {
      if (errno == EINTR) continue;
      throw_errno("restore: waitpid");
    }
    if (w == pid) break;
  }
  remove(o.root, o.id, true);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace berth::container
