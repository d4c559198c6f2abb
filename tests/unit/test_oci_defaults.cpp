// oci/ documents berth writes: `berth spec` (runc's default config, checked
// against runc 1.1.5's own output), `berth features`, and the state JSON.
#include <doctest/doctest.h>
#include <unistd.h>

#include <algorithm>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "berth/cgroups/resources.hpp"
#include "berth/linux/idmap_mount.hpp"
#include "berth/linux/lsm.hpp"
#include "berth/linux/mempolicy.hpp"
#include "berth/linux/netdev.hpp"
#include "berth/linux/resctrl.hpp"
#include "berth/oci/defaults.hpp"
#include "berth/oci/mount_options.hpp"
#include "berth/oci/parse.hpp"
#include "berth/oci/state.hpp"

using nlohmann::json;
namespace oci = berth::oci;

namespace {

// Captured from `runc spec` (runc 1.1.5), unedited.
const char* const kRuncSpec = R"RUNC({
	"ociVersion": "1.0.2-dev",
	"process": {
		"terminal": true,
		"user": {
			"uid": 0,
			"gid": 0
		},
		"args": [
			"sh"
		],
		"env": [
			"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
			"TERM=xterm"
		],
		"cwd": "/",
		"capabilities": {
			"bounding": [
				"CAP_AUDIT_WRITE",
				"CAP_KILL",
				"CAP_NET_BIND_SERVICE"
			],
			"effective": [
				"CAP_AUDIT_WRITE",
				"CAP_KILL",
				"CAP_NET_BIND_SERVICE"
			],
			"permitted": [
				"CAP_AUDIT_WRITE",
				"CAP_KILL",
				"CAP_NET_BIND_SERVICE"
			],
			"ambient": [
				"CAP_AUDIT_WRITE",
				"CAP_KILL",
				"CAP_NET_BIND_SERVICE"
			]
		},
		"rlimits": [
			{
				"type": "RLIMIT_NOFILE",
				"hard": 1024,
				"soft": 1024
			}
		],
		"noNewPrivileges": true
	},
	"root": {
		"path": "rootfs",
		"readonly": true
	},
	"hostname": "runc",
	"mounts": [
		{
			"destination": "/proc",
			"type": "proc",
			"source": "proc"
		},
		{
			"destination": "/dev",
			"type": "tmpfs",
			"source": "tmpfs",
			"options": [
				"nosuid",
				"strictatime",
				"mode=755",
				"size=65536k"
			]
		},
		{
			"destination": "/dev/pts",
			"type": "devpts",
			"source": "devpts",
			"options": [
				"nosuid",
				"noexec",
				"newinstance",
				"ptmxmode=0666",
				"mode=0620",
				"gid=5"
			]
		},
		{
			"destination": "/dev/shm",
			"type": "tmpfs",
			"source": "shm",
			"options": [
				"nosuid",
				"noexec",
				"nodev",
				"mode=1777",
				"size=65536k"
			]
		},
		{
			"destination": "/dev/mqueue",
			"type": "mqueue",
			"source": "mqueue",
			"options": [
				"nosuid",
				"noexec",
				"nodev"
			]
		},
		{
			"destination": "/sys",
			"type": "sysfs",
			"source": "sysfs",
			"options": [
				"nosuid",
				"noexec",
				"nodev",
				"ro"
			]
		},
		{
			"destination": "/sys/fs/cgroup",
			"type": "cgroup",
			"source": "cgroup",
			"options": [
				"nosuid",
				"noexec",
				"nodev",
				"relatime",
				"ro"
			]
		}
	],
	"linux": {
		"resources": {
			"devices": [
				{
					"allow": false,
					"access": "rwm"
				}
			]
		},
		"namespaces": [
			{
				"type": "pid"
			},
			{
				"type": "network"
			},
			{
				"type": "ipc"
			},
			{
				"type": "uts"
			},
			{
				"type": "mount"
			}
		],
		"maskedPaths": [
			"/proc/acpi",
			"/proc/asound",
			"/proc/kcore",
			"/proc/keys",
			"/proc/latency_stats",
			"/proc/timer_list",
			"/proc/timer_stats",
			"/proc/sched_debug",
			"/sys/firmware",
			"/proc/scsi"
		],
		"readonlyPaths": [
			"/proc/bus",
			"/proc/fs",
			"/proc/irq",
			"/proc/sys",
			"/proc/sysrq-trigger"
		]
	}
})RUNC";

