// oci/ parsing: realistic configs parse and round-trip; every class of
// invalid input is refused with the exact "<doc>: <path>: <problem>" message;
// no malformed document can make anything but berth::Error escape.
#include <doctest/doctest.h>
#include <sched.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "berth/oci/parse.hpp"
#include "berth/util/error.hpp"
#include "full_config.hpp"

using nlohmann::json;
namespace oci = berth::oci;
using berth_test::kFullConfig;

namespace {

// kFullConfig: tests/unit/full_config.hpp.

// runc 1.1.5 `runc spec` output.
const char* const kRuncSpec = R"({
	"ociVersion": "1.0.2-dev",
	"process": {
		"terminal": true,
		"user": {"uid": 0, "gid": 0},
		"args": ["sh"],
		"env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"],
		"cwd": "/",
		"capabilities": {
			"bounding": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
			"effective": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
			"permitted": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
			"ambient": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
		},
		"rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
		"noNewPrivileges": true
	},
	"root": {"path": "rootfs", "readonly": true},
	"hostname": "runc",
	"mounts": [
		{"destination": "/proc", "type": "proc", "source": "proc"},
		{"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
		 "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
		{"destination": "/dev/pts", "type": "devpts", "source": "devpts",
		 "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]},
		{"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
		 "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
		{"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue", "options": ["nosuid", "noexec", "nodev"]},
		{"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"]},
		{"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
		 "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]}
	],
	"linux": {
		"resources": {"devices": [{"allow": false, "access": "rwm"}]},
		"namespaces": [{"type": "pid"}, {"type": "network"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}],
		"maskedPaths": ["/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
		                "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi"],
		"readonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]
	}
})";

json minimal() {
  return json::parse(R"({"ociVersion": "1.2.0", "root": {"path": "rootfs"},
                         "process": {"args": ["sh"], "cwd": "/"}})");
}

// `base` with an RFC 7386 merge patch applied (null removes a member).
json patched(json base, const char* patch) {
  base.merge_patch(json::parse(patch));
  return base;
}

// The message parse_spec fails with, or a marker when it does not fail as it should.
std::string error_of(const json& j, const std::string& doc = "config.json") {
  try {
    oci::parse_spec(j, doc);
  } catch (const berth::Error& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("NOT A berth::Error: ") + e.what();
  }
  return "no error";
}

std::string error_of_patch(const char* patch) { return error_of(patched(minimal(), patch)); }

}  // namespace

TEST_CASE("runc's default config parses into the model") {
  const oci::Spec s = oci::parse_spec(json::parse(kRuncSpec));
  CHECK(s.ociVersion == "1.0.2-dev");
  REQUIRE(s.process);
  CHECK(s.process->terminal);
  CHECK(s.process->args == std::vector<std::string>{"sh"});
  CHECK(s.process->cwd == "/");
  REQUIRE(s.process->capabilities);
  CHECK(s.process->capabilities->bounding.size() == 3);
  CHECK(s.process->capabilities->inheritable.empty());
  REQUIRE(s.process->rlimits.size() == 1);
  CHECK(s.process->rlimits[0].type == "RLIMIT_NOFILE");
  CHECK(s.process->rlimits[0].soft == 1024);
  CHECK(s.process->noNewPrivileges);
  CHECK(s.root.path == "rootfs");
  CHECK(s.root.readonly);
  CHECK(s.hostname == "runc");
  REQUIRE(s.mounts.size() == 7);
  CHECK(s.mounts[2].destination == "/dev/pts");
  CHECK(s.mounts[2].options.back() == "gid=5");
  REQUIRE(s.linux);
  CHECK(s.linux->namespaces.size() == 5);
  CHECK(s.has_namespace(oci::NamespaceType::Network));
  CHECK_FALSE(s.has_namespace(oci::NamespaceType::User));
  REQUIRE(s.linux->resources);
  REQUIRE(s.linux->resources->devices.size() == 1);
  CHECK_FALSE(s.linux->resources->devices[0].allow);
  CHECK(s.linux->resources->devices[0].access == "rwm");
  CHECK(s.linux->maskedPaths.size() == 10);
}

TEST_CASE("runc's default config round-trips exactly") {
  const json in = json::parse(kRuncSpec);
  CHECK(oci::to_json(oci::parse_spec(in)) == in);
}

TEST_CASE("a config using every field parses and round-trips exactly") {
  const json in = json::parse(kFullConfig);
  const oci::Spec s = oci::parse_spec(in);
  const json out = oci::to_json(s);
  CHECK(out == in);
  if (out != in) MESSAGE(json::diff(in, out).dump());
  CHECK(oci::to_json(oci::parse_spec(out)) == out);

  // Spot checks on the typed model.
  REQUIRE(s.process);
  CHECK(s.process->user.umask == 18U);
  CHECK(s.process->user.additionalGids == std::vector<uint32_t>{5, 100});
  CHECK(s.process->rlimits[1].hard == UINT64_MAX);
  CHECK(s.process->oomScoreAdj == -500);
  REQUIRE(s.process->ioPriority);
  CHECK(s.process->ioPriority->ioClass == "IOPRIO_CLASS_BE");
  REQUIRE(s.process->scheduler);
  CHECK(s.process->scheduler->period == 30000000);
  REQUIRE(s.linux);
  const oci::Namespace* net = s.find_namespace(oci::NamespaceType::Network);
  REQUIRE(net != nullptr);
  CHECK(net->path == "/var/run/netns/n1");
  CHECK(s.linux->timeOffsets.at("boottime").secs == -3600);
  CHECK(s.linux->timeOffsets.at("monotonic").nanosecs == 500);
  CHECK(s.linux->devices[0].fileMode == 0666U);
  const oci::Resources& r = *s.linux->resources;
  CHECK(r.memory->limit == 536870912);
  CHECK(r.memory->kernel == -1);
  CHECK(r.memory->disableOOMKiller == false);
  CHECK(r.cpu->quota == 50000);
  CHECK(r.cpu->idle == 0);
  CHECK(r.pids->limit == 100);
  CHECK(r.blockIO->weightDevice[0].leafWeight == 200);
  CHECK(r.blockIO->throttleWriteIOPSDevice[0].rate == 200);
  CHECK(r.hugepageLimits[1].pageSize == "1GB");
  CHECK(r.network->classID == 1048577U);
  CHECK(r.rdma.at("mlx5_1").hcaObjects == 10000U);
  CHECK_FALSE(r.rdma.at("mlx4_0").hcaHandles);
  CHECK(r.unified.at("io.weight") == "default 100");
  CHECK(s.linux->seccomp->syscalls[1].args[1].valueTwo == 8);
  CHECK(s.linux->seccomp->syscalls[3].errnoRet == 38U);
  CHECK(s.linux->personality->domain == "LINUX32");
  CHECK(s.linux->intelRdt->closID == "guaranteed");
  CHECK(s.linux->intelRdt->schemata == std::vector<std::string>{"L2:0=f"});
  CHECK(s.linux->memoryPolicy->nodes == "0-1,3");
  CHECK(s.linux->netDevices.at("eth1").name == "ctr0");
  CHECK(s.linux->netDevices.at("dummy0").name.empty());
}

