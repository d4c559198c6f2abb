#include "berth/container/cgroup_kill.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cstring>
#include <set>
#include <string>

#include "berth/util/error.hpp"
#include "berth/util/fd.hpp"
#include "berth/util/log.hpp"

namespace berth::container {
namespace {

// "1" into cgroup.kill of the first of the cgroup's directories that has one.
bool kill_through_kernel(const cgroups::Manager& cg) {
  for (const auto& [mount, dir] : cg.dirs()) {
    const std::string file = dir + "/cgroup.kill";
    UniqueFd fd(::open(file.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd) continue;  // no such file: v1 hierarchy or a kernel before 5.14
    if (::write(fd.get(), "1", 1) == 1) return true;
    log::debug("write " + file + ": " + std::strerror(errno) + " (signalling each process instead)");
  }
  return false;
}

}  // namespace

void signal_cgroup(cgroups::Manager& cg, int sig) {
  if (sig == SIGKILL && kill_through_kernel(cg)) return;
  bool frozen = false;
  try {
    cg.freeze(true);
    frozen = true;
  } catch (const Error& e) {
    log::debug(std::string("signal every process: no freeze (") + e.what() + "): repeated passes instead");
  }
  if (frozen) {
    for (pid_t p : cg.pids()) ::kill(p, sig);
    cg.freeze(false);
    return;
  }
  // No freezer: until a pass finds nothing new (a forker may outrun one pass).
  std::set<pid_t> done;
  for (int pass = 0; pass < 100; ++pass) {
    bool fresh = false;
    for (pid_t p : cg.pids()) {
      if (sig != SIGKILL && done.count(p)) continue;
      if (done.insert(p).second) fresh = true;
      ::kill(p, sig);
    }
    if (!fresh) return;
  }
}

}  // namespace berth::container
