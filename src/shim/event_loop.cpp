#include "event_loop.hpp"

#include <sys/epoll.h>

#include <cerrno>

#include "berth/util/error.hpp"

namespace berth::shim {

Loop::Loop() : ep_(epoll_create1(EPOLL_CLOEXEC)) {
  if (!ep_) throw_errno("epoll_create1");
}

std::uint64_t Loop::add(int fd, std::uint32_t events, Handler h) {
  std::uint64_t token = next_token_++;
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = token;
  if (epoll_ctl(ep_.get(), EPOLL_CTL_ADD, fd, &ev) < 0) throw_errno("epoll_ctl add fd " + std::to_string(fd));
  entries_[token] = std::make_shared<Entry>(Entry{fd, std::move(h)});
  return token;
}

void Loop::modify(std::uint64_t token, std::uint32_t events) {
  auto it = entries_.find(token);
  if (it == entries_.end()) return;
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = token;
  if (epoll_ctl(ep_.get(), EPOLL_CTL_MOD, it->second->fd, &ev) < 0)
    throw_errno("epoll_ctl mod fd " + std::to_string(it->second->fd));
}

void Loop::remove(std::uint64_t token) {
  auto it = entries_.find(token);
  if (it == entries_.end()) return;
  epoll_ctl(ep_.get(), EPOLL_CTL_DEL, it->second->fd, nullptr);
  entries_.erase(it);
}

void Loop::run(int idle_ms, const std::function<void()>& on_idle) {
  epoll_event events[32];
  bool active = true;  // start-up counts as activity
  while (!stopped_) {
    int n = epoll_wait(ep_.get(), events, 32, active && on_idle ? idle_ms : -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("epoll_wait");
    }
    for (int i = 0; i < n && !stopped_; ++i) {
      auto it = entries_.find(events[i].data.u64);
      if (it == entries_.end()) continue;  // removed by an earlier handler of this batch
      auto entry = it->second;             // keeps the handler alive while it runs
      entry->handler(events[i].events);
    }
    auto fns = std::move(deferred_);
    deferred_.clear();
    for (auto& fn : fns) fn();
    if (n > 0) {
      active = true;
    } else if (n == 0 && active && on_idle) {
      active = false;
      on_idle();
    }
  }
}

}  // namespace berth::shim