// Captured from `runc spec --rootless` (runc 1.1.5) run as root, unedited:
// hostID is the caller's effective uid/gid, so 0 here.
const char* const kRuncRootlessSpec = R"RUNC({
	"ociVersion": "1.0.2-dev",
	"process": {
		"terminal": true,
		"user": {
			"uid": 0,
			"gid": 0
		},
		"args": [
			"sh"
		],
		"env": [
			"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
			"TERM=xterm"
		],
		"cwd": "/",
		"capabilities": {
			"bounding": [
				"CAP_AUDIT_WRITE",
				"CAP_KILL",
				"CAP_NET_BIND_SERVICE"
			],
			"effective": [
				"CAP_AUDIT_WRITE",
				"CAP_KILL",
				"CAP_NET_BIND_SERVICE"
			],
			"permitted": [
				"CAP_AUDIT_WRITE",
				"CAP_KILL",
				"CAP_NET_BIND_SERVICE"
			],
			"ambient": [
				"CAP_AUDIT_WRITE",
				"CAP_KILL",
				"CAP_NET_BIND_SERVICE"
			]
		},
		"rlimits": [
			{
				"type": "RLIMIT_NOFILE",
				"hard": 1024,
				"soft": 1024
			}
		],
		"noNewPrivileges": true
	},
	"root": {
		"path": "rootfs",
		"readonly": true
	},
	"hostname": "runc",
	"mounts": [
		{
			"destination": "/proc",
			"type": "proc",
			"source": "proc"
		},
		{
			"destination": "/dev",
			"type": "tmpfs",
			"source": "tmpfs",
			"options": [
				"nosuid",
				"strictatime",
				"mode=755",
				"size=65536k"
			]
		},
		{
			"destination": "/dev/pts",
			"type": "devpts",
			"source": "devpts",
			"options": [
				"nosuid",
				"noexec",
				"newinstance",
				"ptmxmode=0666",
				"mode=0620"
			]
		},
		{
			"destination": "/dev/shm",
			"type": "tmpfs",
			"source": "shm",
			"options": [
				"nosuid",
				"noexec",
				"nodev",
				"mode=1777",
				"size=65536k"
			]
		},
		{
			"destination": "/dev/mqueue",
			"type": "mqueue",
			"source": "mqueue",
			"options": [
				"nosuid",
				"noexec",
				"nodev"
			]
		},
		{
			"destination": "/sys",
			"type": "none",
			"source": "/sys",
			"options": [
				"rbind",
				"nosuid",
				"noexec",
				"nodev",
				"ro"
			]
		},
		{
			"destination": "/sys/fs/cgroup",
			"type": "cgroup",
			"source": "cgroup",
			"options": [
				"nosuid",
				"noexec",
				"nodev",
				"relatime",
				"ro"
			]
		}
	],
	"linux": {
		"uidMappings": [
			{
				"containerID": 0,
				"hostID": 0,
				"size": 1
			}
		],
		"gidMappings": [
			{
				"containerID": 0,
				"hostID": 0,
				"size": 1
			}
		],
		"namespaces": [
			{
				"type": "pid"
			},
			{
				"type": "ipc"
			},
			{
				"type": "uts"
			},
			{
				"type": "mount"
			},
			{
				"type": "user"
			}
		],
		"maskedPaths": [
			"/proc/acpi",
			"/proc/asound",
			"/proc/kcore",
			"/proc/keys",
			"/proc/latency_stats",
			"/proc/timer_list",
			"/proc/timer_stats",
			"/proc/sched_debug",
			"/sys/firmware",
			"/proc/scsi"
		],
		"readonlyPaths": [
			"/proc/bus",
			"/proc/fs",
			"/proc/irq",
			"/proc/sys",
			"/proc/sysrq-trigger"
		]
	}
})RUNC";

}  // namespace

TEST_CASE("default_spec(false) is runc's `runc spec` apart from ociVersion") {
  json expected = json::parse(kRuncSpec);
  expected["ociVersion"] = "1.3.0";
  const json mine = oci::default_spec(false);
  CHECK(mine == expected);
  if (mine != expected) MESSAGE(json::diff(expected, mine).dump());
  CHECK(mine.at("ociVersion") == oci::kSpecVersion);
}

TEST_CASE("default_spec(true) is runc's `runc spec --rootless` for the calling user") {
  json expected = json::parse(kRuncRootlessSpec);
  expected["ociVersion"] = "1.3.0";
  expected["linux"]["uidMappings"][0]["hostID"] = ::geteuid();
  expected["linux"]["gidMappings"][0]["hostID"] = ::getegid();
  const json mine = oci::default_spec(true);
  CHECK(mine == expected);
  if (mine != expected) MESSAGE(json::diff(expected, mine).dump());
}

TEST_CASE("the default specs are valid configs and round-trip") {
  for (bool rootless : {false, true}) {
    CAPTURE(rootless);
    const json d = oci::default_spec(rootless);
    oci::Spec s;
    REQUIRE_NOTHROW(s = oci::parse_spec(d));
    CHECK(oci::to_json(s) == d);
    CHECK(s.has_namespace(oci::NamespaceType::User) == rootless);
    CHECK(s.has_namespace(oci::NamespaceType::Network) == !rootless);
  }
}

