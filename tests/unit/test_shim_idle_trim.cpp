// The idle shim's trim (idle_trim.hpp): the clean read-only mappings of the executable lose
// their resident pages and still work; writable and dirty mappings are left alone.
#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

#include "idle_trim.hpp"

using namespace berth::shim;

namespace {

std::string exe() {
  char buf[4096];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}

// Sum of Rss (kB) over this executable's mappings with/without write permission.
long exe_rss(bool writable) {
  std::ifstream f("/proc/self/smaps");
  std::string line, me = exe();
  bool in = false;
  long total = 0;
  while (std::getline(f, line)) {
    unsigned long a = 0, b = 0;
    char perms[8] = {};
    if (std::sscanf(line.c_str(), "%lx-%lx %7s", &a, &b, perms) == 3 && line.find(' ') > line.find('-')) {
      in = line.size() >= me.size() && line.compare(line.size() - me.size(), me.size(), me) == 0 &&
           (perms[1] == 'w') == writable;
      continue;
    }
    long kb = 0;
    if (in && std::sscanf(line.c_str(), "Rss: %ld kB", &kb) == 1) total += kb;
  }
  return total;
}

int g_data = 41;  // in the writable data of the executable: must survive

}  // namespace

TEST_CASE("shim idle trim: the executable's read-only pages are dropped, data is kept, code still runs") {
  long before = exe_rss(false);
  REQUIRE(before > 0);
  g_data = 42;
  auto t = trim_idle_memory();
  long after = exe_rss(false);
  CHECK(t.mappings >= 1);
  CHECK(t.bytes > 0);
  MESSAGE("read-only Rss of unit_tests: " << before << " kB before the trim, " << after << " kB after");
  CHECK(after < before);
  CHECK(g_data == 42);  // the data segment was not touched
  CHECK(std::string("still") + " running" == "still running");

  // A maps file naming another executable: nothing of ours is dropped.
  auto none = trim_idle_memory("/proc/self/smaps", "/nonexistent/exe");
  CHECK(none.mappings == 0);
  auto bad = trim_idle_memory("/nonexistent/smaps", nullptr);
  CHECK(bad.mappings == 0);
}
