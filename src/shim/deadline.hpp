// The deadline of the ttrpc request being served (its timeout_nano), for the work a method
// does synchronously before it answers: the berth commands Runtime runs stop at it. The
// server sets it around each method call; the shim is single-threaded, so one is current.
#pragma once
#include <chrono>
#include <optional>

namespace berth::shim {

using Clock = std::chrono::steady_clock;

class RequestDeadline {
 public:
  // A scope with `at` as the current deadline; std::nullopt: none (cleanup that must finish).
  explicit RequestDeadline(std::optional<Clock::time_point> at);
  ~RequestDeadline();
  RequestDeadline(const RequestDeadline&) = delete;
  RequestDeadline& operator=(const RequestDeadline&) = delete;
  static std::optional<Clock::time_point> current();

 private:
  std::optional<Clock::time_point> saved_;
};

}  // namespace berth::shim
