// Rootless mode: the pure decisions (who writes the id maps, the helper's argv,
// --rootless, the default state root, cgroup limits) and the process tree used
// without a cgroup.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <map>

#include "berth/cgroups/rootless.hpp"
#include "berth/container/rootless.hpp"
#include "berth/linux/namespaces.hpp"
#include "berth/linux/proc_tree.hpp"
#include "berth/linux/userns_maps.hpp"
#include "berth/util/error.hpp"

using namespace berth;
using linux_::MapWriter;

namespace {
oci::IdMapping map(uint32_t c, uint32_t h, uint32_t n) {
  oci::IdMapping m;
  m.containerID = c;
  m.hostID = h;
  m.size = n;
  return m;
}
}  // namespace

TEST_CASE("an unprivileged parent writes only its own id, mapped once, itself") {
  CHECK(linux_::choose_map_writer({map(0, 1000, 1)}, 1000, false) == MapWriter::Direct);
  // Another host id, a range, or several lines: only newuidmap/newgidmap may.
  CHECK(linux_::choose_map_writer({map(0, 1001, 1)}, 1000, false) == MapWriter::Helper);
  CHECK(linux_::choose_map_writer({map(0, 1000, 2)}, 1000, false) == MapWriter::Helper);
  CHECK(linux_::choose_map_writer({map(0, 1000, 1), map(1, 100000, 65536)}, 1000, false) == MapWriter::Helper);
  // The container id does not matter to the kernel's rule.
  CHECK(linux_::choose_map_writer({map(1000, 1000, 1)}, 1000, false) == MapWriter::Direct);
  // root writes anything.
  CHECK(linux_::choose_map_writer({map(0, 1000, 1), map(1, 100000, 65536)}, 0, true) == MapWriter::Direct);
}

TEST_CASE("newuidmap argv: pid, then containerID hostID size per line") {
  auto argv = linux_::map_helper_argv("newuidmap", 4321, {map(0, 1000, 1), map(1, 100000, 65536)});
  CHECK(argv == std::vector<std::string>{"newuidmap", "4321", "0", "1000", "1", "1", "100000", "65536"});
  CHECK(linux_::map_helper_argv("newgidmap", 7, {}) == std::vector<std::string>{"newgidmap", "7"});
}

TEST_CASE("run_helper: a failing helper's command line, status and output are in the error") {
  try {
    linux_::run_helper({"sh", "-c", "echo 'range not allowed' >&2; exit 3"});
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(std::string(e.what()) == "sh -c echo 'range not allowed' >&2; exit 3: exit status 3: range not allowed");
  }
  try {
    linux_::run_helper({"berth-no-such-helper-xyz", "1"});
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.code() == ENOENT);
    CHECK(std::string(e.what()).find("run berth-no-such-helper-xyz 1") == 0);
  }
  CHECK_NOTHROW(linux_::run_helper({"true"}));
}

TEST_CASE("--rootless: true/false as given, auto when not root or in a user namespace") {
  CHECK(container::decide_rootless("true", 0, true));
  CHECK_FALSE(container::decide_rootless("false", 1000, false));
  CHECK_FALSE(container::decide_rootless("auto", 0, true));
  CHECK(container::decide_rootless("auto", 1000, true));
  CHECK(container::decide_rootless("auto", 0, false));
  CHECK_THROWS_AS(container::decide_rootless("yes", 0, true), Error);
  CHECK(berth::linux_::is_initial_uid_map("         0          0 4294967295\n"));
  CHECK_FALSE(berth::linux_::is_initial_uid_map("         0       1000          1\n"));
  CHECK_FALSE(berth::linux_::is_initial_uid_map("0 0 4294967295\n1 1 1\n"));
  CHECK_FALSE(berth::linux_::is_initial_uid_map(""));
}

TEST_CASE("default state root: $XDG_RUNTIME_DIR/berth for a non-root user that has one, else /run/berth") {
  CHECK(container::default_state_root(0, "/run/user/0") == "/run/berth");
  CHECK(container::default_state_root(1000, "/run/user/1000") == "/run/user/1000/berth");
  CHECK(container::default_state_root(1000, nullptr) == "/run/berth");
  CHECK(container::default_state_root(1000, "") == "/run/berth");
}

TEST_CASE("cgroup limits a rootless container cannot go without") {
  oci::Resources r;
  CHECK(cgroups::requested_limits(r).empty());
  r.devices.push_back({});
  CHECK(cgroups::requested_limits(r).empty());  // device rules are not limits
  r.memory = oci::MemoryResources{};
  r.pids = oci::PidsResources{};
  CHECK(cgroups::requested_limits(r) == std::vector<std::string>{"memory", "pids"});
  CHECK(cgroups::is_permission_error(EACCES));
  CHECK(cgroups::is_permission_error(EPERM));
  CHECK(cgroups::is_permission_error(EROFS));
  CHECK_FALSE(cgroups::is_permission_error(ENOENT));
}

TEST_CASE("process tree from /proc/<pid>/stat parent pids") {
  CHECK(linux_::stat_ppid("42 (sh) S 7 42 42 0 -1") == 7);
  CHECK(linux_::stat_ppid("42 (a b) c) R 9 1") == 9);  // comm with spaces and ')'
  CHECK(linux_::stat_ppid("garbage") == -1);
  std::multimap<pid_t, pid_t> children = {{1, 2}, {1, 3}, {3, 4}, {5, 6}};
  CHECK(linux_::descendants(1, children) == std::vector<pid_t>{1, 2, 3, 4});
  CHECK(linux_::descendants(6, children) == std::vector<pid_t>{6});

  pid_t c = ::fork();
  REQUIRE(c >= 0);
  if (c == 0) {
    ::pause();
    ::_exit(0);
  }
  auto tree = linux_::process_tree(::getpid());
  CHECK(tree.front() == ::getpid());
  CHECK(std::find(tree.begin(), tree.end(), c) != tree.end());
  ::kill(c, SIGKILL);
  ::waitpid(c, nullptr, 0);
}
