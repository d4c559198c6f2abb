#include "tty_relay.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "berth/linux/syscalls.hpp"
#include "berth/util/error.hpp"

namespace berth::cli {
namespace {

bool pump(int from, int to) {
  char buf[8192];
  ssize_t n = ::read(from, buf, sizeof buf);
  if (n <= 0) return false;
  ssize_t off = 0;
  while (off < n) {
    ssize_t w = ::write(to, buf + off, static_cast<size_t>(n - off));
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    off += w;
  }
  return true;
}

}  // namespace

sigset_t forwarded_signals() {
  sigset_t all;
  ::sigfillset(&all);
  for (int s : {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP, SIGSYS}) ::sigdelset(&all, s);
  return all;
}

RawTerminal::RawTerminal(int fd) : fd_(fd) {
  if (!::isatty(fd) || ::tcgetattr(fd, &saved_) < 0) return;
  termios raw = saved_;
  ::cfmakeraw(&raw);
  if (::tcsetattr(fd, TCSANOW, &raw) == 0) active_ = true;
}

RawTerminal::~RawTerminal() {
  if (active_) ::tcsetattr(fd_, TCSANOW, &saved_);
}

namespace {
void copy_winsize(int from, int to) {
  winsize ws{};
  if (::ioctl(from, TIOCGWINSZ, &ws) == 0) ::ioctl(to, TIOCSWINSZ, &ws);
}
}  // namespace

void prepare_relayed_pty(int master) {
  copy_winsize(0, master);
  termios t{};
  if (::tcgetattr(master, &t) == 0) {
    t.c_oflag &= ~static_cast<tcflag_t>(ONLCR);
    ::tcsetattr(master, TCSANOW, &t);
  }
}

int wait_foreground(int pidfd, pid_t pid, int sigfd, int master) {
  bool stdin_open = master >= 0;
  bool master_open = master >= 0;
  for (;;) {
    pollfd fds[4] = {{pidfd, POLLIN, 0}, {sigfd, POLLIN, 0}, {master, POLLIN, 0}, {0, POLLIN, 0}};
    fds[2].fd = master_open ? master : -1;
    fds[3].fd = stdin_open ? 0 : -1;
    if (::poll(fds, 4, -1) < 0) {
      if (errno == EINTR) continue;
      throw_errno("poll");
    }
    if (fds[1].revents & POLLIN) {
      signalfd_siginfo si{};
      if (::read(sigfd, &si, sizeof si) == sizeof si) {
        int sig = static_cast<int>(si.ssi_signo);
        if (sig == SIGWINCH && master >= 0) copy_winsize(0, master);
        else if (sig != SIGCHLD) sys::pidfd_send_signal(pidfd, sig);
      }
    }
    if (master_open && (fds[2].revents & (POLLIN | POLLHUP | POLLERR))) master_open = pump(master, 1);
    if (stdin_open && (fds[3].revents & (POLLIN | POLLHUP | POLLERR))) stdin_open = pump(0, master);
    if (fds[0].revents & POLLIN) {
      // The process is gone: drain what it left in the pty, then reap it.
      if (master_open) {
        ::fcntl(master, F_SETFL, O_NONBLOCK);
        while (pump(master, 1)) {}
      }
      int st = 0;
      while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
      if (WIFSIGNALED(st)) return 128 + WTERMSIG(st);
      return WEXITSTATUS(st);
    }
  }
}

}  // namespace berth::cli
