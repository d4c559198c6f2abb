#include "run_step.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <deque>
#include <nlohmann/json.hpp>

#include "berth/image/store.hpp"
#include "berth/image/users.hpp"
#include "berth/oci/defaults.hpp"
#include "berth/util/error.hpp"
#include "berth/util/fd.hpp"

namespace berth::build {
namespace {

// Docker's default capability set for build containers: RUN steps expect to chown, mknod...
const std::vector<std::string> kBuildCaps = {
    "CAP_CHOWN",  "CAP_DAC_OVERRIDE", "CAP_FOWNER",   "CAP_FSETID", "CAP_KILL",         "CAP_SETGID",  "CAP_SETUID",
    "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_NET_RAW", "CAP_SYS_CHROOT", "CAP_MKNOD", "CAP_AUDIT_WRITE", "CAP_SETFCAP"};

bool exists_in(const std::string& root, const std::string& rel) {
  struct stat st {};
  return ::lstat((root + "/" + rel).c_str(), &st) == 0;
}

}  // namespace

std::string find_runtime(const std::string& explicit_path) {
  if (!explicit_path.empty()) {
    if (::access(explicit_path.c_str(), X_OK) != 0) throw_errno("runtime " + explicit_path);
    return explicit_path;
  }
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
  throw Error("RUN needs the berth runtime: not found next to berth-build nor in PATH (use --runtime PATH)");
}

RunResult run_in_container(const RunSpec& spec, const std::function<void(const std::string&)>& on_line) {
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
  std::string bundle = spec.scratch + "/bundle";
  std::string state = spec.scratch + "/state";
  if (::mkdir(bundle.c_str(), 0700) != 0 && errno != EEXIST) throw_errno("mkdir " + bundle);
  if (::mkdir(state.c_str(), 0700) != 0 && errno != EEXIST) throw_errno("mkdir " + state);
  image::write_file_atomic(bundle + "/config.json", cfg.dump());

  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) throw_errno("pipe");
  UniqueFd rd(p[0]), wr(p[1]);
  pid_t pid = ::fork();
  if (pid < 0) throw_errno("fork");
  if (pid == 0) {
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, 0);
    ::dup2(wr.get(), 1);
    ::dup2(wr.get(), 2);
    std::vector<std::string> argv = {spec.runtime, "--root", state, "run", "--bundle", bundle, spec.id};
    std::vector<char*> cargv;
    for (auto& a : argv) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    ::execv(spec.runtime.c_str(), cargv.data());
    _exit(127);
  }
  wr.reset();
  RunResult res;
  std::deque<std::string> tail;
  std::string partial;
  char buf[8192];
  auto line = [&](const std::string& l) {
    on_line(l);
    tail.push_back(l);
    if (tail.size() > 20) tail.pop_front();
  };
  for (;;) {
    ssize_t n = ::read(rd.get(), buf, sizeof buf);
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
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw_errno("wait for the runtime");
  }
  res.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  res.tail.assign(tail.begin(), tail.end());
  // `run` deletes its container; make sure of it before the state dir goes.
  pid_t d = ::fork();
  if (d == 0) {
    int devnull = ::open("/dev/null", O_WRONLY);
    if (devnull >= 0) {
      ::dup2(devnull, 1);
      ::dup2(devnull, 2);
    }
    ::execl(spec.runtime.c_str(), spec.runtime.c_str(), "--root", state.c_str(), "delete", "--force", spec.id.c_str(),
            static_cast<char*>(nullptr));
    _exit(127);
  }
  if (d > 0) {
    while (::waitpid(d, &status, 0) < 0 && errno == EINTR) {
    }
  }
  return res;
}

}  // namespace berth::build
