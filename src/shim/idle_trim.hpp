// What an idle shim gives back. A shim sits beside its containers for their whole life and
// is idle nearly all of it, but serving a Create, a Start or an Exec runs code (protobuf,
// JSON, libstdc++'s locale start-up, the fork of berth) whose pages then stay mapped in the
// shim for good. When the shim has been idle for a while:
//   - the page table entries of its executable's clean read-only mappings (code and
//     constants) are dropped (madvise MADV_DONTNEED). The pages stay in the page cache,
//     shared with every other shim and reclaimable; the next request maps the ones it
//     touches again (minor faults, no I/O while the file is cached). Mappings holding
//     private copies (written data, relocated RELRO: smaps' Anonymous) are never touched:
//     dropping those would lose their contents.
//   - free heap memory goes back to the kernel (malloc_trim).
// Measured figures: docs/shim.md ("Memory and latency").
#pragma once
#include <cstddef>

namespace berth::shim {

struct TrimResult {
  std::size_t mappings = 0;  // executable mappings whose pages were dropped
  std::size_t bytes = 0;     // their size (not all of it was resident)
};

// `maps_path`: /proc/self/smaps normally (a file in tests). `exe`: the executable's path as
// the maps name it.
TrimResult trim_idle_memory(const char* smaps_path = "/proc/self/smaps", const char* exe = nullptr);

}  // namespace berth::shim
