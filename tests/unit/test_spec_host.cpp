// What the runtime-spec 1.2/1.3 fields do on the host: linux.memoryPolicy (the mask and
// mode berth passes, and the kernel's answer read back), linux.intelRdt (the resctrl
// files, in a directory standing in for /sys/fs/resctrl), hugepageLimits' reservation
// limits (cgroup files in a directory standing in for the cgroup).
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "berth/cgroups/resources.hpp"
#include "berth/linux/mempolicy.hpp"
#include "berth/linux/resctrl.hpp"
#include "berth/util/error.hpp"
#include "error_of.hpp"

namespace fs = std::filesystem;
namespace oci = berth::oci;
namespace linux_ = berth::linux_;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void touch(const fs::path& p) { std::ofstream(p).flush(); }

struct TempDir {
  fs::path path;
  TempDir() {
    char tmpl[] = "/tmp/berth-spec-host.XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

// The calling thread's policy, as get_mempolicy(2) reports it: mode (with flags) and mask word 0.
std::pair<int, unsigned long> current_policy() {
  int mode = -1;
  std::vector<unsigned long> mask(16, 0);
  REQUIRE(::syscall(SYS_get_mempolicy, &mode, mask.data(), 1025UL, nullptr, 0UL) == 0);
  return {mode, mask[0]};
}

bool node_has_memory(int node) {
  std::ifstream in("/sys/devices/system/node/node" + std::to_string(node) + "/meminfo");
  return in.good();
}

}  // namespace

TEST_CASE("linux.memoryPolicy: the kernel's mode argument and node mask") {
  CHECK(linux_::mempolicy_mode_argument({"MPOL_BIND", "0", {"MPOL_F_STATIC_NODES"}}) == (2 | 1 << 15));
  CHECK(linux_::mempolicy_mode_argument({"MPOL_WEIGHTED_INTERLEAVE", "0", {}}) == 6);
  CHECK(linux_::mempolicy_mode_argument({"MPOL_PREFERRED_MANY", "0", {"MPOL_F_NUMA_BALANCING"}}) == (5 | 1 << 13));
  auto mask = linux_::mempolicy_node_mask("0-1,65,1023");
  REQUIRE(mask.size() == 16);
  CHECK(mask[0] == 3UL);
  CHECK(mask[1] == 2UL);
  CHECK(mask[15] == 1UL << 63);
  CHECK(linux_::mempolicy_node_mask("").empty());
}

TEST_CASE("linux.memoryPolicy: set on the caller and read back; refused nodes fail with the host's nodes") {
  if (!node_has_memory(0)) {
    MESSAGE("SKIP: no NUMA node 0 with memory on this host");
    return;
  }
  // In a child: the policy sticks to the process that sets it.
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    int rc = 0;
    try {
      linux_::apply_memory_policy({"MPOL_BIND", "0", {"MPOL_F_STATIC_NODES"}});
      auto [mode, mask] = current_policy();
      if (mode != (2 | 1 << 15) || mask != 1UL) rc = 2;
      linux_::apply_memory_policy({"MPOL_INTERLEAVE", "0", {}});
      if (current_policy().first != 3) rc = 3;
      linux_::apply_memory_policy({"MPOL_LOCAL", "", {}});
      if (current_policy().first != 4) rc = 4;
    } catch (...) {
      rc = 1;
    }
    ::_exit(rc);
  }
  int st = 0;
  REQUIRE(::waitpid(pid, &st, 0) == pid);
  CHECK(WIFEXITED(st));
  CHECK(WEXITSTATUS(st) == 0);

  // The trial create makes leaves berth's own policy as it was.
  CHECK_NOTHROW(linux_::check_memory_policy({"MPOL_BIND", "0", {}}));
  CHECK(current_policy().first == 0);
  if (!node_has_memory(1)) {
    const std::string err = error_of([] { linux_::check_memory_policy({"MPOL_BIND", "1", {}}); });
    CHECK(err.starts_with("linux.memoryPolicy: set_mempolicy(MPOL_BIND, nodes \"1\"): Invalid argument"));
    CHECK(err.find("nodes with memory on this host: ") != std::string::npos);
    CHECK(current_policy().first == 0);
    // Relative nodes are folded onto the allowed ones: node 1 is fine then.
    CHECK_NOTHROW(linux_::check_memory_policy({"MPOL_BIND", "1", {"MPOL_F_RELATIVE_NODES"}}));
  }
}

TEST_CASE("linux.intelRdt: schemata lines in the spec's order") {
  oci::IntelRdt r;
  r.l3CacheSchema = "L3:0=7f0;1=1f\nMB:0=10";
  r.memBwSchema = "MB:0=20;1=70";
  r.schemata = {"L2:0=f;1=f"};
  CHECK(linux_::rdt_schema_lines(r) == std::vector<std::string>{"L3:0=7f0;1=1f", "MB:0=20;1=70", "L2:0=f;1=f"});
  r.memBwSchema.clear();  // l3CacheSchema's own MB: line stays when there is no memBwSchema
  CHECK(linux_::rdt_schema_lines(r) == std::vector<std::string>{"L3:0=7f0;1=1f", "MB:0=10", "L2:0=f;1=f"});
  CHECK(linux_::rdt_group_dir("/sys/fs/resctrl", "ctr", {}) == "/sys/fs/resctrl/ctr");
  oci::IntelRdt c;
  c.closID = "gold";
  CHECK(linux_::rdt_group_dir("/sys/fs/resctrl", "ctr", c) == "/sys/fs/resctrl/gold");
}

