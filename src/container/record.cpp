// Reading a container's record back from state.json, and what its status is now.
#include "berth/container/record.hpp"

#include <unistd.h>

#include "berth/linux/process_attrs.hpp"
#include "berth/util/error.hpp"

namespace berth::container {

Record load_record(const StateDir& dir, RecordSpec what) {
  // A create that was killed has only what it recorded before anything could outlive it.
  if (!dir.has_state()) return record_from_partial(dir.read_partial(), dir.file("creating.json"));
  return record_from_state(dir.read_state(), dir.file("state.json"), what);
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
