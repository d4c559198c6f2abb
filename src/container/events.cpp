// events: stats snapshots and OOM notifications of a container's cgroup, as
// `runc events` prints them. The container lock is held only while reading
// its record, so other commands (kill, delete, update) run meanwhile.
#include <poll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <cerrno>
#include <optional>

#include "berth/cgroups/stats.hpp"
#include "berth/container/ops.hpp"
#include "berth/container/record.hpp"
#include "berth/container/state_store.hpp"
#include "berth/linux/syscalls.hpp"
#include "berth/util/error.hpp"
#include "berth/util/fd.hpp"
#include "berth/util/log.hpp"

namespace berth::container {
namespace {

nlohmann::ordered_json event(const char* type, const std::string& id) {
  nlohmann::ordered_json j;
  j["type"] = type;
  j["id"] = id;
  return j;
}

nlohmann::ordered_json stats_event(const std::string& id, const cgroups::Manager& cg) {
  auto j = event("stats", id);
  j["data"] = cgroups::stats_json(cg.stats());
  return j;
}

}  // namespace

void events(const std::string& root, const std::string& id, const EventsOptions& opts,
            const std::function<void(const nlohmann::ordered_json&)>& emit) {
  Record r;
  {
    StateDir dir = StateDir::open(root, id);
    r = load_record(dir, RecordSpec::None);
    if (opts.interval_ns <= 0) throw Error("duration interval must be greater than 0");
    if (status_of(r, dir) == oci::Status::Stopped) throw Error("container with id " + id + " is not running");
  }
  auto cg = require_cgroup(r, id, "events");
  if (opts.stats_only) {
    emit(stats_event(id, *cg));
    return;
  }

  // The init's pidfd tells us when the container stops; checked after opening
  // it, so a recycled pid cannot be mistaken for the init.
  UniqueFd pidfd(sys::pidfd_open(r.pid));
  if (!pidfd || !init_alive(r)) return;
  auto oom = cg->watch_oom();
  UniqueFd timer(::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK));
  if (!timer) throw_errno("timerfd_create");
  itimerspec its{};
  its.it_value.tv_sec = opts.interval_ns / 1'000'000'000;
  its.it_value.tv_nsec = opts.interval_ns % 1'000'000'000;
  its.it_interval = its.it_value;
  if (::timerfd_settime(timer.get(), 0, &its, nullptr) < 0) throw_errno("timerfd_settime");

  auto drain_oom = [&]() {
    auto ev = oom->read();
    for (int i = 0; i < ev.ooms; ++i) emit(event("oom", id));
    return ev.gone;
  };
  for (;;) {
    pollfd p[3] = {{oom->fd(), POLLIN, 0}, {timer.get(), POLLIN, 0}, {pidfd.get(), POLLIN, 0}};
    int n = ::poll(p, 3, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("poll");
    }
    if (p[0].revents & POLLIN) {
      if (drain_oom()) return;
    }
    if (p[1].revents & POLLIN) {
      uint64_t ticks;
      if (::read(timer.get(), &ticks, sizeof ticks) == sizeof ticks) {
        try {
          emit(stats_event(id, *cg));
        } catch (const Error& e) {
          log::error(e.what());
        }
      }
    }
    if (p[2].revents & (POLLIN | POLLHUP)) {
      // The init is gone: report an OOM kill that raced with its death, then stop.
      drain_oom();
      return;
    }
  }
}

}  // namespace berth::container
