#include "berth/process/sync.hpp"

#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include "berth/util/error.hpp"

namespace berth::process {
namespace {

struct Header {
  uint32_t type;
  int32_t code;
  int32_t status;
};

constexpr size_t kMaxPacket = 64 * 1024;

constexpr size_t kMaxFds = 16;

void send_packet(int sock, const void* data, size_t len, const int* fds, size_t nfds) {
  if (nfds > kMaxFds) throw Error("send sync message: too many file descriptors");
  iovec iov{const_cast<void*>(data), len};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char cbuf[CMSG_SPACE(kMaxFds * sizeof(int))];
  if (nfds > 0) {
    std::memset(cbuf, 0, sizeof cbuf);
    msg.msg_control = cbuf;
    msg.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
    std::memcpy(CMSG_DATA(c), fds, nfds * sizeof(int));
  }
  ssize_t n;
  do n = ::sendmsg(sock, &msg, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  if (n < 0) throw_errno("send sync message");
}

// Returns bytes received (0 on EOF). Every fd received is owned: kept in
// `fds_out` if given, else closed.
size_t recv_packet(int sock, std::vector<char>& buf, std::vector<UniqueFd>* fds_out) {
  buf.resize(kMaxPacket);
  iovec iov{buf.data(), buf.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char cbuf[CMSG_SPACE(kMaxFds * sizeof(int))];
  msg.msg_control = cbuf;
  msg.msg_controllen = sizeof cbuf;
  ssize_t n;
  do n = ::recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n < 0) throw_errno("receive sync message");
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
      size_t n_fds = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      for (size_t i = 0; i < n_fds; ++i) {
        int fd;
        std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
        UniqueFd owned(fd);  // closed unless the caller wants it
        if (fds_out) fds_out->push_back(std::move(owned));
      }
    }
  }
  return static_cast<size_t>(n);
}

}  // namespace

const char* sync_name(SyncType t) {
  switch (t) {
    case SyncType::Go: return "Go";
    case SyncType::RunHooks: return "RunHooks";
    case SyncType::HooksDone: return "HooksDone";
    case SyncType::Ready: return "Ready";
    case SyncType::Error: return "Error";
    case SyncType::SeccompFd: return "SeccompFd";
    case SyncType::InitPid: return "InitPid";
    case SyncType::CgroupJoined: return "CgroupJoined";
  }
  return "unknown";
}

SyncPair make_sync_pair() {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) throw_errno("socketpair");
  return {UniqueFd(sv[0]), UniqueFd(sv[1])};
}

static std::vector<char> encode(const SyncMsg& m) {
  Header h{static_cast<uint32_t>(m.type), m.code, m.status};
  std::vector<char> buf(sizeof h + m.payload.size());
  std::memcpy(buf.data(), &h, sizeof h);
  std::memcpy(buf.data() + sizeof h, m.payload.data(), m.payload.size());
  return buf;
}

// Plain write(2), not sendmsg: after the container's seccomp filter is loaded
// the init still sends `Ready`, and write is allowed by every sane profile.
void send_msg(int fd, const SyncMsg& m) {
  auto buf = encode(m);
  ssize_t n;
  do n = ::write(fd, buf.data(), buf.size());
  while (n < 0 && errno == EINTR);
  if (n < 0) throw_errno("send sync message");
}

void send_msg_fd(int fd, const SyncMsg& m, int passfd) {
  auto buf = encode(m);
  send_packet(fd, buf.data(), buf.size(), &passfd, passfd >= 0 ? 1 : 0);
}

void send_msg_fds(int fd, const SyncMsg& m, const std::vector<UniqueFd>& fds) {
  auto buf = encode(m);
  std::vector<int> raw;
  for (const auto& f : fds) raw.push_back(f.get());
  send_packet(fd, buf.data(), buf.size(), raw.data(), raw.size());
}

SyncMsg recv_msg(int fd, UniqueFd* fd_out) {
  std::vector<UniqueFd> fds;
  SyncMsg m = recv_msg_fds(fd, fd_out ? &fds : nullptr);
  if (fd_out && !fds.empty()) *fd_out = std::move(fds.front());
  return m;
}

SyncMsg recv_msg_fds(int fd, std::vector<UniqueFd>* fds_out) {
  std::vector<char> buf;
  size_t n = recv_packet(fd, buf, fds_out);
  if (n == 0) throw Error("container init exited unexpectedly during setup");
  if (n < sizeof(Header)) throw Error("short sync message from container init");
  Header h;
  std::memcpy(&h, buf.data(), sizeof h);
  SyncMsg m;
  m.type = static_cast<SyncType>(h.type);
  m.code = h.code;
  m.status = h.status;
  m.payload.assign(buf.data() + sizeof h, n - sizeof h);
  return m;
}

void send_fd(int sock, int fd, const std::string& name) { send_packet(sock, name.data(), name.size(), &fd, 1); }

UniqueFd recv_fd(int sock) {
  std::vector<char> buf;
  std::vector<UniqueFd> fds;
  if (recv_packet(sock, buf, &fds) == 0 || fds.empty()) throw Error("console socket: no file descriptor received");
  return std::move(fds.front());
}

}  // namespace berth::process
