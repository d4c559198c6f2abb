// seccompagent [-socketfile PATH] [-pid-file FILE]
//
// A seccomp notify agent with the command line and the behaviour runc's bats suite expects of
// runc's example agent (contrib/cmd/seccompagent, Go, not packaged); runc_bats.sh compiles this
// at run time. It listens on PATH (default /run/seccomp-agent.socket) for the runtime's
// linux.seccomp.listenerPath connections: the container process state as JSON, with the fd
// named "seccompFd" among the fds passed (SCM_RIGHTS). Notifications are answered:
//   mkdir P                  P-METADATA is made instead (METADATA: basename of the state's
//                            metadata), answer 0, or ENOSYS if that fails;
//   chmod, fchmod, fchmodat  fail with ENOMEDIUM;
//   anything else            continues (SECCOMP_USER_NOTIF_FLAG_CONTINUE).
// One thread polls the socket and every notify fd: killing the agent closes them all, after
// which the kernel fails the intercepted syscalls with ENOSYS (a test relies on that). Compiled,
// not a script, because the suite starts it in the background and connects within milliseconds.
#include <fcntl.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <seccomp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace {

void log(const std::string& msg) { std::fprintf(stderr, "seccompagent: %s\n", msg.c_str()); }

[[noreturn]] void die(const std::string& what) {
  log(what + ": " + std::strerror(errno));
  std::exit(1);
}

// The seccomp fd of a new connection's state message and the metadata; fd -1 if malformed.
std::pair<int, std::string> receive_listener(int conn) {
  std::vector<char> data(65536);
  alignas(cmsghdr) char ctl[CMSG_SPACE(64 * sizeof(int))];
  iovec iov{data.data(), data.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = ctl;
  msg.msg_controllen = sizeof ctl;
  ssize_t n = recvmsg(conn, &msg, MSG_CMSG_CLOEXEC);
  std::vector<int> fds;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); n >= 0 && c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    const auto* p = reinterpret_cast<const unsigned char*>(CMSG_DATA(c));
    for (size_t i = 0; i < count; i++) {
      int fd;
      std::memcpy(&fd, p + i * sizeof(int), sizeof fd);
      fds.push_back(fd);
    }
  }
  int seccomp_fd = -1;
  std::string metadata;
  try {
    auto state = nlohmann::json::parse(std::string(data.data(), n > 0 ? size_t(n) : 0));
    const auto& names = state.at("fds");
    int found = -1;
    for (size_t i = 0; i < names.size(); i++)
      if (names[i] == "seccompFd") {
        if (found != -1) throw std::runtime_error("seccompFd named twice");
        found = int(i);
      }
    if (found < 0 || size_t(found) >= fds.size()) throw std::runtime_error("seccomp fd not found");
    seccomp_fd = fds[size_t(found)];
    if (state.contains("metadata") && state["metadata"].is_string()) metadata = state["metadata"];
  } catch (const std::exception& e) {
    log(std::string("bad state message: ") + e.what());
  }
  for (int fd : fds)
    if (fd != seccomp_fd) close(fd);
  auto slash = metadata.rfind('/');
  if (slash != std::string::npos) metadata = metadata.substr(slash + 1);
  return {seccomp_fd, metadata};
}

std::string read_string(pid_t pid, uint64_t addr) {
  int mem = open(("/proc/" + std::to_string(pid) + "/mem").c_str(), O_RDONLY | O_CLOEXEC);
  if (mem < 0) return {};
  char buf[4096];
  ssize_t n = pread(mem, buf, sizeof buf - 1, off_t(addr));
  close(mem);
  if (n <= 0) return {};
  buf[n] = 0;
  return buf;
}

// P-METADATA under the process's root (absolute P) or cwd, resolved lexically: ".." cannot
// climb above it. The agent serves the suite's own containers only.
int do_mkdir(pid_t pid, const std::string& path, mode_t mode, const std::string& metadata) {
  std::string base = "/proc/" + std::to_string(pid) + (path.starts_with("/") ? "/root" : "/cwd");
  std::vector<std::string> parts;
  std::string name = path + "-" + metadata, part;
  for (size_t i = 0; i <= name.size(); i++) {
    if (i < name.size() && name[i] != '/') {
      part += name[i];
      continue;
    }
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
    } else if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
    part.clear();
  }
  for (const auto& p : parts) base += "/" + p;
  return mkdir(base.c_str(), mode) == 0 ? 0 : errno;
}

