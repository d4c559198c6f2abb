// cgroups/systemd.hpp: the systemd driver's pure parts. cgroupsPath parsing
// and slice expansion with runc's rules, unit name checks, and the D-Bus unit
// properties made from linux.resources (names, signatures, runc's values).
#include <doctest/doctest.h>

#include <functional>
#include <limits>
#include <string>

#include "berth/cgroups/manager.hpp"
#include "berth/cgroups/systemd.hpp"
#include "berth/util/error.hpp"

#include "error_of.hpp"

namespace cg = berth::cgroups;
namespace oci = berth::oci;

namespace {

const cg::UnitProperty* find(const std::vector<cg::UnitProperty>& props, const std::string& name) {
  for (const auto& p : props)
    if (p.name == name) return &p;
  return nullptr;
}

uint64_t u64(const std::vector<cg::UnitProperty>& props, const std::string& name) {
  const auto* p = find(props, name);
  REQUIRE_MESSAGE(p, name);
  REQUIRE(p->signature() == "t");
  return std::get<uint64_t>(p->value);
}

constexpr uint64_t kInf = std::numeric_limits<uint64_t>::max();

}  // namespace

TEST_CASE("expand_slice follows systemd's dash hierarchy (runc's ExpandSlice)") {
  CHECK(cg::expand_slice("system.slice") == "/system.slice");
  CHECK(cg::expand_slice("a-b.slice") == "/a.slice/a-b.slice");
  CHECK(cg::expand_slice("test-a-b.slice") == "/test.slice/test-a.slice/test-a-b.slice");
  CHECK(cg::expand_slice("-.slice") == "/");
  for (const char* bad : {"", ".slice", "foo", "foo.scope", "a--b.slice", "-a.slice", "a-.slice", "a/b.slice"})
    CHECK_MESSAGE(error_of([&] { cg::expand_slice(bad); }) == std::string("invalid slice name: ") + bad, bad);
}

TEST_CASE("parse_systemd_path: slice:prefix:name, defaults, and errors") {
  SUBCASE("empty cgroupsPath: system.slice:berth:<id>") {
    auto p = cg::parse_systemd_path("", "abc");
    CHECK(p.slice == "system.slice");
    CHECK(p.prefix == "berth");
    CHECK(p.name == "abc");
    CHECK(p.unit == "berth-abc.scope");
    CHECK(p.cgroup == "/system.slice/berth-abc.scope");
    CHECK_FALSE(p.is_slice());
  }
  SUBCASE("a scope in a nested slice") {
    auto p = cg::parse_systemd_path("machine-web.slice:docker:1234", "ignored");
    CHECK(p.unit == "docker-1234.scope");
    CHECK(p.cgroup == "/machine.slice/machine-web.slice/docker-1234.scope");
  }
  SUBCASE("an empty slice part means system.slice") {
    auto p = cg::parse_systemd_path(":pre:n", "x");
    CHECK(p.slice == "system.slice");
    CHECK(p.cgroup == "/system.slice/pre-n.scope");
  }
  SUBCASE("the root slice") {
    CHECK(cg::parse_systemd_path("-.slice:p:n", "x").cgroup == "/p-n.scope");
  }
  SUBCASE("a name ending in .slice makes a slice, placed by its own name") {
    auto p = cg::parse_systemd_path("system.slice:p:web-db.slice", "x");
    CHECK(p.is_slice());
    CHECK(p.unit == "web-db.slice");
    CHECK(p.cgroup == "/web.slice/web-db.slice");
  }
  SUBCASE("malformed paths name what is wrong") {
    CHECK(error_of([] { cg::parse_systemd_path("/a/b", "x"); }) ==
          "expected cgroupsPath to be of format \"slice:prefix:name\" for systemd cgroups, got \"/a/b\" instead");
    CHECK(error_of([] { cg::parse_systemd_path("a:b", "x"); }).find("slice:prefix:name") != std::string::npos);
    CHECK(error_of([] { cg::parse_systemd_path("a:b:c:d", "x"); }).find("got \"a:b:c:d\"") != std::string::npos);
    CHECK(error_of([] { cg::parse_systemd_path("system.slice:p:", "x"); }).find("name part") != std::string::npos);
    CHECK(error_of([] { cg::parse_systemd_path("notaslice:p:n", "x"); }) == "invalid slice name: notaslice");
    CHECK(error_of([] { cg::parse_systemd_path("a--b.slice:p:n", "x"); }) == "invalid slice name: a--b.slice");
    CHECK(error_of([] { cg::parse_systemd_path("system.slice:p:-.slice", "x"); }).find("root slice") !=
          std::string::npos);
  }
  SUBCASE("names systemd refuses are refused before any D-Bus call") {
    CHECK(error_of([] { cg::parse_systemd_path("", "a+b"); }) ==
          "systemd cgroup driver: invalid unit name \"berth-a+b.scope\": character '+' is not allowed "
          "(systemd allows A-Z a-z 0-9 : - _ . \\ @)");
    CHECK(error_of([] { cg::parse_systemd_path("system.slice:p:" + std::string(250, 'x'), "x"); })
              .find("longer than 255 bytes") != std::string::npos);
  }
}

