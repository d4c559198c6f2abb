// Stats on a cgroup v2 host: io.containerd.cgroups.v2.Metrics from a (fake) unified cgroup
// directory, and where a container's cgroup is, from berth's state.json.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <limits>
#include <string>

#include "container_cgroup.hpp"
#include "metrics_v2.hpp"

using namespace berth::shim;

namespace {

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/berth-test-metrics-XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~TempDir() { CHECK(std::system(("rm -rf '" + path + "'").c_str()) == 0); }
  void put(const std::string& name, const std::string& data) const {
    std::ofstream(path + "/" + name) << data;
  }
};

}  // namespace

TEST_CASE("shim stats v2: Metrics from a unified cgroup directory, containerd's meanings") {
  TempDir d;
  d.put("pids.current", "3\n");
  d.put("pids.max", "max\n");
  d.put("cpu.stat",
        "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\nnr_periods 7\nnr_throttled 2\nthrottled_usec 40\n");
  d.put("memory.current", "4096000\n");
  d.put("memory.max", "67108864\n");
  d.put("memory.swap.current", "0\n");
  d.put("memory.swap.max", "max\n");
  d.put("memory.stat", "anon 1000\nfile 2000\nkernel_stack 16384\nslab 300\nshmem 5\nfile_mapped 6\n"
                       "inactive_anon 7\nactive_anon 8\ninactive_file 9\nactive_file 10\nunevictable 11\n"
                       "pgfault 120\npgmajfault 1\nthp_fault_alloc 0\nsome_new_key 99\n");
  d.put("memory.events", "low 0\nhigh 4\nmax 5\noom 1\noom_kill 1\n");
  d.put("io.stat", "8:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0\n253:1 rbytes=1 wbytes=2 rios=3 wios=4\n");
  d.put("hugetlb.2MB.current", "0\n");
  d.put("hugetlb.2MB.max", "max\n");
  d.put("hugetlb.2MB.rsvd.current", "0\n");
  d.put("hugetlb.1GB.current", "1073741824\n");
  d.put("hugetlb.1GB.max", "2147483648\n");

  auto m = read_metrics_v2(d.path);
  const auto kMax = std::numeric_limits<std::uint64_t>::max();
  CHECK(m.pids().current() == 3);
  CHECK(m.pids().limit() == kMax);
  CHECK(m.cpu().usage_usec() == 1500);
  CHECK(m.cpu().user_usec() == 1000);
  CHECK(m.cpu().system_usec() == 500);
  CHECK(m.cpu().nr_periods() == 7);
  CHECK(m.cpu().nr_throttled() == 2);
  CHECK(m.cpu().throttled_usec() == 40);
  CHECK(m.memory().usage() == 4096000);
  CHECK(m.memory().usage_limit() == 67108864);
  CHECK(m.memory().swap_usage() == 0);
  CHECK(m.memory().swap_limit() == kMax);
  CHECK(m.memory().anon() == 1000);
  CHECK(m.memory().file() == 2000);
  CHECK(m.memory().kernel_stack() == 16384);
  CHECK(m.memory().slab() == 300);
  CHECK(m.memory().active_file() == 10);
  CHECK(m.memory().unevictable() == 11);
  CHECK(m.memory().pgfault() == 120);
  CHECK(m.memory().pgmajfault() == 1);
  CHECK(m.memory_events().high() == 4);
  CHECK(m.memory_events().max() == 5);
  CHECK(m.memory_events().oom() == 1);
  CHECK(m.memory_events().oom_kill() == 1);
  REQUIRE(m.io().usage_size() == 2);
  CHECK(m.io().usage(0).major() == 8);
  CHECK(m.io().usage(0).minor() == 0);
  CHECK(m.io().usage(0).rbytes() == 4096);
  CHECK(m.io().usage(0).wbytes() == 8192);
  CHECK(m.io().usage(0).rios() == 1);
  CHECK(m.io().usage(0).wios() == 2);
  CHECK(m.io().usage(1).major() == 253);
  CHECK(m.io().usage(1).wios() == 4);
  REQUIRE(m.hugetlb_size() == 2);  // rsvd files are not a page size
  CHECK(m.hugetlb(0).pagesize() == "1GB");
  CHECK(m.hugetlb(0).current() == 1073741824);
  CHECK(m.hugetlb(0).max() == 2147483648ULL);
  CHECK(m.hugetlb(1).pagesize() == "2MB");
  CHECK(m.hugetlb(1).max() == kMax);
  // It travels: the encoded message decodes to the same values.
  io::containerd::cgroups::v2::Metrics back;
  REQUIRE(back.ParseFromString(m.SerializeAsString()));
  CHECK(back.memory().usage() == 4096000);
}

TEST_CASE("shim stats v2: a directory without controller files gives zeros, not an error") {
  TempDir d;
  d.put("cpu.stat", "usage_usec garbage\n");
  auto m = read_metrics_v2(d.path);
  CHECK(m.cpu().usage_usec() == 0);
  CHECK(m.memory().usage() == 0);
  CHECK(m.pids().limit() == 0);
  CHECK(m.io().usage_size() == 0);
  auto gone = read_metrics_v2(d.path + "/nonexistent");
  CHECK(gone.pids().current() == 0);
}

TEST_CASE("shim: a container's cgroup from state.json (v1 dirs, v2 dir, systemd, none)") {
  TempDir d;
  mkdir((d.path + "/c1").c_str(), 0700);
  d.put("c1/state.json", R"({"cgroup":{"driver":"v2","dir":"/sys/fs/cgroup/berth/c1"}})");
  auto cg = container_cgroup(d.path, "c1");
  CHECK(cg.kind == ContainerCgroup::Kind::V2);
  CHECK(cg.v2_dir == "/sys/fs/cgroup/berth/c1");
  d.put("c1/state.json", R"({"cgroup":{"driver":"systemd","cgroup":"/system.slice/x.scope"}})");
  cg = container_cgroup(d.path, "c1");
  CHECK(cg.kind == ContainerCgroup::Kind::V2);
  CHECK(cg.v2_dir == "/sys/fs/cgroup/system.slice/x.scope");
  d.put("c1/state.json", R"({"cgroup":{"driver":"v1","dirs":{"memory":"/sys/fs/cgroup/memory/c1","pids":"/p"}}})");
  cg = container_cgroup(d.path, "c1");
  CHECK(cg.kind == ContainerCgroup::Kind::V1);
  CHECK(cg.v1_dirs.at("memory") == "/sys/fs/cgroup/memory/c1");
  d.put("c1/state.json", R"({"id":"c1"})");
  CHECK(container_cgroup(d.path, "c1").kind == ContainerCgroup::Kind::None);
  CHECK_THROWS(container_cgroup(d.path, "missing"));
}