TEST_CASE("defaults, nulls and unknown keys") {
  // Minimal documents: omitted members take the model's defaults.
  const oci::Spec s = oci::parse_spec(minimal());
  CHECK(s.process->user.uid == 0);
  CHECK_FALSE(s.process->capabilities);
  CHECK_FALSE(s.linux);
  // JSON null is "absent", as in Go's encoding/json.
  const oci::Spec n = oci::parse_spec(patched(minimal(), R"({"hostname": null, "mounts": null,
      "linux": {"seccomp": null, "resources": {"memory": null}}})"));
  CHECK(n.hostname.empty());
  CHECK_FALSE(n.linux->seccomp);
  CHECK_FALSE(n.linux->resources->memory);
  // Unknown members are ignored anywhere (the spec says so): future fields, other platforms.
  CHECK_NOTHROW(oci::parse_spec(patched(minimal(), R"({"windows": {"layerFolders": []}, "vm": 5,
      "process": {"execCPUAffinity": {"initial": "0"}}, "linux": {"someFutureField": {"eth0": {}}}})")));
  // No process is allowed by the spec (it is only needed at start).
  CHECK_FALSE(oci::parse_spec(patched(minimal(), R"({"process": null})")).process);
  // A relative mount destination is taken as relative to "/" (spec: deprecated but valid).
  CHECK(oci::parse_spec(patched(minimal(), R"({"mounts": [{"destination": "tmp", "type": "tmpfs"}]})"))
            .mounts[0]
            .destination == "/tmp");
  // A user namespace joined by path brings its own mappings.
  CHECK_NOTHROW(oci::parse_spec(
      patched(minimal(), R"({"linux": {"namespaces": [{"type": "user", "path": "/proc/1/ns/user"}]}})")));
  // A FIFO device needs no device numbers.
  CHECK_NOTHROW(oci::parse_spec(patched(minimal(), R"({"linux": {"devices": [{"type": "p", "path": "/dev/f"}]}})")));
  // soft > hard is the kernel's to refuse, not ours (as in runc).
  CHECK_NOTHROW(oci::parse_spec(
      patched(minimal(), R"({"process": {"rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1, "soft": 2}]}})")));
  // Pre-release versions of 1.x are fine.
  CHECK_NOTHROW(oci::parse_spec(patched(minimal(), R"({"ociVersion": "1.0.0-rc5+dev"})")));
}

TEST_CASE("document and version errors") {
  CHECK(error_of(json::array()) == "config.json: expected object, got array");
  CHECK(error_of_patch(R"({"ociVersion": null})") == "config.json: ociVersion: required");
  CHECK(error_of_patch(R"({"ociVersion": 1})") == "config.json: ociVersion: expected string, got 1");
  CHECK(error_of_patch(R"({"ociVersion": "2.0.0"})") ==
        R"(config.json: ociVersion: unsupported version "2.0.0": berth supports 1.x)");
  CHECK(error_of_patch(R"({"ociVersion": "1.0"})") ==
        R"(config.json: ociVersion: invalid version "1.0": must be SemVer such as "1.2.0")");
  CHECK(error_of_patch(R"({"root": null})") == "config.json: root: required");
  CHECK(error_of_patch(R"({"root": {"path": null}})") == "config.json: root.path: required");
  CHECK(error_of_patch(R"({"root": {"path": ""}})") == "config.json: root.path: must not be empty");
  CHECK(error_of_patch(R"({"root": {"readonly": "yes"}})") ==
        "config.json: root.readonly: expected boolean, got string");
  CHECK(error_of_patch(R"({"mounts": {}})") == "config.json: mounts: expected array, got object");
  CHECK(error_of_patch(R"({"linux": []})") == "config.json: linux: expected object, got array");
  CHECK(error_of(minimal()) == "no error");
  CHECK(error_of(json::array(), "state.json: config") == "state.json: config: expected object, got array");
}

TEST_CASE("process errors") {
  CHECK(error_of_patch(R"({"process": {"args": null}})") ==
        "config.json: process.args: must be a non-empty array of strings");
  CHECK(error_of_patch(R"({"process": {"args": []}})") ==
        "config.json: process.args: must be a non-empty array of strings");
  CHECK(error_of_patch(R"({"process": {"args": "sh"}})") ==
        "config.json: process.args: must be a non-empty array of strings");
  CHECK(error_of_patch(R"({"process": {"args": ["sh", 5]}})") ==
        "config.json: process.args[1]: expected string, got 5");
  CHECK(error_of_patch(R"({"process": {"cwd": null}})") == "config.json: process.cwd: required");
  CHECK(error_of_patch(R"({"process": {"cwd": "tmp"}})") ==
        R"(config.json: process.cwd: must be an absolute path, got "tmp")");
  CHECK(error_of_patch(R"({"process": {"env": ["A=1", "NOEQUALS"]}})") ==
        R"(config.json: process.env[1]: invalid environment variable "NOEQUALS": missing '=')");
  CHECK(error_of_patch(R"({"process": {"env": ["=x"]}})") ==
        R"(config.json: process.env[0]: invalid environment variable "=x": name cannot be empty)");
  CHECK(error_of_patch(R"({"process": {"terminal": 1}})") == "config.json: process.terminal: expected boolean, got 1");
  CHECK(error_of_patch(R"({"process": {"consoleSize": {"height": 10}}})") ==
        "config.json: process.consoleSize.width: required");
}

