#include "registry_progress.hpp"

#include <unistd.h>

namespace berth::image::detail {

std::string human_size(int64_t b) {
  char buf[32];
  if (b >= 1000 * 1000) {
    std::snprintf(buf, sizeof buf, "%.1fMB", static_cast<double>(b) / 1e6);
  } else if (b >= 1000) {
    std::snprintf(buf, sizeof buf, "%.1fkB", static_cast<double>(b) / 1e3);
  } else {
    std::snprintf(buf, sizeof buf, "%lldB", static_cast<long long>(b));
  }
  return buf;
}

ProgressDisplay::ProgressDisplay(Progress mode, std::FILE* out) : mode_(mode), out_(out) {
  if (!out_) mode_ = Progress::Quiet;
  if (mode_ == Progress::Auto) mode_ = ::isatty(fileno(out_)) ? Progress::Tty : Progress::Plain;
}

ProgressDisplay::~ProgressDisplay() {
  if (mode_ == Progress::Tty) tick(true);
}

std::string ProgressDisplay::render(const Bar& b) const {
  std::string s = b.label + ": ";
  if (!b.status.empty()) return s + b.status + " " + human_size(b.total);
  s += b.verb + " ";
  constexpr int width = 30;
  int fill = b.total > 0 ? static_cast<int>(static_cast<double>(b.now) / static_cast<double>(b.total) * width) : 0;
  if (fill > width) fill = width;
  s += "[" + std::string(static_cast<size_t>(fill), '=') + std::string(static_cast<size_t>(width - fill), ' ') + "] ";
  return s + human_size(b.now) + "/" + human_size(b.total);
}

int ProgressDisplay::add(const std::string& label, int64_t total, const std::string& verb) {
  bars_.push_back({label, verb, "", total, 0});
  if (mode_ == Progress::Plain) {
    std::fprintf(out_, "%s: %s %s\n", label.c_str(), verb.c_str(), human_size(total).c_str());
    std::fflush(out_);
  }
  return static_cast<int>(bars_.size() - 1);
}

void ProgressDisplay::update(int idx, int64_t now) { bars_[static_cast<size_t>(idx)].now = now; }

void ProgressDisplay::done(int idx, const std::string& status) {
  Bar& b = bars_[static_cast<size_t>(idx)];
  b.status = status;
  b.now = b.total;
  if (mode_ == Progress::Plain) {
    std::fprintf(out_, "%s\n", render(b).c_str());
    std::fflush(out_);
  }
  tick();
}

void ProgressDisplay::note(const std::string& line) {
  if (mode_ == Progress::Quiet) return;
  tick(true);
  std::fprintf(out_, "%s\n", line.c_str());
  std::fflush(out_);
  if (mode_ == Progress::Tty) drawn_ = 0;  // the bars stay above the note
  if (mode_ == Progress::Tty) bars_.clear();
}

void ProgressDisplay::tick(bool force) {
  if (mode_ != Progress::Tty) return;
  auto now = std::chrono::steady_clock::now();
  if (!force && now - last_ < std::chrono::milliseconds(100)) return;
  last_ = now;
  std::string s;
  if (drawn_ > 0) s += "\033[" + std::to_string(drawn_) + "A";
  for (const auto& b : bars_) s += "\r" + render(b) + "\033[K\n";
  std::fputs(s.c_str(), out_);
  std::fflush(out_);
  drawn_ = static_cast<int>(bars_.size());
}

}  // namespace berth::image::detail
