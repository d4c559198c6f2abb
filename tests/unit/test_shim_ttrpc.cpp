// The shim's ttrpc codec and server, including hostile input: truncated, oversized and
// malformed frames, wrong types, reused and even stream ids, unknown services and methods.
#include <doctest/doctest.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <set>
#include <thread>

#include "berth/ttrpc.pb.h"
#include "deadline.hpp"
#include "event_loop.hpp"
#include "runtime.hpp"
#include "ttrpc_client.hpp"
#include "ttrpc_server.hpp"

using namespace berth::shim;
using namespace berth::shim::ttrpc;

TEST_CASE("ttrpc header: 10 bytes, big endian, round trip") {
  unsigned char b[kHeaderSize];
  encode_header({0x01020304, 0x0a0b0c0d, 2, 0x80}, b);
  const unsigned char want[] = {1, 2, 3, 4, 0x0a, 0x0b, 0x0c, 0x0d, 2, 0x80};
  CHECK(std::memcmp(b, want, kHeaderSize) == 0);
  Header h = decode_header(b);
  CHECK(h.length == 0x01020304);
  CHECK(h.stream_id == 0x0a0b0c0d);
  CHECK(h.type == 2);
  CHECK(h.flags == 0x80);
}

TEST_CASE("ttrpc frames: split anywhere, several in one read, oversized refused") {
  std::string a = frame(1, MsgType::Request, "hello");
  std::string b = frame(3, MsgType::Request, std::string(70000, 'x'));
  std::string all = a + b + frame(5, MsgType::Request, "");
  FrameReader r;
  Header h;
  std::string p;
  std::vector<std::string> got;
  for (char ch : all) {  // one byte at a time: every truncation point
    r.feed(&ch, 1);
    while (r.next(h, p) == FrameReader::Result::Frame) got.push_back(std::to_string(h.stream_id) + ":" + p);
  }
  REQUIRE(got.size() == 3);
  CHECK(got[0] == "1:hello");
  CHECK(got[1].size() == 2 + 70000);
  CHECK(got[2] == "5:");
  CHECK(r.buffered() == 0);

  FrameReader big;
  unsigned char hdr[kHeaderSize];
  encode_header({kMaxMessage + 1, 7, 1, 0}, hdr);
  big.feed(reinterpret_cast<char*>(hdr), kHeaderSize);
  CHECK(big.next(h, p) == FrameReader::Result::Oversized);
  CHECK(h.stream_id == 7);
  encode_header({0xffffffff, 9, 1, 0}, hdr);
  FrameReader huge;
  huge.feed(reinterpret_cast<char*>(hdr), kHeaderSize);
  CHECK(huge.next(h, p) == FrameReader::Result::Oversized);
  CHECK_THROWS_AS(frame(1, MsgType::Response, std::string(kMaxMessage + 1, 'y')), RpcError);
}

TEST_CASE("ttrpc request and response messages round trip; garbage is InvalidArgument") {
  Request r;
  r.service = "containerd.task.v2.Task";
  r.method = "State";
  r.payload = std::string("\0\1\2", 3);
  r.timeout_nano = 5;
  r.metadata = {{"containerd-namespace-ttrpc", "default"}};
  Request d = decode_request(encode_request(r), 11);
  CHECK(d.stream_id == 11);
  CHECK(d.service == r.service);
  CHECK(d.method == "State");
  CHECK(d.payload == r.payload);
  CHECK(d.timeout_nano == 5);
  CHECK(d.meta("containerd-namespace-ttrpc") == "default");
  CHECK(d.meta("absent").empty());
  CHECK(decode_response(encode_response(Code::OK, "", "pay")) == "pay");
  try {
    decode_response(encode_response(Code::NotFound, "no such task", ""));
    FAIL("no throw");
  } catch (const RpcError& e) {
    CHECK(e.code() == Code::NotFound);
    CHECK(std::string(e.what()) == "no such task");
  }
  CHECK_THROWS_AS(decode_request(std::string("\xff\xff\xff\xff\xff", 5), 1), RpcError);
  // Truncated length-delimited field.
  CHECK_THROWS_AS(decode_request(std::string("\x0a\x10" "abc", 5), 1), RpcError);
}

