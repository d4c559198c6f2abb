// bench/shim_inprocess: the measurement behind docs/architecture.md's shim decision (issue #13
// item 6): a container's create + start + wait + delete driven the shim's way (fork + exec of
// the berth binary for each step) against libberth called in this process (the alternative).
// Not installed, not part of the shim: a prototype that links libberth's container/ module.
//   shim_inprocess BERTH BUNDLE N
// prints the median wall time of each way and this process's RSS/Pss growth from linking and
// running the in-process path (bench/shim_inprocess.sh makes the bundle and runs it).
#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "berth/container/container.hpp"

extern char** environ;

namespace {

using Clock = std::chrono::steady_clock;

int run(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    int null = open("/dev/null", O_RDWR);
    dup2(null, 0);
    dup2(null, 1);
    execve(argv[0], argv.data(), environ);
    _exit(127);
  }
  int st = 0;
  waitpid(pid, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

long kb(const char* key) {
  std::ifstream f("/proc/self/smaps_rollup");
  std::string k;
  long v = 0;
  while (f >> k) {
    if (k == key) {
      f >> v;
      return v;
    }
    f.ignore(1 << 12, '\n');
  }
  return 0;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

// Reaps the container's init (we are its subreaper in both ways).
void reap_all() {
  while (waitpid(-1, nullptr, 0) > 0) {
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s BERTH BUNDLE N\n", argv[0]);
    return 2;
  }
  std::string berth = argv[1], bundle = argv[2];
  int n = std::stoi(argv[3]);
  std::string root = bundle + "/../state";
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  long rss0 = kb("Rss:"), pss0 = kb("Pss:");
  std::vector<double> bin, lib;
  for (int i = 0; i < n; ++i) {
    std::string id = "inproc-b" + std::to_string(i);
    auto t0 = Clock::now();
    if (run({berth, "--root", root, "create", "--bundle", bundle, id}) != 0 || run({berth, "--root", root, "start", id}) != 0) {
      std::fprintf(stderr, "berth create/start failed\n");
      return 1;
    }
    reap_all();
    run({berth, "--root", root, "delete", "--force", id});
    bin.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());

    id = "inproc-l" + std::to_string(i);
    t0 = Clock::now();
    berth::container::CreateOptions o;
    o.root = root;
    o.id = id;
    o.bundle = bundle;
    {
      auto c = berth::container::create(o);
      berth::container::start(root, id, &c.record);
      reap_all();
      berth::container::remove(root, id, true, &c.record);
    }
    lib.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
  }
  long rss1 = kb("Rss:"), pss1 = kb("Pss:");
  std::printf("create+start+wait+delete of /bin/true, median of %d:\n", n);
  std::printf("  berth binary (fork+exec per step): %.1f ms\n", median(bin));
  std::printf("  libberth in-process:               %.1f ms\n", median(lib));
  std::printf("this process: RSS %ld -> %ld KiB, Pss %ld -> %ld KiB (start -> after the in-process runs)\n", rss0,
              rss1, pss0, pss1);
  return 0;
}