TEST_CASE("check_unit_name") {
  CHECK_NOTHROW(cg::check_unit_name("berth-A_b.c-1.scope"));
  CHECK_NOTHROW(cg::check_unit_name("foo\\x2dbar.scope"));
  CHECK(error_of([] { cg::check_unit_name("noext"); }).find("no unit type suffix") != std::string::npos);
  CHECK(error_of([] { cg::check_unit_name("a b.scope"); }).find("character ' '") != std::string::npos);
}

TEST_CASE("range_to_bits: cpuset lists as systemd's byte arrays (runc's RangeToBits)") {
  using B = std::vector<uint8_t>;
  CHECK(cg::range_to_bits("0") == B{0x01});
  CHECK(cg::range_to_bits("1,3-5") == B{0x3a});
  CHECK(cg::range_to_bits("0-7") == B{0xff});
  CHECK(cg::range_to_bits("8") == B{0x00, 0x01});
  CHECK(cg::range_to_bits(" 0 , ,9-10,") == B{0x01, 0x06});
  CHECK(error_of([] { cg::range_to_bits(""); }).find("empty value") != std::string::npos);
  CHECK(error_of([] { cg::range_to_bits("3-1"); }).find("invalid range 3-1") != std::string::npos);
  CHECK(error_of([] { cg::range_to_bits("x"); }).find("not a number") != std::string::npos);
}

TEST_CASE("unit_properties: runc's StartTransientUnit set") {
  SUBCASE("scope") {
    auto props = cg::unit_properties(cg::parse_systemd_path("", "c1"), 4242);
    std::vector<std::string> names;
    for (const auto& p : props) names.push_back(p.name + ":" + p.signature());
    CHECK(names == std::vector<std::string>{"Description:s", "Slice:s", "Delegate:b", "PIDs:au",
                                            "MemoryAccounting:b", "CPUAccounting:b", "IOAccounting:b",
                                            "TasksAccounting:b", "DefaultDependencies:b"});
    CHECK(std::get<std::string>(find(props, "Slice")->value) == "system.slice");
    CHECK(std::get<std::vector<uint32_t>>(find(props, "PIDs")->value) == std::vector<uint32_t>{4242});
    CHECK(std::get<bool>(find(props, "Delegate")->value));
    CHECK_FALSE(std::get<bool>(find(props, "DefaultDependencies")->value));
  }
  SUBCASE("slice: Wants= the parent, no PIDs, no Delegate") {
    auto props = cg::unit_properties(cg::parse_systemd_path("system.slice:p:x.slice", "c1"), 1);
    CHECK(find(props, "PIDs") == nullptr);
    CHECK(find(props, "Delegate") == nullptr);
    CHECK(find(props, "Slice") == nullptr);
    CHECK(std::get<std::vector<std::string>>(find(props, "Wants")->value) == std::vector<std::string>{"system.slice"});
  }
}

