// Reading a document berth was handed (config.json, process.json) or keeps
// (state.json) without trusting its size or its kind: a 100 MB file, /dev/zero
// or a FIFO must end in a clear error or a bounded read, never in unbounded
// memory or an uninterruptible wait.
#pragma once
#include <cstddef>
#include <string>

namespace berth {

// The limits: runc has none; a config with a few MiB of annotations is the
// largest seen in practice. state.json holds the config plus a few fields.
inline constexpr std::size_t kMaxConfigBytes = 16u << 20;
inline constexpr std::size_t kMaxStateBytes = 2 * kMaxConfigBytes;

// Reads `path`, which must be a regular file or a FIFO/pipe (`exec -p <(...)`),
// of at most `limit` bytes. Errors name the path:
//   config.json: 104857600 bytes, more than the limit of 16 MiB
//   config.json: not a regular file or a FIFO (a character device)
// While a FIFO has no writer or no data, signals act as on any waiting process
// (they are unblocked for the wait: `berth run` blocks the ones it forwards),
// so SIGTERM still ends a `berth run` stuck on a FIFO that nobody writes.
std::string read_limited(const std::string& path, std::size_t limit);

}  // namespace berth
