// process/plan: which namespaces clone3 makes and which the init unshares or
// joins, double fork or not, dumpable and parent-death-signal policy, cgroup
// join mode and the steps that apply, for every combination the code supports.
#include <doctest/doctest.h>
#include <sched.h>

#include <algorithm>
#include <functional>
#include <set>
#include <string>

#include "berth/oci/defaults.hpp"
#include "berth/oci/parse.hpp"
#include "berth/process/plan.hpp"

using namespace berth;
using process::CgroupHost;
using process::HostFacts;
using process::InitStep;
using process::ParentStep;
using process::PlanOptions;

namespace {

// runc's default config (`berth spec`), changed by `edit`.
oci::Spec spec_with(const std::function<void(nlohmann::json&)>& edit = {}, bool rootless = false) {
  nlohmann::json j = oci::default_spec(rootless);
  if (edit) edit(j);
  return oci::parse_spec(j);
}

void add_ns(nlohmann::json& j, const std::string& type, const std::string& path = "") {
  auto& ns = j["linux"]["namespaces"];
  for (auto it = ns.begin(); it != ns.end(); ++it)
    if ((*it)["type"] == type) {
      ns.erase(it);
      break;
    }
  nlohmann::json e = {{"type", type}};
  if (!path.empty()) e["path"] = path;
  ns.push_back(e);
  if (type == "user" && path.empty() && !j["linux"].contains("uidMappings")) {
    j["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}};
    j["linux"]["gidMappings"] = {{{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}};
  }
}

void remove_ns(nlohmann::json& j, const std::string& type) {
  auto& ns = j["linux"]["namespaces"];
  for (auto it = ns.begin(); it != ns.end(); ++it)
    if ((*it)["type"] == type) {
      ns.erase(it);
      return;
    }
}

HostFacts host(CgroupHost cg = CgroupHost::V1, bool root = true, bool rootless = false) {
  HostFacts h;
  h.cgroup = cg;
  h.euid_root = root;
  h.rootless = rootless;
  return h;
}

process::InitPlan plan(const oci::Spec& s, HostFacts h = host(), PlanOptions o = {}) { return process::make_plan(s, o, h); }

constexpr int kNet = CLONE_NEWNET, kIpc = CLONE_NEWIPC, kUts = CLONE_NEWUTS, kMnt = CLONE_NEWNS,
              kPid = CLONE_NEWPID, kUser = CLONE_NEWUSER;

// The plan's steps are the full lists' steps, in the same order.
template <class S>
bool in_order(const std::vector<S>& some, const std::vector<S>& all) {
  size_t at = 0;
  for (S s : some) {
    while (at < all.size() && all[at] != s) ++at;
    if (at == all.size()) return false;
    ++at;
  }
  return true;
}

}  // namespace

TEST_CASE("plan: step names are unique and every step has one") {
  std::set<std::string_view> names;
  for (InitStep s : process::init_steps()) {
    CHECK(process::step_name(s) != "?");
    CHECK(names.insert(process::step_name(s)).second);
  }
  for (ParentStep s : process::parent_steps()) {
    CHECK(process::step_name(s) != "?");
    CHECK(names.insert(process::step_name(s)).second);
  }
  CHECK(process::init_steps().front() == InitStep::JoinUserNamespace);
  CHECK(process::init_steps().back() == InitStep::Exec);
}

TEST_CASE("plan: root, no user namespace: clone3 makes only the pid namespace, the init unshares the rest") {
  auto p = plan(spec_with());
  CHECK(p.clone_flags == static_cast<uint64_t>(kPid));
  CHECK(p.unshare_early == (kNet | kIpc | kUts | kMnt));
  CHECK(p.unshare_in_joined_userns == 0);
  CHECK_FALSE(p.userns_new);
  CHECK_FALSE(p.userns_joined);
  CHECK_FALSE(p.double_fork);
  CHECK(p.die_with_parent);
  CHECK_FALSE(p.dumpable_until_go);
  CHECK(p.mount_namespace);
  CHECK(p.has(InitStep::DieWithParent));
  CHECK(p.has(InitStep::UnshareEarly));
  CHECK_FALSE(p.has(InitStep::BecomeUsernsRoot));
  CHECK_FALSE(p.has(InitStep::JoinUserNamespace));
  CHECK_FALSE(p.has(InitStep::JoinNamespaces));
  CHECK_FALSE(p.has(ParentStep::WriteIdMaps));
  CHECK_FALSE(p.has(ParentStep::OpenNamespaces));
  CHECK(p.has(InitStep::PivotRoot));
  CHECK_FALSE(p.has(InitStep::Chroot));
  // runc's default: a terminal, no_new_privs, no hooks, no cgroupns.
  CHECK(p.has(InitStep::Terminal));
  CHECK(p.has(InitStep::NoNewPrivs));
  CHECK_FALSE(p.has(InitStep::CreateHooks));
  CHECK_FALSE(p.has(ParentStep::ServeHooks));
  CHECK_FALSE(p.cgroupns_new);
}

TEST_CASE("plan: a new user namespace: clone3 makes every namespace with it; the parent writes the maps") {
  auto s = spec_with([](nlohmann::json& j) { add_ns(j, "user"); });
  auto p = plan(s);
  CHECK(p.clone_flags == static_cast<uint64_t>(kPid | kNet | kIpc | kUts | kMnt | kUser));
  CHECK(p.unshare_early == 0);
  CHECK(p.userns_new);
  CHECK(p.has(ParentStep::WriteIdMaps));
  CHECK(p.has(InitStep::BecomeUsernsRoot));
  CHECK_FALSE(p.has(InitStep::UnshareEarly));
  CHECK(p.die_with_parent);
  // A root parent opens the init's /proc files anyway: not dumpable from the start.
  CHECK_FALSE(p.dumpable_until_go);
  // An unprivileged one (rootless) needs it dumpable until Go.
  auto r = plan(spec_with({}, true), host(CgroupHost::V1, false, true));
  CHECK(r.userns_new);
  CHECK(r.dumpable_until_go);
  CHECK(r.clone_flags == static_cast<uint64_t>(kPid | kIpc | kUts | kMnt | kUser));
}

TEST_CASE("plan: a joined user namespace with a new pid namespace: double fork, nothing from clone3") {
  auto s = spec_with([](nlohmann::json& j) { add_ns(j, "user", "/proc/1/ns/user"); });
  auto p = plan(s);
  CHECK(p.userns_joined);
  CHECK_FALSE(p.userns_new);
  CHECK(p.double_fork);
  CHECK(p.clone_flags == 0);
  CHECK(p.unshare_in_joined_userns == (kPid | kNet | kIpc | kUts | kMnt));
  CHECK(p.unshare_early == 0);
  // The parent of the init is the short-lived middle child: no death signal.
  CHECK_FALSE(p.die_with_parent);
  CHECK_FALSE(p.has(InitStep::DieWithParent));
  CHECK(p.has(InitStep::JoinUserNamespace));
  CHECK(p.has(InitStep::ForkIntoPidNamespace));
  CHECK(p.has(ParentStep::OpenNamespaces));
  CHECK(p.has(ParentStep::BecomeSubreaper));
  CHECK(p.has(ParentStep::AdoptInit));
  CHECK_FALSE(p.has(ParentStep::WriteIdMaps));
  CHECK_FALSE(p.has(InitStep::BecomeUsernsRoot));
  // The user namespace is joined by its own step, not with the others.
  CHECK_FALSE(p.has(InitStep::JoinNamespaces));
}

TEST_CASE("plan: a joined user namespace and a joined pid namespace: no double fork") {
  auto s = spec_with([](nlohmann::json& j) {
    add_ns(j, "user", "/proc/1/ns/user");
    add_ns(j, "pid", "/proc/1/ns/pid");
  });
  auto p = plan(s);
  CHECK_FALSE(p.double_fork);
  CHECK(p.die_with_parent);
  CHECK(p.pidns_joined);
  CHECK(p.unshare_in_joined_userns == (kNet | kIpc | kUts | kMnt));
  CHECK(p.has(ParentStep::EnterPidNamespace));
  CHECK(p.has(ParentStep::RestorePidNamespace));
  CHECK_FALSE(p.has(ParentStep::AdoptInit));
  CHECK(p.has(InitStep::JoinUserNamespace));
  CHECK_FALSE(p.has(InitStep::ForkIntoPidNamespace));
}

TEST_CASE("plan: a pid namespace joined by path is entered by the parent; others by the init") {
  auto s = spec_with([](nlohmann::json& j) {
    add_ns(j, "pid", "/proc/1/ns/pid");
    add_ns(j, "network", "/proc/1/ns/net");
  });
  auto p = plan(s);
  CHECK(p.pidns_joined);
  CHECK(p.clone_flags == 0);
  CHECK(p.unshare_early == (kIpc | kUts | kMnt));
  CHECK(p.has(ParentStep::OpenNamespaces));
  CHECK(p.has(ParentStep::EnterPidNamespace));
  CHECK(p.has(InitStep::JoinNamespaces));
  CHECK_FALSE(p.double_fork);
  // Only a pid namespace joined: nothing left for the init to setns.
  auto q = plan(spec_with([](nlohmann::json& j) { add_ns(j, "pid", "/proc/1/ns/pid"); }));
  CHECK_FALSE(q.has(InitStep::JoinNamespaces));
  CHECK(q.has(ParentStep::EnterPidNamespace));
}

TEST_CASE("plan: cgroup and time namespaces are never made by clone3") {
  auto s = spec_with([](nlohmann::json& j) {
    add_ns(j, "cgroup");
    add_ns(j, "time");
  });
  auto p = plan(s);
  CHECK((p.clone_flags & (CLONE_NEWCGROUP | CLONE_NEWTIME)) == 0);
  CHECK((p.unshare_early & (CLONE_NEWCGROUP | CLONE_NEWTIME)) == 0);
  CHECK(p.cgroupns_new);
  CHECK(p.timens_new);
  CHECK(p.has(InitStep::UnshareTime));
  auto u = plan(spec_with([](nlohmann::json& j) {
    add_ns(j, "cgroup");
    add_ns(j, "user");
  }));
  CHECK((u.clone_flags & CLONE_NEWCGROUP) == 0);
  CHECK(u.cgroupns_new);
}

TEST_CASE("plan: cgroup join mode per host layout") {
  auto s = spec_with();
  SUBCASE("v1 as root: made after Go, joined through the tasks files") {
    auto p = plan(s, host(CgroupHost::V1));
    CHECK_FALSE(p.cgroup_clone_into);
    CHECK(p.cgroup_self_join);
    CHECK(p.cgroup_made_late);
    CHECK(p.has(ParentStep::MakeCgroup));
  }
  SUBCASE("hybrid as root: born in the unified hierarchy, v1 tasks files, made late") {
    auto p = plan(s, host(CgroupHost::Hybrid));
    CHECK(p.cgroup_clone_into);
    CHECK(p.cgroup_self_join);
    CHECK(p.cgroup_made_late);
  }
  SUBCASE("v2: born in its cgroup, which exists before the clone") {
    auto p = plan(s, host(CgroupHost::V2));
    CHECK(p.cgroup_clone_into);
    CHECK_FALSE(p.cgroup_self_join);
    CHECK_FALSE(p.cgroup_made_late);
    CHECK_FALSE(p.has(ParentStep::MakeCgroup));
  }
  SUBCASE("systemd: the scope starts with the init's pid") {
    auto p = plan(s, host(CgroupHost::Systemd));
    CHECK_FALSE(p.cgroup_clone_into);
    CHECK_FALSE(p.cgroup_self_join);
    CHECK_FALSE(p.cgroup_made_late);
  }
  SUBCASE("rootless on v1 or hybrid: made before the clone (is there one at all?)") {
    CHECK_FALSE(plan(s, host(CgroupHost::V1, false, true)).cgroup_made_late);
    CHECK_FALSE(plan(s, host(CgroupHost::Hybrid, false, true)).cgroup_made_late);
    CHECK(plan(s, host(CgroupHost::Hybrid, false, true)).cgroup_clone_into);
  }
  // Whatever the layout, the init waits for CgroupJoined exactly once.
  for (auto cg : {CgroupHost::V1, CgroupHost::Hybrid, CgroupHost::V2, CgroupHost::Systemd}) {
    auto p = plan(s, host(cg));
    CHECK(p.has(InitStep::JoinCgroup));
    CHECK(p.has(ParentStep::SendCgroupJoined));
  }
}

TEST_CASE("plan: the init waits for its cgroup before the first cgroup mount") {
  auto s = spec_with();  // /sys/fs/cgroup is the 7th and last mount
  auto p = plan(s);
  REQUIRE(s.mounts.size() == 7);
  CHECK(p.cgroup_join_mount == 6);
  CHECK(p.has(InitStep::MountBeforeCgroup));
  CHECK(p.has(InitStep::MountAfterCgroup));
  auto none = plan(spec_with([](nlohmann::json& j) { j["mounts"].erase(6); }));
  CHECK(none.cgroup_join_mount == 6);
  CHECK_FALSE(none.has(InitStep::MountAfterCgroup));
  auto firstcg = plan(spec_with([](nlohmann::json& j) {
    nlohmann::json m = j["mounts"][6];
    j["mounts"].erase(6);
    j["mounts"].insert(j["mounts"].begin(), m);
  }));
  CHECK(firstcg.cgroup_join_mount == 0);
  CHECK_FALSE(firstcg.has(InitStep::MountBeforeCgroup));
}

TEST_CASE("plan: without a mount namespace the init chroots and mounts nothing") {
  auto p = plan(spec_with([](nlohmann::json& j) { remove_ns(j, "mount"); }));
  CHECK_FALSE(p.mount_namespace);
  CHECK(p.has(InitStep::Chroot));
  for (auto s : {InitStep::BindRootfs, InitStep::MountBeforeCgroup, InitStep::MountAfterCgroup, InitStep::MakeDevices,
                 InitStep::PivotRoot, InitStep::FinalizeRootfs})
    CHECK_FALSE(p.has(s));
  CHECK(p.has(InitStep::JoinCgroup));
}

TEST_CASE("plan: terminal, hooks, seccomp, keyring, hostname, sysctl, cwd, LSM labels") {
  auto quiet = plan(spec_with([](nlohmann::json& j) {
    j["process"]["terminal"] = false;
    j["hostname"] = "";
  }), host(), PlanOptions{true, false, false});
  CHECK_FALSE(quiet.has(InitStep::Terminal));
  CHECK_FALSE(quiet.has(InitStep::SessionKeyring));
  CHECK_FALSE(quiet.has(InitStep::SetHostname));
  CHECK_FALSE(quiet.has(InitStep::Sysctl));
  CHECK_FALSE(quiet.has(InitStep::MakeCwd));
  CHECK_FALSE(quiet.has(InitStep::LsmLabels));
  CHECK_FALSE(quiet.has(InitStep::SeccompEarly));
  CHECK_FALSE(quiet.has(InitStep::SeccompLate));
  CHECK_FALSE(quiet.has(InitStep::StartHooks));

  auto busy = plan(spec_with([](nlohmann::json& j) {
    j["hostname"] = "box";
    j["linux"]["sysctl"] = {{"net.ipv4.ip_forward", "1"}};
    j["process"]["cwd"] = "/work";
    j["process"]["apparmorProfile"] = "p";
  }));
  CHECK(busy.has(InitStep::SessionKeyring));
  CHECK(busy.has(InitStep::SetHostname));
  CHECK(busy.has(InitStep::Sysctl));
  CHECK(busy.has(InitStep::MakeCwd));
  CHECK(busy.has(InitStep::LsmLabels));

  // Each hook kind run before the process asks for the round trip; poststart/poststop do not.
  for (const char* kind : {"prestart", "createRuntime", "createContainer", "startContainer"}) {
    auto p = plan(spec_with([&](nlohmann::json& j) { j["hooks"][kind] = {{{"path", "/bin/true"}}}; }));
    CHECK(p.hooks_round_trip);
    CHECK(p.has(InitStep::CreateHooks));
    CHECK(p.has(ParentStep::ServeHooks));
    CHECK(p.has(InitStep::StartHooks) == (std::string(kind) == "startContainer"));
  }
  for (const char* kind : {"poststart", "poststop"}) {
    auto p = plan(spec_with([&](nlohmann::json& j) { j["hooks"][kind] = {{{"path", "/bin/true"}}}; }));
    CHECK_FALSE(p.hooks_round_trip);
    CHECK_FALSE(p.has(ParentStep::ServeHooks));
  }

  // seccomp: early without no_new_privs (it needs CAP_SYS_ADMIN then), else last.
  auto nnp = plan(spec_with(), host(), PlanOptions{false, true, false});
  CHECK(nnp.has(InitStep::SeccompLate));
  CHECK_FALSE(nnp.has(InitStep::SeccompEarly));
  CHECK_FALSE(nnp.has(InitStep::SendSeccompFd));
  auto early = plan(spec_with([](nlohmann::json& j) { j["process"]["noNewPrivileges"] = false; }), host(),
                    PlanOptions{false, true, true});
  CHECK(early.seccomp_early);
  CHECK(early.has(InitStep::SeccompEarly));
  CHECK_FALSE(early.has(InitStep::SeccompLate));
  CHECK(early.has(InitStep::SendSeccompFdEarly));
  CHECK_FALSE(early.has(InitStep::SendSeccompFd));
  CHECK(early.has(ParentStep::ForwardSeccompFd));
  // The notify fd goes to the parent right after the filter is loaded: nothing in between.
  auto next_after = [](const process::InitPlan& p, InitStep s) {
    auto it = std::find(p.init.begin(), p.init.end(), s);
    return it != p.init.end() && it + 1 != p.init.end() ? *(it + 1) : InitStep::Exec;
  };
  CHECK(next_after(early, InitStep::SeccompEarly) == InitStep::SendSeccompFdEarly);
  auto late_notify = plan(spec_with(), host(), PlanOptions{false, true, true});
  CHECK(next_after(late_notify, InitStep::SeccompLate) == InitStep::SendSeccompFd);
  CHECK_FALSE(late_notify.has(InitStep::SendSeccompFdEarly));
}

TEST_CASE("plan: every combination keeps the lists' order and the invariants") {
  const std::vector<std::function<void(nlohmann::json&)>> edits = {
      {},
      [](nlohmann::json& j) { add_ns(j, "user"); },
      [](nlohmann::json& j) { add_ns(j, "user", "/proc/1/ns/user"); },
      [](nlohmann::json& j) { add_ns(j, "pid", "/proc/1/ns/pid"); },
      [](nlohmann::json& j) {
        add_ns(j, "user", "/proc/1/ns/user");
        add_ns(j, "pid", "/proc/1/ns/pid");
      },
      [](nlohmann::json& j) { remove_ns(j, "mount"); },
      [](nlohmann::json& j) { j["hooks"]["prestart"] = {{{"path", "/bin/true"}}}; },
      [](nlohmann::json& j) { add_ns(j, "cgroup"); },
  };
  int n = 0;
  for (bool rootless : {false, true})
    for (const auto& edit : edits)
      for (auto cg : {CgroupHost::V1, CgroupHost::Hybrid, CgroupHost::V2, CgroupHost::Systemd})
        for (bool nnp : {false, true})
          for (bool terminal : {false, true}) {
            auto s = spec_with(
                [&](nlohmann::json& j) {
                  if (edit) edit(j);
                  j["process"]["noNewPrivileges"] = nnp;
                  j["process"]["terminal"] = terminal;
                },
                rootless);
            auto p = plan(s, host(cg, !rootless, rootless), PlanOptions{false, true, false});
            CAPTURE(n);
            ++n;
            CHECK(in_order(p.init, process::init_steps()));
            CHECK(in_order(p.parent, process::parent_steps()));
            // Every plan: the cgroup before devices and the process, seccomp
            // once, ready and exec last, the death signal cleared when it was set.
            CHECK(p.has(InitStep::JoinCgroup));
            CHECK(p.has(InitStep::AwaitGo));
            CHECK(p.has(InitStep::SwitchUser));
            CHECK(p.has(InitStep::SeccompEarly) != p.has(InitStep::SeccompLate));
            CHECK(p.has(InitStep::PivotRoot) != p.has(InitStep::Chroot));
            CHECK(p.has(InitStep::Terminal) == terminal);
            CHECK(p.init.back() == InitStep::Exec);
            CHECK(p.has(InitStep::DieWithParent) == !p.double_fork);
            CHECK(p.has(InitStep::OutliveParent));
            CHECK(p.parent.back() == ParentStep::AwaitReady);
            CHECK(p.has(ParentStep::RecordInit));
            // The two halves of each message exchange come together.
            CHECK(p.has(InitStep::CreateHooks) == p.has(ParentStep::ServeHooks));
            CHECK(p.has(InitStep::ForkIntoPidNamespace) == p.has(ParentStep::AdoptInit));
            CHECK(p.has(InitStep::BecomeUsernsRoot) == p.has(ParentStep::WriteIdMaps));
            // Namespaces: clone3, the early unshare and the one inside a joined
            // user namespace never make the same one twice, never cgroup or time.
            CHECK((p.clone_flags & static_cast<uint64_t>(p.unshare_early | p.unshare_in_joined_userns)) == 0);
            CHECK(((p.clone_flags | static_cast<uint64_t>(p.unshare_early | p.unshare_in_joined_userns)) &
                   (CLONE_NEWCGROUP | CLONE_NEWTIME)) == 0);
          }
  CHECK(n == 2 * 8 * 4 * 2 * 2);
}

TEST_CASE("plan: the parent records the init and writes its maps and limits before Go") {
  // Positions in the full list: every plan keeps its order (see in_order above).
  const auto& all = process::parent_steps();
  auto at = [&](ParentStep s) { return std::find(all.begin(), all.end(), s) - all.begin(); };
  // Until Go the init dies with berth; after it, delete --force must find it in creating.json.
  CHECK(at(ParentStep::RecordInit) < at(ParentStep::SendGo));
  // The init becomes root of its user namespace, and lives under its limits, right after Go.
  CHECK(at(ParentStep::WriteIdMaps) < at(ParentStep::SendGo));
  CHECK(at(ParentStep::SetLimits) < at(ParentStep::SendGo));
  // What is recorded is the init's pid, not the middle child's of a double fork.
  CHECK(at(ParentStep::AdoptInit) < at(ParentStep::RecordInit));
  // berth is back in its own pid namespace before it does anything else.
  CHECK(at(ParentStep::RestorePidNamespace) == at(ParentStep::Clone) + 1);
  // v1 as root: made while the init mounts, i.e. after Go, before the init is told to join.
  CHECK(at(ParentStep::SendGo) < at(ParentStep::MakeCgroup));
  CHECK(at(ParentStep::MakeCgroup) < at(ParentStep::SendCgroupJoined));
}

TEST_CASE("plan: the parent's and the init's steps exchange the same messages in the same order") {
  // The sync messages each step sends or receives, in the order it does (both sides
  // written as the messages on the wire). A step out of place on one side would hang
  // both or break the protocol.
  auto parent_msgs = [](const process::InitPlan& p) {
    std::vector<std::string> out;
    for (ParentStep s : p.parent) switch (s) {
        case ParentStep::AdoptInit: out.push_back("InitPid"); break;
        case ParentStep::SendGo: out.push_back("Go"); break;
        case ParentStep::SendCgroupJoined: out.push_back("CgroupJoined"); break;
        case ParentStep::ServeHooks: out.insert(out.end(), {"RunHooks", "HooksDone"}); break;
        case ParentStep::ForwardSeccompFd: out.push_back("SeccompFd"); break;
        case ParentStep::AwaitReady: out.push_back("Ready"); break;
        default: break;
      }
    return out;
  };
  auto init_msgs = [](const process::InitPlan& p) {
    std::vector<std::string> out;
    for (InitStep s : p.init) switch (s) {
        case InitStep::ForkIntoPidNamespace: out.push_back("InitPid"); break;
        case InitStep::AwaitGo: out.push_back("Go"); break;
        case InitStep::JoinCgroup: out.push_back("CgroupJoined"); break;
        case InitStep::CreateHooks: out.insert(out.end(), {"RunHooks", "HooksDone"}); break;
        case InitStep::SendSeccompFdEarly:
        case InitStep::SendSeccompFd: out.push_back("SeccompFd"); break;
        case InitStep::ReportReady: out.push_back("Ready"); break;
        default: break;
      }
    return out;
  };
  const std::vector<std::function<void(nlohmann::json&)>> edits = {
      {},
      [](nlohmann::json& j) { add_ns(j, "user"); },
      [](nlohmann::json& j) { add_ns(j, "user", "/proc/1/ns/user"); },
      [](nlohmann::json& j) { j["hooks"]["createRuntime"] = {{{"path", "/bin/true"}}}; },
      [](nlohmann::json& j) { j["process"]["noNewPrivileges"] = false; },
  };
  for (const auto& edit : edits)
    for (bool notify : {false, true}) {
      auto p = plan(spec_with(edit), host(), PlanOptions{false, true, notify});
      CHECK(parent_msgs(p) == init_msgs(p));
      CHECK(init_msgs(p).back() == "Ready");
    }
}

TEST_CASE("plan: dumpable until Go only for an unprivileged parent that writes the maps") {
  // A joined user namespace (its maps exist) or a root parent: never dumpable in it.
  for (bool root : {false, true})
    for (const char* path : {"", "/proc/1/ns/user"}) {
      auto p = plan(spec_with([&](nlohmann::json& j) { add_ns(j, "user", path); }, !root),
                    host(CgroupHost::V2, root, !root));
      CAPTURE(root);
      CAPTURE(path);
      CHECK(p.dumpable_until_go == (p.has(ParentStep::WriteIdMaps) && !root));
    }
}
