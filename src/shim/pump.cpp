#include "pump.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>

namespace berth::shim {

namespace {
void set_nonblock(int fd) {
  int fl = fcntl(fd, F_GETFL);
  if (fl >= 0) fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}
constexpr std::size_t kChunk = 32768;
}  // namespace

Pump::Pump(Loop& loop, UniqueFd src, UniqueFd dst, std::function<void()> on_done)
    : loop_(loop), src_(std::move(src)), dst_(std::move(dst)), on_done_(std::move(on_done)) {
  set_nonblock(src_.get());
  set_nonblock(dst_.get());
  src_tok_ = loop_.add(src_.get(), EPOLLIN, [this](std::uint32_t) { on_src(); });
}

Pump::~Pump() {
  on_done_ = nullptr;
  finish();
}

void Pump::on_src() {
  if (done_ || off_ < buf_.size()) return;
  buf_.resize(kChunk);
  ssize_t n = read(src_.get(), buf_.data(), kChunk);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
    buf_.clear();
    return;
  }
  if (n <= 0) {  // EOF, or EIO from a master whose slave side is closed
    buf_.clear();
    src_eof_ = true;
    finish();
    return;
  }
  buf_.resize(static_cast<std::size_t>(n));
  off_ = 0;
  try_write();
}

void Pump::try_write() {
  while (off_ < buf_.size()) {
    ssize_t n = write(dst_.get(), buf_.data() + off_, buf_.size() - off_);
    if (n > 0) {
      off_ += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      // Stop reading until the destination takes what we hold.
      loop_.modify(src_tok_, 0);
      if (!dst_tok_) dst_tok_ = loop_.add(dst_.get(), EPOLLOUT, [this](std::uint32_t) { try_write(); });
      return;
    }
    finish();  // EPIPE: nobody reads any more
    return;
  }
  buf_.clear();
  off_ = 0;
  if (dst_tok_) {
    loop_.remove(dst_tok_);
    dst_tok_ = 0;
    loop_.modify(src_tok_, EPOLLIN);
  }
}

void Pump::drain(int budget_ms) {
  if (done_) return;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(budget_ms);
  char chunk[kChunk];
  for (;;) {
    if (off_ >= buf_.size()) {
      ssize_t n = read(src_.get(), chunk, sizeof chunk);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      buf_.assign(chunk, static_cast<std::size_t>(n));
      off_ = 0;
    }
    ssize_t w = write(dst_.get(), buf_.data() + off_, buf_.size() - off_);
    if (w > 0) {
      off_ += static_cast<std::size_t>(w);
      continue;
    }
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && errno == EAGAIN) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      pollfd p{dst_.get(), POLLOUT, 0};
      if (left.count() <= 0 || poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
      continue;
    }
    break;
  }
  buf_.clear();
  off_ = 0;
}

void Pump::stop() { finish(); }

void Pump::finish() {
  if (done_) return;
  done_ = true;
  if (src_tok_) loop_.remove(src_tok_);
  if (dst_tok_) loop_.remove(dst_tok_);
  src_tok_ = dst_tok_ = 0;
  src_.reset();
  dst_.reset();
  if (on_done_) on_done_();
}

}  // namespace berth::shim
