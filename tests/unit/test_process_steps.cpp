// The init's steps run against a recording SyscallSeam (no root, nothing
// changes): the order that matters for safety and correctness is checked on
// the calls they make. The parent's messages are queued on a real socketpair
// beforehand, so every step also speaks the real protocol.
#include <doctest/doctest.h>
#include <sys/prctl.h>
#include <sys/socket.h>

#include <algorithm>
#include <functional>
#include <string>

#include "berth/linux/seccomp.hpp"
#include "berth/oci/defaults.hpp"
#include "berth/oci/parse.hpp"
#include "berth/process/init_steps.hpp"
#include "berth/process/sync.hpp"
#include "berth/util/error.hpp"
#include "berth/util/log.hpp"
#include "recording_syscalls.hpp"

using namespace berth;
using process::InitStep;
using process::SyncType;
using test::RecordingSyscalls;

namespace {

struct Run {
  oci::Spec spec;
  process::InitPlan plan;
  RecordingSyscalls sys;
  std::vector<process::SyncMsg> sent;  // what the init sent to the parent
  std::vector<std::string> steps;      // names of the steps that ran
};

void add_user_ns(nlohmann::json& j) {
  j["linux"]["namespaces"].push_back({{"type", "user"}});
  j["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}};
  j["linux"]["gidMappings"] = {{{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}};
}

// Runs every step of the plan for runc's default config changed by `edit`,
// with the parent's answers already queued.
void run(Run& r, const std::function<void(nlohmann::json&)>& edit = {}, process::PlanOptions opts = {true, true, false},
         process::HostFacts host = {}) {
  nlohmann::json j = oci::default_spec(false);
  j["process"]["terminal"] = false;
  j["process"]["args"] = {"/bin/sh"};
  j["process"]["user"] = {{"uid", 1000}, {"gid", 1000}};
  if (edit) edit(j);
  r.spec = oci::parse_spec(j);
  r.plan = process::make_plan(r.spec, opts, host);
  r.sys.give_notify_fd = opts.seccomp_notify;

  int sv[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0);
  UniqueFd parent(sv[0]);
  process::send_msg(parent.get(), {SyncType::Go, 0, 0, {}});
  process::send_msg(parent.get(), {SyncType::CgroupJoined, 0, 0, {}});
  if (r.plan.hooks_round_trip) process::send_msg(parent.get(), {SyncType::HooksDone, 0, 0, "{}"});

  linux_::SeccompFilter filter;  // never loaded: the double only records the call
  process::InitConfig cfg;
  cfg.spec = &r.spec;
  cfg.id = "test";
  cfg.rootfs = "/nonexistent-rootfs";
  cfg.seccomp = opts.seccomp ? &filter : nullptr;
  std::vector<linux_::JoinedNs> joined;
  for (const auto& ns : r.spec.linux->namespaces)
    if (!ns.path.empty()) joined.push_back({ns.type, oci::namespace_clone_flag(ns.type), UniqueFd{}, ns.path});
  process::InitContext ctx(cfg, r.plan, r.sys, sv[1], joined);
  for (InitStep s : r.plan.init) {
    r.steps.emplace_back(process::step_name(s));
    process::run_init_step(s, ctx);
  }
  CHECK(ctx.sync == -1);  // closed by report_ready
  // What the init sent, in order.
  for (;;) {
    char buf[1];
    if (::recv(parent.get(), buf, 1, MSG_PEEK | MSG_DONTWAIT) <= 0) break;
    r.sent.push_back(process::recv_msg(parent.get()));
  }
}

bool before(const RecordingSyscalls& s, const std::string& a, const std::string& b) {
  REQUIRE(s.has(a));
  REQUIRE(s.has(b));
  return s.last(a) < s.first(b);
}

// Credential changes clear the parent-death signal: each must be followed by
// setting it again, before anything else (as long as set-up lasts).
void check_death_signal_restored(const RecordingSyscalls& s) {
  const size_t armed = s.first("prctl PR_SET_PDEATHSIG 9");
  const size_t cleared = s.first("prctl PR_SET_PDEATHSIG 0");
  REQUIRE(armed < cleared);
  int changes = 0;
  for (size_t i = armed; i < cleared; ++i) {
    const std::string& c = s.calls[i];
    bool cred = c.rfind("setresuid", 0) == 0 || c.rfind("setresgid", 0) == 0 || c.rfind("set_user", 0) == 0;
    if (!cred) continue;
    size_t next = i + 1;
    while (next < s.calls.size() &&
           (s.calls[next].rfind("setresuid", 0) == 0 || s.calls[next].rfind("setresgid", 0) == 0))
      ++next;
    CAPTURE(c);
    REQUIRE(next < s.calls.size());
    CHECK(s.calls[next] == "prctl PR_SET_PDEATHSIG 9");
    ++changes;
  }
  CHECK(changes > 0);
}

}  // namespace

TEST_CASE("init steps: mounts before pivot_root, the cgroup before the cgroup mount and the device nodes") {
  Run r;
  run(r);
  const auto& s = r.sys;
  INFO(nlohmann::json(s.calls).dump());
  CHECK(before(s, "bind_rootfs", "mount /proc"));
  CHECK(before(s, "mount ", "pivot_root"));
  CHECK(before(s, "make_devices", "pivot_root"));
  CHECK(before(s, "join_cgroup", "mount /sys/fs/cgroup"));
  CHECK(before(s, "mount /dev/mqueue", "join_cgroup"));  // the mounts before it overlap the parent's cgroup work
  CHECK(before(s, "join_cgroup", "make_devices"));
  CHECK(before(s, "pivot_root", "finalize_rootfs"));
  CHECK(before(s, "unshare", "join_cgroup"));
  // Everything is set up inside the rootfs before the process's identity is taken.
  CHECK(before(s, "finalize_rootfs", "set_user"));
}

TEST_CASE("init steps: capabilities after the user switch, seccomp last") {
  Run r;
  run(r);
  const auto& s = r.sys;
  INFO(nlohmann::json(s.calls).dump());
  CHECK(before(s, "set_bounding", "set_user"));
  CHECK(before(s, "prctl PR_SET_KEEPCAPS 1", "set_user"));
  CHECK(before(s, "set_user", "set_caps"));
  CHECK(before(s, "set_caps", "load_seccomp"));
  CHECK(before(s, "prctl PR_SET_NO_NEW_PRIVS 1", "load_seccomp"));
  CHECK(before(s, "prctl PR_SET_PDEATHSIG 0", "load_seccomp"));
  // After the filter nothing changes what the process may do: only the wait and execve.
  for (size_t i = s.first("load_seccomp") + 1; i < s.calls.size(); ++i) {
    CAPTURE(s.calls[i]);
    CHECK((s.calls[i] == "await_start" || s.calls[i].rfind("exec ", 0) == 0));
  }
  CHECK(s.calls.back() == "exec /bin/sh");
  // Ready comes after the filter is loaded.
  REQUIRE(!r.sent.empty());
  CHECK(r.sent.back().type == SyncType::Ready);
}

TEST_CASE("init steps: without no_new_privs seccomp comes before the capabilities go") {
  Run r;
  run(r, [](nlohmann::json& j) { j["process"]["noNewPrivileges"] = false; }, {false, true, true});
  const auto& s = r.sys;
  INFO(nlohmann::json(s.calls).dump());
  CHECK(before(s, "load_seccomp", "set_bounding"));
  CHECK_FALSE(s.has("prctl PR_SET_NO_NEW_PRIVS"));
  // The notify fd goes to the parent before Ready.
  REQUIRE(r.sent.size() == 2);
  CHECK(r.sent[0].type == SyncType::SeccompFd);
  CHECK(r.sent[1].type == SyncType::Ready);
}

TEST_CASE("init steps: the parent-death signal is restored after every credential change") {
  SUBCASE("the process user") {
    Run r;
    run(r);
    INFO(nlohmann::json(r.sys.calls).dump());
    CHECK(r.sys.first("prctl PR_SET_PDEATHSIG 9") == 0);  // the very first thing
    check_death_signal_restored(r.sys);
  }
  SUBCASE("root of a new user namespace, then the process user") {
    Run r;
    run(r, add_user_ns);
    INFO(nlohmann::json(r.sys.calls).dump());
    CHECK(before(r.sys, "setresuid 0", "set_user"));
    check_death_signal_restored(r.sys);
  }
  SUBCASE("berth gone before the signal was set again: the set-up ends") {
    oci::Spec spec = oci::parse_spec(oci::default_spec(false));
    process::InitPlan plan = process::make_plan(spec, {}, {});
    process::InitConfig cfg;
    cfg.spec = &spec;
    RecordingSyscalls sys;
    sys.parent_dead = true;
    std::vector<linux_::JoinedNs> joined;
    int sv[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0);
    UniqueFd parent(sv[0]), child(sv[1]);
    process::InitContext ctx(cfg, plan, sys, child.get(), joined);
    process::run_init_step(InitStep::DieWithParent, ctx);
    CHECK_THROWS_WITH(process::run_init_step(InitStep::BecomeUsernsRoot, ctx),
                      doctest::Contains("berth exited during the container's set-up"));
    CHECK(sys.calls == std::vector<std::string>{"prctl PR_SET_PDEATHSIG 9", "setresgid 0", "setresuid 0",
                                                "prctl PR_SET_PDEATHSIG 9", "peer_gone"});
  }
}

TEST_CASE("init steps: dumpable only until Go when an unprivileged parent writes the maps") {
  Run r;
  process::HostFacts h;
  h.euid_root = false;
  h.rootless = true;
  run(r, add_user_ns, {true, true, false}, h);
  const auto& s = r.sys;
  INFO(nlohmann::json(s.calls).dump());
  CHECK(s.calls[1] == "prctl PR_SET_DUMPABLE 1");
  CHECK(s.first("prctl PR_SET_DUMPABLE 0") < s.first("setresuid 0"));
  // Root of the namespace only after Go, i.e. after the maps are written: the
  // dumpable window closes at Go, before anything else.
  CHECK(s.first("prctl PR_SET_DUMPABLE 0") == s.last("cloexec") + 1);  // the last of close_host_fds
}

TEST_CASE("init steps: a joined user namespace: joined, its root, the rest unshared in it, then the fork") {
  Run r;
  run(r, [](nlohmann::json& j) { j["linux"]["namespaces"].push_back({{"type", "user"}, {"path", "/proc/1/ns/user"}}); });
  const auto& s = r.sys;
  INFO(nlohmann::json(s.calls).dump());
  REQUIRE(s.calls.size() > 4);
  CHECK(s.calls[0] == "setns user");
  CHECK(s.calls[1] == "setresgid 0");
  CHECK(s.calls[2] == "setresuid 0");
  CHECK(s.calls[3].rfind("unshare ", 0) == 0);
  CHECK(s.calls[4] == "fork");
  CHECK_FALSE(s.has("prctl PR_SET_PDEATHSIG 9"));  // the parent is the middle child
  // The double's fork returns as the child: the grandchild, which goes on to Ready.
  REQUIRE(r.sent.size() == 1);
  CHECK(r.sent[0].type == SyncType::Ready);
}

TEST_CASE("init steps: hooks: RunHooks after the mounts, before pivot_root") {
  Run r;
  run(r, [](nlohmann::json& j) { j["hooks"]["prestart"] = {{{"path", "/bin/true"}}}; });
  REQUIRE(r.sent.size() == 2);
  CHECK(r.sent[0].type == SyncType::RunHooks);
  CHECK(r.sent[1].type == SyncType::Ready);
  auto at = [&](const char* n) { return std::find(r.steps.begin(), r.steps.end(), n) - r.steps.begin(); };
  CHECK(at("make_devices") < at("create_hooks"));
  CHECK(at("create_hooks") < at("pivot_root"));
}

TEST_CASE("init steps: no mount namespace: chroot, no mounts") {
  Run r;
  run(r, [](nlohmann::json& j) {
    auto& ns = j["linux"]["namespaces"];
    for (auto it = ns.begin(); it != ns.end(); ++it)
      if ((*it)["type"] == "mount") {
        ns.erase(it);
        break;
      }
  });
  const auto& s = r.sys;
  CHECK(s.has("chroot"));
  CHECK_FALSE(s.has("mount "));
  CHECK_FALSE(s.has("pivot_root"));
  CHECK(before(s, "join_cgroup", "chroot"));
}

TEST_CASE("init steps: a failed executable check is an ExecError with 127") {
  Run r;
  CHECK_THROWS_AS(run(r, [](nlohmann::json& j) { j["process"]["args"] = {"/nonexistent/program"}; }),
                  process::ExecError);
}

TEST_CASE("init steps: a message out of protocol order is an error naming both") {
  oci::Spec spec = oci::parse_spec(oci::default_spec(false));
  process::InitPlan plan = process::make_plan(spec, {}, {});
  int sv[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0);
  UniqueFd parent(sv[0]), child(sv[1]);
  process::send_msg(parent.get(), {SyncType::HooksDone, 0, 0, "{}"});
  process::InitConfig cfg;
  cfg.spec = &spec;
  RecordingSyscalls sys;
  std::vector<linux_::JoinedNs> joined;
  process::InitContext ctx(cfg, plan, sys, child.get(), joined);
  CHECK_THROWS_WITH(process::run_init_step(InitStep::AwaitGo, ctx),
                    doctest::Contains("unexpected sync message HooksDone (3) from parent, expected Go"));
  // The parent gone: EOF, not a hang.
  parent.reset();
  CHECK_THROWS_WITH(process::run_init_step(InitStep::JoinCgroup, ctx), doctest::Contains("exited unexpectedly"));
}

TEST_CASE("init steps: personality, scheduler and I/O priority before the user switch and seccomp") {
  Run plain;
  run(plain);
  CHECK_FALSE(plain.sys.has("set_scheduler"));
  CHECK_FALSE(plain.sys.has("set_io_priority"));
  CHECK_FALSE(plain.sys.has("set_personality"));

  Run r;
  run(r, [](nlohmann::json& j) {
    j["process"]["scheduler"] = {{"policy", "SCHED_BATCH"}, {"nice", 3}};
    j["process"]["ioPriority"] = {{"class", "IOPRIO_CLASS_BE"}, {"priority", 2}};
    j["linux"]["personality"] = {{"domain", "LINUX32"}};
  });
  const auto& s = r.sys;
  INFO(nlohmann::json(s.calls).dump());
  CHECK(s.has("set_personality LINUX32"));
  CHECK(s.has("set_scheduler SCHED_BATCH"));
  CHECK(s.has("set_io_priority IOPRIO_CLASS_BE"));
  // A real-time policy and IOPRIO_CLASS_RT need capabilities the user switch may drop;
  // a filter could forbid the calls.
  CHECK(before(s, "set_scheduler", "set_user"));
  CHECK(before(s, "set_io_priority", "set_user"));
  CHECK(before(s, "set_personality", "load_seccomp"));
  CHECK(before(s, "set_io_priority", "load_seccomp"));
  CHECK(before(s, "finalize_rootfs", "set_personality"));
}

TEST_CASE("init steps: close_host_fds: close_range around the fds kept, else /proc/self/fd, else a loop") {
  const int sync = 7;  // as if the sync socket were fd 7
  auto run_step = [&](RecordingSyscalls& sys, int preserve) {
    oci::Spec spec = oci::parse_spec(oci::default_spec(false));
    process::InitPlan plan = process::make_plan(spec, {}, {});
    process::InitConfig cfg;
    cfg.spec = &spec;
    cfg.preserve_fds = preserve;
    cfg.exec_fifo = 9;
    cfg.console_socket = -1;
    std::vector<linux_::JoinedNs> joined;
    process::InitContext ctx(cfg, plan, sys, sync, joined);
    process::run_init_step(InitStep::CloseHostFds, ctx);
    return sys.calls;
  };
  using V = std::vector<std::string>;
  SUBCASE("close_range works (Linux >= 5.9)") {
    RecordingSyscalls sys;
    CHECK(run_step(sys, 0) == V{"close_range 3 6", "close_range 8 8", "close_range 10 end", "cloexec 7", "cloexec 9"});
  }
  SUBCASE("preserved fds stay open and lose close-on-exec") {
    RecordingSyscalls sys;
    CHECK(run_step(sys, 2) == V{"close_range 5 6", "close_range 8 8", "close_range 10 end", "cloexec 7", "cloexec 9",
                                "no_cloexec 3", "no_cloexec 4"});
  }
  SUBCASE("no close_range (ENOSYS): the fds /proc/self/fd lists are closed, the kept ones not") {
    RecordingSyscalls sys;
    sys.close_range_errno = ENOSYS;
    sys.open_fd_list = {0, 1, 2, 3, 5, 7, 9, 12, 1000};
    CHECK(run_step(sys, 0) ==
          V{"close_range 3 6", "open_fds", "close 3", "close 5", "close 12", "close 1000", "cloexec 7", "cloexec 9"});
  }
  SUBCASE("no close_range and no /proc: every fd below the limit but the kept ones") {
    RecordingSyscalls sys;
    sys.close_range_errno = ENOSYS;
    sys.no_proc = true;
    sys.nofile = 12;
    CHECK(run_step(sys, 0) == V{"close_range 3 6", "open_fds", "close 3", "close 4", "close 5", "close 6", "close 8",
                                "close 10", "close 11", "cloexec 7", "cloexec 9"});
  }
  SUBCASE("any other close_range error fails the step, naming the range") {
    RecordingSyscalls sys;
    sys.close_range_errno = EINVAL;
    CHECK_THROWS_WITH(run_step(sys, 0), doctest::Contains("close_range 3..6: Invalid argument"));
  }
  SUBCASE("the --log file stays open (close-on-exec): log lines of the set-up reach it") {
    log::init({"/dev/null", log::Format::Text, false});
    const int lfd = log::file_fd();
    RecordingSyscalls sys;
    std::vector<std::string> calls;
    try {
      calls = run_step(sys, 0);
    } catch (...) {
    }
    log::init({});  // back to stderr, the file closed
    REQUIRE(lfd >= 3);
    CHECK(std::find(calls.begin(), calls.end(), "cloexec " + std::to_string(lfd)) != calls.end());
    CHECK(log::file_fd() == -1);
  }

}

TEST_CASE("init steps: linux.memoryPolicy after the cgroup (cpuset.mems), before the user switch and seccomp") {
  Run plain;
  run(plain);
  CHECK_FALSE(plain.sys.has("set_memory_policy"));
  Run r;
  run(r, [](nlohmann::json& j) { j["linux"]["memoryPolicy"] = {{"mode", "MPOL_LOCAL"}}; });
  const auto& s = r.sys;
  INFO(nlohmann::json(s.calls).dump());
  CHECK(s.has("set_memory_policy MPOL_LOCAL"));
  CHECK(before(s, "finalize_rootfs", "set_memory_policy"));
  CHECK(before(s, "set_memory_policy", "set_user"));
  CHECK(before(s, "set_memory_policy", "load_seccomp"));
}

TEST_CASE("init steps: the CPU affinity after the cgroup: execCPUAffinity.final, else a reset to every CPU") {
  Run plain;
  run(plain);
  INFO(nlohmann::json(plain.sys.calls).dump());
  CHECK(before(plain.sys, "join_cgroup", "reset_cpu_affinity"));
  CHECK(before(plain.sys, "reset_cpu_affinity", "load_seccomp"));
  Run r;
  run(r, [](nlohmann::json& j) { j["process"]["execCPUAffinity"] = {{"initial", "0"}, {"final", "1"}}; });
  CHECK_FALSE(r.sys.has("reset_cpu_affinity"));
  CHECK(before(r.sys, "set_cpu_affinity 0", "join_cgroup"));
  CHECK(before(r.sys, "join_cgroup", "set_cpu_affinity 1"));
}

TEST_CASE("init steps: terminating signals end the init from the start of the set-up") {
  Run plain;
  run(plain);
  CHECK(before(plain.sys, "exit_on_signals", "join_cgroup"));
  CHECK(before(plain.sys, "exit_on_signals", "load_seccomp"));
}

TEST_CASE("init steps: linux.sysctl in the container's /proc, before the read-only paths") {
  Run r;
  run(r, [](nlohmann::json& j) { j["linux"]["sysctl"] = {{"net.ipv4.ip_forward", "1"}}; });
  const auto& s = r.sys;
  INFO(nlohmann::json(s.calls).dump());
  CHECK(before(s, "pivot_root", "sysctl"));
  CHECK(before(s, "sysctl", "finalize_rootfs"));  // /proc/sys is usually read-only then
}

TEST_CASE("init steps: namespaces given by path are joined before anything is made in them") {
  Run r;
  run(r, [](nlohmann::json& j) {
    j["hostname"] = "box";
    for (auto& ns : j["linux"]["namespaces"])
      if (ns["type"] == "uts" || ns["type"] == "mount") ns["path"] = "/proc/1/ns/" + ns["type"].get<std::string>();
  });
  const auto& s = r.sys;
  INFO(nlohmann::json(s.calls).dump());
  CHECK(before(s, "setns ", "set_hostname"));
  CHECK(before(s, "setns ", "bind_rootfs"));
}

TEST_CASE("init steps: the executable is found as the container's user, before Ready") {
  Run r;
  run(r);
  auto at = [&](const char* n) { return std::find(r.steps.begin(), r.steps.end(), n) - r.steps.begin(); };
  REQUIRE(at("find_executable") < static_cast<long>(r.steps.size()));
  // With the user's permissions and in its cwd (a relative args[0]); a failure is create's (126/127).
  CHECK(at("switch_user") < at("find_executable"));
  CHECK(at("set_capabilities") < at("find_executable"));
  CHECK(at("enter_cwd") < at("find_executable"));
  CHECK(at("find_executable") < at("report_ready"));
}