TEST_CASE("resource_properties: linux.resources -> systemd properties with runc's values") {
  oci::Resources r;
  SUBCASE("nothing set: no properties") { CHECK(cg::resource_properties(r, 252).empty()); }
  SUBCASE("memory") {
    r.memory.emplace();
    r.memory->limit = 64 << 20;
    r.memory->reservation = 32 << 20;
    r.memory->swap = 96 << 20;
    auto props = cg::resource_properties(r, 252);
    CHECK(u64(props, "MemoryMax") == 64u << 20);
    CHECK(u64(props, "MemoryLow") == 32u << 20);
    CHECK(u64(props, "MemorySwapMax") == 32u << 20);  // memory+swap -> swap alone
    r.memory->limit = -1;
    r.memory->swap = 0;
    r.memory->reservation.reset();
    props = cg::resource_properties(r, 252);
    CHECK(u64(props, "MemoryMax") == kInf);
    CHECK(u64(props, "MemorySwapMax") == kInf);
    r.memory->limit = 0;
    r.memory->swap = 100;
    CHECK(error_of([&] { cg::resource_properties(r, 252); }) == "unable to set swap limit without memory limit");
  }
  SUBCASE("cpu: weight from shares, quota per second rounded up to 10 ms, period from systemd 242") {
    r.cpu.emplace();
    r.cpu->shares = 1024;
    r.cpu->quota = 50000;
    r.cpu->period = 100000;
    auto props = cg::resource_properties(r, 252);
    CHECK(u64(props, "CPUWeight") == 39);
    CHECK(u64(props, "CPUQuotaPerSecUSec") == 500000);
    CHECK(u64(props, "CPUQuotaPeriodUSec") == 100000);
    r.cpu->quota = 12345;  // 123450 us/s -> 130000
    CHECK(u64(cg::resource_properties(r, 252), "CPUQuotaPerSecUSec") == 130000);
    r.cpu->quota = -1;  // unlimited
    CHECK(u64(cg::resource_properties(r, 252), "CPUQuotaPerSecUSec") == kInf);
    r.cpu->quota = 20000;
    r.cpu->period.reset();  // default period 100 ms
    props = cg::resource_properties(r, 252);
    CHECK(u64(props, "CPUQuotaPerSecUSec") == 200000);
    CHECK(find(props, "CPUQuotaPeriodUSec") == nullptr);
    r.cpu->period = 50000;
    CHECK(find(cg::resource_properties(r, 241), "CPUQuotaPeriodUSec") == nullptr);
  }
  SUBCASE("cpuset from systemd 244") {
    r.cpu.emplace();
    r.cpu->cpus = "0-1";
    r.cpu->mems = "0";
    auto props = cg::resource_properties(r, 252);
    CHECK(find(props, "AllowedCPUs")->signature() == "ay");
    CHECK(std::get<std::vector<uint8_t>>(find(props, "AllowedCPUs")->value) == std::vector<uint8_t>{0x03});
    CHECK(std::get<std::vector<uint8_t>>(find(props, "AllowedMemoryNodes")->value) == std::vector<uint8_t>{0x01});
    CHECK(cg::resource_properties(r, 243).empty());
  }
  SUBCASE("pids and io weight") {
    r.pids = oci::PidsResources{};
    r.pids->limit = 100;
    r.blockIO.emplace();
    r.blockIO->weight = 500;
    auto props = cg::resource_properties(r, 252);
    CHECK(u64(props, "TasksMax") == 100);
    CHECK(u64(props, "IOWeight") == 1 + (490 * 9999) / 990);
    r.pids->limit = -1;
    CHECK(u64(cg::resource_properties(r, 252), "TasksMax") == kInf);
    r.pids->limit = 0;
    CHECK(find(cg::resource_properties(r, 252), "TasksMax") == nullptr);
  }
}

TEST_CASE("make_manager: the systemd driver refuses hosts without systemd, before touching anything") {
  if (access("/run/systemd/system", F_OK) == 0) return;  // a systemd host: covered by the VM test
  CHECK(error_of([] { cg::make_manager("", "x", true); }) ==
        "systemd cgroup driver: systemd is not running (no /run/systemd/system)");
  // Path errors come first: they do not depend on the host.
  CHECK(error_of([] { cg::make_manager("bad", "x", true); }).find("slice:prefix:name") != std::string::npos);
}
