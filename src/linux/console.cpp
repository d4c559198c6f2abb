#include "berth/linux/console.hpp"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "berth/util/error.hpp"

namespace berth::linux_ {

Pty open_pty(const std::optional<oci::ConsoleSize>& size) {
  Pty p;
  p.master.reset(::open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!p.master) throw_errno("open /dev/ptmx");
  if (::unlockpt(p.master.get()) < 0) throw_errno("unlockpt");
  int n = 0;
  if (::ioctl(p.master.get(), TIOCGPTN, &n) < 0) throw_errno("get pty number");
  p.slave_path = "/dev/pts/" + std::to_string(n);
  // TIOCGPTPEER opens the slave through the master: no path lookup to race.
  p.slave.reset(::ioctl(p.master.get(), TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!p.slave) throw_errno("open pty slave " + p.slave_path);
  if (size && (size->height || size->width)) {
    struct winsize ws {};
    ws.ws_row = static_cast<unsigned short>(size->height);
    ws.ws_col = static_cast<unsigned short>(size->width);
    if (::ioctl(p.master.get(), TIOCSWINSZ, &ws) < 0) throw_errno("set console size");
  }
  return p;
}

void attach_terminal(int slave) {
  if (::ioctl(slave, TIOCSCTTY, 0) < 0) throw_errno("set controlling terminal");
  for (int fd = 0; fd < 3; ++fd)
    if (::dup2(slave, fd) < 0) throw_errno("dup2 pty slave to fd " + std::to_string(fd));
}

}  // namespace berth::linux_
