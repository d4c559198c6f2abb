// pause / resume: the container's cgroup frozen or thawed (v1 freezer.state,
// v2 cgroup.freeze). The status is derived from the cgroup (record.cpp).
#include "berth/container/ops.hpp"
#include "berth/container/record.hpp"
#include "berth/container/state_store.hpp"
#include "berth/util/error.hpp"

namespace berth::container {
void pause(const std::string& root, const std::string& id) {
  StateDir dir = StateDir::open(root, id);
  Record r = load_record(dir, RecordSpec::None);
  oci::Status s = status_of(r, dir);
  // As runc: a created container can be paused too.
  if (s != oci::Status::Running && s != oci::Status::Created) throw Error("container not running");
  require_cgroup(r, id, "pause")->freeze(true);
}

void resume(const std::string& root, const std::string& id) {
  StateDir dir = StateDir::open(root, id);
  Record r = load_record(dir, RecordSpec::None);
  if (status_of(r, dir) != oci::Status::Paused) throw Error("container not paused");
  require_cgroup(r, id, "resume")->freeze(false);
}

}  // namespace berth::container