TEST_CASE("linux.intelRdt: the group, its schemata, tasks and monitoring group (a directory for resctrl)") {
  TempDir root;
  const std::string r = root.path.string();

  // No closID: a group named after the container, made here.
  fs::create_directories(root.path / "ctr" / "mon_groups");
  oci::IntelRdt own;
  own.l3CacheSchema = "L3:0=ff";
  own.memBwSchema = "MB:0=70";
  own.schemata = {"L2:0=f"};
  own.enableMonitoring = true;
  linux_::join_intel_rdt(r, "ctr", own, 4242);
  CHECK(slurp(root.path / "ctr" / "schemata") == "L3:0=ff\nMB:0=70\nL2:0=f\n");
  CHECK(slurp(root.path / "ctr" / "tasks") == "4242\n");
  CHECK(slurp(root.path / "ctr" / "mon_groups" / "ctr" / "tasks") == "4242\n");
  // An exec'd process joins the same groups.
  linux_::add_to_intel_rdt(r, "ctr", own, 5151);
  CHECK(slurp(root.path / "ctr" / "tasks") == "4242\n5151\n");
  CHECK(slurp(root.path / "ctr" / "mon_groups" / "ctr" / "tasks") == "4242\n5151\n");

  // A closID group that exists is shared: its schemata must hold ours, nothing is written.
  fs::create_directories(root.path / "gold");
  { std::ofstream(root.path / "gold" / "schemata") << "    L3:0=ff\n    MB:0=70\n"; }
  oci::IntelRdt shared;
  shared.closID = "gold";
  shared.l3CacheSchema = "L3:0=ff";
  linux_::join_intel_rdt(r, "c2", shared, 7);
  CHECK(slurp(root.path / "gold" / "schemata") == "    L3:0=ff\n    MB:0=70\n");
  CHECK(slurp(root.path / "gold" / "tasks") == "7\n");
  shared.l3CacheSchema = "L3:0=f0";
  CHECK(error_of([&] { linux_::join_intel_rdt(r, "c3", shared, 8); })
            .starts_with("linux.intelRdt: resctrl group " + r + "/gold exists with other schemata: \"L3:0=f0\""));

  // A closID without schemata names a group that must exist.
  oci::IntelRdt missing;
  missing.closID = "silver";
  CHECK(error_of([&] { linux_::join_intel_rdt(r, "c4", missing, 9); })
            .starts_with("linux.intelRdt.closID \"silver\": no such resctrl group " + r + "/silver"));
  CHECK_FALSE(fs::exists(root.path / "silver"));

  // leave: the container's own group goes (resctrl's rmdir takes its files along; here it is empty).
  fs::create_directories(root.path / "ctr5");
  CHECK(linux_::leave_intel_rdt(r, "ctr5", {}).empty());
  CHECK_FALSE(fs::exists(root.path / "ctr5"));
  CHECK(linux_::leave_intel_rdt(r, "gone", {}).empty());
  // A shared group stays.
  CHECK(linux_::leave_intel_rdt(r, "c2", shared).empty());
  CHECK(fs::exists(root.path / "gold"));
}

TEST_CASE("linux.intelRdt: refused on a host without resctrl") {
  const std::string err = error_of([] { linux_::require_resctrl(""); });
  CHECK(err.starts_with("linux.intelRdt: Intel RDT is not available on this host: "));
  CHECK(error_of([] { linux_::require_resctrl("/sys/fs/resctrl"); }).empty());
  CHECK(error_of([] { linux_::join_intel_rdt("", "ctr", {}, 1); }) == err);
}

TEST_CASE("hugepageLimits: the reservation limit too, where the kernel has it (cgroup v2 files)") {
  TempDir d;
  for (const char* f : {"hugetlb.2MB.max", "hugetlb.2MB.rsvd.max", "hugetlb.1GB.max"}) touch(d.path / f);
  oci::Resources r;
  r.hugepageLimits = {{"2MB", 4194304}, {"1GB", 1073741824}};
  berth::cgroups::apply_v2(d.path.string(), r);
  CHECK(slurp(d.path / "hugetlb.2MB.max") == "4194304");
  CHECK(slurp(d.path / "hugetlb.2MB.rsvd.max") == "4194304");
  CHECK(slurp(d.path / "hugetlb.1GB.max") == "1073741824");  // a kernel without rsvd files: usage only
  CHECK_FALSE(fs::exists(d.path / "hugetlb.1GB.rsvd.max"));
}

TEST_CASE("hugepageLimits on cgroup v1: limit_in_bytes and rsvd.limit_in_bytes") {
  TempDir d;
  const fs::path dir = d.path / "hugetlb";
  fs::create_directories(dir);
  for (const char* f : {"hugetlb.2MB.limit_in_bytes", "hugetlb.2MB.rsvd.limit_in_bytes"}) touch(dir / f);
  oci::Resources r;
  r.hugepageLimits = {{"2MB", 2097152}};
  berth::cgroups::apply_v1({{"/sys/fs/cgroup/hugetlb", dir.string()}}, r);
  CHECK(slurp(dir / "hugetlb.2MB.limit_in_bytes") == "2097152");
  CHECK(slurp(dir / "hugetlb.2MB.rsvd.limit_in_bytes") == "2097152");
}
