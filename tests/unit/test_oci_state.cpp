// oci/ state document: the keys and omissions of the runtime-spec state.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <string>

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
