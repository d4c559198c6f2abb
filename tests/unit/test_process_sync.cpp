// The parent <-> init sync protocol (process/sync.hpp) on a real SOCK_SEQPACKET
// socketpair: messages larger than a packet and than a socket buffer arrive
// whole, fds travel with them, a peer that dies with our messages unread still
// has its last words read, and cut or oversized packets are errors.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <thread>

#include "berth/process/init.hpp"
#include "berth/process/sync.hpp"
#include "berth/util/error.hpp"

using namespace berth;
using process::SyncMsg;
using process::SyncType;

namespace {

std::string pattern(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (i * 7 + i / 4096) % 26);
  return s;
}

}  // namespace

TEST_CASE("sync: a message larger than a packet and than the socket buffer arrives whole") {
  for (size_t size : {size_t{0}, size_t{1}, process::kSyncPacket - 16, process::kSyncPacket - 15,
                      process::kSyncPacket, size_t{64 * 1024 + 1}, size_t{1024 * 1024}, size_t{5 * 1024 * 1024}}) {
    CAPTURE(size);
    process::SyncPair sp = process::make_sync_pair();
    const std::string payload = pattern(size);
    // The sender blocks once the socket buffer is full: the reader runs meanwhile.
    std::thread sender([&] { process::send_msg(sp.child.get(), {SyncType::HooksDone, 3, 4, payload}); });
    SyncMsg m = process::recv_msg(sp.parent.get());
    sender.join();
    CHECK(m.type == SyncType::HooksDone);
    CHECK(m.code == 3);
    CHECK(m.status == 4);
    CHECK(m.payload.size() == size);
    CHECK(m.payload == payload);
  }
}

TEST_CASE("sync: messages keep their boundaries and fds go with the first packet") {
  process::SyncPair sp = process::make_sync_pair();
  UniqueFd devnull(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  REQUIRE(devnull);
  const std::string big = pattern(100 * 1024);
  std::thread sender([&] {
    process::send_msg_fd(sp.child.get(), {SyncType::SeccompFd, 0, 0, big}, devnull.get());
    process::send_msg(sp.child.get(), {SyncType::Ready, 0, 0, {}});
  });
  UniqueFd got;
  SyncMsg a = process::recv_msg(sp.parent.get(), &got);
  SyncMsg b = process::recv_msg(sp.parent.get());
  sender.join();
  CHECK(a.type == SyncType::SeccompFd);
  CHECK(a.payload == big);
  CHECK(got);
  CHECK(b.type == SyncType::Ready);
  CHECK(b.payload.empty());
}

TEST_CASE("sync: a peer that exits with our message unread: its error is still read (no ECONNRESET)") {
  process::SyncPair sp = process::make_sync_pair();
  const std::string err = pattern(300 * 1024);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    sp.parent.reset();
    try {
      process::send_msg(sp.child.get(), process::error_msg(22, 1, err));
    } catch (...) {
      ::_exit(2);
    }
    ::_exit(0);  // with the parent's Go unread in its queue
  }
  sp.child.reset();
  process::send_msg(sp.parent.get(), {SyncType::Go, 0, 0, {}});
  SyncMsg m = process::recv_msg(sp.parent.get());
  int st = 0;
  ::waitpid(pid, &st, 0);
  CHECK(WIFEXITED(st));
  CHECK(WEXITSTATUS(st) == 0);
  CHECK(m.type == SyncType::Error);
  CHECK(m.code == 22);
  // Cut to kSyncMaxError, saying so; its head and its end (the reason) kept.
  CHECK(m.payload.rfind(err.substr(0, process::kSyncMaxError - 1024), 0) == 0);
  CHECK(m.payload.find(" ... [error message cut to 64 KiB: 241664 of its 307200 bytes left out] ... ") !=
        std::string::npos);
  CHECK(m.payload.size() < process::kSyncMaxError + 200);
  CHECK(m.payload.substr(m.payload.size() - 1024) == err.substr(err.size() - 1024));
  // Then EOF, named.
  CHECK_THROWS_WITH(process::recv_msg(sp.parent.get()), doctest::Contains("exited unexpectedly"));
}

TEST_CASE("sync: error_msg keeps short messages as they are") {
  SyncMsg m = process::error_msg(5, 127, "exec: \"x\": executable file not found in $PATH");
  CHECK(m.type == SyncType::Error);
  CHECK(m.code == 5);
  CHECK(m.status == 127);
  CHECK(m.payload == "exec: \"x\": executable file not found in $PATH");
  CHECK(process::error_msg(0, 1, pattern(process::kSyncMaxError)).payload == pattern(process::kSyncMaxError));
}

TEST_CASE("sync: a message whose announced length is beyond the limit, or whose packets disagree with it") {
  struct Header {
    uint32_t type;
    int32_t code;
    int32_t status;
    uint32_t length;
  };
  SUBCASE("too long") {
    process::SyncPair sp = process::make_sync_pair();
    Header h{static_cast<uint32_t>(SyncType::HooksDone), 0, 0, 0xffffffffu};
    REQUIRE(::write(sp.child.get(), &h, sizeof h) == sizeof h);
    CHECK_THROWS_WITH(process::recv_msg(sp.parent.get()), doctest::Contains("more than the limit of 64 MiB"));
  }
  SUBCASE("the peer exits mid-message") {
    process::SyncPair sp = process::make_sync_pair();
    Header h{static_cast<uint32_t>(SyncType::HooksDone), 0, 0, 100};
    REQUIRE(::write(sp.child.get(), &h, sizeof h) == sizeof h);
    sp.child.reset();
    CHECK_THROWS_WITH(process::recv_msg(sp.parent.get()), doctest::Contains("after 0 of 100 bytes"));
  }
  SUBCASE("more bytes than announced") {
    process::SyncPair sp = process::make_sync_pair();
    Header h{static_cast<uint32_t>(SyncType::HooksDone), 0, 0, 2};
    REQUIRE(::write(sp.child.get(), &h, sizeof h) == sizeof h);
    REQUIRE(::write(sp.child.get(), "xyz", 3) == 3);
    CHECK_THROWS_WITH(process::recv_msg(sp.parent.get()), doctest::Contains("3 bytes received, 2 announced"));
  }
  SUBCASE("a short packet") {
    process::SyncPair sp = process::make_sync_pair();
    REQUIRE(::write(sp.child.get(), "xy", 2) == 2);
    CHECK_THROWS_WITH(process::recv_msg(sp.parent.get()), doctest::Contains("short sync message (2 bytes)"));
  }
}

TEST_CASE("sync: a payload beyond the limit is refused by the sender, naming the message") {
  process::SyncPair sp = process::make_sync_pair();
  std::string huge(process::kSyncMaxPayload + 1, 'x');
  CHECK_THROWS_WITH(process::send_msg(sp.child.get(), {SyncType::HooksDone, 0, 0, huge}),
                    doctest::Contains("send sync message HooksDone: 67108865 bytes, more than the limit of 64 MiB"));
}

TEST_CASE("the init is cloned only from a single-threaded berth") {
  process::require_single_threaded("clone3 container init");  // doctest runs tests on the main thread only
  int p[2];
  REQUIRE(::pipe(p) == 0);
  std::thread t([&] {
    char c;
    (void)!::read(p[0], &c, 1);
  });
  CHECK_THROWS_WITH(process::require_single_threaded("clone3 container init"),
                    doctest::Contains("clone3 container init: berth has 2 threads"));
  (void)!::write(p[1], "x", 1);
  t.join();
  ::close(p[0]);
  ::close(p[1]);
  process::require_single_threaded("clone3 container init");
}
