// cgroup2's cgroup.events as an event source (cgroups/fs.hpp wait_cgroup_events):
// freeze and populated waits wake on the kernel's notification, not a poll
// loop; a bound still ends the wait. Needs root and a cgroup2 mount (a hybrid
// host's /sys/fs/cgroup/unified will do); skipped otherwise.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>

#include "berth/cgroups/fs.hpp"
#include "berth/linux/process_attrs.hpp"
#include "berth/util/error.hpp"

using namespace berth;
using Clock = std::chrono::steady_clock;

namespace {

std::string cgroup2_mount() {
  for (const auto& h : cgroups::host_hierarchies())
    if (h.unified) return h.mountpoint;
  return "";
}

long ms_since(Clock::time_point t0) {
  return static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count());
}

// A child cgroup of the cgroup2 root with one sleeping process in it.
struct Scratch {
  std::string dir;
  pid_t pid = -1;
  explicit Scratch(const std::string& mnt) {
    dir = mnt + "/berth-unit-events-" + std::to_string(::getpid());
    REQUIRE(::mkdir(dir.c_str(), 0755) == 0);
    pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      ::pause();
      ::_exit(0);
    }
    linux_::write_file(dir + "/cgroup.procs", std::to_string(pid));
  }
  ~Scratch() {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
    try {
      cgroups::write_cgroup_file(dir, "cgroup.freeze", "0");
    } catch (...) {
    }
    try {
      cgroups::remove_tree(dir);
    } catch (...) {
    }
  }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
};

}  // namespace

TEST_CASE("cgroup.events: frozen and populated are waited for by event, bounded") {
  const std::string mnt = cgroup2_mount();
  if (::geteuid() != 0 || mnt.empty()) {
    MESSAGE("skipped: needs root and a cgroup2 mount");
    return;
  }
  Scratch s(mnt);
  if (!cgroups::cgroup_file_exists(s.dir, "cgroup.freeze")) {
    MESSAGE("skipped: no cgroup.freeze (Linux < 5.2)");
    return;
  }
  CHECK(cgroups::wait_cgroup_events(s.dir, "populated 1", 1000));

  // Nothing happens: false once the bound has passed, not before, not much after.
  auto t0 = Clock::now();
  CHECK_FALSE(cgroups::wait_cgroup_events(s.dir, "frozen 1", 300));
  CHECK(ms_since(t0) >= 300);
  CHECK(ms_since(t0) < 1500);

  // The freeze is seen when the kernel reports it (well before the bound).
  cgroups::write_cgroup_file(s.dir, "cgroup.freeze", "1");
  t0 = Clock::now();
  CHECK(cgroups::wait_cgroup_events(s.dir, "frozen 1", 5000));
  CHECK(ms_since(t0) < 2000);
  cgroups::write_cgroup_file(s.dir, "cgroup.freeze", "0");
  CHECK(cgroups::wait_cgroup_events(s.dir, "frozen 0", 5000));

  // The last process gone: "populated 0" wakes the waiter, and remove_tree succeeds.
  t0 = Clock::now();
  ::kill(s.pid, SIGKILL);
  CHECK(cgroups::wait_cgroup_events(s.dir, "populated 0", 5000));
  CHECK(ms_since(t0) < 2000);
  ::waitpid(s.pid, nullptr, 0);
  s.pid = -1;
  cgroups::remove_tree(s.dir);
  struct stat st {};
  CHECK(::stat(s.dir.c_str(), &st) < 0);
}

TEST_CASE("cgroup.events: a missing cgroup is an error naming the file") {
  CHECK_THROWS_WITH(cgroups::wait_cgroup_events("/nonexistent-cgroup", "frozen 1", 10),
                    doctest::Contains("open /nonexistent-cgroup/cgroup.events"));
}