bool id_valid(int fd, uint64_t id) { return ioctl(fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0; }

// One notification on fd; false once the fd is dead (every filtered process gone).
bool handle(int fd, const std::string& metadata) {
  seccomp_notif req{};
  if (ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, &req) != 0) return errno == EINTR || errno == ENOENT;
  if (!id_valid(fd, req.id)) return true;
  seccomp_notif_resp resp{};
  resp.id = req.id;
  resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
  char* name = seccomp_syscall_resolve_num_arch(req.data.arch, req.data.nr);
  std::string syscall = name ? name : "";
  std::free(name);
  if (syscall == "mkdir") {
    resp.flags = 0;
    std::string path = read_string(pid_t(req.pid), req.data.args[0]);
    if (!id_valid(fd, req.id)) return true;
    int err = path.empty() ? ENOENT : do_mkdir(pid_t(req.pid), path, mode_t(req.data.args[1] & 07777), metadata);
    if (err != 0) {
      log("mkdir " + path + ": " + std::strerror(err));
      resp.val = -1;
      resp.error = -ENOSYS;
    }
  } else if (syscall == "chmod" || syscall == "fchmod" || syscall == "fchmodat") {
    resp.flags = 0;
    resp.val = -1;
    resp.error = -ENOMEDIUM;
  }
  if (ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, &resp) != 0) log(std::string("send: ") + std::strerror(errno));
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::string socket_file = "/run/seccomp-agent.socket", pid_file;
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    if (!a.starts_with("-")) {
      log("invalid command: " + a);
      return 2;
    }
    a = a.substr(a.find_first_not_of('-'));
    std::string value;
    auto eq = a.find('=');
    if (eq != std::string::npos) {
      value = a.substr(eq + 1);
      a = a.substr(0, eq);
    } else if (i + 1 < argc) {
      value = argv[++i];
    }
    if (a == "socketfile") {
      socket_file = value;
    } else if (a == "pid-file") {
      pid_file = value;
    } else {
      log("flag provided but not defined: -" + a);
      return 2;
    }
  }
  if (unlink(socket_file.c_str()) != 0 && errno != ENOENT) die("remove " + socket_file);
  if (!pid_file.empty()) {
    FILE* f = std::fopen(pid_file.c_str(), "w");
    if (!f) die(pid_file);
    std::fprintf(f, "%d", int(getpid()));
    if (std::fclose(f) != 0) die(pid_file);
  }
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_file.size() >= sizeof addr.sun_path) {
    log("socket path too long: " + socket_file);
    return 1;
  }
  std::memcpy(addr.sun_path, socket_file.c_str(), socket_file.size() + 1);
  int srv = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (srv < 0) die("socket");
  if (bind(srv, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) die("bind " + socket_file);
  if (listen(srv, 64) != 0) die("listen");

  std::vector<pollfd> fds{{srv, POLLIN, 0}};
  std::map<int, std::string> metadata;  // notify fd -> metadata
  for (;;) {
    if (poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      die("poll");
    }
    for (size_t i = fds.size(); i-- > 1;) {
      if (!fds[i].revents) continue;
      int fd = fds[i].fd;
      bool alive = true;
      if (fds[i].revents & POLLIN) alive = handle(fd, metadata[fd]);
      if (!alive || (fds[i].revents & (POLLHUP | POLLERR | POLLNVAL))) {
        close(fd);
        metadata.erase(fd);
        fds.erase(fds.begin() + long(i));
      }
    }
    if (fds[0].revents & POLLIN) {
      int conn = accept4(srv, nullptr, nullptr, SOCK_CLOEXEC);
      if (conn < 0) continue;
      auto [fd, meta] = receive_listener(conn);
      close(conn);
      if (fd < 0) continue;
      metadata[fd] = meta;
      fds.push_back({fd, POLLIN, 0});
    }
  }
}
