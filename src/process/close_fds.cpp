// close_fds_except (close_fds.hpp): close_range, else /proc/self/fd, else a loop.
#include "berth/process/close_fds.hpp"

#include <algorithm>
#include <cerrno>
#include <string>

#include "berth/process/syscall_seam.hpp"
#include "berth/util/error.hpp"

namespace berth::process {
namespace {

struct Range {
  unsigned first;
  unsigned last;  // inclusive; ~0U: to the end
};

// The fds >= first not in `keep` (sorted, all >= first), as ranges.
std::vector<Range> ranges_to_close(unsigned first, const std::vector<int>& keep) {
  std::vector<Range> out;
  unsigned from = first;
  for (int k : keep) {
    const auto ku = static_cast<unsigned>(k);
    if (ku > from) out.push_back({from, ku - 1});
    from = ku + 1;
  }
  out.push_back({from, ~0U});
  return out;
}

bool kept(const std::vector<int>& keep, int fd) { return std::binary_search(keep.begin(), keep.end(), fd); }

}  // namespace

void close_fds_except(SyscallSeam& sys, unsigned first, std::vector<int> keep) {
  std::erase_if(keep, [first](int fd) { return fd < 0 || static_cast<unsigned>(fd) < first; });
  std::sort(keep.begin(), keep.end());
  keep.erase(std::unique(keep.begin(), keep.end()), keep.end());

  bool have_close_range = true;
  for (const Range& r : ranges_to_close(first, keep)) {
    int err = sys.close_range(r.first, r.last);
    if (err == 0) continue;
    if (err != ENOSYS)
      throw_errno("close_range " + std::to_string(r.first) + ".." +
                      (r.last == ~0U ? std::string("end") : std::to_string(r.last)),
                  err);
    have_close_range = false;  // Linux < 5.9 (or a filter that hides it): all ranges below
    break;
  }
  if (!have_close_range) {
    std::vector<int> open;
    if (sys.open_fds(open)) {
      for (int fd : open)
        if (fd >= 0 && static_cast<unsigned>(fd) >= first && !kept(keep, fd)) sys.close(fd);
    } else {
      // No /proc (or not readable): every possible fd. The hard limit bounds
      // them (fds above a lowered soft limit stay valid).
      const int limit = sys.fd_limit();
      for (int fd = static_cast<int>(first); fd < limit; ++fd)
        if (!kept(keep, fd)) sys.close(fd);
    }
  }
  for (int k : keep) sys.set_cloexec(k, true);
  for (int fd = 3; fd < static_cast<int>(first); ++fd) sys.set_cloexec(fd, false);
}

}  // namespace berth::process