TEST_CASE("integer errors name the type, the value and the range") {
  CHECK(error_of_patch(R"({"process": {"user": {"uid": "0"}}})") ==
        "config.json: process.user.uid: expected unsigned integer, got string");
  CHECK(error_of_patch(R"({"process": {"user": {"uid": -1}}})") ==
        "config.json: process.user.uid: expected unsigned integer, got -1");
  CHECK(error_of_patch(R"({"process": {"user": {"gid": 1.5}}})") ==
        "config.json: process.user.gid: expected unsigned integer, got 1.5");
  CHECK(error_of_patch(R"({"process": {"user": {"uid": 4294967296}}})") ==
        "config.json: process.user.uid: out of range: 4294967296 (must be 0..4294967295)");
  CHECK(error_of_patch(R"({"process": {"user": {"additionalGids": [1, null]}}})") ==
        "config.json: process.user.additionalGids[1]: expected unsigned integer, got null");
  CHECK(error_of_patch(R"({"linux": {"resources": {"pids": {"limit": 9223372036854775808}}}})") ==
        "config.json: linux.resources.pids.limit: out of range: 9223372036854775808 "
        "(must be -9223372036854775808..9223372036854775807)");
  CHECK(error_of_patch(R"({"linux": {"resources": {"blockIO": {"weight": 65536}}}})") ==
        "config.json: linux.resources.blockIO.weight: out of range: 65536 (must be 0..65535)");
}

TEST_CASE("process capability, rlimit, priority and scheduler errors") {
  // Names that grant nothing here (malformed, unknown, a newer kernel's) are kept for src/linux
  // to skip with a warning (linux_::unavailable_caps), as runc and crun skip them.
  CHECK(error_of_patch(R"({"process": {"capabilities": {"bounding": ["CAP_KILL", "cap_chown"]}}})") == "no error");
  CHECK(error_of_patch(R"({"process": {"capabilities": {"ambient": ["CAP_FUTURE_THING"]}}})") == "no error");
  CHECK(error_of_patch(R"({"process": {"capabilities": {"bounding": [7]}}})") ==
        "config.json: process.capabilities.bounding[0]: expected string, got 7");
  CHECK(error_of_patch(R"({"process": {"rlimits": [{"type": "RLIMIT_FOO", "hard": 1, "soft": 1}]}})") ==
        R"(config.json: process.rlimits[0].type: unknown rlimit "RLIMIT_FOO")");
  CHECK(error_of_patch(R"({"process": {"rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1, "soft": 1},
                                                   {"type": "RLIMIT_NOFILE", "hard": 2, "soft": 2}]}})") ==
        R"(config.json: process.rlimits[1].type: duplicate rlimit "RLIMIT_NOFILE")");
  CHECK(error_of_patch(R"({"process": {"rlimits": [{"type": "RLIMIT_NOFILE", "soft": 1}]}})") ==
        "config.json: process.rlimits[0].hard: required");
  CHECK(error_of_patch(R"({"process": {"oomScoreAdj": 1001}})") ==
        "config.json: process.oomScoreAdj: must be between -1000 and 1000, got 1001");
  CHECK(error_of_patch(R"({"process": {"ioPriority": {"class": "IOPRIO_CLASS_X"}}})") ==
        R"(config.json: process.ioPriority.class: unknown I/O priority class "IOPRIO_CLASS_X")");
  CHECK(error_of_patch(R"({"process": {"ioPriority": {"class": "IOPRIO_CLASS_RT", "priority": 8}}})") ==
        "config.json: process.ioPriority.priority: must be between 0 and 7, got 8");
  CHECK(error_of_patch(R"({"process": {"scheduler": {"policy": "SCHED_FAST"}}})") ==
        R"(config.json: process.scheduler.policy: unknown scheduler policy "SCHED_FAST")");
  CHECK(error_of_patch(R"({"process": {"scheduler": {"policy": "SCHED_OTHER", "nice": 20}}})") ==
        "config.json: process.scheduler.nice: must be between -20 and 19, got 20");
  CHECK(error_of_patch(R"({"process": {"scheduler": {"policy": "SCHED_OTHER", "priority": 5}}})") ==
        "config.json: process.scheduler.priority: can only be set for SCHED_FIFO or SCHED_RR");
  CHECK(error_of_patch(R"({"process": {"scheduler": {"policy": "SCHED_RR", "priority": 1, "runtime": 5}}})") ==
        "config.json: process.scheduler: runtime, deadline and period can only be set for SCHED_DEADLINE");
  CHECK(error_of_patch(R"({"process": {"scheduler": {"policy": "SCHED_RR", "priority": 1, "flags": ["SCHED_FLAG_X"]}}})") ==
        R"(config.json: process.scheduler.flags[0]: unknown scheduler flag "SCHED_FLAG_X")");
}

