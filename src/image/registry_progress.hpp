// Progress of registry transfers: on a terminal, one line per blob redrawn in place; otherwise
// (a log, a pipe) plain lines, one when a blob starts and one when it ends.
#pragma once
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "berth/image/registry.hpp"

namespace berth::image::detail {

class ProgressDisplay {
 public:
  ProgressDisplay(Progress mode, std::FILE* out);
  ~ProgressDisplay();
  ProgressDisplay(const ProgressDisplay&) = delete;
  ProgressDisplay& operator=(const ProgressDisplay&) = delete;

  // A new line for LABEL ("sha256:0123456789ab"); returns its index.
  int add(const std::string& label, int64_t total, const std::string& verb);
  void update(int idx, int64_t now);
  void done(int idx, const std::string& status);
  // Redraws the terminal lines (at most ten times a second).
  void tick(bool force = false);
  // A line that is not a blob's ("Writing manifest").
  void note(const std::string& line);

 private:
  struct Bar {
    std::string label, verb, status;
    int64_t total = 0, now = 0;
  };
  std::string render(const Bar& b) const;
  Progress mode_;
  std::FILE* out_;
  std::vector<Bar> bars_;
  int drawn_ = 0;  // lines on screen from the last redraw
  std::chrono::steady_clock::time_point last_{};
};

std::string human_size(int64_t b);

}  // namespace berth::image::detail
