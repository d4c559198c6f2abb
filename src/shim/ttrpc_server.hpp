// ttrpc server on the shim's event loop. Many requests may be in flight on one connection:
// a method gets a Reply it may complete later (Wait completes when the process exits).
// Peers of another uid are refused (SO_PEERCRED), as ttrpc's UnixSocketRequireSameUser does.
// A request's timeout_nano is its deadline: an answer still pending then is DeadlineExceeded
// (a timer on the loop; the late answer is dropped), and the berth commands a method runs
// before answering stop at it (RequestDeadline).
#pragma once
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "berth/util/fd.hpp"
#include "event_loop.hpp"
#include "ttrpc_codec.hpp"

namespace berth::shim::ttrpc {

class Server;
struct Conn;

// The answer to one request; sends an Internal error if dropped unanswered.
class Reply {
 public:
  Reply(Server* server, std::weak_ptr<Conn> conn, std::uint32_t stream, std::uint64_t serial)
      : server_(server), conn_(std::move(conn)), stream_(stream), serial_(serial) {}
  Reply(Reply&& o) noexcept;
  Reply& operator=(Reply&&) = delete;
  Reply(const Reply&) = delete;
  ~Reply();
  void ok(const std::string& payload);
  void error(Code code, const std::string& message);
  // The connection the request came on is gone: nobody waits for the answer.
  bool abandoned() const { return conn_.expired(); }

 private:
  void send(Code code, const std::string& message, const std::string& payload);
  Server* server_;
  std::weak_ptr<Conn> conn_;
  std::uint32_t stream_;
  std::uint64_t serial_;  // which request on stream_ this answers (the stream may be reused after a timeout)
  bool done_ = false;
};

class Server {
 public:
  using Method = std::function<void(const Request&, Reply&)>;  // move the Reply out to answer later
  // listen_fd: a bound, listening unix socket.
  Server(Loop& loop, UniqueFd listen_fd);
  ~Server();
  void add(const std::string& service, const std::string& method, Method m);
  std::size_t connections() const { return conns_.size(); }
  // Bound on the bytes queued to one connection that does not read its answers.
  static constexpr std::size_t kMaxQueued = 16u << 20;
  // Connections served at once; more are accepted and closed at once.
  static constexpr std::size_t kMaxConnections = 512;

 private:
  friend class Reply;
  void accept_ready();
  void conn_ready(const std::shared_ptr<Conn>& c, std::uint32_t events);
  void handle_frame(const std::shared_ptr<Conn>& c, const Header& h, std::string& payload);
  void queue(const std::shared_ptr<Conn>& c, std::string bytes);
  void flush(const std::shared_ptr<Conn>& c);
  void close(const std::shared_ptr<Conn>& c);
  // Pending answers whose deadline has passed get DeadlineExceeded.
  void expire();
  void arm_timer();
  struct Pending {
    std::weak_ptr<Conn> conn;
    std::uint32_t stream;
    std::uint64_t serial;
  };
  Loop& loop_;
  UniqueFd listen_;
  UniqueFd spare_;  // given up to accept (and close) a connection when out of fds
  std::uint64_t listen_token_ = 0;
  std::map<std::string, Method> methods_;
  std::set<std::shared_ptr<Conn>> conns_;
  std::uint64_t next_serial_ = 1;
  UniqueFd timer_;  // timerfd, armed for the earliest deadline
  std::uint64_t timer_token_ = 0;
  std::multimap<std::chrono::steady_clock::time_point, Pending> deadlines_;
};

}  // namespace berth::shim::ttrpc
