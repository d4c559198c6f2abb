// The conversions from OCI (cgroup v1 flavoured) values to cgroup v2 files,
// the same arithmetic runc uses, so a config means the same on either host.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

namespace berth::cgroups {

// cpu.shares [2, 262144] -> cpu.weight [1, 10000]; 0 = not set -> 0. Shares
// outside the v1 range are clamped first (the v1 kernel clamps them too).
uint64_t cpu_shares_to_weight(uint64_t shares);

// blkio.weight [10, 1000] -> io.weight [1, 10000]; 0 = not set -> 0 (clamped like shares).
uint64_t blkio_weight_to_io_weight(uint64_t weight);

// OCI memory.swap is the memory+swap limit; v2's memory.swap.max is swap alone.
// Returns what to write to memory.swap.max, or nullopt to leave it alone
// (runc's ConvertMemorySwapToCgroupV2Value plus its "same as memory: 0" rule):
//   swap 0 (unset) and memory -1    -> "max" (both unlimited, as on v1)
//   swap -1                         -> "max"
//   swap == memory                  -> "0"   (no swap)
//   swap > memory > 0               -> swap - memory
// Throws berth::Error with runc's messages when swap is set without a memory
// limit or is below it.
std::optional<std::string> memory_swap_max_v2(int64_t swap, int64_t memory);

// A v2 limit file value: -1 -> "max", else the number.
std::string v2_limit(int64_t v);

}  // namespace berth::cgroups
