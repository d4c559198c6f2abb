// oci/ state document: the keys and omissions of the runtime-spec state.
#include <doctest/doctest.h>

#include <stdlib.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

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
  CHECK(oci::to_json(s) == json{{"ociVersion", "1.2.0"}, {"id", "c1"}, {"status", "stopped"}, {"bundle", "/b"}});

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