namespace {

// A server on a socket in a temp dir with an echo method, a method that answers later and
// a method that throws; runs in its own thread until destroyed.
struct TestServer {
  std::string dir;
  std::string path;
  std::thread thread;
  int stop_fd = eventfd(0, EFD_CLOEXEC);
  std::vector<Reply> held;

  static sockaddr_un addr(const std::string& path) {
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::memcpy(sa.sun_path, path.data(), path.size());
    return sa;
  }

  TestServer() {
    char tmpl[] = "/tmp/berth-test-ttrpc-XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    dir = tmpl;
    path = dir + "/s";
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    auto sa = addr(path);
    REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0);
    REQUIRE(listen(fd, 16) == 0);
    thread = std::thread([this, fd] {
      Loop loop;
      Server srv(loop, berth::UniqueFd(fd));
      srv.add("t.S", "Echo", [](const Request& r, Reply& rep) { rep.ok(r.payload + r.meta("k")); });
      srv.add("t.S", "Hold", [this](const Request&, Reply& rep) { held.push_back(std::move(rep)); });
      srv.add("t.S", "Release", [this](const Request&, Reply& rep) {
        for (auto& h : held) h.ok("released");
        held.clear();
        rep.ok("");
      });
      srv.add("t.S", "Throw", [](const Request&, Reply&) { throw RpcError(Code::NotFound, "gone"); });
      loop.add(stop_fd, 1 /*EPOLLIN*/, [&loop](std::uint32_t) { loop.stop(); });
      loop.run();
      held.clear();
    });
  }
  ~TestServer() {
    std::uint64_t one = 1;
    CHECK(write(stop_fd, &one, sizeof one) == 8);
    thread.join();
    close(stop_fd);
    unlink(path.c_str());
    rmdir(dir.c_str());
  }
  int connect_raw() const {
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    auto sa = addr(path);
    REQUIRE(connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0);
    return fd;
  }
};

void send_all(int fd, const std::string& bytes) {
  REQUIRE(write(fd, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size()));
}

std::string request_frame(std::uint32_t stream, const std::string& method, const std::string& payload,
                          const std::string& service = "t.S", std::int64_t timeout_nano = 0) {
  Request r;
  r.service = service;
  r.method = method;
  r.payload = payload;
  r.timeout_nano = timeout_nano;
  return frame(stream, MsgType::Request, encode_request(r));
}

// Reads one frame within 2 s; false on EOF (the server closed the connection).
bool read_frame(int fd, FrameReader& r, Header& h, std::string& body) {
  for (;;) {
    if (r.next(h, body) == FrameReader::Result::Frame) return true;
    pollfd p{fd, POLLIN, 0};
    REQUIRE(poll(&p, 1, 2000) == 1);
    char buf[4096];
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) return false;
    r.feed(buf, static_cast<std::size_t>(n));
  }
}

Code status_of(const std::string& body) {
  try {
    decode_response(body);
    return Code::OK;
  } catch (const RpcError& e) {
    return e.code();
  }
}

// The answer to one request on a fresh connection.
Code one_call(const TestServer& s, const std::string& bytes) {
  int fd = s.connect_raw();
  send_all(fd, bytes);
  FrameReader r;
  Header h;
  std::string body;
  bool got = read_frame(fd, r, h, body);
  close(fd);
  return got ? status_of(body) : Code::Aborted;  // Aborted here: connection closed
}

}  // namespace

