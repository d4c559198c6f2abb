// Foreground processes (`run`, `exec`): berth waits for the process, forwards
// the signals it receives, and relays the pty when it holds the master itself
// (a terminal and no --console-socket).
#pragma once
#include <signal.h>
#include <sys/types.h>
#include <termios.h>

namespace berth::cli {

// The signals a foreground berth forwards: all but the synchronous fault
// signals. Block them before the process is spawned (none is lost), then
// read them from a signalfd.
sigset_t forwarded_signals();

// Puts the caller's terminal in raw mode for the container and restores it.
class RawTerminal {
 public:
  explicit RawTerminal(int fd);
  ~RawTerminal();
  RawTerminal(const RawTerminal&) = delete;
  RawTerminal& operator=(const RawTerminal&) = delete;

 private:
  int fd_;
  termios saved_{};
  bool active_ = false;
};

// Readies the pty master berth relays: the caller's window size (if stdin is a terminal) and
// ONLCR cleared, so the process's "\n" reaches berth's stdout as "\n", not "\r\n" (runc and
// its recvtty clear it too; a caller reading the output through a pipe compares lines).
void prepare_relayed_pty(int master);

// Until the process behind pidfd exits: forwards signals read from sigfd
// (SIGWINCH resizes the pty instead), copies master -> stdout and stdin ->
// master when master >= 0. Then drains the pty, reaps the process and returns
// its exit code (128 + signal number if it was killed).
int wait_foreground(int pidfd, pid_t pid, int sigfd, int master);

}  // namespace berth::cli
