#include "run_step.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <deque>
#include <iterator>
#include <nlohmann/json.hpp>

#include "berth/container/container.hpp"
#include "berth/image/store.hpp"
#include "berth/image/users.hpp"
#include "berth/linux/syscalls.hpp"
#include "berth/oci/defaults.hpp"
#include "berth/process/init.hpp"
#include "berth/util/error.hpp"
#include "berth/util/fd.hpp"
#include "berth/util/log.hpp"

namespace berth::build {
namespace {

// Docker's default capability set for build containers: RUN steps expect to chown, mknod...
const std::vector<std::string> kBuildCaps = {
    "CAP_CHOWN",  "CAP_DAC_OVERRIDE", "CAP_FOWNER",   "CAP_FSETID", "CAP_KILL",         "CAP_SETGID",  "CAP_SETUID",
    "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_NET_RAW", "CAP_SYS_CHROOT", "CAP_MKNOD", "CAP_AUDIT_WRITE", "CAP_SETFCAP"};

// What ends a build: the container goes with it.
constexpr int kStopSignals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};

// Exit status of the in-process child when the container could not be made (the reason
// travels over the error pipe).
constexpr int kCreateFailed = 125;

bool exists_in(const std::string& root, const std::string& rel) {
  struct stat st {};
  return ::lstat((root + "/" + rel).c_str(), &st) == 0;
}

// The bundle's config.json: runc's default spec, Docker's build capabilities, the step's
// process, hostname berth-build, a network namespace unless --network host.
nlohmann::json bundle_config(const RunSpec& spec) {
  UniqueFd rootfd(::open(spec.rootfs.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!rootfd) throw_errno("open " + spec.rootfs);
  auto user = image::resolve_user(rootfd.get(), spec.user);

  nlohmann::json cfg = oci::default_spec(false);
  auto& proc = cfg["process"];
  proc["terminal"] = false;
  proc["args"] = spec.args;
  proc["env"] = spec.env;
  proc["cwd"] = spec.cwd;
  proc["user"] = {{"uid", user.uid}, {"gid", user.gid}};
  if (!user.additional_gids.empty()) proc["user"]["additionalGids"] = user.additional_gids;
  proc["capabilities"] = {{"bounding", kBuildCaps}, {"effective", kBuildCaps}, {"permitted", kBuildCaps}};
  proc["noNewPrivileges"] = false;
  cfg["root"] = {{"path", spec.rootfs}, {"readonly", false}};
  cfg["hostname"] = "berth-build";
  if (spec.host_network) {
    auto& ns = cfg["linux"]["namespaces"];
    nlohmann::json keep = nlohmann::json::array();
    for (const auto& n : ns) {
      if (n.value("type", "") != "network") keep.push_back(n);
    }
    ns = keep;
    for (const char* f : {"/etc/resolv.conf", "/etc/hosts"}) {
      struct stat st {};
      if (::stat(f, &st) == 0 && exists_in(spec.rootfs, f)) {
        cfg["mounts"].push_back({{"destination", f}, {"type", "bind"}, {"source", f}, {"options", {"rbind", "ro"}}});
      }
    }
  }
  for (const auto& m : spec.mounts) cfg["mounts"].push_back(m);
  return cfg;
}

// fork() copies only the calling thread: the child may use malloc, locks and libberth only if
// there was no other thread whose locks it could inherit held.
void require_single_thread() {
  std::string status = image::read_file("/proc/self/status");
  size_t p = status.find("\nThreads:");
  if (p == std::string::npos) return;
  long n = std::strtol(status.c_str() + p + 9, nullptr, 10);
  if (n != 1) throw Error("RUN: berth-build has " + std::to_string(n) + " threads; a container is made from a single-threaded process only");
}

void write_all(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    ssize_t n = ::write(fd, s.data() + off, s.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    off += static_cast<size_t>(n);
  }
}

// Waits for the container's process; a stop signal (or berth-build's death, which arrives as
// SIGTERM) kills it. Returns its exit code (128+n for signal n).
int wait_container(int pidfd, pid_t pid, int sigfd) {
  for (;;) {
    pollfd p[2] = {{pidfd, POLLIN, 0}, {sigfd, POLLIN, 0}};
    if (::poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      throw_errno("poll for the RUN container");
    }
    if (p[1].revents & POLLIN) {
      signalfd_siginfo si{};
      if (::read(sigfd, &si, sizeof si) == static_cast<ssize_t>(sizeof si)) sys::pidfd_send_signal(pidfd, SIGKILL);
    }
    if (p[0].revents & (POLLIN | POLLHUP)) break;
  }
  int st = 0;
  while (::waitpid(pid, &st, 0) < 0) {
    if (errno != EINTR) throw_errno("wait for the RUN container");
  }
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

// The forked child: create + start + wait + delete through libberth, then _exit with the
// command's exit code. Never returns, never runs the parent's exit handlers.
[[noreturn]] void in_process_child(const std::string& state, const std::string& bundle, const std::string& id,
                                   pid_t parent, int err_fd) {
  int code = kCreateFailed;
  try {
    sigset_t set;
    sigemptyset(&set);
    for (int s : kStopSignals) sigaddset(&set, s);
    // The init unblocks every signal before it executes the command (reset_process).
    if (::sigprocmask(SIG_BLOCK, &set, nullptr) != 0) throw_errno("block signals");
    UniqueFd sigfd(::signalfd(-1, &set, SFD_CLOEXEC));
    if (!sigfd) throw_errno("signalfd");
    if (::prctl(PR_SET_PDEATHSIG, SIGTERM) != 0) throw_errno("prctl PR_SET_PDEATHSIG");
    if (::getppid() != parent) _exit(128 + SIGTERM);  // berth-build is already gone
    container::CreateOptions o;
    o.root = state;
    o.id = id;
    o.bundle = bundle;
    container::Created c = container::create(o);
    try {
      container::start(o.root, id, &c.record);
      code = wait_container(c.pidfd.get(), c.pid, sigfd.get());
    } catch (...) {
      try {
        container::remove(o.root, id, true, &c.record);
      } catch (const Error&) {
      }
      throw;
    }
    try {
      container::remove(o.root, id, true, &c.record);
    } catch (const Error& e) {
      log::warn(std::string("delete the RUN container: ") + e.what());
    }
  } catch (const process::ExecError& e) {
    // The command cannot be executed (127/126): the message is part of the step's output.
    write_all(2, std::string(e.what()) + "\n");
    code = e.status();
  } catch (const std::exception& e) {
    std::string msg = e.what();
    write_all(err_fd, msg.substr(0, 4000));
    code = kCreateFailed;
  }
  std::fflush(stderr);
  _exit(code);
}

// Reads the output pipe to its end, line by line.
std::vector<std::string> pump_lines(int fd, const std::function<void(const std::string&)>& on_line,
                                    const std::function<void()>& on_tick) {
  std::deque<std::string> tail;
  std::string partial;
  char buf[8192];
  auto line = [&](const std::string& l) {
    on_line(l);
    tail.push_back(l);
    if (tail.size() > 20) tail.pop_front();
  };
  for (;;) {
    if (on_tick) {
      pollfd p{fd, POLLIN, 0};
      int r = ::poll(&p, 1, 100);
      on_tick();
      if (r == 0 || (r < 0 && errno == EINTR)) continue;
    }
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    partial.append(buf, static_cast<size_t>(n));
    size_t nl;
    while ((nl = partial.find('\n')) != std::string::npos) {
      line(partial.substr(0, nl));
      partial.erase(0, nl + 1);
    }
    if (partial.size() > 65536) {
      line(partial);
      partial.clear();
    }
  }
  if (!partial.empty()) line(partial);
  return {tail.begin(), tail.end()};
}

// While the in-process RUN child runs, a stop signal to berth-build is passed on to it (it
// kills and deletes its container), and berth-build dies of that signal only once the child
// has cleaned up: when berth-build is gone, so are the container, its mounts and cgroups.
volatile sig_atomic_t g_run_child = 0;
volatile sig_atomic_t g_stop_signal = 0;

extern "C" void forward_stop_signal(int sig) {
  g_stop_signal = sig;
  if (g_run_child > 0) ::kill(static_cast<pid_t>(g_run_child), sig);
}

class StopSignalForwarding {
 public:
  StopSignalForwarding() {
    g_run_child = 0;
    g_stop_signal = 0;
    struct sigaction sa {};
    sa.sa_handler = forward_stop_signal;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < std::size(kStopSignals); i++) ::sigaction(kStopSignals[i], &sa, &old_[i]);
  }
  ~StopSignalForwarding() { restore(); }
  StopSignalForwarding(const StopSignalForwarding&) = delete;
  StopSignalForwarding& operator=(const StopSignalForwarding&) = delete;
  void child(pid_t pid) {
    g_run_child = pid;
    if (g_stop_signal) ::kill(pid, g_stop_signal);  // arrived between fork and now
  }
  // After the child is reaped: end as the signal asked, with its default action.
  void reraise_if_stopped() {
    const int sig = g_stop_signal;
    restore();
    if (!sig) return;
    ::signal(sig, SIG_DFL);
    ::raise(sig);
  }

 private:
  void restore() {
    if (restored_) return;
    restored_ = true;
    g_run_child = 0;
    for (size_t i = 0; i < std::size(kStopSignals); i++) ::sigaction(kStopSignals[i], &old_[i], nullptr);
  }
  struct sigaction old_[std::size(kStopSignals)] {};
  bool restored_ = false;
};

int wait_child(pid_t pid, const char* what) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw_errno(what);
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Runs `runtime ARGS...` with stdout+stderr to `out` (or /dev/null) and stdin from /dev/null.
pid_t spawn_runtime(const std::vector<std::string>& argv, int out) {
  pid_t pid = ::fork();
  if (pid < 0) throw_errno("fork");
  if (pid == 0) {
    int devnull = ::open("/dev/null", O_RDWR);
    if (devnull >= 0) ::dup2(devnull, 0);
    int o = out >= 0 ? out : devnull;
    ::dup2(o, 1);
    ::dup2(o, 2);
    std::vector<std::string> copy = argv;
    std::vector<char*> cargv;
    for (auto& a : copy) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    ::execv(cargv[0], cargv.data());
    _exit(127);
  }
  return pid;
}

}  // namespace

std::string check_runtime(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) throw_errno("runtime " + path);
  if (!S_ISREG(st.st_mode) || ::access(path.c_str(), X_OK) != 0) throw Error("runtime " + path + ": not an executable file");
  return path;
}