TEST_CASE("ttrpc server: calls with metadata, status codes, many requests in flight") {
  TestServer s;
  Client c(s.path);
  CHECK(c.call("t.S", "Echo", "ab", {{"k", "c"}}, std::chrono::seconds(2)) == "abc");
  try {
    c.call("t.S", "Throw", "", {}, std::chrono::seconds(2));
    FAIL("no throw");
  } catch (const RpcError& e) {
    CHECK(e.code() == Code::NotFound);
  }
  try {
    c.call("t.S", "Nope", "", {}, std::chrono::seconds(2));
    FAIL("no throw");
  } catch (const RpcError& e) {
    CHECK(e.code() == Code::Unimplemented);
    CHECK(std::string(e.what()) == "method Nope not implemented");
  }
  try {
    c.call("x.Y", "Echo", "", {}, std::chrono::seconds(2));
    FAIL("no throw");
  } catch (const RpcError& e) {
    CHECK(e.code() == Code::Unimplemented);
  }

  // Two held requests on one connection; an echo behind them is answered first.
  int fd = s.connect_raw();
  send_all(fd, request_frame(1, "Hold", "") + request_frame(3, "Hold", "") + request_frame(5, "Echo", "e"));
  FrameReader r;
  Header h;
  std::string body;
  REQUIRE(read_frame(fd, r, h, body));
  CHECK(h.stream_id == 5);
  CHECK(h.type == 2);
  CHECK(decode_response(body) == "e");
  // Reusing a stream that is still in flight is refused, the original stays held.
  send_all(fd, request_frame(3, "Echo", ""));
  REQUIRE(read_frame(fd, r, h, body));
  CHECK(h.stream_id == 3);
  CHECK(status_of(body) == Code::InvalidArgument);
  Client c2(s.path);
  c2.call("t.S", "Release", "", {}, std::chrono::seconds(2));
  std::set<std::uint32_t> released;
  for (int i = 0; i < 2; ++i) {
    REQUIRE(read_frame(fd, r, h, body));
    CHECK(decode_response(body) == "released");
    released.insert(h.stream_id);
  }
  CHECK(released == std::set<std::uint32_t>{1, 3});
  close(fd);
}

TEST_CASE("ttrpc server: hostile frames get an error or a closed connection, the server lives on") {
  TestServer s;
  // Even stream id.
  CHECK(one_call(s, request_frame(2, "Echo", "")) == Code::InvalidArgument);
  // Payload that is not a Request.
  CHECK(one_call(s, frame(1, MsgType::Request, std::string("\x0a\x7f" "abc", 5))) == Code::InvalidArgument);
  // Oversized header: answered ResourceExhausted, then closed.
  {
    unsigned char hdr[kHeaderSize];
    encode_header({0xfffffff0, 1, 1, 0}, hdr);
    CHECK(one_call(s, std::string(reinterpret_cast<char*>(hdr), kHeaderSize)) == Code::ResourceExhausted);
  }
  // A Response sent to the server: closed.
  CHECK(one_call(s, frame(1, MsgType::Response, "")) == Code::Aborted);
  // Unknown type byte: closed.
  CHECK(one_call(s, frame(1, static_cast<MsgType>(9), "")) == Code::Aborted);
  // A truncated frame, then hang-up: nothing to answer, the server must not hang.
  {
    int fd = s.connect_raw();
    std::string f = request_frame(1, "Echo", "x");
    send_all(fd, f.substr(0, f.size() - 2));
    close(fd);
    fd = s.connect_raw();
    send_all(fd, f.substr(0, 4));
    close(fd);
  }
  // A held request whose client went away is dropped quietly.
  {
    int fd = s.connect_raw();
    send_all(fd, request_frame(1, "Hold", ""));
    usleep(20000);
    close(fd);
  }
  Client c(s.path);
  c.call("t.S", "Release", "", {}, std::chrono::seconds(2));
  // Still serving.
  CHECK(c.call("t.S", "Echo", "alive", {}, std::chrono::seconds(2)) == "alive");
}

