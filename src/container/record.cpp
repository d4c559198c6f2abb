// Reading a container's record back from state.json, and what its status is now.
#include "berth/container/record.hpp"

#include <unistd.h>

#include "berth/linux/process_attrs.hpp"
#include "berth/oci/parse.hpp"
#include "berth/util/error.hpp"

namespace berth::container {

Record load_record(const StateDir& dir, RecordSpec what) {
  if (!dir.has_state()) {
    // A create that was killed: what it recorded before anything could outlive it.
    nlohmann::json p = dir.read_partial();
    Record r;
    r.partial = true;
    try {
      r.pid = p.value("pid", 0);
      r.start_time = p.value("start_time", 0ULL);
      r.bundle = p.value("bundle", "");
      r.rootfs = p.value("rootfs", "");
      r.created = p.value("created", "");
      r.cgroup = p.value("cgroup", nlohmann::json());
      r.rootless = p.value("rootless", false);
    } catch (const nlohmann::json::exception& e) {
      throw Error(dir.file("creating.json") + ": " + e.what());
    }
    return r;
  }
  nlohmann::json j = dir.read_state();
  Record r;
  try {
    r.pid = j.at("pid").get<int>();
    r.start_time = j.at("start_time").get<unsigned long long>();
    r.bundle = j.at("bundle").get<std::string>();
    r.rootfs = j.at("rootfs").get<std::string>();
    r.created = j.at("created").get<std::string>();
    r.owner = j.value("owner", "");
    r.annotations = j.value("annotations", std::map<std::string, std::string>{});
    r.cgroup = j.value("cgroup", nlohmann::json());
    r.rootless = j.value("rootless", false);
  } catch (const nlohmann::json::exception& e) {
    throw Error(dir.file("state.json") + ": " + e.what());
  }
  const std::string doc = dir.file("state.json") + ": config";
  if (what == RecordSpec::Full) {
    r.spec = oci::parse_spec(j.at("config"), doc);
  } else if (what == RecordSpec::HooksOnly) {
    const nlohmann::json& config = j.at("config");
    auto it = config.find("hooks");
    if (it != config.end()) r.spec.hooks = oci::parse_hooks(*it, doc + ": hooks");
  }
  return r;
}

// Field 22 of /proc/<pid>/stat (start time) and field 3 (state); nullopt if gone.
std::optional<std::pair<unsigned long long, char>> proc_stat(int pid) {
  std::string s;
  try {
    s = linux_::read_file("/proc/" + std::to_string(pid) + "/stat");
  } catch (const Error&) {
    return std::nullopt;
  }
  size_t rp = s.rfind(')');
  if (rp == std::string::npos || rp + 2 >= s.size()) return std::nullopt;
  char state = s[rp + 2];
  // fields after ')' start at field 3
  size_t pos = rp + 2;
  for (int field = 3; field < 22; ++field) {
    pos = s.find(' ', pos);
    if (pos == std::string::npos) return std::nullopt;
    ++pos;
  }
  return std::make_pair(std::strtoull(s.c_str() + pos, nullptr, 10), state);
}

bool init_alive(const Record& r) {
  if (r.pid <= 0) return false;
  auto st = proc_stat(r.pid);
  return st && st->first == r.start_time && st->second != 'Z' && st->second != 'X';
}

std::unique_ptr<cgroups::Manager> record_cgroup(const Record& r) {
  if (r.cgroup.is_null()) return nullptr;
  return cgroups::load_manager(r.cgroup);
}

std::unique_ptr<cgroups::Manager> require_cgroup(const Record& r, const std::string& id, const std::string& command) {
  if (auto cg = record_cgroup(r)) return cg;
  std::string why = r.rootless ? "it was created rootless, without a writable (delegated) cgroup"
                               : "none was recorded at create";
  throw Error(command + ": container " + id + " has no cgroup: " + why);
}

oci::Status status_of(const Record& r, const StateDir& dir) {
  if (!init_alive(r)) return oci::Status::Stopped;
  if (r.partial) return oci::Status::Creating;
  // Frozen before created, as runc: a created container can be paused.
  auto cg = record_cgroup(r);
  if (cg && cg->frozen()) return oci::Status::Paused;
  if (::access(dir.file("exec.fifo").c_str(), F_OK) == 0) return oci::Status::Created;
  return oci::Status::Running;
}

}  // namespace berth::container