// The kernel's sched_setattr rules (kernel/sched/syscalls.c), each refused at
// parse time with the field that breaks it.
TEST_CASE("process.scheduler: the kernel's rules, before anything is created") {
  auto sched = [](const std::string& body) {
    return error_of_patch((R"({"process": {"scheduler": )" + body + "}}").c_str());
  };
  CHECK(sched(R"({"policy": "SCHED_FIFO"})") ==
        "config.json: process.scheduler.priority: must be between 1 and 99 for SCHED_FIFO, got 0");
  CHECK(sched(R"({"policy": "SCHED_RR", "priority": 100})") ==
        "config.json: process.scheduler.priority: must be between 1 and 99 for SCHED_RR, got 100");
  CHECK(sched(R"({"policy": "SCHED_FIFO", "priority": 99})") == "no error");
  CHECK(sched(R"({"policy": "SCHED_BATCH", "nice": 5})") == "no error");
  CHECK(sched(R"({"policy": "SCHED_IDLE"})") == "no error");
  // runc passes nice on with any policy (its scheduler.bats: nice 19 with SCHED_DEADLINE); berth
  // too, with a warning that the kernel ignores it there.
  CHECK(sched(R"({"policy": "SCHED_IDLE", "nice": 5})") == "no error");
  CHECK(sched(R"({"policy": "SCHED_ISO"})") ==
        "config.json: process.scheduler.policy: SCHED_ISO is reserved and not implemented by Linux");
  CHECK(sched(R"({"policy": "SCHED_OTHER", "flags": ["SCHED_FLAG_UTIL_CLAMP_MIN"]})") ==
        "config.json: process.scheduler.flags: SCHED_FLAG_UTIL_CLAMP_MIN: the runtime-spec has no utilization "
        "value to clamp to");
  CHECK(sched(R"({"policy": "SCHED_OTHER", "flags": ["SCHED_FLAG_RECLAIM"]})") ==
        "config.json: process.scheduler.flags: SCHED_FLAG_RECLAIM can only be set for SCHED_DEADLINE");
  CHECK(sched(R"({"policy": "SCHED_OTHER", "flags": ["SCHED_FLAG_RESET_ON_FORK"]})") == "no error");
  // SCHED_DEADLINE: runtime <= deadline <= period, the kernel's bounds.
  CHECK(sched(R"({"policy": "SCHED_DEADLINE", "runtime": 1000000})") ==
        "config.json: process.scheduler.deadline: is required for SCHED_DEADLINE");
  CHECK(sched(R"({"policy": "SCHED_DEADLINE", "runtime": 1000, "deadline": 1000000})") ==
        "config.json: process.scheduler.runtime: must be at least 1024 ns for SCHED_DEADLINE, got 1000");
  CHECK(sched(R"({"policy": "SCHED_DEADLINE", "runtime": 2000000, "deadline": 1000000})") ==
        "config.json: process.scheduler.runtime: must not exceed deadline (2000000 > 1000000)");
  CHECK(sched(R"({"policy": "SCHED_DEADLINE", "runtime": 1000000, "deadline": 3000000, "period": 2000000})") ==
        "config.json: process.scheduler.deadline: must not exceed period (3000000 > 2000000)");
  CHECK(sched(R"({"policy": "SCHED_DEADLINE", "runtime": 10000, "deadline": 50000})") ==
        "config.json: process.scheduler.deadline: the period must be between 100 us and 4.194304 s (the kernel's "
        "sched_deadline_period_{min,max}_us), got 50000 ns");
  CHECK(sched(R"({"policy": "SCHED_DEADLINE", "runtime": 10000, "deadline": 50000, "period": 5000000000})") ==
        "config.json: process.scheduler.period: the period must be between 100 us and 4.194304 s (the kernel's "
        "sched_deadline_period_{min,max}_us), got 5000000000 ns");
  CHECK(sched(R"({"policy": "SCHED_DEADLINE", "runtime": 1000000, "deadline": 9223372036854775809})") ==
        "config.json: process.scheduler.deadline: is out of range (bit 63 set)");
  CHECK(sched(R"({"policy": "SCHED_DEADLINE", "runtime": 1000000, "deadline": 10000000,
                  "flags": ["SCHED_FLAG_KEEP_PARAMS"]})") ==
        "config.json: process.scheduler.flags: SCHED_FLAG_KEEP_PARAMS would ignore runtime, deadline and period");
  CHECK(sched(R"({"policy": "SCHED_DEADLINE", "runtime": 1000000, "deadline": 10000000, "period": 10000000,
                  "flags": ["SCHED_FLAG_RECLAIM", "SCHED_FLAG_DL_OVERRUN"]})") == "no error");
  CHECK(sched(R"({"policy": "SCHED_DEADLINE", "runtime": 1000000, "deadline": 10000000})") == "no error");
}

TEST_CASE("process.ioPriority and linux.personality: refused rather than ignored") {
  CHECK(error_of_patch(R"({"process": {"ioPriority": {"class": "IOPRIO_CLASS_IDLE", "priority": 3}}})") ==
        "config.json: process.ioPriority.priority: IOPRIO_CLASS_IDLE has no priority levels (must be 0)");
  CHECK(error_of_patch(R"({"process": {"ioPriority": {"class": "IOPRIO_CLASS_IDLE"}}})") == "no error");
  CHECK(error_of_patch(R"({"linux": {"personality": {"domain": "LINUX", "flags": ["ADDR_NO_RANDOMIZE"]}}})") ==
        "no error");
  CHECK(error_of_patch(R"({"linux": {"personality": {"domain": "LINUX", "flags": ["FAST"]}}})") ==
        R"(config.json: linux.personality.flags[0]: unknown personality flag "FAST")");
}

TEST_CASE("namespace and id-mapping errors") {
  CHECK(error_of_patch(R"({"linux": {"namespaces": [{"type": "pid"}, {"type": "mount"}, {"type": "foo"}]}})") ==
        R"(config.json: linux.namespaces[2].type: unknown namespace "foo")");
  CHECK(error_of_patch(R"({"linux": {"namespaces": [{"type": "pid"}, {"type": "pid"}]}})") ==
        R"(config.json: linux.namespaces[1].type: duplicate namespace "pid")");
  CHECK(error_of_patch(R"({"linux": {"namespaces": [{"path": "/proc/1/ns/pid"}]}})") ==
        "config.json: linux.namespaces[0].type: required");
  CHECK(error_of_patch(R"({"linux": {"namespaces": [{"type": "network", "path": "netns/x"}]}})") ==
        R"(config.json: linux.namespaces[0].path: must be an absolute path, got "netns/x")");
  // "path": "" is no path (runc): a new namespace.
  CHECK(error_of_patch(R"({"linux": {"namespaces": [{"type": "network", "path": ""}]}})") == "no error");
  // A new user namespace without mappings is accepted (crun's default maps at create).
  CHECK(error_of_patch(R"({"linux": {"namespaces": [{"type": "user"}]}})") == "no error");
  CHECK(error_of_patch(R"({"linux": {"namespaces": [{"type": "user"}],
        "uidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}]}})") == "no error");
  CHECK(error_of_patch(R"({"linux": {"uidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}]}})") ==
        "config.json: linux.uidMappings: user namespace mappings specified, but user namespace isn't enabled "
        "in the config");
  CHECK(error_of_patch(R"({"linux": {"namespaces": [{"type": "user"}],
        "uidMappings": [{"containerID": 0, "size": 1}]}})") == "config.json: linux.uidMappings[0].hostID: required");
  CHECK(error_of_patch(R"({"hostname": "h"})") ==
        "config.json: hostname: unable to set hostname without a private UTS namespace");
  CHECK(error_of_patch(R"({"domainname": "d", "linux": {"namespaces": [{"type": "pid"}]}})") ==
        "config.json: domainname: unable to set domainname without a private UTS namespace");
  CHECK(error_of_patch(R"({"linux": {"timeOffsets": {"monotonic": {"secs": 1}}}})") ==
        "config.json: linux.timeOffsets: time namespace offsets specified, but time namespace isn't enabled in "
        "the config");
  CHECK(error_of_patch(R"({"linux": {"namespaces": [{"type": "time", "path": "/proc/1/ns/time"}],
        "timeOffsets": {"boottime": {"secs": 1}}}})") ==
        "config.json: linux.timeOffsets: time namespace offsets cannot be set when joining an existing time "
        "namespace");
  CHECK(error_of_patch(R"({"linux": {"namespaces": [{"type": "time"}], "timeOffsets": {"realtime": {}}}})") ==
        R"(config.json: linux.timeOffsets.realtime: unknown clock "realtime": want monotonic or boottime)");
}

