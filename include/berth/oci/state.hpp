// The runtime-spec state document (`berth state`, hooks' stdin) plus the extra
// facts berth keeps in --root/<id>/state.json.
#pragma once
#include <cstdint>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "berth/oci/spec.hpp"

namespace berth::oci {

enum class Status { Creating, Created, Running, Stopped, Paused };
const char* status_name(Status s);

struct State {
  std::string ociVersion = kSpecVersion;
  std::string id;
  Status status = Status::Creating;
  int pid = 0;  // 0 when stopped
  std::string bundle;
  std::map<std::string, std::string> annotations;
};

// Runtime-spec state JSON: ociVersion, id, status, pid (omitted when 0), bundle, annotations.
nlohmann::json to_json(const State& s);

}  // namespace berth::oci
