// The shim's one event loop (epoll): ttrpc connections, child exits (signalfd), stdio copying.
// Handlers may add or remove fds, including their own, while being dispatched.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <unordered_map>
#include <vector>

#include "berth/util/fd.hpp"

namespace berth::shim {

class Loop {
 public:
  using Handler = std::function<void(std::uint32_t events)>;
  Loop();
  // Watches fd (not owned) for events; returns a token for modify/remove.
  std::uint64_t add(int fd, std::uint32_t events, Handler h);
  void modify(std::uint64_t token, std::uint32_t events);
  void remove(std::uint64_t token);
  // Runs `fn` once the current batch of events has been dispatched.
  void defer(std::function<void()> fn) { deferred_.push_back(std::move(fn)); }
  // Dispatches until stop(). With on_idle: once the loop has had nothing to do for idle_ms
  // after some activity, on_idle runs (once, until the next event).
  void run(int idle_ms = -1, const std::function<void()>& on_idle = {});
  void stop() { stopped_ = true; }
  bool stopped() const { return stopped_; }

 private:
  struct Entry {
    int fd;
    Handler handler;
  };
  UniqueFd ep_;
  std::uint64_t next_token_ = 1;
  std::unordered_map<std::uint64_t, std::shared_ptr<Entry>> entries_;
  std::vector<std::function<void()>> deferred_;
  bool stopped_ = false;
};

}  // namespace berth::shim