TEST_CASE("features document is what berth supports") {
  const json f = oci::features();
  CHECK(f.at("ociVersionMin") == "1.0.0");
  CHECK(f.at("ociVersionMax") == "1.3.0");
  CHECK(f.at("hooks") ==
        json{"prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"});
  CHECK(f.at("annotations").at("io.github.berth.version") == BERTH_VERSION);

  const json& l = f.at("linux");
  CHECK(l.at("namespaces") == json{"cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts"});
  CHECK(l.at("cgroup") ==
        json{{"v1", true}, {"v2", true}, {"systemd", true}, {"systemdUser", false}, {"rdma", true}});
  CHECK(l.at("apparmor").at("enabled") == true);
  CHECK(l.at("selinux").at("enabled") == true);
  CHECK(l.at("intelRdt") == json{{"enabled", true}, {"schemata", true}, {"monitoring", true}});
  CHECK(l.at("mountExtensions").at("idmap").at("enabled") == true);
  CHECK(l.at("netDevices").at("enabled") == true);
  CHECK(l.at("memoryPolicy").at("modes").size() == 7);
  CHECK(l.at("memoryPolicy").at("flags").size() == 3);

  // libcap's compile-time list, in capability-number order.
  const json& caps = l.at("capabilities");
  REQUIRE(caps.size() >= 41);
  CHECK(caps.at(0) == "CAP_CHOWN");
  CHECK(caps.at(21) == "CAP_SYS_ADMIN");
  CHECK(caps.at(40) == "CAP_CHECKPOINT_RESTORE");

  const json& sc = l.at("seccomp");
  CHECK(sc.at("enabled") == true);
  CHECK(sc.at("actions").size() == 9);
  CHECK(sc.at("operators").size() == 7);
  const json& archs = sc.at("archs");
  CHECK(std::find(archs.begin(), archs.end(), "SCMP_ARCH_X86_64") != archs.end());
  CHECK(sc.at("knownFlags").size() == 4);
  CHECK(sc.at("supportedFlags").at(0) == "SECCOMP_FILTER_FLAG_TSYNC");
}

TEST_CASE("features and the parser agree on every name") {
  // Everything advertised must be accepted by parse_spec.
  const json f = oci::features();
  const json& sc = f.at("linux").at("seccomp");
  json cfg = oci::default_spec(false);
  json syscalls = json::array();
  for (const auto& action : sc.at("actions")) {
    if (action == "SCMP_ACT_NOTIFY") continue;  // needs a listener; checked below
    syscalls.push_back({{"names", {"getpid"}}, {"action", action}});
  }
  json args = json::array();
  for (const auto& op : sc.at("operators")) args.push_back({{"index", 0}, {"value", 1}, {"op", op}});
  syscalls.push_back({{"names", {"kill"}}, {"action", "SCMP_ACT_NOTIFY"}, {"args", args}});
  cfg["linux"]["seccomp"] = {{"defaultAction", "SCMP_ACT_ALLOW"},
                             {"architectures", sc.at("archs")},
                             {"flags", sc.at("knownFlags")},
                             {"listenerPath", "/run/agent.sock"},
                             {"syscalls", syscalls}};
  cfg["process"]["capabilities"]["bounding"] = f.at("linux").at("capabilities");
  json namespaces = json::array();
  for (const auto& ns : f.at("linux").at("namespaces")) namespaces.push_back({{"type", ns}});
  cfg["linux"]["namespaces"] = namespaces;
  cfg["linux"]["uidMappings"] = json::array({{{"containerID", 0}, {"hostID", 1000}, {"size", 1}}});
  cfg["linux"]["gidMappings"] = cfg["linux"]["uidMappings"];
  cfg["mounts"][0]["options"] = f.at("mountOptions");
  cfg["mounts"][0]["type"] = "bind";
  CHECK_NOTHROW(oci::parse_spec(cfg));
}

TEST_CASE("known mount options: sorted, unique, the list src/linux implements") {
  const auto& opts = oci::known_mount_options();
  CHECK(opts.size() == 61);
  CHECK(std::is_sorted(opts.begin(), opts.end()));
  CHECK(std::adjacent_find(opts.begin(), opts.end()) == opts.end());
  for (const char* o : {"bind", "rbind", "ro", "rro", "nosymfollow", "tmpcopyup", "idmap", "ridmap", "remount"})
    CHECK(std::find(opts.begin(), opts.end(), o) != opts.end());
  // runc lists these but berth does not implement them.
  for (const char* o : {"acl", "noacl", "rsymfollow"}) CHECK(std::find(opts.begin(), opts.end(), o) == opts.end());
  CHECK(oci::features().at("mountOptions") == json(opts));
}