TEST_CASE("mount, hook, device and path errors") {
  CHECK(error_of_patch(R"({"mounts": [{"type": "tmpfs"}]})") == "config.json: mounts[0].destination: required");
  CHECK(error_of_patch(R"({"mounts": [{"destination": "/a", "options": ["ro", 1]}]})") ==
        "config.json: mounts[0].options[1]: expected string, got 1");
  CHECK(error_of_patch(R"({"mounts": [{"destination": "/a", "type": "tmpfs",
        "uidMappings": [{"containerID": 0, "hostID": 1, "size": 1}],
        "gidMappings": [{"containerID": 0, "hostID": 1, "size": 1}]}]})") ==
        "config.json: mounts[0]: invalid mount: id-mapped mounts are only supported for bind mounts");
  CHECK(error_of_patch(R"({"mounts": [{"destination": "/a", "type": "bind", "options": ["rbind"],
        "uidMappings": [{"containerID": 0, "hostID": 1, "size": 1}]}]})") ==
        "config.json: mounts[0]: invalid mount: id-mapped mounts must have both uid and gid mappings specified");
  // crun's idmap=uids=...;gids=... is not taken as fs data (ignored by a bind mount)
  CHECK(error_of_patch(R"({"mounts": [{"destination": "/a", "type": "bind", "source": "/b",
        "options": ["bind", "idmap=uids=0-1-10;gids=0-1-10"]}]})") ==
        "config.json: mounts[0].options[1]: crun's idmap=uids=...;gids=... syntax is not supported: "
        "give the mount uidMappings and gidMappings");
  CHECK(error_of_patch(R"({"hooks": {"prestart": [{"path": "hook"}]}})") ==
        R"(config.json: hooks.prestart[0].path: must be an absolute path, got "hook")");
  CHECK(error_of_patch(R"({"hooks": {"poststop": [{"path": "/h", "timeout": 0}]}})") ==
        "config.json: hooks.poststop[0].timeout: must be greater than zero, got 0");
  CHECK(error_of_patch(R"({"linux": {"devices": [{"type": "x", "path": "/dev/x"}]}})") ==
        R"(config.json: linux.devices[0].type: unknown device type "x": want c, b, u or p)");
  CHECK(error_of_patch(R"({"linux": {"devices": [{"type": "c", "path": "dev/x", "major": 1, "minor": 3}]}})") ==
        R"(config.json: linux.devices[0].path: must be an absolute path, got "dev/x")");
  CHECK(error_of_patch(R"({"linux": {"devices": [{"type": "c", "path": "/dev/x", "major": 1}]}})") ==
        R"(config.json: linux.devices[0].minor: required unless type is "p")");
  CHECK(error_of_patch(R"({"linux": {"maskedPaths": ["/proc/kcore", "proc/keys"]}})") ==
        R"(config.json: linux.maskedPaths[1]: must be an absolute path, got "proc/keys")");
  CHECK(error_of_patch(R"({"linux": {"rootfsPropagation": "recursive"}})") ==
        R"(config.json: linux.rootfsPropagation: unknown propagation "recursive")");
  CHECK(error_of_patch(R"({"linux": {"personality": {"domain": "LINUX64"}}})") ==
        R"(config.json: linux.personality.domain: unknown personality domain "LINUX64")");
  CHECK(error_of_patch(R"({"annotations": {"a": 1}})") == "config.json: annotations.a: expected string, got 1");
  CHECK(error_of_patch(R"({"annotations": {"": "x"}})") == R"(config.json: annotations[""]: key must not be empty)");
}

TEST_CASE("sysctl rules follow runc's namespace checks") {
  CHECK(error_of_patch(R"({"linux": {"sysctl": {"net.ipv4.ip_forward": "1"}}})") ==
        R"(config.json: linux.sysctl["net.ipv4.ip_forward"]: sysctl is not allowed in the host's network namespace)");
  CHECK(error_of_patch(R"({"linux": {"sysctl": {"kernel.shmmax": "1"}}})") ==
        R"(config.json: linux.sysctl["kernel.shmmax"]: sysctl is not allowed in the host's ipc namespace)");
  CHECK(error_of_patch(R"({"linux": {"sysctl": {"vm.swappiness": "1"}}})") ==
        R"(config.json: linux.sysctl["vm.swappiness"]: sysctl is not in a separate kernel namespace)");
  CHECK(error_of_patch(R"({"linux": {"namespaces": [{"type": "uts"}], "sysctl": {"kernel.hostname": "h"}}})") ==
        R"(config.json: linux.sysctl["kernel.hostname"]: sysctl conflicts with the OCI "hostname" field)");
  CHECK(error_of_patch(R"({"linux": {"namespaces": [{"type": "network"}, {"type": "ipc"}],
        "sysctl": {"net.core.somaxconn": "1024", "fs.mqueue.queues_max": "10"}}})") == "no error");
  CHECK(error_of_patch(R"({"linux": {"sysctl": {"": "1"}}})") ==
        R"(config.json: linux.sysctl[""]: key must not be empty)");
}

