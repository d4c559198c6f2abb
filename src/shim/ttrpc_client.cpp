#include "ttrpc_client.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "berth/util/error.hpp"

namespace berth::shim::ttrpc {

Client::Client(const std::string& address) {
  std::string path = address.rfind("unix://", 0) == 0 ? address.substr(7) : address;
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof sa.sun_path) throw Error("ttrpc: bad socket address \"" + address + "\"");
  std::memcpy(sa.sun_path, path.data(), path.size());
  fd_.reset(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd_) throw_errno("ttrpc: socket");
  if (connect(fd_.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0) throw_errno("ttrpc: connect to " + path);
}

std::string Client::call(const std::string& service, const std::string& method, const std::string& payload,
                         const Metadata& metadata, std::chrono::milliseconds timeout) {
  std::uint32_t stream = next_stream_;
  next_stream_ += 2;
  Request r;
  r.service = service;
  r.method = method;
  r.payload = payload;
  r.metadata = metadata;
  r.timeout_nano = std::chrono::duration_cast<std::chrono::nanoseconds>(timeout).count();
  std::string out = frame(stream, MsgType::Request, encode_request(r));
  for (std::size_t off = 0; off < out.size();) {
    ssize_t n = ::send(fd_.get(), out.data() + off, out.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw RpcError(Code::Unavailable, std::string("ttrpc: send: ") + strerror(errno));
    off += static_cast<std::size_t>(n);
  }
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    Header h;
    std::string body;
    auto res = reader_.next(h, body);
    if (res == FrameReader::Result::Oversized) throw RpcError(Code::ResourceExhausted, "ttrpc: oversized response");
    if (res == FrameReader::Result::Frame) {
      if (h.stream_id != stream || h.type != static_cast<std::uint8_t>(MsgType::Response)) continue;
      return decode_response(body);
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) throw RpcError(Code::DeadlineExceeded, "ttrpc: no answer to " + service + "/" + method);
    pollfd p{fd_.get(), POLLIN, 0};
    int pr = poll(&p, 1, static_cast<int>(left.count()));
    if (pr < 0 && errno == EINTR) continue;
    if (pr <= 0) continue;
    char buf[8192];
    ssize_t n = read(fd_.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw RpcError(Code::Unavailable, "ttrpc: connection closed while waiting for " + method);
    reader_.feed(buf, static_cast<std::size_t>(n));
  }
}

}  // namespace berth::shim::ttrpc
