#include "stdio.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <tuple>

#include "berth/process/sync.hpp"
#include "ttrpc_codec.hpp"

extern char** environ;

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
  if (name.rfind("binary://", 0) == 0) return name;
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


int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decode(const std::string& s, bool plus_is_space) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%') {
      int hi = i + 2 < s.size() ? hexval(s[i + 1]) : -1, lo = i + 2 < s.size() ? hexval(s[i + 2]) : -1;
      if (hi < 0 || lo < 0) throw RpcError(Code::InvalidArgument, "bad escape in logging URI: " + s);
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += (plus_is_space && s[i] == '+') ? ' ' : s[i];
    }
  }
  return out;
}

}  // namespace

std::vector<std::string> logging_binary_argv(const std::string& uri) {
  std::string rest = uri.substr(std::string("binary://").size());
  std::string path = rest, query;
  if (auto q = rest.find('?'); q != std::string::npos) {
    path = rest.substr(0, q);
    query = rest.substr(q + 1);
  }
  path = percent_decode(path, false);
  if (path.empty() || path[0] != '/') throw RpcError(Code::InvalidArgument, "logging binary must be an absolute path: " + uri);
  std::vector<std::string> argv = {path};
  std::size_t pos = 0;
  while (pos < query.size()) {
    std::size_t amp = query.find('&', pos);
    std::string kv = query.substr(pos, amp == std::string::npos ? std::string::npos : amp - pos);
    pos = amp == std::string::npos ? query.size() : amp + 1;
    if (kv.empty()) continue;
    auto eq = kv.find('=');
    argv.push_back(percent_decode(kv.substr(0, eq), true));
    if (eq != std::string::npos && eq + 1 < kv.size()) argv.push_back(percent_decode(kv.substr(eq + 1), true));
  }
  return argv;
}

namespace {

// Starts the logging binary with the read ends of the process's stdout/stderr pipes and
// waits (up to 10 s) until it says it is ready by closing its fd 5. Returns the write ends.
std::pair<UniqueFd, UniqueFd> start_logger(const std::string& uri, const std::string& id, const std::string& ns) {
  std::vector<std::string> args = logging_binary_argv(uri);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> envs;
  for (char** e = environ; *e; ++e) envs.emplace_back(*e);
  envs.push_back("CONTAINER_ID=" + id);
  envs.push_back("CONTAINER_NAMESPACE=" + ns);
  std::vector<char*> envp;
  for (auto& e : envs) envp.push_back(e.data());
  envp.push_back(nullptr);
  int out[2], err[2], ready[2];
  if (pipe2(out, O_CLOEXEC) < 0) fail("pipe for the logging binary");
  UniqueFd out_r(out[0]), out_w(out[1]);
  if (pipe2(err, O_CLOEXEC) < 0) fail("pipe for the logging binary");
  UniqueFd err_r(err[0]), err_w(err[1]);
  if (pipe2(ready, O_CLOEXEC) < 0) fail("pipe for the logging binary");
  UniqueFd ready_r(ready[0]), ready_w(ready[1]);
  // Above 5 first, so that the dup2s below cannot overwrite one another.
  UniqueFd a(fcntl(out_r.get(), F_DUPFD_CLOEXEC, 10)), b(fcntl(err_r.get(), F_DUPFD_CLOEXEC, 10)),
      c(fcntl(ready_w.get(), F_DUPFD_CLOEXEC, 10)), devnull(open("/dev/null", O_RDWR | O_CLOEXEC));
  pid_t pid = fork();
  if (pid < 0) fail("fork the logging binary");
  if (pid == 0) {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    if (dup2(devnull.get(), 0) < 0 || dup2(devnull.get(), 1) < 0 || dup2(devnull.get(), 2) < 0 ||
        dup2(a.get(), 3) < 0 || dup2(b.get(), 4) < 0 || dup2(c.get(), 5) < 0)
      _exit(127);
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  // The logger is the shim's child: its exit is collected by the reaper, which ignores it.
  ready_w.reset();
  c.reset();
  pollfd pf{ready_r.get(), POLLIN, 0};
  if (poll(&pf, 1, 10000) <= 0) {
    kill(pid, SIGKILL);
    throw RpcError(Code::DeadlineExceeded, "logging binary " + args[0] + " did not become ready in 10 s");
  }
  return {std::move(out_w), std::move(err_w)};
}

}  // namespace

OpenStdio open_stdio(const StdioPaths& p, const std::string& id, const std::string& ns) {
  if (!p.terminal && (p.out.rfind("binary://", 0) == 0 || p.err.rfind("binary://", 0) == 0)) {
    OpenStdio s;
    if (p.out != p.err) throw RpcError(Code::InvalidArgument, "a logging binary must take both stdout and stderr");
    std::tie(s.out, s.err) = start_logger(p.out, id, ns);
    StdioPaths in_only{p.in, "", "", false};
    OpenStdio i = open_stdio(in_only, id, ns);
    s.in = std::move(i.in);
    s.in_keeper = std::move(i.in_keeper);
    return s;
  }
  if (p.out.rfind("binary://", 0) == 0 || p.err.rfind("binary://", 0) == 0)
    throw RpcError(Code::InvalidArgument, "a logging binary cannot serve a terminal");
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
