// Container operations on the cgroup of a running container: pause/resume,
// update of its resources, events (stats and OOM notifications). Same states,
// errors and output as runc 1.1.
#pragma once
#include <cstdint>
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "berth/oci/spec.hpp"

namespace berth::container {

// Freezes every process of a created or running container ("container not
// running" otherwise); its status becomes paused.
void pause(const std::string& root, const std::string& id);
// Thaws a paused container ("container not paused" otherwise).
void resume(const std::string& root, const std::string& id);

// New resource values for `update`: only what is set changes. The values are
// merged into the container's linux.resources (merge_update), the whole merged
// set is written to the cgroup (device rules excepted, as runc), and it is
// saved in state.json's "config" so later commands see it. On a failed write
// the previous values are written back. "container not running" if stopped.
void update(const std::string& root, const std::string& id, const oci::Resources& changes);

// runc 1.1's merge for update: memory limit/reservation/swap/checkBeforeUpdate,
// cpu shares/quota/period/burst/realtime*/idle/cpus/mems, blockIO weight,
// pids limit (0 = unchanged), unified keys. A memory limit of -1 without a swap
// value makes swap -1 too. Other members of `changes` are not updatable and are
// listed in `ignored` (JSON names, e.g. "hugepageLimits").
oci::Resources merge_update(const oci::Resources& current, const oci::Resources& changes,
                            std::vector<std::string>* ignored = nullptr);

struct EventsOptions {
  int64_t interval_ns = 5'000'000'000;  // --interval (default 5s)
  bool stats_only = false;              // --stats: one stats event, then return
};
// `events`: {"type":"stats","id":ID,"data":{...}} objects (runc's shape) every
// interval, and {"type":"oom","id":ID} whenever the OOM killer acts in the
// container's cgroup; returns when the container stops (or its cgroup goes).
// Each event is passed to `emit` as soon as it happens.
void events(const std::string& root, const std::string& id, const EventsOptions& opts,
            const std::function<void(const nlohmann::ordered_json&)>& emit);

}  // namespace berth::container
