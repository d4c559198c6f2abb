// --preserve-fds N (and systemd's LISTEN_FDS): fds 3..3+N-1 are the container
// process's. Every one of them must be open when berth starts, as runc
// requires: then none of berth's own fds (the state dir lock, the sync socket,
// the log file) can land in that range and be handed to the container (the
// lock inherited by the container made `run --preserve-fds` wait for itself).
#include <fcntl.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>

#include "berth/util/error.hpp"
#include "cli.hpp"

namespace berth::cli {

int preserved_with_listen_fds(int preserve_fds, process::ListenFds& listen) {
  listen = process::listen_fds_from(std::getenv("LISTEN_FDS"), std::getenv("LISTEN_PID"),
                                    std::getenv("LISTEN_FDNAMES"), ::getpid());
  if (preserve_fds < 0) return preserve_fds;  // refused by require_preserved_fds
  long long total = static_cast<long long>(preserve_fds) + listen.count;
  return total > INT_MAX ? INT_MAX : static_cast<int>(total);
}

void require_preserved_fds(int n, int listen) {
  if (n < 0) throw Error("--preserve-fds must not be negative: " + std::to_string(n - listen));
  // Stops at the first fd that is not open (at the latest RLIMIT_NOFILE).
  for (int i = 0; i < n; ++i) {
    const int fd = 3 + i;
    if (::fcntl(fd, F_GETFD) >= 0) continue;
    if (i < listen)
      throw_errno("unable to stat listen fd " + std::to_string(i) + " (of " + std::to_string(listen) +
                  ", LISTEN_FDS): fd " + std::to_string(fd));
    throw_errno("unable to stat preserved-fd " + std::to_string(i - listen) + " (of " + std::to_string(n - listen) +
                "): fd " + std::to_string(fd));
  }
}

}  // namespace berth::cli
