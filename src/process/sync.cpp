#include "berth/process/sync.hpp"

#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "berth/util/error.hpp"

namespace berth::process {
namespace {

// The first packet of a message: this header, then the payload's first bytes;
// the rest of the payload follows in packets of raw bytes (continuations) until
// `length` bytes have come. A SOCK_SEQPACKET packet must fit the sender's socket
// buffer (net.core.wmem_default, ~208 KiB by default, EMSGSIZE beyond): a
// state JSON with large annotations or a long error from the init does not.
struct Header {
  uint32_t type;
  int32_t code;
  int32_t status;
  uint32_t length;  // the whole payload, over every packet
};

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

// Plain write(2), not sendmsg: after the container's seccomp filter is loaded
// the init still sends `Ready`, and write is allowed by every sane profile.
void write_packet(int sock, const char* data, size_t len) {
  ssize_t n;
  do n = ::write(sock, data, len);
  while (n < 0 && errno == EINTR);
  if (n < 0) throw_errno("send sync message");
  if (static_cast<size_t>(n) != len) throw Error("send sync message: short write on a packet socket");
}

// Keeps every fd a received packet carries: in `fds_out` if given, else closed.
void take_fds(msghdr& msg, std::vector<UniqueFd>* fds_out) {
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    size_t n_fds = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < n_fds; ++i) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
      UniqueFd owned(fd);  // closed unless the caller wants it
      if (fds_out) fds_out->push_back(std::move(owned));
    }
  }
}

// A recv on a packet socket whose peer has gone. The kernel reports
// ECONNRESET once (when the peer closed with messages of ours unread, e.g. an
// init that failed before reading `Go`) before the packets it sent are
// read: those carry its error, so the error is consumed and the read goes on.
// Returns -1 with errno for other errors.
ssize_t recv_retrying(int sock, msghdr* msg, void* buf, size_t len, int flags) {
  for (;;) {
    ssize_t n = msg ? ::recvmsg(sock, msg, flags) : ::recv(sock, buf, len, flags);
    if (n >= 0 || (errno != EINTR && errno != ECONNRESET)) return n;
  }
}

// One recvmsg into buf, with room for kMaxFds descriptors (received close-on-exec), every one of
// which is kept in `fds_out` (else closed); `msg_flags` gets the message's flags. EINTR is
// retried, and on a packet socket (`packets`) ECONNRESET too (recv_retrying).
ssize_t recv_with_fds(int sock, void* buf, size_t len, std::vector<UniqueFd>* fds_out, int& msg_flags, bool packets) {
  iovec iov{buf, len};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char cbuf[CMSG_SPACE(kMaxFds * sizeof(int))];
  msg.msg_control = cbuf;
  msg.msg_controllen = sizeof cbuf;
  ssize_t n;
  if (packets) {
    n = recv_retrying(sock, &msg, nullptr, 0, MSG_CMSG_CLOEXEC);
  } else {
    do n = ::recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
    while (n < 0 && errno == EINTR);
  }
  if (n < 0) return n;
  take_fds(msg, fds_out);
  msg_flags = msg.msg_flags;
  return n;
}

// Size of the next packet without taking it (MSG_PEEK|MSG_TRUNC: the real
// length, whatever the buffer); 0 on EOF (every packet we send has >= 1 byte).
size_t peek_packet_size(int sock) {
  ssize_t n = recv_retrying(sock, nullptr, nullptr, 0, MSG_PEEK | MSG_TRUNC);
  if (n < 0) throw_errno("receive sync message");
  return static_cast<size_t>(n);
}

// Receives one whole packet into `buf` (resized to fit it); 0 on EOF.
size_t recv_packet(int sock, std::vector<char>& buf, std::vector<UniqueFd>* fds_out) {
  size_t size = peek_packet_size(sock);
  if (size == 0) {
    buf.clear();
    return 0;
  }
  buf.resize(size);
  int flags = 0;
  // Its fds are taken even when it was cut below: no fd may stay open unowned.
  ssize_t n = recv_with_fds(sock, buf.data(), buf.size(), fds_out, flags, true);
  if (n < 0) throw_errno("receive sync message");
  if (flags & MSG_TRUNC)
    throw Error("receive sync message: packet cut (" + std::to_string(n) + " of more bytes)");
  if (flags & MSG_CTRUNC)
    throw Error("receive sync message: more than " + std::to_string(kMaxFds) + " file descriptors, some lost");
  buf.resize(static_cast<size_t>(n));
  return static_cast<size_t>(n);
}

