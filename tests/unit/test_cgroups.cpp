// cgroups/: the value parsers (runc's units), the v1 -> v2 conversions, the
// stats readers and their runc-shaped JSON, and the resource writers run
// against a fake cgroup tree made of plain files (what they write, where, and
// what they refuse). Also the device rules and update's merge.
#include <doctest/doctest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <limits>
#include <string>

#include "berth/cgroups/convert.hpp"
#include "berth/cgroups/devices.hpp"
#include "berth/cgroups/resources.hpp"
#include "berth/cgroups/stats.hpp"
#include "berth/cgroups/units.hpp"
#include "berth/container/ops.hpp"
#include "berth/util/error.hpp"

#include "error_of.hpp"

namespace cg = berth::cgroups;
namespace oci = berth::oci;
namespace fs = std::filesystem;

namespace {

// A temporary directory tree standing in for /sys/fs/cgroup/<ctrl>/<container>.
struct FakeTree {
  fs::path root;
  FakeTree() {
    char tmpl[] = "/tmp/berth-cgtest-XXXXXX";
    root = ::mkdtemp(tmpl);
  }
  ~FakeTree() { fs::remove_all(root); }
  std::string dir(const std::string& ctrl) {
    fs::create_directories(root / ctrl);
    return (root / ctrl).string();
  }
  void file(const std::string& ctrl, const std::string& name, const std::string& content = "") {
    std::ofstream(fs::path(dir(ctrl)) / name) << content;
  }
  std::string read(const std::string& ctrl, const std::string& name) {
    std::ifstream f(root / ctrl / name);
    return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
  }
  // Manager::dirs() of a v1 container: mount point -> container directory.
  std::map<std::string, std::string> dirs(std::initializer_list<const char*> ctrls) {
    std::map<std::string, std::string> m;
    for (const char* c : ctrls) m[std::string("/sys/fs/cgroup/") + c] = dir(c);
    return m;
  }
};

}  // namespace

TEST_CASE("parse_bytes reads sizes like runc (go-units RAMInBytes)") {
  CHECK(cg::parse_bytes("100") == 100);
  CHECK(cg::parse_bytes("10m") == 10LL << 20);
  CHECK(cg::parse_bytes("10M") == 10LL << 20);
  CHECK(cg::parse_bytes("1g") == 1LL << 30);
  CHECK(cg::parse_bytes("1.5m") == 1572864);
  CHECK(cg::parse_bytes("64MiB") == 64LL << 20);
  CHECK(cg::parse_bytes("64mb") == 64LL << 20);
  CHECK(cg::parse_bytes("64 kb") == 65536);
  CHECK(cg::parse_bytes("1T") == 1LL << 40);
  CHECK(cg::parse_bytes("2p") == 2LL << 50);
  CHECK(cg::parse_bytes("10b") == 10);
  CHECK(cg::parse_bytes("0") == 0);
  CHECK(error_of([] { cg::parse_bytes("abc"); }) == "invalid size: 'abc'");
  CHECK(error_of([] { cg::parse_bytes("-5"); }) == "invalid size: '-5'");
  CHECK(error_of([] { cg::parse_bytes("-1"); }) == "invalid size: '-1'");
  CHECK(error_of([] { cg::parse_bytes(""); }) == "invalid size: ''");
  CHECK(error_of([] { cg::parse_bytes("10x"); }) == "invalid size: '10x'");
  CHECK(error_of([] { cg::parse_bytes("10  m"); }) == "invalid size: '10  m'");
  CHECK(error_of([] { cg::parse_bytes("1.2.3m"); }) == "strconv.ParseFloat: parsing \"1.2.3\": invalid syntax");
  CHECK(error_of([] { cg::parse_bytes("99999999p"); }) == "invalid size: '99999999p'");
}

