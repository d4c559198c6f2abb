// oci/ state document: the keys and omissions of the runtime-spec state.
#include <doctest/doctest.h>

#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "berth/container/record.hpp"
#include "berth/container/state_store.hpp"
#include "berth/oci/state.hpp"

using nlohmann::json;
namespace oci = berth::oci;

TEST_CASE("status names are the runtime-spec's") {
  CHECK(std::string(oci::status_name(oci::Status::Creating)) == "creating");
  CHECK(std::string(oci::status_name(oci::Status::Created)) == "created");
  CHECK(std::string(oci::status_name(oci::Status::Running)) == "running");
  CHECK(std::string(oci::status_name(oci::Status::Stopped)) == "stopped");
  CHECK(std::string(oci::status_name(oci::Status::Paused)) == "paused");
}

TEST_CASE("state JSON: pid only while there is a process, annotations only when set") {
  oci::State s;
  s.id = "c1";
  s.status = oci::Status::Stopped;
  s.bundle = "/b";
  CHECK(oci::to_json(s) == json{{"ociVersion", "1.3.0"}, {"id", "c1"}, {"status", "stopped"}, {"bundle", "/b"}});

  s.status = oci::Status::Running;
  s.pid = 4242;
  s.annotations = {{"k", "v"}};
  const json j = oci::to_json(s);
  CHECK(j.at("pid") == 4242);
  CHECK(j.at("status") == "running");
  CHECK(j.at("annotations") == json{{"k", "v"}});
  CHECK(j.size() == 6);
}

TEST_CASE("load_record parses only the part of the stored config a command asks for") {
  char tmpl[] = "/tmp/berth-record-XXXXXX";
  REQUIRE(::mkdtemp(tmpl));
  const std::string root = tmpl;
  {
    auto dir = berth::container::StateDir::create(root, "c1");
    // A config whose linux section is invalid: only a full parse looks at it.
    json config = {{"ociVersion", "1.0.2"},
                   {"root", {{"path", "rootfs"}}},
                   {"hooks", {{"poststop", json::array({{{"path", "/bin/true"}}})}}},
                   {"linux", {{"namespaces", json::array({{{"type", "nope"}}})}}}};
    dir.write_state({{"pid", 0}, {"start_time", 0}, {"bundle", "/b"}, {"rootfs", "/b/rootfs"},
                     {"created", "2026-01-01T00:00:00Z"}, {"cgroup", nullptr}, {"config", config}});
  }
  auto dir = berth::container::StateDir::open(root, "c1");
  using berth::container::RecordSpec;
  auto none = berth::container::load_record(dir, RecordSpec::None);
  CHECK(none.bundle == "/b");
  CHECK(none.spec.hooks.poststop.empty());
  auto hooks = berth::container::load_record(dir, RecordSpec::HooksOnly);
  REQUIRE(hooks.spec.hooks.poststop.size() == 1);
  CHECK(hooks.spec.hooks.poststop[0].path == "/bin/true");
  CHECK_THROWS_WITH(berth::container::load_record(dir, RecordSpec::Full),
                    doctest::Contains("linux.namespaces[0].type"));
  std::filesystem::remove_all(root);
}

// Issue #11, finding 7: a create killed before it wrote state.json leaves creating.json;
// the directory is found (open, list) and read back as a partial record whose status is
// "creating" while its init lives, "stopped" once it is gone.
TEST_CASE("a state dir with only creating.json is a partial record") {
  char tmpl[] = "/tmp/berth-unit-XXXXXX";
  REQUIRE(::mkdtemp(tmpl));
  const std::string root = tmpl;
  {
    auto dir = berth::container::StateDir::create(root, "c2");
    CHECK_THROWS(berth::container::StateDir::open(root, "c3"));
    // ourselves as the "init": alive, with our real start time
    auto st = berth::container::proc_stat(::getpid());
    REQUIRE(st);
    dir.write_partial({{"pid", ::getpid()}, {"start_time", st->first}, {"bundle", "/b"}, {"rootfs", "/b/rootfs"},
                       {"created", "2026-01-01T00:00:00Z"}, {"cgroup", nullptr}, {"rootless", false}});
  }
  CHECK(berth::container::StateDir::list(root) == std::vector<std::string>{"c2"});
  auto dir = berth::container::StateDir::open(root, "c2");
  auto r = berth::container::load_record(dir, berth::container::RecordSpec::HooksOnly);
  CHECK(r.partial);
  CHECK(r.pid == ::getpid());
  CHECK(r.bundle == "/b");
  CHECK(berth::container::status_of(r, dir) == oci::Status::Creating);
  r.start_time += 1;  // another process under a reused pid: not ours
  CHECK(berth::container::status_of(r, dir) == oci::Status::Stopped);
  std::filesystem::remove_all(root);
}
