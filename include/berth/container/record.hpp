// What later commands (start, state, kill, delete, exec, ...) need to know
// about a container, read back from --root/<id>/state.json.
#pragma once
#include <sys/types.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "berth/cgroups/manager.hpp"
#include "berth/container/state_store.hpp"
#include "berth/oci/spec.hpp"
#include "berth/oci/state.hpp"

namespace berth::container {

struct Record {
  int pid = 0;
  unsigned long long start_time = 0;  // of the init, guards against pid reuse
  std::string bundle, rootfs, created, owner;
  std::map<std::string, std::string> annotations;
  nlohmann::json cgroup;  // cgroups::Manager::save(); null: made without one (rootless)
  bool rootless = false;  // created in rootless mode
  oci::Spec spec;         // config.json as it was at create (only what load_record was asked for)
  // Read from creating.json: a create that did not finish (killed before it
  // wrote state.json); no config. Its status is "creating" while the init lives.
  bool partial = false;
};

// How much of the stored config a command needs: parsing all of it is ~0.7 M
// instructions, most commands (state, list, kill, ps, pause) need none of it,
// start and delete only its hooks.
enum class RecordSpec { Full, HooksOnly, None };
Record load_record(const StateDir& dir, RecordSpec spec = RecordSpec::Full);
// The same from parsed JSON (state.json / creating.json); `doc` names it in errors.
Record record_from_state(const nlohmann::json& state, const std::string& doc, RecordSpec spec);
Record record_from_partial(const nlohmann::json& creating, const std::string& doc);
// (start time, state letter) from /proc/<pid>/stat; nullopt if the process is gone.
std::optional<std::pair<unsigned long long, char>> proc_stat(int pid);
// The init still runs (same start time, not a zombie).
bool init_alive(const Record& r);
std::unique_ptr<cgroups::Manager> record_cgroup(const Record& r);
// The cgroup, for a command that cannot work without one (pause, update, events):
// throws "<command>: container <id> has no cgroup (...)" otherwise.
std::unique_ptr<cgroups::Manager> require_cgroup(const Record& r, const std::string& id, const std::string& command);
oci::Status status_of(const Record& r, const StateDir& dir);
// The current time as state.json's "created" (RFC 3339, nanoseconds, UTC).
std::string now_rfc3339_nano();

}  // namespace berth::container
