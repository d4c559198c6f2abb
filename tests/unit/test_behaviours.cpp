// Pure logic behind behaviours users rely on (issue 17 item 3); the behaviours
// themselves are tested with real containers in tests/integration/test_behaviours.sh.
#include <doctest/doctest.h>

#include <string>
#include <map>
#include <vector>

#include "error_of.hpp"

#include "berth/container/exec_cgroup.hpp"
#include "berth/container/notify_socket.hpp"
#include "berth/linux/userns_maps.hpp"
#include "berth/process/exec_check.hpp"
#include "berth/process/listen_fds.hpp"

using namespace berth;
using Env = std::vector<std::string>;

TEST_CASE("LISTEN_FDS from berth's environment: ours only when LISTEN_PID is unset or ours") {
  CHECK(process::listen_fds_from("2", nullptr, nullptr, 42).count == 2);
  CHECK(process::listen_fds_from("2", "", nullptr, 42).count == 2);
  CHECK(process::listen_fds_from("2", "42", "a:b", 42).count == 2);
  CHECK(process::listen_fds_from("2", "42", "a:b", 42).names == "a:b");
  CHECK(process::listen_fds_from("2", "41", nullptr, 42).count == 0);   // another process's
  CHECK(process::listen_fds_from("2", "x", nullptr, 42).count == 0);
  CHECK(process::listen_fds_from(nullptr, "42", nullptr, 42).count == 0);
  CHECK(process::listen_fds_from("0", nullptr, nullptr, 42).count == 0);
  CHECK(process::listen_fds_from("-1", nullptr, nullptr, 42).count == 0);
  CHECK(process::listen_fds_from("3x", nullptr, nullptr, 42).count == 0);
  CHECK(process::listen_fds_from("99999999999", nullptr, nullptr, 42).count == 0);
}

TEST_CASE("the process's LISTEN_* variables: its own pid, the config's LISTEN_FDS/NAMES kept") {
  process::ListenFds none;
  CHECK(process::with_listen_env({"A=1", "LISTEN_PID=7"}, none, 1) == Env{"A=1", "LISTEN_PID=7"});
  process::ListenFds two{2, "web:admin"};
  CHECK(process::with_listen_env({"A=1"}, two, 1) ==
        Env{"A=1", "LISTEN_FDS=2", "LISTEN_FDNAMES=web:admin", "LISTEN_PID=1"});
  // A configured LISTEN_PID is replaced: any other value than the process's pid
  // makes sd_listen_fds() ignore the fds. LISTEN_FDS/LISTEN_FDNAMES of the config stay.
  CHECK(process::with_listen_env({"LISTEN_PID=99", "LISTEN_FDS=1", "LISTEN_FDNAMES=x"}, two, 5) ==
        Env{"LISTEN_FDS=1", "LISTEN_FDNAMES=x", "LISTEN_PID=5"});
  CHECK(process::with_listen_env({}, process::ListenFds{1, ""}, 1234) == Env{"LISTEN_FDS=1", "LISTEN_PID=1234"});
}

TEST_CASE("default id maps of a user namespace without mappings (crun's)") {
  using M = std::vector<oci::IdMapping>;
  auto eq = [](const M& a, const M& b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
      if (a[i].containerID != b[i].containerID || a[i].hostID != b[i].hostID || a[i].size != b[i].size) return false;
    return true;
  };
  // root without subordinate ids: the first 65536 ids (at least up to uid) to themselves
  CHECK(eq(linux_::default_id_map(0, 0, nullptr), M{{0, 0, 65536}}));
  CHECK(eq(linux_::default_id_map(1000, 0, nullptr), M{{0, 0, 65536}}));
  CHECK(eq(linux_::default_id_map(70000, 0, nullptr), M{{0, 0, 70001}}));
  // an unprivileged caller: root of the namespace is the caller
  CHECK(eq(linux_::default_id_map(0, 1000, nullptr), M{{0, 1000, 1}}));
  // with a subordinate range: below the id, the id itself, the rest
  linux_::SubIdRange r{100000, 65536};
  CHECK(eq(linux_::default_id_map(0, 1000, &r), M{{0, 1000, 1}, {1, 100000, 65536}}));
  CHECK(eq(linux_::default_id_map(10, 1000, &r), M{{0, 100000, 10}, {10, 1000, 1}, {11, 100010, 65526}}));
  linux_::SubIdRange small{5000, 3};
  CHECK(eq(linux_::default_id_map(10, 0, &small), M{{0, 5000, 3}, {10, 0, 1}}));
}