std::string find_runtime(const std::string& explicit_path) {
  if (!explicit_path.empty()) return check_runtime(explicit_path);
  char self[4096];
  ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (n > 0) {
    std::string dir(self, static_cast<size_t>(n));
    dir = dir.substr(0, dir.rfind('/'));
    if (::access((dir + "/berth").c_str(), X_OK) == 0) return dir + "/berth";
  }
  const char* path = ::getenv("PATH");
  std::string p = path ? path : "/usr/local/bin:/usr/bin:/bin";
  size_t b = 0;
  while (b <= p.size()) {
    size_t e = p.find(':', b);
    if (e == std::string::npos) e = p.size();
    std::string cand = p.substr(b, e - b) + "/berth";
    if (e > b && ::access(cand.c_str(), X_OK) == 0) return cand;
    b = e + 1;
  }
  throw Error("berth-build run needs the berth runtime: not found next to berth-build nor in PATH (use --runtime PATH)");
}

RunResult run_in_container(const RunSpec& spec, const std::function<void(const std::string&)>& on_line,
                           const std::function<void()>& on_tick) {
  nlohmann::json cfg = bundle_config(spec);
  std::string bundle = spec.scratch + "/bundle";
  std::string state = spec.scratch + "/state";
  if (::mkdir(bundle.c_str(), 0700) != 0 && errno != EEXIST) throw_errno("mkdir " + bundle);
  if (::mkdir(state.c_str(), 0700) != 0 && errno != EEXIST) throw_errno("mkdir " + state);
  image::write_file_atomic(bundle + "/config.json", cfg.dump());

  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) throw_errno("pipe");
  UniqueFd rd(p[0]), wr(p[1]);
  RunResult res;
  if (!spec.runtime.empty()) {
    pid_t pid = spawn_runtime({spec.runtime, "--root", state, "run", "--bundle", bundle, spec.id}, wr.get());
    wr.reset();
    res.tail = pump_lines(rd.get(), on_line, on_tick);
    res.exit_code = wait_child(pid, "wait for the runtime");
    // `run` deletes its container; make sure of it before the state dir goes.
    wait_child(spawn_runtime({spec.runtime, "--root", state, "delete", "--force", spec.id}, -1), "wait for the runtime");
    return res;
  }

  require_single_thread();
  if (::pipe2(p, O_CLOEXEC) != 0) throw_errno("pipe");
  UniqueFd err_rd(p[0]), err_wr(p[1]);
  UniqueFd devnull(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (!devnull) throw_errno("open /dev/null");
  std::fflush(nullptr);  // nothing buffered is written twice
  pid_t parent = ::getpid();
  StopSignalForwarding stop;
  pid_t pid = ::fork();
  if (pid < 0) throw_errno("fork");
  if (pid == 0) {
    // stdin /dev/null, stdout and stderr the output pipe: the container's process inherits them.
    if (::dup2(devnull.get(), 0) < 0 || ::dup2(wr.get(), 1) < 0 || ::dup2(wr.get(), 2) < 0) _exit(kCreateFailed);
    in_process_child(state, bundle, spec.id, parent, err_wr.get());
  }
  stop.child(pid);
  wr.reset();
  err_wr.reset();
  res.tail = pump_lines(rd.get(), on_line, on_tick);
  res.exit_code = wait_child(pid, "wait for the RUN container's parent");
  stop.reraise_if_stopped();
  std::string err;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(err_rd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    err.append(buf, static_cast<size_t>(n));
  }
  if (!err.empty()) throw Error(err);
  return res;
}

}  // namespace berth::build
