#include "idle_trim.hpp"

#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace berth::shim {

namespace {

struct Mapping {
  unsigned long start = 0, end = 0;
  bool writable = false, shared = false;
  std::string path;
  unsigned long anon_kb = 0;
};

std::string self_exe() {
  char buf[4096];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}

}  // namespace

TrimResult trim_idle_memory(const char* smaps_path, const char* exe) {
  TrimResult r;
  malloc_trim(0);
  // The ranges to drop, gathered first: once they are dropped, every code page run again is
  // mapped back (in the kernel's 64 KiB fault-around windows), so nothing but the madvise
  // calls and the way back to epoll_wait may follow them (no free, no log line).
  struct Range {
    unsigned long start, end;
  };
  Range ranges[32];
  std::size_t n = 0;
  {
    std::string me = exe ? exe : self_exe();
    FILE* f = fopen(smaps_path, "re");
    if (!f || me.empty()) {
      if (f) fclose(f);
      return r;
    }
    std::vector<Mapping> maps;
    char line[4352];
    while (fgets(line, sizeof line, f)) {
      unsigned long a = 0, b = 0;
      char perms[8] = {};
      int name_at = 0;
      if (sscanf(line, "%lx-%lx %7s %*s %*s %*s %n", &a, &b, perms, &name_at) >= 3 && name_at > 0 &&
          std::strchr(line, '-') < std::strchr(line, ' ')) {
        Mapping m;
        m.start = a;
        m.end = b;
        m.writable = perms[1] == 'w';
        m.shared = perms[3] == 's';
        std::string name = line + name_at;
        while (!name.empty() && (name.back() == '\n' || name.back() == ' ')) name.pop_back();
        m.path = name;
        maps.push_back(m);
        continue;
      }
      if (maps.empty()) continue;
      // Anonymous: pages of this mapping that are private copies (written: relocations,
      // RELRO), which MADV_DONTNEED would throw away. (Private_Dirty is no guide: it also
      // counts page-cache pages not yet written back, of a freshly built binary.)
      unsigned long kb = 0;
      if (sscanf(line, "Anonymous: %lu kB", &kb) == 1) maps.back().anon_kb += kb;
    }
    fclose(f);
    for (const auto& m : maps) {
      if (m.path != me || m.writable || m.shared || m.anon_kb || n == 32) continue;
      ranges[n++] = {m.start, m.end};
    }
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (madvise(reinterpret_cast<void*>(ranges[i].start), ranges[i].end - ranges[i].start, MADV_DONTNEED) == 0) {
      ++r.mappings;
      r.bytes += ranges[i].end - ranges[i].start;
    }
  }
  return r;
}

}  // namespace berth::shim
