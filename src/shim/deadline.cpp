#include "deadline.hpp"

namespace berth::shim {

namespace {
std::optional<Clock::time_point> g_current;
}

RequestDeadline::RequestDeadline(std::optional<Clock::time_point> at) : saved_(g_current) { g_current = at; }
RequestDeadline::~RequestDeadline() { g_current = saved_; }
std::optional<Clock::time_point> RequestDeadline::current() { return g_current; }

}  // namespace berth::shim