TEST_CASE("seccomp errors") {
  CHECK(error_of_patch(R"({"linux": {"seccomp": {}}})") == "config.json: linux.seccomp.defaultAction: required");
  CHECK(error_of_patch(R"({"linux": {"seccomp": {"defaultAction": "SCMP_ACT_DENY"}}})") ==
        R"(config.json: linux.seccomp.defaultAction: unknown seccomp action "SCMP_ACT_DENY")");
  CHECK(error_of_patch(R"({"linux": {"seccomp": {"defaultAction": "SCMP_ACT_ALLOW",
        "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_Z80"]}}})") ==
        R"(config.json: linux.seccomp.architectures[1]: unknown seccomp architecture "SCMP_ARCH_Z80")");
  CHECK(error_of_patch(R"({"linux": {"seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "flags": ["TSYNC"]}}})") ==
        R"(config.json: linux.seccomp.flags[0]: unknown seccomp flag "TSYNC")");
  CHECK(error_of_patch(R"({"linux": {"seccomp": {"defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [{"names": [], "action": "SCMP_ACT_ERRNO"}]}}})") ==
        "config.json: linux.seccomp.syscalls[0].names: must be a non-empty array of strings");
  CHECK(error_of_patch(R"({"linux": {"seccomp": {"defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [{"names": ["kill"], "action": "SCMP_ACT_ERRNO",
                      "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_IS"}]}]}}})") ==
        R"(config.json: linux.seccomp.syscalls[0].args[0].op: unknown seccomp operator "SCMP_CMP_IS")");
  CHECK(error_of_patch(R"({"linux": {"seccomp": {"defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [{"names": ["kill"], "action": "SCMP_ACT_ERRNO",
                      "args": [{"index": 6, "value": 1, "op": "SCMP_CMP_EQ"}]}]}}})") ==
        "config.json: linux.seccomp.syscalls[0].args[0].index: must be between 0 and 5, got 6");
  CHECK(error_of_patch(R"({"linux": {"seccomp": {"defaultAction": "SCMP_ACT_NOTIFY"}}})") ==
        "config.json: linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be used as the default action");
  CHECK(error_of_patch(R"({"linux": {"seccomp": {"defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}]}}})") ==
        "config.json: linux.seccomp.listenerPath: required when SCMP_ACT_NOTIFY is used (syscalls[0])");
}

TEST_CASE("linux.resources errors") {
  CHECK(error_of_patch(R"({"linux": {"resources": {"devices": [{"access": "rwm"}]}}})") ==
        "config.json: linux.resources.devices[0].allow: required");
  CHECK(error_of_patch(R"({"linux": {"resources": {"devices": [{"allow": true, "access": "rwx"}]}}})") ==
        R"(config.json: linux.resources.devices[0].access: invalid access "rwx": want a combination of r, w and m)");
  // A deny rule only takes away: unknown letters are dropped (with a warning), as runc 1.1.5
  // does; one with no known letter left is still an error.
  CHECK(oci::parse_spec(patched(minimal(), R"({"linux": {"resources": {"devices": [{"allow": false,
        "type": "c", "major": 1, "minor": 11, "access": "rwa"}]}}})"))
            .linux->resources->devices[0]
            .access == "rw");
  CHECK(error_of_patch(R"({"linux": {"resources": {"devices": [{"allow": false, "access": "xa"}]}}})") ==
        R"(config.json: linux.resources.devices[0].access: invalid access "xa": want a combination of r, w and m)");
  CHECK(error_of_patch(R"({"linux": {"resources": {"devices": [{"allow": true, "type": "p"}]}}})") ==
        R"(config.json: linux.resources.devices[0].type: unknown device type "p": want a, b or c)");
  CHECK(error_of_patch(R"({"linux": {"resources": {"memory": 5}}})") ==
        "config.json: linux.resources.memory: expected object, got 5");
  CHECK(error_of_patch(R"({"linux": {"resources": {"memory": {"limit": "1G"}}}})") ==
        "config.json: linux.resources.memory.limit: expected integer, got string");
  CHECK(error_of_patch(R"({"linux": {"resources": {"memory": {"swappiness": 200}}}})") ==
        "config.json: linux.resources.memory.swappiness: invalid memory swappiness 200: valid range is 0-100");
  CHECK(error_of_patch(R"({"linux": {"resources": {"pids": {}}}})") ==
        "config.json: linux.resources.pids.limit: required");
  CHECK(error_of_patch(R"({"linux": {"resources": {"hugepageLimits": [{"pageSize": "2M", "limit": 1}]}}})") ==
        R"(config.json: linux.resources.hugepageLimits[0].pageSize: invalid page size "2M": want e.g. "2MB")");
  CHECK(error_of_patch(R"({"linux": {"resources": {"blockIO": {"throttleReadBpsDevice": [{"major": 8}]}}}})") ==
        "config.json: linux.resources.blockIO.throttleReadBpsDevice[0].minor: required");
  CHECK(error_of_patch(R"({"linux": {"resources": {"unified": {"memory.max": 5}}}})") ==
        R"(config.json: linux.resources.unified["memory.max"]: expected string, got 5)");
  CHECK(error_of_patch(R"({"linux": {"resources": {"rdma": {"mlx": {"hcaHandles": -1}}}}})") ==
        "config.json: linux.resources.rdma.mlx.hcaHandles: expected unsigned integer, got -1");
}

TEST_CASE("no malformed value anywhere lets anything but berth::Error escape") {
  // Replace every value of the full config, at every depth, by values of each
  // other JSON type; parsing must either succeed or fail with a pathed message.
  const json full = json::parse(kFullConfig);
  const json flat = full.flatten();
  const json bad_values[] = {nullptr, true, "x", -1, 1.5, json::array(), json::object(), 18446744073709551615ULL};
  int refused = 0;
  int outsiders = 0;
  std::string first_outsider;
  for (const auto& [pointer, unused] : flat.items()) {
    // Every ancestor too: "/linux/resources/memory" as well as its leaves.
    for (json::json_pointer p(pointer); !p.empty(); p = p.parent_pointer()) {
      for (const json& bad : bad_values) {
        json doc = full;
        doc[p] = bad;
        const std::string err = error_of(doc);
        if (err == "no error") continue;
        ++refused;
        if (err.rfind("config.json: ", 0) != 0) {
          ++outsiders;
          if (first_outsider.empty()) first_outsider = p.to_string() + " -> " + err;
        }
      }
    }
  }
  CHECK(refused > 1000);
  CHECK(outsiders == 0);
  CHECK(first_outsider == "");
}

