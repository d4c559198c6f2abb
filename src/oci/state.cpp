#include "berth/oci/state.hpp"

namespace berth::oci {

const char* status_name(Status s) {
  switch (s) {
    case Status::Creating:
      return "creating";
    case Status::Created:
      return "created";
    case Status::Running:
      return "running";
    case Status::Stopped:
      return "stopped";
    case Status::Paused:
      return "paused";
  }
  return "unknown";  // not reachable with a valid enumerator
}

nlohmann::json to_json(const State& s) {
  nlohmann::json j = {
      {"ociVersion", s.ociVersion}, {"id", s.id}, {"status", status_name(s.status)}, {"bundle", s.bundle}};
  // The spec: pid is REQUIRED while the container process exists (created,
  // running, paused) and absent otherwise; 0 stands for "no process".
  if (s.pid > 0) j["pid"] = s.pid;
  if (!s.annotations.empty()) j["annotations"] = s.annotations;
  return j;
}

}  // namespace berth::oci
