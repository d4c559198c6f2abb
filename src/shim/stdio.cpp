#include "stdio.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "berth/process/sync.hpp"
#include "ttrpc_codec.hpp"

namespace berth::shim {

using ttrpc::Code;
using ttrpc::RpcError;

namespace {

[[noreturn]] void fail(const std::string& what) {
  throw RpcError(errno == ENOENT ? Code::NotFound : Code::Internal, what + ": " + strerror(errno));
}

void set_blocking(int fd) {
  int fl = fcntl(fd, F_GETFL);
  if (fl >= 0) fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
}

// The path a stdio name stands for; empty for none.
std::string local_path(const std::string& name) {
  if (name.empty()) return {};
  if (name.rfind("file://", 0) == 0) return name.substr(7);
  if (name.rfind("fifo://", 0) == 0) return name.substr(7);
  if (auto p = name.find("://"); p != std::string::npos)
    throw RpcError(Code::InvalidArgument, "stdio URI scheme \"" + name.substr(0, p) + "\" is not supported by berth's shim");
  return name;
}

UniqueFd open_writer(const std::string& name) {
  std::string path = local_path(name);
  if (path.empty()) return {};
  if (name.rfind("file://", 0) == 0) {
    UniqueFd fd(open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644));
    if (!fd) fail("open " + path);
    return fd;
  }
  // A fifo: containerd's reader is normally open already; if not, O_RDWR does not block.
  UniqueFd fd(open(path.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC));
  if (!fd && errno == ENXIO) fd.reset(open(path.c_str(), O_RDWR | O_CLOEXEC));
  if (!fd) fail("open " + path);
  set_blocking(fd.get());
  return fd;
}

}  // namespace

OpenStdio open_stdio(const StdioPaths& p) {
  OpenStdio s;
  if (std::string in = local_path(p.in); !in.empty()) {
    s.in.reset(open(in.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
    if (!s.in) fail("open " + in);
    s.in_keeper.reset(open(in.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC));
    if (!s.in_keeper && errno != ENXIO) fail("open " + in + " for writing");
    if (!p.terminal) set_blocking(s.in.get());
  }
  s.out = open_writer(p.out);
  if (!p.terminal) {
    if (!p.err.empty() && p.err == p.out) s.err.reset(fcntl(s.out.get(), F_DUPFD_CLOEXEC, 3));
    else s.err = open_writer(p.err);
  }
  return s;
}

ConsoleSocket::ConsoleSocket() {
  char tmpl[] = "/tmp/berth-shim-console-XXXXXX";
  if (!mkdtemp(tmpl)) fail("mkdtemp for the console socket");
  dir_ = tmpl;
  path_ = dir_ + "/c.sock";
  sock_.reset(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::memcpy(sa.sun_path, path_.c_str(), path_.size());
  if (!sock_ || bind(sock_.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0 || listen(sock_.get(), 1) < 0) {
    int e = errno;
    rmdir(dir_.c_str());
    errno = e;
    fail("console socket " + path_);
  }
}

ConsoleSocket::~ConsoleSocket() {
  sock_.reset();
  unlink(path_.c_str());
  rmdir(dir_.c_str());
}

UniqueFd ConsoleSocket::receive_master() {
  pollfd p{sock_.get(), POLLIN, 0};
  if (poll(&p, 1, 2000) <= 0) throw RpcError(Code::Internal, "console socket: berth sent no terminal");
  UniqueFd conn(accept4(sock_.get(), nullptr, nullptr, SOCK_CLOEXEC));
  if (!conn) fail("accept on the console socket");
  try {
    return process::recv_fd(conn.get());
  } catch (const std::exception& e) {
    throw RpcError(Code::Internal, e.what());
  }
}

}  // namespace berth::shim