TEST_CASE("parse_duration reads Go durations") {
  CHECK(cg::parse_duration("5s") == 5'000'000'000);
  CHECK(cg::parse_duration("100ms") == 100'000'000);
  CHECK(cg::parse_duration("1m30s") == 90'000'000'000);
  CHECK(cg::parse_duration("1.5h") == 5'400'000'000'000);
  CHECK(cg::parse_duration(".5s") == 500'000'000);
  CHECK(cg::parse_duration("10us") == 10'000);
  CHECK(cg::parse_duration("7ns") == 7);
  CHECK(cg::parse_duration("-2s") == -2'000'000'000);
  CHECK(cg::parse_duration("0") == 0);
  CHECK(cg::parse_duration("0s") == 0);
  CHECK(error_of([] { cg::parse_duration("1"); }) == "time: missing unit in duration \"1\"");
  CHECK(error_of([] { cg::parse_duration("abc"); }) == "time: invalid duration \"abc\"");
  CHECK(error_of([] { cg::parse_duration(""); }) == "time: invalid duration \"\"");
  CHECK(error_of([] { cg::parse_duration("1x"); }) == "time: unknown unit \"x\" in duration \"1x\"");
}

TEST_CASE("v1 -> v2 conversions use runc's arithmetic") {
  CHECK(cg::cpu_shares_to_weight(0) == 0);
  CHECK(cg::cpu_shares_to_weight(2) == 1);
  CHECK(cg::cpu_shares_to_weight(1024) == 39);
  CHECK(cg::cpu_shares_to_weight(262144) == 10000);
  CHECK(cg::cpu_shares_to_weight(1) == 1);          // clamped, not wrapped around
  CHECK(cg::cpu_shares_to_weight(1000000) == 10000);

  CHECK(cg::blkio_weight_to_io_weight(0) == 0);
  CHECK(cg::blkio_weight_to_io_weight(10) == 1);
  CHECK(cg::blkio_weight_to_io_weight(500) == 4950);
  CHECK(cg::blkio_weight_to_io_weight(1000) == 10000);
  CHECK(cg::blkio_weight_to_io_weight(5) == 1);

  CHECK(cg::memory_swap_max_v2(0, -1) == std::optional<std::string>("max"));
  CHECK(cg::memory_swap_max_v2(0, 100) == std::nullopt);
  CHECK(cg::memory_swap_max_v2(0, 0) == std::nullopt);
  CHECK(cg::memory_swap_max_v2(-1, 100) == std::optional<std::string>("max"));
  CHECK(cg::memory_swap_max_v2(-1, -1) == std::optional<std::string>("max"));
  CHECK(cg::memory_swap_max_v2(100, 100) == std::optional<std::string>("0"));
  CHECK(cg::memory_swap_max_v2(300, 100) == std::optional<std::string>("200"));
  CHECK(error_of([] { cg::memory_swap_max_v2(100, 0); }) == "unable to set swap limit without memory limit");
  CHECK(error_of([] { cg::memory_swap_max_v2(100, -1); }) == "unable to set swap limit without memory limit");
  CHECK(error_of([] { cg::memory_swap_max_v2(50, 100); }) == "memory+swap limit should be >= memory limit");
  CHECK(error_of([] { cg::memory_swap_max_v2(50, -7); }) == "invalid memory value: -7");

  CHECK(cg::v2_limit(-1) == "max");
  CHECK(cg::v2_limit(4096) == "4096");
}

TEST_CASE("stat file parsers") {
  CHECK(cg::parse_cpu_list("0-3,8,10-11") == std::vector<uint16_t>{0, 1, 2, 3, 8, 10, 11});
  CHECK(cg::parse_cpu_list("0") == std::vector<uint16_t>{0});
  CHECK(cg::parse_cpu_list("").empty());
  CHECK(error_of([] { cg::parse_cpu_list("3-1"); }) == "invalid cpu list \"3-1\"");
  CHECK(error_of([] { cg::parse_cpu_list("a"); }) == "invalid cpu list \"a\"");

  auto b = cg::parse_blkio_stat("8:0 Read 100\n8:0 Write 20\n8:16 7\nTotal 120\n", "f");
  REQUIRE(b.size() == 3);
  CHECK(b[0].major == 8);
  CHECK(b[0].op == "Read");
  CHECK(b[0].value == 100);
  CHECK(b[2].minor == 16);
  CHECK(b[2].op.empty());
  CHECK(b[2].value == 7);
  CHECK(cg::parse_blkio_stat("Total 0\n", "f").empty());
  CHECK(error_of([] { cg::parse_blkio_stat("garbage\n", "f"); }) == "invalid line in f: garbage");

  auto kv = cg::parse_key_values("cache 4096\nrss 8192\nhierarchical_memory_limit max\n", "memory.stat");
  CHECK(kv["cache"] == 4096);
  CHECK(kv["rss"] == 8192);
  CHECK(kv["hierarchical_memory_limit"] == std::numeric_limits<uint64_t>::max());
  CHECK(cg::parse_cgroup_uint("max\n", "x") == std::numeric_limits<uint64_t>::max());
  CHECK(cg::parse_cgroup_uint("-3\n", "x") == 0);
  CHECK(cg::parse_cgroup_uint("9223372036854771712\n", "x") == 9223372036854771712ULL);
  CHECK(error_of([] { cg::parse_cgroup_uint("x1", "f"); }) == "f: not a number: \"x1\"");
}

TEST_CASE("stats JSON has runc 1.1's shape: keys, order, omitempty") {
  cg::Stats s;
  CHECK(cg::stats_json(s).dump() ==
        R"({"cpu":{"usage":{"kernel":0,"user":0},"throttling":{}},)"
        R"("cpuset":{"cpu_exclusive":0,"mem_hardwall":0,"mem_exclusive":0,"memory_migrate":0,)"
        R"("memory_spread_page":0,"memory_spread_slab":0,"memory_pressure":0,"sched_load_balance":0,)"
        R"("sched_relax_domain_level":0},)"
        R"("memory":{"usage":{"limit":0,"failcnt":0},"swap":{"limit":0,"failcnt":0},)"
        R"("kernel":{"limit":0,"failcnt":0},"kernelTCP":{"limit":0,"failcnt":0}},)"
        R"("pids":{},"blkio":{},"hugetlb":{},"intel_rdt":{},"network_interfaces":null})");

  s.cpu.total = 15;
  s.cpu.percpu = {10, 5};
  s.cpu.periods = 3;
  s.cpuset.cpus = {0, 1};
  s.memory.cache = 7;
  s.memory.usage = {100, 50, 60, 2};
  s.memory.raw = {{"rss", 1}, {"cache", 7}};
  s.pids = {4, 10};
  s.blkio.service_bytes = {{8, 0, "Read", 512}};
  s.hugetlb["2MB"] = {0, 0, 1};
  auto j = cg::stats_json(s);
  CHECK(j["cpu"]["usage"].dump() == R"({"total":15,"percpu":[10,5],"kernel":0,"user":0})");
  CHECK(j["cpu"]["throttling"].dump() == R"({"periods":3})");
  CHECK(j["cpuset"]["cpus"].dump() == "[0,1]");
  CHECK(j["memory"]["cache"] == 7);
  CHECK(j["memory"]["usage"].dump() == R"({"limit":100,"usage":50,"max":60,"failcnt":2})");
  CHECK(j["memory"]["raw"].dump() == R"({"cache":7,"rss":1})");
  CHECK(j["pids"].dump() == R"({"current":4,"limit":10})");
  CHECK(j["blkio"].dump() == R"({"ioServiceBytesRecursive":[{"major":8,"op":"Read","value":512}]})");
  CHECK(j["hugetlb"].dump() == R"({"2MB":{"failcnt":1}})");
}

TEST_CASE("v1 stats are read from the controller files") {
  FakeTree t;
  t.file("cpu", "cpu.stat", "nr_periods 4\nnr_throttled 1\nthrottled_time 777\nnr_bursts 0\n");
  t.file("cpuacct", "cpuacct.usage", "15050594\n");
  t.file("cpuacct", "cpuacct.usage_percpu", "10087323 4963271 \n");
  t.file("cpuacct", "cpuacct.usage_all", "cpu user system\n0 1 8000000\n1 2 8000000\n");
  t.file("cpuacct", "cpuacct.stat", "user 3\nsystem 1\n");
  t.file("memory", "memory.stat", "cache 4096\nrss 57344\n");
  t.file("memory", "memory.usage_in_bytes", "557056\n");
  t.file("memory", "memory.max_usage_in_bytes", "2269184\n");
  t.file("memory", "memory.failcnt", "0\n");
  t.file("memory", "memory.limit_in_bytes", "16777216\n");
  t.file("memory", "memory.memsw.usage_in_bytes", "557056\n");
  t.file("memory", "memory.memsw.max_usage_in_bytes", "2269184\n");
  t.file("memory", "memory.memsw.failcnt", "5\n");
  t.file("memory", "memory.memsw.limit_in_bytes", "9223372036854771712\n");
  t.file("pids", "pids.current", "3\n");
  t.file("pids", "pids.max", "max\n");
  t.file("cpuset", "cpuset.cpus", "0-1\n");
  t.file("cpuset", "cpuset.mems", "0\n");
  t.file("cpuset", "cpuset.sched_load_balance", "1\n");
  t.file("cpuset", "cpuset.sched_relax_domain_level", "-1\n");
  t.file("blkio", "blkio.bfq.io_serviced_recursive", "Total 0\n");
  t.file("blkio", "blkio.throttle.io_serviced_recursive", "8:0 Read 2\n8:0 Write 1\nTotal 3\n");
  t.file("blkio", "blkio.throttle.io_service_bytes_recursive", "8:0 Read 8192\n8:0 Write 4096\nTotal 12288\n");
  auto s = cg::read_stats_v1(t.dirs({"cpu", "cpuacct", "memory", "pids", "cpuset", "blkio"}));
  CHECK(s.cpu.total == 15050594);
  CHECK(s.cpu.percpu == std::vector<uint64_t>{10087323, 4963271});
  CHECK(s.cpu.percpu_user == std::vector<uint64_t>{1, 2});
  CHECK(s.cpu.percpu_kernel == std::vector<uint64_t>{8000000, 8000000});
  CHECK(s.cpu.user == 30000000);
  CHECK(s.cpu.kernel == 10000000);
  CHECK(s.cpu.periods == 4);
  CHECK(s.cpu.throttled_time == 777);
  CHECK(s.memory.cache == 4096);
  CHECK(s.memory.usage.limit == 16777216);
  CHECK(s.memory.usage.max == 2269184);
  CHECK(s.memory.swap.failcnt == 5);
  CHECK(s.memory.kernel.limit == 0);  // no kmem files: left zero
  CHECK(s.pids.current == 3);
  CHECK(s.pids.limit == 0);  // "max"
  CHECK(s.cpuset.cpus == std::vector<uint16_t>{0, 1});
  CHECK(s.cpuset.sched_relax_domain_level == -1);
  // BFQ has nothing, so runc's order falls through to the throttling files.
  REQUIRE(s.blkio.serviced.size() == 2);
  CHECK(s.blkio.service_bytes[0].value == 8192);
  CHECK(s.hugetlb.empty());
}

TEST_CASE("v1 resource writers: files, values, and what they refuse") {
  FakeTree t;
  t.file("pids", "pids.max", "max");
  t.file("blkio", "blkio.bfq.weight", "100");
  t.file("memory", "memory.limit_in_bytes", "9223372036854771712");
  t.file("memory", "memory.memsw.limit_in_bytes", "9223372036854771712");
  t.file("memory", "memory.soft_limit_in_bytes", "");
  t.file("memory", "memory.kmem.limit_in_bytes", "untouched");
  t.file("memory", "memory.swappiness", "60");
  t.file("cpu", "cpu.shares", "1024");
  t.file("cpu", "cpu.cfs_period_us", "");
  t.file("cpu", "cpu.cfs_quota_us", "");
  auto dirs = t.dirs({"pids", "blkio", "memory", "cpu"});

  SUBCASE("pids: 0 leaves the limit alone, negative is max") {
    oci::Resources r;
    r.pids = oci::PidsResources{0};
    cg::apply_v1(dirs, r);
    CHECK(t.read("pids", "pids.max") == "max");
    r.pids->limit = 10;
    cg::apply_v1(dirs, r);
    CHECK(t.read("pids", "pids.max") == "10");
    r.pids->limit = -1;
    cg::apply_v1(dirs, r);
    CHECK(t.read("pids", "pids.max") == "max");
  }
  SUBCASE("devices: one open per file, rules in order, a repeated rule written once") {
    t.file("devices", "devices.allow", "");
    t.file("devices", "devices.deny", "");
    auto ddirs = t.dirs({"devices"});
    oci::Spec spec;
    spec.linux.emplace();
    spec.linux->resources.emplace();
    spec.linux->resources->devices.push_back({false, "", std::nullopt, std::nullopt, "rwm"});  // runc spec's
    oci::Resources r;
    r.devices = cg::effective_device_rules(spec);
    cg::apply_v1(ddirs, r);
    // Regular files stand in for the cgroup files: each write(2) appends one rule.
    CHECK(t.read("devices", "devices.deny") == "a *:* rwm");
    CHECK(t.read("devices", "devices.allow") ==
          "b *:* mc *:* mc 1:3 rwmc 1:5 rwmc 1:7 rwmc 1:8 rwmc 1:9 rwmc 5:0 rwmc 5:2 rwmc 10:200 rwmc 136:* rwm");
  }
  SUBCASE("blkio weight goes to BFQ's file when the kernel has no CFQ") {
    oci::Resources r;
    r.blockIO.emplace();
    r.blockIO->weight = 300;
    cg::apply_v1(dirs, r);
    CHECK(t.read("blkio", "blkio.bfq.weight") == "300");
    t.file("blkio", "blkio.weight", "");
    r.blockIO->weight = 400;
    cg::apply_v1(dirs, r);
    CHECK(t.read("blkio", "blkio.weight") == "400");
    CHECK(t.read("blkio", "blkio.bfq.weight") == "300");
  }
  SUBCASE("memory: limit, swap, reservation, swappiness; kernel memory ignored") {
    oci::Resources r;
    r.memory.emplace();
    r.memory->limit = 16 << 20;
    r.memory->swap = 32 << 20;
    r.memory->reservation = 8 << 20;
    r.memory->swappiness = 10;
    r.memory->kernel = 1 << 20;
    r.memory->kernelTCP = 1 << 20;
    cg::apply_v1(dirs, r);
    CHECK(t.read("memory", "memory.limit_in_bytes") == std::to_string(16 << 20));
    CHECK(t.read("memory", "memory.memsw.limit_in_bytes") == std::to_string(32 << 20));
    CHECK(t.read("memory", "memory.soft_limit_in_bytes") == std::to_string(8 << 20));
    CHECK(t.read("memory", "memory.swappiness") == "10");
    CHECK(t.read("memory", "memory.kmem.limit_in_bytes") == "untouched");
  }
  SUBCASE("memory -1 without swap makes memory+swap unlimited too") {
    oci::Resources r;
    r.memory.emplace();
    r.memory->limit = -1;
    cg::apply_v1(dirs, r);
    CHECK(t.read("memory", "memory.limit_in_bytes") == "-1");
    CHECK(t.read("memory", "memory.memsw.limit_in_bytes") == "-1");
  }
  SUBCASE("cpu: shares read back, period and quota") {
    oci::Resources r;
    r.cpu.emplace();
    r.cpu->shares = 512;
    r.cpu->quota = 50000;
    r.cpu->period = 100000;
    cg::apply_v1(dirs, r);
    CHECK(t.read("cpu", "cpu.shares") == "512");
    CHECK(t.read("cpu", "cpu.cfs_quota_us") == "50000");
    CHECK(t.read("cpu", "cpu.cfs_period_us") == "100000");
  }
  SUBCASE("controllers that are not mounted are an error naming them") {
    oci::Resources r;
    r.hugepageLimits.push_back({"2MB", 2 << 20});
    CHECK(error_of([&] { cg::apply_v1(dirs, r); }) ==
          "cannot set hugetlb limit: the hugetlb cgroup controller is not mounted on this host");
    oci::Resources n;
    n.network.emplace();
    n.network->classID = 0x100001;
    CHECK(error_of([&] { cg::apply_v1(dirs, n); }) ==
          "cannot set net_cls limit: the net_cls cgroup controller is not mounted on this host");
    oci::Resources p;
    p.network.emplace();
    p.network->priorities.push_back({"eth0", 5});
    CHECK(error_of([&] { cg::apply_v1(dirs, p); }) ==
          "cannot set net_prio limit: the net_prio cgroup controller is not mounted on this host");
  }
  SUBCASE("a file the kernel does not have is an error with path and value") {
    oci::Resources r;
    r.blockIO.emplace();
    r.blockIO->leafWeight = 300;
    std::string e = error_of([&] { cg::apply_v1(dirs, r); });
    CHECK(e.rfind("failed to write \"300\": open " + dirs["/sys/fs/cgroup/blkio"] + "/blkio.leaf_weight: ", 0) == 0);
  }
  SUBCASE("unified is refused on v1 with runc's words, before anything is written") {
    oci::Resources r;
    r.unified["memory.max"] = "1000";
    r.pids = oci::PidsResources{5};
    CHECK(error_of([&] { cg::apply_v1(dirs, r); }) == "invalid configuration: cannot use unified on cgroup v1");
    CHECK(t.read("pids", "pids.max") == "max");
  }
}

TEST_CASE("v2 resource writers convert like runc") {
  FakeTree t;
  std::string d = t.dir("c");
  for (const char* f : {"cpu.weight", "cpu.max", "memory.max", "memory.swap.max", "memory.low", "io.weight", "pids.max"})
    t.file("c", f, "");
  oci::Resources r;
  r.cpu.emplace();
  r.cpu->shares = 1024;
  r.cpu->quota = 50000;
  r.memory.emplace();
  r.memory->limit = 100 << 20;
  r.memory->swap = 300 << 20;
  r.memory->reservation = 50 << 20;
  r.blockIO.emplace();
  r.blockIO->weight = 500;
  r.pids = oci::PidsResources{-1};
  cg::apply_v2(d, r);
  CHECK(t.read("c", "cpu.weight") == "39");
  CHECK(t.read("c", "cpu.max") == "50000 100000");
  CHECK(t.read("c", "memory.max") == std::to_string(100 << 20));
  CHECK(t.read("c", "memory.swap.max") == std::to_string(200 << 20));
  CHECK(t.read("c", "memory.low") == std::to_string(50 << 20));
  CHECK(t.read("c", "io.weight") == "4950");
  CHECK(t.read("c", "pids.max") == "max");

  SUBCASE("swap == memory means no swap") {
    oci::Resources m;
    m.memory.emplace();
    m.memory->limit = 64;
    m.memory->swap = 64;
    cg::apply_v2(d, m);
    CHECK(t.read("c", "memory.swap.max") == "0");
  }
  SUBCASE("realtime limits without the kernel's files are an error") {
    oci::Resources c;
    c.cpu.emplace();
    c.cpu->realtimeRuntime = 1000;
    CHECK(error_of([&] { cg::apply_v2(d, c); }) ==
          "cannot set realtime CPU limits: this kernel has no cpu.rt_runtime_us on cgroup v2");
  }
  SUBCASE("checkBeforeUpdate refuses a limit below the usage") {
    t.file("c", "memory.current", "4096\n");
    oci::Resources m;
    m.memory.emplace();
    m.memory->limit = 1024;
    m.memory->checkBeforeUpdate = true;
    CHECK(error_of([&] { cg::apply_v2(d, m); }) == "rejecting memory limit 1024 below current usage 4096");
  }
}

TEST_CASE("device rules: deny all, the config's rules, runc's defaults; linux.devices not implied") {
  oci::Spec spec;
  auto rules = cg::effective_device_rules(spec);
  REQUIRE(rules.size() == 12);
  CHECK_FALSE(rules[0].allow);
  CHECK(rules[0].type == "a");
  auto has = [&](const std::vector<oci::DeviceCgroupRule>& v, const char* type, std::optional<int64_t> maj,
                 std::optional<int64_t> min) {
    for (const auto& r : v)
      if (r.allow && r.type == type && r.major == maj && r.minor == min) return true;
    return false;
  };
  CHECK(has(rules, "c", 136, std::nullopt));
  CHECK(has(rules, "c", 10, 200));
  CHECK_FALSE(has(rules, "c", 5, 1));  // /dev/console is a bind-mounted pty, as in runc

  spec.linux.emplace();
  spec.linux->devices.push_back({"c", "/dev/fuse", 10, 229, 0666, std::nullopt, std::nullopt});
  spec.linux->resources.emplace();
  spec.linux->resources->devices.push_back({false, "", std::nullopt, std::nullopt, "rwm"});
  spec.linux->resources->devices.push_back({true, "c", 1, 11, "r"});
  rules = cg::effective_device_rules(spec);
  CHECK(rules.size() == 14);
  CHECK(rules[1].type.empty());
  CHECK(has(rules, "c", 1, 11));
  CHECK_FALSE(has(rules, "c", 10, 229));
}

TEST_CASE("update merges like runc 1.1") {
  oci::Resources cur;
  cur.memory.emplace();
  cur.memory->limit = 32 << 20;
  cur.memory->swap = 64 << 20;
  oci::CpuResources cur_cpu;  // built aside: GCC 12 -Wmaybe-uninitialized false positive on emplace()
  cur_cpu.cpus = "0-1";
  cur_cpu.shares = 1024;
  cur.cpu = cur_cpu;
  cur.pids = oci::PidsResources{20};
  cur.hugepageLimits.push_back({"2MB", 1});
  cur.devices.push_back({false, "a", std::nullopt, std::nullopt, "rwm"});

  oci::Resources ch;
  ch.memory.emplace();
  ch.memory->limit = 64 << 20;
  oci::CpuResources ch_cpu;
  ch_cpu.quota = 20000;
  ch.cpu = ch_cpu;
  ch.pids = oci::PidsResources{0};
  ch.blockIO.emplace();
  ch.blockIO->weight = 300;
  ch.hugepageLimits.push_back({"2MB", 2});
  ch.unified["pids.max"] = "5";
  std::vector<std::string> ignored;
  auto m = berth::container::merge_update(cur, ch, &ignored);
  CHECK(*m.memory->limit == 64 << 20);
  CHECK(*m.memory->swap == 64 << 20);   // kept
  CHECK(m.cpu->cpus == "0-1");          // not given: kept
  CHECK(*m.cpu->shares == 1024);
  CHECK(*m.cpu->quota == 20000);
  CHECK(m.pids->limit == 20);           // 0 = unchanged
  CHECK(*m.blockIO->weight == 300);
  CHECK(m.hugepageLimits.size() == 1);  // not updatable
  CHECK(m.hugepageLimits[0].limit == 1);
  CHECK(m.devices.size() == 1);
  CHECK(m.unified.at("pids.max") == "5");
  CHECK(ignored == std::vector<std::string>{"hugepageLimits"});

  oci::Resources unlimited;
  unlimited.memory.emplace();
  unlimited.memory->limit = -1;
  m = berth::container::merge_update(cur, unlimited);
  CHECK(*m.memory->swap == -1);
  unlimited.memory->swap = 128 << 20;
  m = berth::container::merge_update(cur, unlimited);
  CHECK(*m.memory->swap == 128 << 20);
}