TEST_CASE("subordinate id ranges from /etc/subuid text") {
  linux_::SubIdRange r;
  CHECK(linux_::find_subid_range("alice:100000:65536\nbob:165536:65536\n", "bob", r));
  CHECK(r.start == 165536);
  CHECK(r.count == 65536);
  CHECK_FALSE(linux_::find_subid_range("alice:100000:65536\n", "ali", r));
  CHECK_FALSE(linux_::find_subid_range("bob:x:65536\nbob:1:0\nbob:4294967295:2\n", "bob", r));
  CHECK(linux_::find_subid_range("bob:1:0\nbob:7:8", "bob", r));
  CHECK(r.start == 7);
  CHECK_FALSE(linux_::find_subid_range("", "root", r));
}

TEST_CASE("process.env: a variable set twice is set once, to its last value (runc)") {
  CHECK(process::dedupe_env({"ONE=two", "ONE=", "PATH=/bin"}) == Env{"ONE=", "PATH=/bin"});
  CHECK(process::dedupe_env({"A=1", "B=2", "A=3"}) == Env{"A=3", "B=2"});
  CHECK(process::dedupe_env({"HOME=/override", "HOME="}) == Env{"HOME="});
  CHECK(process::dedupe_env({"NEW_LINE_ENV=\n", "X=a=b"}) == Env{"NEW_LINE_ENV=\n", "X=a=b"});
  CHECK(process::dedupe_env({}) == Env{});
}

TEST_CASE("exec --cgroup: the sub-cgroup of the container's (runc's rules)") {
  nlohmann::json v1 = {{"driver", "v1"},
                       {"dirs", {{"/sys/fs/cgroup/cpu,cpuacct", "/sys/fs/cgroup/cpu,cpuacct/c"},
                                 {"/sys/fs/cgroup/memory", "/sys/fs/cgroup/memory/c"},
                                 {"/sys/fs/cgroup/unified", "/sys/fs/cgroup/unified/c"}}}};
  auto dirs = [](const nlohmann::json& j) { return j.at("dirs").get<std::map<std::string, std::string>>(); };
  auto all = dirs(container::sub_cgroup(v1, {"sub"}));
  CHECK(all["/sys/fs/cgroup/memory"] == "/sys/fs/cgroup/memory/c/sub");
  CHECK(all["/sys/fs/cgroup/unified"] == "/sys/fs/cgroup/unified/c/sub");
  auto cpu = dirs(container::sub_cgroup(v1, {"sub", "cpu:other/x"}));
  CHECK(cpu["/sys/fs/cgroup/cpu,cpuacct"] == "/sys/fs/cgroup/cpu,cpuacct/c/other/x");
  CHECK(cpu["/sys/fs/cgroup/memory"] == "/sys/fs/cgroup/memory/c/sub");
  auto only = dirs(container::sub_cgroup(v1, {"memory:m"}));
  CHECK(only["/sys/fs/cgroup/memory"] == "/sys/fs/cgroup/memory/c/m");
  CHECK(only["/sys/fs/cgroup/cpu,cpuacct"] == "/sys/fs/cgroup/cpu,cpuacct/c");
  CHECK(dirs(container::sub_cgroup(v1, {"/"}))["/sys/fs/cgroup/memory"] == "/sys/fs/cgroup/memory/c");
  CHECK(dirs(container::sub_cgroup(v1, {"a/../b"}))["/sys/fs/cgroup/memory"] == "/sys/fs/cgroup/memory/c/b");
  CHECK(error_of([&] { container::sub_cgroup(v1, {".."}); }).find("is not a sub cgroup path") != std::string::npos);
  CHECK(error_of([&] { container::sub_cgroup(v1, {"cpu:../sibling"}); }).find("is not a sub cgroup path") !=
        std::string::npos);
  CHECK(error_of([&] { container::sub_cgroup(v1, {"whaaat:/"}); }).find("unknown controller") != std::string::npos);
  nlohmann::json v2 = {{"driver", "v2"}, {"dir", "/sys/fs/cgroup/c"}};
  CHECK(container::sub_cgroup(v2, {"x/y"}).at("dir") == "/sys/fs/cgroup/c/x/y");
  CHECK(!error_of([&] { container::sub_cgroup(v2, {"cpu:x"}); }).empty());
  nlohmann::json sd = {{"driver", "systemd"}, {"cgroup", "/system.slice/berth-c.scope"}};
  CHECK(container::sub_cgroup(sd, {"x"}).at("dir") == "/sys/fs/cgroup/system.slice/berth-c.scope/x");
}

TEST_CASE("sd_notify readiness: a line READY=1 anywhere in the datagram, nothing else") {
  using berth::container::says_ready;
  CHECK(says_ready("READY=1"));
  CHECK(says_ready("READY=1\n"));
  CHECK(says_ready("STATUS=up\nREADY=1\nMAINPID=7"));
  CHECK(!says_ready("READY=0"));
  CHECK(!says_ready("STATUS=READY=1"));
  CHECK(!says_ready("READY=10"));
  CHECK(!says_ready("STATUS=starting"));
  CHECK(!says_ready(""));
}
