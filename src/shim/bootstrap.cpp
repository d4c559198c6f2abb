#include "bootstrap.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sha2.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "berth/util/error.hpp"
#include "berth/util/fd.hpp"
#include "berth/util/log.hpp"
#include "github.com/containerd/containerd/runtime/v2/task/shim.pb.h"
#include "mounts.hpp"
#include "runtime_options.hpp"
#include "runtime.hpp"

extern char** environ;

namespace berth::shim {

namespace {

std::string sha256_hex(const std::string& data) {
  char hex[SHA256_DIGEST_STRING_LENGTH];
  if (!SHA256Data(reinterpret_cast<const std::uint8_t*>(data.data()), data.size(), hex)) throw Error("sha256 failed");
  return hex;
}

// filepath.Join's cleaning, as far as socket addresses need it: no empty or "." elements.
std::string join_clean(const std::vector<std::string>& parts) {
  std::string joined;
  for (const auto& p : parts) joined += (joined.empty() ? "" : "/") + p;
  std::string out;
  std::stringstream ss(joined);
  std::string el;
  bool abs = !joined.empty() && joined[0] == '/';
  while (std::getline(ss, el, '/')) {
    if (el.empty() || el == ".") continue;
    out += (out.empty() && !abs ? "" : "/") + el;
  }
  return out.empty() ? (abs ? "/" : ".") : out;
}

sockaddr_un unix_addr(const std::string& path) {
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  if (path.size() >= sizeof sa.sun_path) throw Error("socket path too long: " + path);
  std::memcpy(sa.sun_path, path.data(), path.size());
  return sa;
}

bool can_connect(const std::string& path) {
  UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  auto sa = unix_addr(path);
  return fd && connect(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0;
}

std::string cwd() {
  char buf[4096];
  if (!getcwd(buf, sizeof buf)) throw_errno("getcwd");
  return buf;
}

}  // namespace

std::string socket_address(const std::string& containerd_address, const std::string& ns, const std::string& group) {
  return std::string("unix://") + kSocketDir + "/" + sha256_hex(join_clean({containerd_address, ns, group}));
}

std::string group_of(const std::string& config_json_path, const std::string& id) {
  std::ifstream f(config_json_path);
  if (!f) return id;
  auto j = nlohmann::json::parse(f, nullptr, false);
  if (!j.is_object() || !j.contains("annotations") || !j["annotations"].is_object()) return id;
  for (const char* key : {"io.kubernetes.cri.sandbox-id", "io.containerd.runc.v2.group"}) {
    auto it = j["annotations"].find(key);
    if (it != j["annotations"].end() && it->is_string() && !it->get<std::string>().empty()) return it->get<std::string>();
  }
  return id;
}

void write_address_file(const std::string& dir, const std::string& address) {
  std::string tmp = dir + "/.address.tmp", dst = dir + "/address";
  UniqueFd fd(open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd) throw_errno("create " + tmp);
  if (write(fd.get(), address.data(), address.size()) != static_cast<ssize_t>(address.size()))
    throw_errno("write " + tmp);
  fd.reset();
  if (rename(tmp.c_str(), dst.c_str()) < 0) throw_errno("rename " + tmp + " to " + dst);
}

void join_cgroup(pid_t pid, const std::string& cgroup) {
  if (cgroup.find("..") != std::string::npos) throw Error("shim_cgroup \"" + cgroup + "\": \"..\" is not allowed");
  std::string rel = cgroup.front() == '/' ? cgroup : "/" + cgroup;
  auto add = [&](const std::string& dir) {
    std::string procs = dir + rel + "/cgroup.procs";
    UniqueFd fd(open(procs.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd) return false;
    std::string v = std::to_string(pid);
    if (write(fd.get(), v.data(), v.size()) < 0) throw_errno("shim_cgroup: write " + procs);
    return true;
  };
  struct stat st{};
  if (stat("/sys/fs/cgroup/cgroup.controllers", &st) == 0) {  // unified
    if (!add("/sys/fs/cgroup")) throw_errno("shim_cgroup: open /sys/fs/cgroup" + rel + "/cgroup.procs");
    return;
  }
  // v1 (or hybrid): every hierarchy that has the cgroup, as cgroups.StaticPath does.
  bool any = false;
  if (DIR* d = opendir("/sys/fs/cgroup")) {
    while (dirent* e = readdir(d)) {
      std::string n = e->d_name;
      if (n == "." || n == ".." || n == "unified") continue;
      std::string dir = "/sys/fs/cgroup/" + n;
      struct stat ls{};
      if (lstat(dir.c_str(), &ls) < 0 || !S_ISDIR(ls.st_mode)) continue;  // cpu -> cpu,cpuacct links
      any = add(dir) || any;
    }
    closedir(d);
  }
  if (!any) throw Error("shim_cgroup: no cgroup hierarchy has " + rel);
}

std::string berth_root(const std::string& ns) { return "/run/containerd/berth/" + ns; }

int start_action(const Flags& f, const std::string& self) {
  std::string bundle = f.bundle.empty() ? cwd() : f.bundle;
  if (f.id.empty()) throw Error("start: -id is required");
  // The runtime options (a protobuf Any, of any type) come on stdin; of runc's options only
  // shim_cgroup concerns the start (the others come again with Create). Unreadable options
  // are ignored here as the runc shim does; Create refuses them.
  std::string opts{std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>()};
  std::string shim_cgroup;
  try {
    shim_cgroup = parse_runtime_options(opts).shim_cgroup;
  } catch (const std::exception&) {
  }
  std::string group = group_of(bundle + "/config.json", f.id);
  std::string address = socket_address(f.address, f.namespace_, group);
  std::string path = address.substr(7);
  if (mkdir("/run/containerd", 0711) < 0 && errno != EEXIST) throw_errno("mkdir /run/containerd");
  if (mkdir(kSocketDir, 0711) < 0 && errno != EEXIST) throw_errno(std::string("mkdir ") + kSocketDir);
  UniqueFd sock(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!sock) throw_errno("socket");
  auto sa = unix_addr(path);
  if (bind(sock.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0) {
    if (errno != EADDRINUSE) throw_errno("bind " + path);
    if (can_connect(path)) {  // the group's shim is alive: it serves this container too
      write_address_file(bundle, address);
      std::cout << address << std::flush;
      return 0;
    }
    unlink(path.c_str());  // left by a shim that died
    if (bind(sock.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0) throw_errno("bind " + path);
  }
  if (listen(sock.get(), 128) < 0) throw_errno("listen on " + path);

  std::vector<std::string> args = {self, "-namespace", f.namespace_, "-id", f.id, "-address", f.address};
  if (!f.publish_binary.empty()) args.insert(args.end(), {"-publish-binary", f.publish_binary});
  if (!f.bundle.empty()) args.insert(args.end(), {"-bundle", f.bundle});
  if (f.debug) args.push_back("-debug");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  UniqueFd devnull(open("/dev/null", O_RDWR | O_CLOEXEC));
  pid_t pid = fork();
  if (pid < 0) {
    unlink(path.c_str());
    throw_errno("fork the shim");
  }
  if (pid == 0) {
    // The daemon: its own session, the socket as fd 3, no stdio of containerd's (which
    // waits for this command's stdout to close).
    setsid();
    // dup2 onto itself would keep FD_CLOEXEC: clear it then.
    if ((sock.get() == 3 ? fcntl(3, F_SETFD, 0) : dup2(sock.get(), 3)) < 0 || dup2(devnull.get(), 0) < 0 || dup2(devnull.get(), 1) < 0 ||
        dup2(devnull.get(), 2) < 0)
      _exit(127);
    execve(argv[0], argv.data(), environ);
    _exit(127);
  }
  try {
    if (!shim_cgroup.empty()) join_cgroup(pid, shim_cgroup);
    write_address_file(bundle, address);
  } catch (...) {
    kill(pid, SIGKILL);
    unlink(path.c_str());
    throw;
  }
  std::cout << address << std::flush;
  return 0;
}

int delete_action(const Flags& f) {
  std::string bundle = f.bundle.empty() ? cwd() : f.bundle;
  if (f.id.empty()) throw Error("delete: -id is required");
  // The binary and root the container was created with (options.json, written at Create).
  RuntimeOptions o = load_runtime_options(bundle);
  Runtime rt(o.binary_name.empty() ? find_berth() : o.binary_name, runtime_root(o, f.namespace_, berth_root(f.namespace_)),
             global_args(o));
  try {
    rt.run({"delete", "--force", f.id}, "");
  } catch (const std::exception& e) {
    log::warn("delete " + f.id + ": " + e.what());
  }
  unmount_all(bundle + "/rootfs");
  long pid = 0;
  std::ifstream(bundle + "/init.pid") >> pid;
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  containerd::task::v2::DeleteResponse resp;
  resp.set_pid(static_cast<std::uint32_t>(pid > 0 ? pid : 0));
  resp.set_exit_status(128 + SIGKILL);
  resp.mutable_exited_at()->set_seconds(ts.tv_sec);
  resp.mutable_exited_at()->set_nanos(static_cast<int>(ts.tv_nsec));
  std::string out = resp.SerializeAsString();
  std::cout.write(out.data(), static_cast<std::streamsize>(out.size()));
  std::cout.flush();
  return 0;
}

}  // namespace berth::shim
