#include "progress.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <deque>
#include <optional>
#include <vector>

namespace berth::build {
namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::string fixed(double v, int digits) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

class Plain final : public Progress {
 public:
  explicit Plain(std::ostream& out) : out_(out) {}
  void warning(const std::string& text) override { line("[warning] " + text); }
  void step(int n, const std::string& title) override { line("#" + std::to_string(n) + " " + title); }
  void cached(int n) override { line("#" + std::to_string(n) + " CACHED"); }
  void output(int n, double secs, const std::string& l) override { line("#" + std::to_string(n) + " " + fixed(secs, 3) + " " + l); }
  void done(int n, double secs, const std::string& detail) override {
    line("#" + std::to_string(n) + " DONE " + fixed(secs, 2) + "s (" + detail + ")");
  }
  void info(int n, const std::string& text) override { line("#" + std::to_string(n) + " " + text); }

 private:
  void line(const std::string& s) { out_ << s << "\n" << std::flush; }
  std::ostream& out_;
};

class Quiet final : public Progress {
 public:
  void warning(const std::string&) override {}
  void step(int, const std::string&) override {}
  void cached(int) override {}
  void output(int, double, const std::string&) override {}
  void done(int, double, const std::string&) override {}
  void info(int, const std::string&) override {}
};

// What a terminal shows of a line of output: after the last carriage return (progress bars),
// control characters (escape sequences too) as spaces, so that every drawn line is one row.
std::string printable(const std::string& s) {
  size_t cr = s.rfind('\r');
  std::string out = cr == std::string::npos ? s : s.substr(cr + 1);
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  }
  return out;
}

// At most `cols` bytes (a byte is at most one column), not cutting a UTF-8 sequence.
std::string clip(const std::string& s, size_t cols) {
  if (s.size() <= cols) return s;
  size_t cut = cols;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return s.substr(0, cut);
}

class Tty final : public Progress {
 public:
  explicit Tty(int fd) : fd_(fd), start_(Clock::now()) {}

  void warning(const std::string& text) override { permanent({"[warning] " + printable(text)}); }

  void step(int n, const std::string& title) override {
    complete("");
    cur_ = Step{n, printable(title), Clock::now(), {}};
    redraw();
  }

  void cached(int) override {
    if (!cur_) return;
    ++cached_;
    std::string l = row(" => CACHED " + cur_->title, "0.0s");
    cur_.reset();
    ++finished_;
    permanent({l});
  }

  void output(int, double, const std::string& l) override {
    if (!cur_) return;
    cur_->lines.push_back(printable(l));
    if (cur_->lines.size() > kTail) cur_->lines.pop_front();
    if (since(last_draw_) >= 0.1) redraw();
  }

  void done(int, double secs, const std::string& detail) override {
    if (!cur_) return;
    complete(fixed(secs, 1) + "s  " + detail);
  }

  void info(int, const std::string& text) override {
    complete("");
    permanent({" => " + printable(text)});
  }

  void tick() override {
    if (since(last_draw_) >= 0.1) redraw();
  }

  void failed(int) override {
    if (!cur_) return;
    std::vector<std::string> lines = {row(" => ERROR " + cur_->title, fixed(since(cur_->start), 1) + "s")};
    for (const auto& l : cur_->lines) lines.push_back(" => => # " + l);
    cur_.reset();
    permanent(lines);
    erase_live();
  }

  void finish() override {
    complete("");
    std::string l = "[+] Building " + fixed(since(start_), 1) + "s (" + std::to_string(finished_) + " steps, " +
                    std::to_string(cached_) + " cached) FINISHED";
    permanent({l});
    erase_live();
  }

  ~Tty() override { erase_live(); }

 private:
  static constexpr size_t kTail = 6;  // output lines shown under a running step (BuildKit's)
  struct Step {
    int n;
    std::string title;
    Clock::time_point start;
    std::deque<std::string> lines;
  };

  size_t width() const {
    winsize ws{};
    if (::ioctl(fd_, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 10) return ws.ws_col;
    return 80;
  }

  // " => title ...         1.2s": the time at the right edge; never wider than the terminal
  // minus one column (a full row would wrap on some terminals and break the line count).
  std::string row(const std::string& left, const std::string& right) const {
    size_t w = width() - 1;
    if (right.size() + 2 >= w) return clip(left, w);
    size_t avail = w - right.size() - 1;
    std::string l = clip(left, avail);
    if (l.size() < avail) l.append(avail - l.size(), ' ');
    return l + " " + right;
  }

  // The running step ends: a permanent line with its time (and the layer it made).
  void complete(const std::string& right) {
    if (!cur_) return;
    std::string r = right.empty() ? fixed(since(cur_->start), 1) + "s" : right;
    std::string l = row(" => " + cur_->title, r);
    cur_.reset();
    ++finished_;
    permanent({l});
  }

  void permanent(const std::vector<std::string>& lines) {
    std::string out = erase_sequence();
    size_t w = width() - 1;
    for (const auto& l : lines) out += clip(l, w) + "\n";
    out += live();
    put(out);
  }

  std::string erase_sequence() {
    std::string s;
    if (live_lines_ > 0) s = "\r\x1b[" + std::to_string(live_lines_) + "A\x1b[J";
    live_lines_ = 0;
    return s;
  }

  void erase_live() { put(erase_sequence()); }

  // The live region: the running step, its last output lines, the clock.
  std::string live() {
    std::vector<std::string> lines;
    size_t w = width() - 1;
    if (cur_) {
      lines.push_back(row(" => " + cur_->title, fixed(since(cur_->start), 1) + "s"));
      for (const auto& l : cur_->lines) lines.push_back(clip(" => => # " + l, w));
    }
    lines.push_back(clip("[+] Building " + fixed(since(start_), 1) + "s (" + std::to_string(finished_) + " steps done)", w));
    std::string out;
    for (const auto& l : lines) out += l + "\n";
    live_lines_ = lines.size();
    last_draw_ = Clock::now();
    return out;
  }

  void redraw() {
    std::string out = erase_sequence();
    out += live();
    put(out);
  }

  void put(const std::string& s) {
    size_t off = 0;
    while (off < s.size()) {
      ssize_t n = ::write(fd_, s.data() + off, s.size() - off);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;  // the terminal went away: the build goes on without a display
      off += static_cast<size_t>(n);
    }
  }

  int fd_;
  Clock::time_point start_, last_draw_{};
  std::optional<Step> cur_;
  size_t live_lines_ = 0;
  int finished_ = 0, cached_ = 0;
};

}  // namespace

std::unique_ptr<Progress> plain_progress(std::ostream& out) { return std::make_unique<Plain>(out); }
std::unique_ptr<Progress> quiet_progress() { return std::make_unique<Quiet>(); }
std::unique_ptr<Progress> tty_progress(int fd) { return std::make_unique<Tty>(fd); }

}  // namespace berth::build