// Every "enabled"-style claim of the features document, with a config that uses it and the
// code that applies it: the parser must keep the field (to_json has it) and the applier must
// exist. A claim added to features() without a row here fails the first check.
TEST_CASE("features: every claim is backed by the parser and an applier") {
  struct Claim {
    const char* claim;  // JSON pointer into features()
    const char* patch;  // a config using it
    const char* kept;   // JSON pointer into to_json(parse_spec(config))
    bool applier;       // the function that applies it, linked in
  };
  auto fn = [](auto* f) { return f != nullptr; };
  const Claim claims[] = {
      {"/linux/apparmor/enabled", R"({"process": {"apparmorProfile": "p"}})", "/process/apparmorProfile",
       fn(&berth::linux_::apply_apparmor)},
      {"/linux/selinux/enabled", R"({"process": {"selinuxLabel": "l"}, "linux": {"mountLabel": "m"}})",
       "/linux/mountLabel", fn(&berth::linux_::mount_label_data)},
      {"/linux/intelRdt/enabled", R"({"linux": {"intelRdt": {"closID": "c"}}})", "/linux/intelRdt/closID",
       fn(&berth::linux_::join_intel_rdt)},
      {"/linux/intelRdt/schemata", R"({"linux": {"intelRdt": {"schemata": ["L3:0=f"]}}})", "/linux/intelRdt/schemata",
       fn(&berth::linux_::rdt_schema_lines)},
      {"/linux/intelRdt/monitoring", R"({"linux": {"intelRdt": {"enableMonitoring": true}}})",
       "/linux/intelRdt/enableMonitoring", fn(&berth::linux_::join_intel_rdt)},
      {"/linux/cgroup/rdma", R"({"linux": {"resources": {"rdma": {"mlx5_1": {"hcaHandles": 3}}}}})",
       "/linux/resources/rdma/mlx5_1/hcaHandles", fn(&berth::cgroups::apply_v2)},
      {"/linux/netDevices/enabled", R"({"linux": {"netDevices": {"d0": {}}}})",
       "/linux/netDevices/d0", fn(&berth::linux_::move_net_devices_in)},
      {"/linux/mountExtensions/idmap/enabled",
       R"({"mounts": [{"destination": "/d", "type": "bind", "source": "/s", "options": ["rbind", "idmap"],
          "uidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}],
          "gidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}]}]})",
       "/mounts/0/uidMappings", fn(&berth::linux_::prepare_idmapped_mounts)},
  };
  const json f = oci::features();
  size_t true_claims = 0;
  std::function<void(const json&)> count = [&](const json& j) {
    if (!j.is_object()) return;
    for (const auto& [k, v] : j.items()) {
      if (v.is_boolean() && v.get<bool>() && k != "v1" && k != "v2" && k != "systemd") ++true_claims;
      count(v);
    }
  };
  count(f.at("linux"));
  // seccomp.enabled is backed by the test above (every name it lists parses).
  CHECK(true_claims == std::size(claims) + 1);
  for (const Claim& c : claims) {
    const std::string claim = c.claim;
    CAPTURE(claim);
    CHECK(f.at(json::json_pointer(c.claim)) == true);
    json cfg = oci::default_spec(false);
    cfg.merge_patch(json::parse(c.patch));
    oci::Spec s;
    REQUIRE_NOTHROW(s = oci::parse_spec(cfg));
    CHECK(oci::to_json(s).contains(json::json_pointer(c.kept)));
    CHECK(c.applier);
  }
  // Each memory policy mode and flag listed is one the parser takes (with the nodes and the
  // mode it needs).
  for (const auto& mode : f.at("/linux/memoryPolicy/modes"_json_pointer)) {
    const bool nodeless = mode == "MPOL_DEFAULT" || mode == "MPOL_LOCAL";
    json cfg = oci::default_spec(false);
    cfg["linux"]["memoryPolicy"] = {{"mode", mode}};
    if (!nodeless) cfg["linux"]["memoryPolicy"]["nodes"] = "0";
    CAPTURE(mode);
    CHECK_NOTHROW(oci::parse_spec(cfg));
  }
  for (const auto& flag : f.at("/linux/memoryPolicy/flags"_json_pointer)) {
    json cfg = oci::default_spec(false);
    cfg["linux"]["memoryPolicy"] = {{"mode", "MPOL_BIND"}, {"nodes", "0"}, {"flags", {flag}}};
    CAPTURE(flag);
    CHECK_NOTHROW(oci::parse_spec(cfg));
    CHECK(berth::linux_::mempolicy_flag_number(flag.get<std::string>()).has_value());
  }
  for (const auto& mode : f.at("/linux/memoryPolicy/modes"_json_pointer))
    CHECK(berth::linux_::mempolicy_mode_number(mode.get<std::string>()).has_value());
}
