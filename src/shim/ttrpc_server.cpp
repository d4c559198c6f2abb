#include "ttrpc_server.hpp"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "berth/util/error.hpp"
#include "berth/util/log.hpp"
#include "deadline.hpp"

namespace berth::shim::ttrpc {

struct Conn {
  UniqueFd fd;
  std::uint64_t token = 0;
  FrameReader reader;
  std::string out;
  std::size_t out_pos = 0;
  std::map<std::uint32_t, std::uint64_t> active;  // stream -> serial of the request being answered
  bool closed = false;
};

Reply::Reply(Reply&& o) noexcept
    : server_(o.server_),
      conn_(std::move(o.conn_)),
      stream_(o.stream_),
      serial_(o.serial_),
      done_(std::exchange(o.done_, true)) {}

Reply::~Reply() {
  if (!done_) send(Code::Internal, "ttrpc: the method returned no answer", {});
}

void Reply::ok(const std::string& payload) { send(Code::OK, {}, payload); }
void Reply::error(Code code, const std::string& message) { send(code, message, {}); }

void Reply::send(Code code, const std::string& message, const std::string& payload) {
  if (done_) return;
  done_ = true;
  auto c = conn_.lock();
  if (!c || c->closed) return;
  auto it = c->active.find(stream_);
  if (it == c->active.end() || it->second != serial_) return;  // answered at its deadline already
  c->active.erase(it);
  std::string body = encode_response(code, message, payload);
  if (body.size() > kMaxMessage) body = encode_response(Code::ResourceExhausted, "ttrpc: response too large", {});
  server_->queue(c, frame(stream_, MsgType::Response, body));
}

Server::Server(Loop& loop, UniqueFd listen_fd)
    : loop_(loop), listen_(std::move(listen_fd)), spare_(open("/dev/null", O_RDONLY | O_CLOEXEC)) {
  listen_token_ = loop_.add(listen_.get(), EPOLLIN, [this](std::uint32_t) { accept_ready(); });
  timer_.reset(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
  if (!timer_) throw_errno("ttrpc: timerfd_create");
  timer_token_ = loop_.add(timer_.get(), EPOLLIN, [this](std::uint32_t) {
    std::uint64_t ticks;
    while (read(timer_.get(), &ticks, sizeof ticks) > 0) {
    }
    expire();
  });
}

Server::~Server() {
  loop_.remove(listen_token_);
  loop_.remove(timer_token_);
  for (const auto& c : conns_) {
    loop_.remove(c->token);
    c->closed = true;
  }
}

void Server::add(const std::string& service, const std::string& method, Method m) {
  methods_[service + "/" + method] = std::move(m);
}

void Server::accept_ready() {
  for (;;) {
    UniqueFd fd(accept4(listen_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
    if (!fd) {
      if ((errno == EMFILE || errno == ENFILE) && spare_) {
        // Out of fds: the pending connection would keep the socket readable and the loop
        // spinning. Take it with the spare fd and close it.
        spare_.reset();
        UniqueFd(accept4(listen_.get(), nullptr, nullptr, SOCK_CLOEXEC));
        spare_.reset(open("/dev/null", O_RDONLY | O_CLOEXEC));
        log::warn("ttrpc: out of file descriptors: a connection was refused");
        continue;
      }
      if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
        log::warn(std::string("ttrpc: accept: ") + strerror(errno));
      return;
    }
    if (conns_.size() >= kMaxConnections) {
      log::warn("ttrpc: " + std::to_string(conns_.size()) + " connections open: a new one was refused");
      continue;  // closes it
    }
    ucred cred{};
    socklen_t len = sizeof cred;
    if (getsockopt(fd.get(), SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || cred.uid != geteuid()) {
      log::warn("ttrpc: refused a connection from uid " + std::to_string(cred.uid) + " (shim runs as uid " +
                std::to_string(geteuid()) + ")");
      continue;  // closes it
    }
    auto c = std::make_shared<Conn>();
    c->fd = std::move(fd);
    std::weak_ptr<Conn> weak = c;
    c->token = loop_.add(c->fd.get(), EPOLLIN | EPOLLRDHUP, [this, weak](std::uint32_t ev) {
      if (auto sc = weak.lock()) conn_ready(sc, ev);
    });
    conns_.insert(c);
  }
}

void Server::conn_ready(const std::shared_ptr<Conn>& c, std::uint32_t events) {
  if (events & EPOLLOUT) flush(c);
  if (c->closed) return;
  if (events & (EPOLLIN | EPOLLHUP | EPOLLERR | EPOLLRDHUP)) {
    char buf[16384];
    for (;;) {
      ssize_t n = read(c->fd.get(), buf, sizeof buf);
      if (n > 0) {
        c->reader.feed(buf, static_cast<std::size_t>(n));
        Header h;
        std::string payload;
        for (;;) {
          auto r = c->reader.next(h, payload);
          if (r == FrameReader::Result::NeedMore) break;
          if (r == FrameReader::Result::Oversized) {
            // The rest of the stream cannot be framed: answer, then hang up.
            queue(c, frame(h.stream_id, MsgType::Response,
                           encode_response(Code::ResourceExhausted,
                                           "message length " + std::to_string(h.length) +
                                               " exceeds maximum message size of " + std::to_string(kMaxMessage),
                                           {})));
            flush(c);
            close(c);
            return;
          }
          handle_frame(c, h, payload);
          if (c->closed) return;
        }
        if (static_cast<std::size_t>(n) < sizeof buf) return;
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
      close(c);  // EOF or error: in-flight replies are abandoned
      return;
    }
  }
}

void Server::handle_frame(const std::shared_ptr<Conn>& c, const Header& h, std::string& payload) {
  if (h.type != static_cast<std::uint8_t>(MsgType::Request)) {
    log::warn("ttrpc: closing a connection that sent a frame of type " + std::to_string(h.type));
    close(c);
    return;
  }
  auto refuse = [&](const std::string& why) {
    queue(c, frame(h.stream_id, MsgType::Response, encode_response(Code::InvalidArgument, why, {})));
  };
  if (h.stream_id % 2 != 1) return refuse("StreamID must be odd for client initiated streams");
  std::uint64_t serial = next_serial_++;
  if (!c->active.emplace(h.stream_id, serial).second)
    return refuse("StreamID " + std::to_string(h.stream_id) + " is already in use");
  Reply reply(this, c, h.stream_id, serial);
  Request req;
  try {
    req = decode_request(payload, h.stream_id);
  } catch (const RpcError& e) {
    reply.error(e.code(), e.what());
    return;
  }
  auto it = methods_.find(req.service + "/" + req.method);
  if (it == methods_.end()) {
    bool known_service = false;
    for (const auto& [k, v] : methods_)
      if (k.compare(0, req.service.size() + 1, req.service + "/") == 0) known_service = true;
    reply.error(Code::Unimplemented, known_service ? "method " + req.method + " not implemented"
                                                   : "service " + req.service + " not implemented");
    return;
  }
  std::optional<Clock::time_point> deadline;
  // A timeout beyond a year (or an overflowing one) is taken as none.
  constexpr std::int64_t kYear = 365LL * 24 * 3600 * 1000000000LL;
  if (req.timeout_nano > 0 && req.timeout_nano < kYear)
    deadline = Clock::now() + std::chrono::nanoseconds(req.timeout_nano);
  try {
    RequestDeadline scope(deadline);
    it->second(req, reply);
  } catch (const RpcError& e) {
    reply.error(e.code(), e.what());  // no-op when the method had already answered
  } catch (const std::exception& e) {
    reply.error(Code::Unknown, e.what());
  }
  // The method keeps the answer for later (Wait): it gets DeadlineExceeded if still pending then.
  if (deadline && !c->closed) {
    auto a = c->active.find(h.stream_id);
    if (a != c->active.end() && a->second == serial) {
      bool earliest = deadlines_.empty() || *deadline < deadlines_.begin()->first;
      deadlines_.emplace(*deadline, Pending{c, h.stream_id, serial});
      if (earliest) arm_timer();
    }
  }
}

void Server::expire() {
  auto now = Clock::now();
  while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
    Pending p = deadlines_.begin()->second;
    deadlines_.erase(deadlines_.begin());
    auto c = p.conn.lock();
    if (!c || c->closed) continue;
    auto a = c->active.find(p.stream);
    if (a == c->active.end() || a->second != p.serial) continue;  // answered in time
    c->active.erase(a);
    queue(c, frame(p.stream, MsgType::Response, encode_response(Code::DeadlineExceeded, "context deadline exceeded", {})));
  }
  arm_timer();
}

void Server::arm_timer() {
  itimerspec its{};  // all zero: disarmed
  if (!deadlines_.empty()) {
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(deadlines_.begin()->first.time_since_epoch()).count();
    if (ns <= 0) ns = 1;
    its.it_value.tv_sec = static_cast<time_t>(ns / 1000000000);
    its.it_value.tv_nsec = static_cast<long>(ns % 1000000000);
  }
  timerfd_settime(timer_.get(), TFD_TIMER_ABSTIME, &its, nullptr);
}

void Server::queue(const std::shared_ptr<Conn>& c, std::string bytes) {
  if (c->closed) return;
  if (c->out.size() - c->out_pos + bytes.size() > kMaxQueued) {
    log::warn("ttrpc: closing a connection that does not read its answers");
    close(c);
    return;
  }
  c->out.append(bytes);
  flush(c);
}

void Server::flush(const std::shared_ptr<Conn>& c) {
  while (!c->closed && c->out_pos < c->out.size()) {
    ssize_t n = ::send(c->fd.get(), c->out.data() + c->out_pos, c->out.size() - c->out_pos, MSG_NOSIGNAL);
    if (n > 0) {
      c->out_pos += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      loop_.modify(c->token, EPOLLIN | EPOLLRDHUP | EPOLLOUT);
      return;
    }
    close(c);
    return;
  }
  if (c->closed) return;
  c->out.clear();
  c->out_pos = 0;
  loop_.modify(c->token, EPOLLIN | EPOLLRDHUP);
}

void Server::close(const std::shared_ptr<Conn>& c) {
  if (c->closed) return;
  c->closed = true;
  loop_.remove(c->token);
  c->fd.reset();
  conns_.erase(c);
}

}  // namespace berth::shim::ttrpc
