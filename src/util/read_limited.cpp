#include "berth/util/read_limited.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include "berth/util/error.hpp"
#include "berth/util/fd.hpp"

namespace berth {
namespace {

const char* kind_of(mode_t m) {
  if (S_ISDIR(m)) return "a directory";
  if (S_ISCHR(m)) return "a character device";
  if (S_ISBLK(m)) return "a block device";
  if (S_ISSOCK(m)) return "a socket";
  return "an unknown kind of file";
}

std::string limit_text(std::size_t limit) {
  if (limit % (1u << 20) == 0) return std::to_string(limit >> 20) + " MiB";
  return std::to_string(limit) + " bytes";
}

// Waits until the FIFO has data or its writer closed it. A FIFO opened
// O_NONBLOCK with no writer yet polls as "nothing" (not POLLHUP), so this waits
// for a writer too. ppoll with an empty mask: blocked signals can arrive.
void wait_readable(int fd, const std::string& path) {
  sigset_t none;
  ::sigemptyset(&none);
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    int n = ::ppoll(&p, 1, nullptr, &none);
    if (n > 0) return;
    if (n < 0 && errno != EINTR) throw_errno("wait for " + path);
  }
}

}  // namespace

std::string read_limited(const std::string& path, std::size_t limit) {
  // O_NONBLOCK: opening a FIFO must not block in open(2), where no ppoll can help.
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
  if (!fd) throw_errno("open " + path);
  struct stat st {};
  if (::fstat(fd.get(), &st) < 0) throw_errno("stat " + path);
  const bool fifo = S_ISFIFO(st.st_mode);
  if (!fifo && !S_ISREG(st.st_mode))
    throw Error(path + ": not a regular file or a FIFO (" + kind_of(st.st_mode) + ")");
  if (!fifo && static_cast<unsigned long long>(st.st_size) > limit)
    throw Error(path + ": " + std::to_string(st.st_size) + " bytes, more than the limit of " + limit_text(limit));
  std::string data;
  if (!fifo) data.reserve(static_cast<std::size_t>(st.st_size));
  char buf[65536];
  for (;;) {
    if (fifo) wait_readable(fd.get(), path);
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      throw_errno("read " + path);
    }
    // A file that grows while read, or a FIFO, is held to the same limit.
    if (data.size() + static_cast<std::size_t>(n) > limit)
      throw Error(path + ": more than the limit of " + limit_text(limit));
    data.append(buf, static_cast<std::size_t>(n));
  }
  return data;
}

}  // namespace berth