TEST_CASE("ttrpc server: a flood of connections is capped, the server keeps serving") {
  TestServer s;
  std::vector<int> fds;
  for (std::size_t i = 0; i < Server::kMaxConnections + 20; ++i) fds.push_back(s.connect_raw());
  // The ones over the cap are closed by the server: reading gives EOF.
  pollfd p{fds.back(), POLLIN, 0};
  REQUIRE(poll(&p, 1, 2000) == 1);
  char b;
  CHECK(read(fds.back(), &b, 1) == 0);
  for (int fd : fds) close(fd);
  usleep(50000);
  Client c(s.path);
  CHECK(c.call("t.S", "Echo", "ok", {}, std::chrono::seconds(2)) == "ok");
}

TEST_CASE("ttrpc server: a request still pending at its timeout_nano gets DeadlineExceeded, the late answer is dropped") {
  TestServer s;
  int fd = s.connect_raw();
  auto t0 = std::chrono::steady_clock::now();
  // Held with a 150 ms timeout; held without one; an echo with a timeout answered in time.
  send_all(fd, request_frame(1, "Hold", "", "t.S", 150'000'000) + request_frame(3, "Hold", "") +
                   request_frame(5, "Echo", "e", "t.S", 150'000'000));
  FrameReader r;
  Header h;
  std::string body;
  REQUIRE(read_frame(fd, r, h, body));
  CHECK(h.stream_id == 5);
  CHECK(decode_response(body) == "e");
  REQUIRE(read_frame(fd, r, h, body));
  auto waited = std::chrono::steady_clock::now() - t0;
  CHECK(h.stream_id == 1);
  CHECK(status_of(body) == Code::DeadlineExceeded);
  CHECK(waited >= std::chrono::milliseconds(140));
  CHECK(waited < std::chrono::milliseconds(1500));
  // Stream 1 may be used again; releasing answers stream 3 (and the new 1) once each.
  send_all(fd, request_frame(1, "Hold", ""));
  Client c2(s.path);
  c2.call("t.S", "Release", "", {}, std::chrono::seconds(2));
  std::multiset<std::uint32_t> released;
  for (int i = 0; i < 2; ++i) {
    REQUIRE(read_frame(fd, r, h, body));
    CHECK(decode_response(body) == "released");
    released.insert(h.stream_id);
  }
  CHECK(released == std::multiset<std::uint32_t>{1, 3});
  pollfd p{fd, POLLIN, 0};
  CHECK(poll(&p, 1, 200) == 0);  // nothing more: the timed-out Hold's own answer was dropped
  close(fd);
}

TEST_CASE("shim runtime: a berth command past the request's deadline is killed and reaped: DeadlineExceeded") {
  char tmpl[] = "/tmp/berth-test-runtime-XXXXXX";
  REQUIRE(mkdtemp(tmpl) != nullptr);
  std::string dir = tmpl, bin = dir + "/slow-berth";
  {
    FILE* f = fopen(bin.c_str(), "w");
    REQUIRE(f != nullptr);
    fputs("#!/bin/sh\nexec sleep 30\n", f);
    fclose(f);
    chmod(bin.c_str(), 0755);
  }
  Runtime rt(bin, dir);
  auto t0 = std::chrono::steady_clock::now();
  {
    RequestDeadline scope(Clock::now() + std::chrono::milliseconds(200));
    try {
      std::string out;
      rt.run({"ps", "x"}, "", {}, &out);
      FAIL("no throw");
    } catch (const RpcError& e) {
      CHECK(e.code() == Code::DeadlineExceeded);
    }
  }
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5));
  CHECK(waitpid(-1, nullptr, WNOHANG) <= 0);  // the killed berth was reaped: no zombie left
  // Without a deadline the same binary would be waited for: a quick one succeeds.
  {
    FILE* f = fopen(bin.c_str(), "w");
    REQUIRE(f != nullptr);
    fputs("#!/bin/sh\necho ok\n", f);
    fclose(f);
  }
  std::string out;
  rt.run({"ps"}, "", {}, &out);
  CHECK(out == "ok\n");
  unlink(bin.c_str());
  rmdir(dir.c_str());
}
