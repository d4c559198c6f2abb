#include "berth/container/host_files.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

#include "berth/process/sync.hpp"
#include "berth/util/error.hpp"

namespace berth::container {

namespace {

UniqueFd connect_unix_stream(const std::string& path, const std::string& what) {
  UniqueFd s(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!s) throw_errno(what);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) throw Error(what + " path too long: " + path);
  std::memcpy(addr.sun_path, path.c_str(), path.size());
  if (::connect(s.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0)
    throw_errno("connect to " + what + " " + path);
  return s;
}

}  // namespace

UniqueFd connect_console_socket(const std::string& path) { return connect_unix_stream(path, "console socket"); }

UniqueFd connect_pidfd_socket(const std::string& path) { return connect_unix_stream(path, "pidfd socket"); }

void send_pidfd(int sock, int pidfd, const std::string& path) {
  try {
    process::send_fd(sock, pidfd, "pidfd");
  } catch (const std::exception& e) {
    throw Error("send the pidfd to pidfd socket " + path + ": " + e.what());
  }
}

void write_pid_file(const std::string& path, pid_t pid) {
  std::string tmp = path + ".berth-tmp";
  {
    UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!fd) throw_errno("create pid file " + tmp);
    std::string s = std::to_string(pid);
    if (::write(fd.get(), s.data(), s.size()) != static_cast<ssize_t>(s.size())) throw_errno("write pid file " + tmp);
  }
  if (::rename(tmp.c_str(), path.c_str()) < 0) throw_errno("rename pid file to " + path);
}

}  // namespace berth::container