TEST_CASE("process.json for exec") {
  const oci::Process p = oci::parse_process(json::parse(R"({"args": ["ls", "-l"], "cwd": "/tmp",
      "env": ["A=b"], "user": {"uid": 5, "gid": 6}, "terminal": false})"));
  CHECK(p.args.size() == 2);
  CHECK(p.user.gid == 6);
  CHECK(oci::to_json(p) == json::parse(R"({"args": ["ls", "-l"], "cwd": "/tmp", "env": ["A=b"],
      "user": {"uid": 5, "gid": 6}})"));
  try {
    oci::parse_process(json::parse(R"({"cwd": "/"})"));
    FAIL("expected an error");
  } catch (const berth::Error& e) {
    CHECK(std::string(e.what()) == "process.json: args: must be a non-empty array of strings");
  }
  CHECK_THROWS_WITH_AS(
      oci::parse_process(json::parse(R"({"args": ["x"], "cwd": "/", "user": {"uid": "0"}})"), "p.json"),
      "p.json: user.uid: expected unsigned integer, got string", berth::Error);
}

TEST_CASE("load_spec reads files and names the file in errors") {
  char dir[] = "/tmp/berth-oci-test-XXXXXX";
  REQUIRE(::mkdtemp(dir) != nullptr);
  const std::string good = std::string(dir) + "/config.json";
  const std::string bad = std::string(dir) + "/bad.json";
  std::ofstream(good) << kRuncSpec;
  std::ofstream(bad) << "{\"ociVersion\": \"1.0.0\",\n  \"root\": }";

  CHECK(oci::load_spec(good).hostname == "runc");
  CHECK_THROWS_WITH_AS(oci::load_spec(std::string(dir) + "/missing.json"),
                       ("open " + std::string(dir) + "/missing.json: No such file or directory").c_str(), berth::Error);
  try {
    oci::load_spec(bad);
    FAIL("expected an error");
  } catch (const berth::Error& e) {
    const std::string msg = e.what();
    CHECK(msg.rfind(bad + ": invalid JSON: parse error at line 2, column 11", 0) == 0);
    CHECK(msg.find("[json.exception") == std::string::npos);
  }
  std::ofstream(bad) << R"({"ociVersion": "1.0.0", "root": {"path": 7}})";
  CHECK_THROWS_WITH_AS(oci::load_spec(bad), (bad + ": root.path: expected string, got 7").c_str(), berth::Error);
  std::remove(good.c_str());
  std::remove(bad.c_str());
  ::rmdir(dir);
}

TEST_CASE("namespace vocabulary") {
  using oci::NamespaceType;
  CHECK(std::string(oci::namespace_name(NamespaceType::Network)) == "network");
  CHECK(std::string(oci::namespace_proc_name(NamespaceType::Network)) == "net");
  CHECK(std::string(oci::namespace_proc_name(NamespaceType::Mount)) == "mnt");
  CHECK(std::string(oci::namespace_name(NamespaceType::Time)) == "time");
  CHECK(oci::namespace_clone_flag(NamespaceType::Mount) == CLONE_NEWNS);
  CHECK(oci::namespace_clone_flag(NamespaceType::User) == CLONE_NEWUSER);
  CHECK(oci::namespace_clone_flag(NamespaceType::Time) == 0x80);
  oci::Spec s;
  CHECK(s.find_namespace(NamespaceType::Pid) == nullptr);  // no linux section at all
  s.linux.emplace();
  s.linux->namespaces.push_back({NamespaceType::Ipc, "/proc/1/ns/ipc"});
  CHECK(s.has_namespace(NamespaceType::Ipc));
  CHECK(s.find_namespace(NamespaceType::Ipc)->path == "/proc/1/ns/ipc");
  CHECK_FALSE(s.has_namespace(NamespaceType::Uts));
}

TEST_CASE("process.execCPUAffinity: CPU lists checked, kept for to_json") {
  CHECK(error_of_patch(R"({"process": {"execCPUAffinity": {"initial": "0-1,3", "final": "1"}}})") == "no error");
  CHECK(error_of_patch(R"({"process": {"execCPUAffinity": {"final": "1-0"}}})") ==
        R"(config.json: process.execCPUAffinity.final: invalid CPU list "1-0": range 1-0 is reversed)");
  CHECK(error_of_patch(R"({"process": {"execCPUAffinity": {"initial": "0,x"}}})") ==
        R"(config.json: process.execCPUAffinity.initial: invalid CPU list "0,x": expected a CPU number at offset 2)");
  CHECK(error_of_patch(R"({"process": {"execCPUAffinity": {"final": ""}}})") ==
        "config.json: process.execCPUAffinity.final: empty CPU list");
}

