// Copies bytes from one fd to another on the event loop, without a thread: a tty master to
// the stdout fifo, the stdin fifo to the master. Both fds are made non-blocking.
#pragma once
#include <functional>
#include <string>

#include "berth/util/fd.hpp"
#include "event_loop.hpp"

namespace berth::shim {

class Pump {
 public:
  Pump(Loop& loop, UniqueFd src, UniqueFd dst, std::function<void()> on_done = {});
  Pump(const Pump&) = delete;
  Pump& operator=(const Pump&) = delete;
  ~Pump();
  // Copies what the source still holds (the process has exited): reads until it would block
  // or ends, waiting at most `budget_ms` in total for the destination to take it.
  void drain(int budget_ms);
  // Stops copying and closes both ends (CloseIO).
  void stop();
  bool done() const { return done_; }

 private:
  void on_src();
  void try_write();
  void finish();
  Loop& loop_;
  UniqueFd src_, dst_;
  std::function<void()> on_done_;
  std::string buf_;
  std::size_t off_ = 0;
  std::uint64_t src_tok_ = 0, dst_tok_ = 0;
  bool src_eof_ = false;
  bool done_ = false;
};

}  // namespace berth::shim