std::vector<char> encode(const SyncMsg& m) {
  if (m.payload.size() > kSyncMaxPayload)
    throw Error("send sync message " + std::string(sync_name(m.type)) + ": " + std::to_string(m.payload.size()) +
                " bytes, more than the limit of " + std::to_string(kSyncMaxPayload >> 20) + " MiB");
  size_t first = std::min(m.payload.size(), kSyncPacket - sizeof(Header));
  Header h{static_cast<uint32_t>(m.type), m.code, m.status, static_cast<uint32_t>(m.payload.size())};
  std::vector<char> buf(sizeof h + first);
  std::memcpy(buf.data(), &h, sizeof h);
  std::memcpy(buf.data() + sizeof h, m.payload.data(), first);
  return buf;
}

// The payload's bytes after the first packet's, kSyncPacket at a time.
void send_rest(int sock, const SyncMsg& m) {
  for (size_t off = kSyncPacket - sizeof(Header); off < m.payload.size(); off += kSyncPacket)
    write_packet(sock, m.payload.data() + off, std::min(kSyncPacket, m.payload.size() - off));
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

SyncMsg error_msg(int code, int status, std::string message) {
  if (message.size() > kSyncMaxError) {
    // The head says what failed on what, the tail why (": File name too long").
    constexpr size_t kTail = 1024;
    const size_t full = message.size();
    std::string tail = message.substr(full - kTail);
    message.resize(kSyncMaxError - kTail);
    message += " ... [error message cut to " + std::to_string(kSyncMaxError >> 10) + " KiB: " +
               std::to_string(full - kSyncMaxError) + " of its " + std::to_string(full) + " bytes left out] ... " + tail;
  }
  return {SyncType::Error, code, status, std::move(message)};
}

SyncPair make_sync_pair() {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) throw_errno("socketpair");
  return {UniqueFd(sv[0]), UniqueFd(sv[1])};
}

void send_msg(int fd, const SyncMsg& m) {
  auto buf = encode(m);
  write_packet(fd, buf.data(), buf.size());
  send_rest(fd, m);
}

void send_msg_fd(int fd, const SyncMsg& m, int passfd) {
  auto buf = encode(m);
  send_packet(fd, buf.data(), buf.size(), &passfd, passfd >= 0 ? 1 : 0);
  send_rest(fd, m);
}

void send_msg_fds(int fd, const SyncMsg& m, const std::vector<UniqueFd>& fds) {
  auto buf = encode(m);
  std::vector<int> raw;
  for (const auto& f : fds) raw.push_back(f.get());
  send_packet(fd, buf.data(), buf.size(), raw.data(), raw.size());
  send_rest(fd, m);
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
  if (n < sizeof(Header)) throw Error("short sync message (" + std::to_string(n) + " bytes) from container init");
  Header h;
  std::memcpy(&h, buf.data(), sizeof h);
  SyncMsg m;
  m.type = static_cast<SyncType>(h.type);
  m.code = h.code;
  m.status = h.status;
  const std::string what = std::string("sync message ") + sync_name(m.type);
  if (h.length > kSyncMaxPayload)
    throw Error(what + ": " + std::to_string(h.length) + " bytes announced, more than the limit of " +
                std::to_string(kSyncMaxPayload >> 20) + " MiB");
  if (n - sizeof h > h.length)
    throw Error(what + ": " + std::to_string(n - sizeof h) + " bytes in its first packet, " +
                std::to_string(h.length) + " announced");
  m.payload.reserve(h.length);
  m.payload.assign(buf.data() + sizeof h, n - sizeof h);
  while (m.payload.size() < h.length) {
    n = recv_packet(fd, buf, nullptr);  // continuations carry no fds: any is closed
    if (n == 0)
      throw Error(what + ": the peer exited after " + std::to_string(m.payload.size()) + " of " +
                  std::to_string(h.length) + " bytes");
    if (m.payload.size() + n > h.length)
      throw Error(what + ": " + std::to_string(m.payload.size() + n) + " bytes received, " +
                  std::to_string(h.length) + " announced");
    m.payload.append(buf.data(), n);
  }
  return m;
}

void send_fd(int sock, int fd, const std::string& name) { send_packet(sock, name.data(), name.size(), &fd, 1); }

// The console socket is the caller's (a stream or packet socket): one read of
// up to 4 KiB, the name that came with the fd is not needed.
UniqueFd recv_fd(int sock) {
  char buf[4096];
  std::vector<UniqueFd> fds;
  int flags = 0;
  ssize_t n = recv_with_fds(sock, buf, sizeof buf, &fds, flags, false);
  if (n < 0) throw_errno("console socket: receive");
  if (n == 0 || fds.empty()) throw Error("console socket: no file descriptor received");
  return std::move(fds.front());
}

}  // namespace berth::process