// The kernel's set_mempolicy rules (mm/mempolicy.c), each refused before anything is created;
// crun's tests/test_mempolicy.py cases among them.
TEST_CASE("linux.memoryPolicy: modes, nodes and flags checked as the kernel does") {
  auto policy = [](const std::string& p) { return error_of_patch(("{\"linux\": {\"memoryPolicy\": " + p + "}}").c_str()); };
  CHECK(policy(R"({"mode": "MPOL_DEFAULT"})") == "no error");
  CHECK(policy(R"({"mode": "MPOL_LOCAL"})") == "no error");
  CHECK(policy(R"({"mode": "MPOL_BIND", "nodes": "0"})") == "no error");
  CHECK(policy(R"({"mode": "MPOL_BIND", "nodes": "0", "flags": ["MPOL_F_NUMA_BALANCING", "MPOL_F_RELATIVE_NODES"]})") ==
        "no error");
  CHECK(policy(R"({"mode": "MPOL_PREFERRED", "nodes": "0", "flags": ["MPOL_F_STATIC_NODES"]})") == "no error");
  CHECK(policy(R"({"mode": "MPOL_PREFERRED"})") == "no error");  // local allocation
  CHECK(policy(R"({"mode": "MPOL_PREFERRED_MANY", "nodes": "0"})") == "no error");
  CHECK(policy(R"({"mode": "MPOL_WEIGHTED_INTERLEAVE", "nodes": "0-1", "flags": []})") == "no error");

  CHECK(policy("{}") == R"(config.json: linux.memoryPolicy.mode: invalid memory policy mode "": a mode is required)");
  CHECK(policy(R"({"mode": "BAD_MODE"})") ==
        R"(config.json: linux.memoryPolicy.mode: invalid memory policy mode "BAD_MODE")");
  CHECK(policy(R"({"mode": "MPOL_PREFERRED", "flags": ["BADFLAG"]})") ==
        R"(config.json: linux.memoryPolicy.flags[0]: invalid memory policy flag "BADFLAG")");
  CHECK(policy(R"({"mode": "MPOL_PREFERRED", "nodes": "0", "flags": ["MPOL_F_NUMA_BALANCING"]})") ==
        "config.json: linux.memoryPolicy.flags: MPOL_F_NUMA_BALANCING needs mode MPOL_BIND or MPOL_PREFERRED_MANY, "
        "not MPOL_PREFERRED");
  CHECK(policy(R"({"mode": "MPOL_BIND", "nodes": "0", "flags": ["MPOL_F_RELATIVE_NODES", "MPOL_F_STATIC_NODES"]})") ==
        "config.json: linux.memoryPolicy.flags: MPOL_F_STATIC_NODES and MPOL_F_RELATIVE_NODES exclude each other");
  CHECK(policy(R"({"mode": "MPOL_PREFERRED", "flags": ["MPOL_F_STATIC_NODES"]})") ==
        "config.json: linux.memoryPolicy.flags: MPOL_PREFERRED without nodes takes neither MPOL_F_STATIC_NODES nor "
        "MPOL_F_RELATIVE_NODES");
  CHECK(policy(R"({"mode": "MPOL_INTERLEAVE"})") == "config.json: linux.memoryPolicy.nodes: required for MPOL_INTERLEAVE");
  CHECK(policy(R"({"mode": "MPOL_BIND", "nodes": ""})") == "config.json: linux.memoryPolicy.nodes: required for MPOL_BIND");
  CHECK(policy(R"({"mode": "MPOL_DEFAULT", "nodes": "0"})") == "config.json: linux.memoryPolicy.nodes: MPOL_DEFAULT mode requires 0 nodes but got 1");
  CHECK(policy(R"({"mode": "MPOL_LOCAL", "nodes": "0-7"})") ==
        "config.json: linux.memoryPolicy.nodes: MPOL_LOCAL mode requires 0 nodes but got 8");
  CHECK(policy(R"({"mode": "MPOL_LOCAL", "flags": ["MPOL_F_RELATIVE_NODES"]})") ==
        "config.json: linux.memoryPolicy.flags: MPOL_LOCAL takes neither MPOL_F_STATIC_NODES nor MPOL_F_RELATIVE_NODES");
  CHECK(policy(R"({"mode": "MPOL_PREFERRED", "nodes": "bad"})") ==
        R"(config.json: linux.memoryPolicy.nodes: invalid memory policy node list "bad": expected a memory policy node number at offset 0)");
  CHECK(policy(R"({"mode": "MPOL_PREFERRED", "nodes": "10284838"})") ==
        R"(config.json: linux.memoryPolicy.nodes: invalid memory policy node list "10284838": expected a memory policy node number at offset 0)");
  CHECK(policy(R"({"mode": "MPOL_BIND", "nodes": "0,1024"})") ==
        "config.json: linux.memoryPolicy.nodes: invalid memory policy node 1024: the kernel has at most 1024 nodes");
}

TEST_CASE("linux.netDevices: interface names as the kernel takes them, a network namespace required") {
  auto devs = [](const std::string& d) {
    return error_of_patch(("{\"linux\": {\"namespaces\": [{\"type\": \"network\"}], \"netDevices\": " + d + "}}").c_str());
  };
  CHECK(devs(R"({"dummy0": {}, "eth1": {"name": "ctr0"}, "eth2": {"name": ""}})") == "no error");
  CHECK(devs(R"({"a/b": {}})") ==
        R"(config.json: linux.netDevices["a/b"]: invalid interface name "a/b": must not contain '/', ':' or white space)");
  CHECK(devs(R"({"eth0": {"name": "0123456789abcdef"}})") ==
        R"(config.json: linux.netDevices.eth0.name: invalid interface name "0123456789abcdef": must be 1 to 15 characters)");
  CHECK(devs(R"({"eth0": {"name": ".."}})") == R"(config.json: linux.netDevices.eth0.name: invalid interface name "..")");
  CHECK(devs(R"({"eth0": {"name": "x"}, "x": {}})") ==
        R"(config.json: linux.netDevices.x: two devices would be named "x" in the container)");
  // runc's words (tests/integration/netdev.bats).
  CHECK(error_of_patch(R"({"linux": {"netDevices": {"dummy0": {}}}})") ==
        "config.json: linux.netDevices: unable to move network devices without a NET namespace");
}

TEST_CASE("linux.intelRdt: closID, schemata as a string or lines, memBwSchema's prefix") {
  CHECK(error_of_patch(R"({"linux": {"intelRdt": {"schemata": "L3:0=ff\nMB:0=20"}}})") == "no error");
  CHECK(error_of_patch(R"({"linux": {"intelRdt": {"closID": "../x"}}})") ==
        R"(config.json: linux.intelRdt.closID: invalid closID "../x": must be a directory name)");
  CHECK(error_of_patch(R"({"linux": {"intelRdt": {"memBwSchema": "L3:0=ff"}}})") ==
        R"(config.json: linux.intelRdt.memBwSchema: must start with "MB:", got "L3:0=ff")");
  const oci::Spec s = oci::parse_spec(patched(minimal(), R"({"linux": {"intelRdt": {"schemata": "L3:0=ff"}}})"));
  CHECK(s.linux->intelRdt->schemata == std::vector<std::string>{"L3:0=ff"});
}

// Go's encoding/json (runc) matches struct fields case-insensitively, preferring the exact
// name; berth does the same, so a key runc honours is never silently ignored here.
TEST_CASE("keys differing only in case are taken as Go's decoder takes them") {
  const oci::Spec s = oci::parse_spec(patched(minimal(), R"({"root": {"readOnly": true},
      "linux": {"resources": {"hugepageLimits": [{"pagesize": "2MB", "Limit": 4194304}]}}})"));
  CHECK(s.root.readonly);
  REQUIRE(s.linux->resources->hugepageLimits.size() == 1);
  CHECK(s.linux->resources->hugepageLimits[0].pageSize == "2MB");
  CHECK(s.linux->resources->hugepageLimits[0].limit == 4194304U);
  // The exact name wins over a case variant.
  const oci::Spec e = oci::parse_spec(patched(minimal(), R"({"hostname": "exact", "HOSTNAME": "variant",
      "linux": {"namespaces": [{"type": "uts"}, {"type": "mount"}]}})"));
  CHECK(e.hostname == "exact");
  // Errors name the spec's key.
  CHECK(error_of_patch(R"({"process": {"Terminal": 7}})") == "config.json: process.terminal: expected boolean, got 7");
}
