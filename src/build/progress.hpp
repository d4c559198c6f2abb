// What a build shows while it runs. Three displays:
//   plain: one line per event, on stdout ("#3 [stage-0 3/8] RUN ...", "#3 0.012 output",
//          "#3 DONE 0.05s (layer ..., N bytes)", "#3 CACHED"): logs, pipes, CI;
//   tty:   a live display on a terminal (stderr), as BuildKit's: finished steps scroll up as
//          permanent lines with their times ("=> CACHED [...]", "=> [...] RUN ...  0.4s"),
//          below them the running step, its last output lines and a "[+] Building" line
//          with the elapsed time, redrawn in place (ANSI cursor movement) at most every 0.1s;
//          a failed step stays on screen with its last output lines;
//   quiet: nothing.
#pragma once
#include <memory>
#include <ostream>
#include <string>

namespace berth::build {

class Progress {
 public:
  virtual ~Progress() = default;
  virtual void warning(const std::string& text) = 0;
  // Step n starts; title: "[stage-0 3/8] RUN ...".
  virtual void step(int n, const std::string& title) = 0;
  virtual void cached(int n) = 0;
  // A line of RUN output, secs after the command started.
  virtual void output(int n, double secs, const std::string& line) = 0;
  // Step n made a layer: detail "layer abc..., 123 bytes".
  virtual void done(int n, double secs, const std::string& detail) = 0;
  // The end of the build: "writing image ...", "naming to ...".
  virtual void info(int n, const std::string& text) = 0;
  // Called while a step waits (RUN): lets the tty display advance its clock.
  virtual void tick() {}
  // The build failed in step n (the error itself is printed by the caller).
  virtual void failed(int /*n*/) {}
  virtual void finish() {}
};

std::unique_ptr<Progress> plain_progress(std::ostream& out);
std::unique_ptr<Progress> quiet_progress();
// fd: a terminal (stderr); its width is asked at every redraw.
std::unique_ptr<Progress> tty_progress(int fd);

}  // namespace berth::build
