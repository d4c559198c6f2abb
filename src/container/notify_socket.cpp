#include "berth/container/notify_socket.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <cstdlib>
#include <cstring>

#include "berth/linux/syscalls.hpp"
#include "berth/util/error.hpp"

namespace berth::container {
namespace {

constexpr const char* kDirInContainer = "/run/notify";
constexpr const char* kSocketName = "notify.sock";

sockaddr_un address_of(const std::string& path, socklen_t& len) {
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  if (path.size() >= sizeof a.sun_path) throw Error("NOTIFY_SOCKET " + path + ": path too long for a unix socket");
  std::memcpy(a.sun_path, path.data(), path.size());
  if (path[0] == '@') a.sun_path[0] = '\0';  // the abstract namespace, as systemd writes it
  len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size());
  return a;
}

}  // namespace

std::string notify_socket_host() {
  const char* v = std::getenv("NOTIFY_SOCKET");
  return v ? v : "";
}

bool add_notify_socket(oci::Spec& spec, const std::string& notify_dir) {
  if (!spec.process || !spec.has_namespace(oci::NamespaceType::Mount)) return false;
  if (::mkdir(notify_dir.c_str(), 0755) < 0 && errno != EEXIST) throw_errno("mkdir " + notify_dir);
  oci::Mount m;
  m.destination = kDirInContainer;
  m.type = "bind";
  m.source = notify_dir;
  m.options = {"bind", "nosuid", "noexec", "nodev", "ro"};
  spec.mounts.push_back(m);
  auto& env = spec.process->env;
  std::erase_if(env, [](const std::string& e) { return e.rfind("NOTIFY_SOCKET=", 0) == 0; });
  env.push_back(std::string("NOTIFY_SOCKET=") + kDirInContainer + "/" + kSocketName);
  return true;
}

NotifyListener NotifyListener::bind(const std::string& notify_dir, pid_t pid) {
  NotifyListener l;
  l.pid_ = pid;
  l.pidfd_.reset(sys::pidfd_open(pid));
  if (!l.pidfd_) throw_errno("notify socket: pidfd_open " + std::to_string(pid));
  const std::string path = notify_dir + "/" + kSocketName;
  ::unlink(path.c_str());  // one a previous start left
  l.sock_.reset(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!l.sock_) throw_errno("notify socket: socket");
  socklen_t len;
  sockaddr_un a = address_of(path, len);
  if (::bind(l.sock_.get(), reinterpret_cast<sockaddr*>(&a), len) < 0) throw_errno("notify socket: bind " + path);
  if (::chmod(path.c_str(), 0777) < 0) throw_errno("notify socket: chmod " + path);
  return l;
}

bool says_ready(std::string_view datagram) {
  size_t at = 0;
  while (at <= datagram.size()) {
    size_t end = datagram.find('\n', at);
    if (end == std::string_view::npos) end = datagram.size();
    if (datagram.substr(at, end - at) == "READY=1") return true;
    at = end + 1;
  }
  return false;
}

void NotifyListener::forward_ready(const std::string& host) {
  if (!sock_ || host.empty()) return;
  std::string ready;
  // One datagram: READY=1, possibly with STATUS= etc. on more lines (sd_notify).
  auto take = [&] {
    char buf[4096];
    ssize_t n;
    while (ready.empty() && (n = ::recv(sock_.get(), buf, sizeof buf, 0)) >= 0)
      if (says_ready(std::string_view(buf, static_cast<size_t>(n)))) ready.assign(buf, static_cast<size_t>(n));
    if (ready.empty() && errno != EAGAIN && errno != EINTR) throw_errno("notify socket: recv");
  };
  while (ready.empty()) {
    pollfd p[2] = {{sock_.get(), POLLIN, 0}, {pidfd_.get(), POLLIN, 0}};
    if (::poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      throw_errno("notify socket: poll");
    }
    if (p[0].revents & POLLIN) take();
    if (ready.empty() && (p[1].revents & POLLIN)) {
      take();  // what it sent just before it ended
      if (ready.empty()) return;  // ended without READY
    }
  }
  UniqueFd out(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!out) throw_errno("NOTIFY_SOCKET: socket");
  socklen_t len;
  sockaddr_un a = address_of(host, len);
  if (::connect(out.get(), reinterpret_cast<sockaddr*>(&a), len) < 0) throw_errno("NOTIFY_SOCKET: connect " + host);
  const std::string mainpid = "MAINPID=" + std::to_string(pid_);
  if (::send(out.get(), ready.data(), ready.size(), 0) < 0 || ::send(out.get(), mainpid.data(), mainpid.size(), 0) < 0)
    throw_errno("NOTIFY_SOCKET: send to " + host);
}

}  // namespace berth::container
