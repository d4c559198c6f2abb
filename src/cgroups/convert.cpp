// OCI (v1-flavoured) values -> cgroup v2 values, with runc's arithmetic.
#include "berth/cgroups/convert.hpp"

#include <algorithm>

#include "berth/util/error.hpp"

namespace berth::cgroups {

uint64_t cpu_shares_to_weight(uint64_t shares) {
  if (shares == 0) return 0;
  shares = std::clamp<uint64_t>(shares, 2, 262144);
  return 1 + ((shares - 2) * 9999) / 262142;
}

uint64_t blkio_weight_to_io_weight(uint64_t weight) {
  if (weight == 0) return 0;
  weight = std::clamp<uint64_t>(weight, 10, 1000);
  return 1 + ((weight - 10) * 9999) / 990;
}

std::optional<std::string> memory_swap_max_v2(int64_t swap, int64_t memory) {
  if (memory == -1 && swap == 0) return "max";
  if (swap == 0) return std::nullopt;
  if (swap == -1) return "max";
  if (memory == 0 || memory == -1) throw Error("unable to set swap limit without memory limit");
  if (memory < 0) throw Error("invalid memory value: " + std::to_string(memory));
  if (swap < memory) throw Error("memory+swap limit should be >= memory limit");
  return std::to_string(swap - memory);
}

std::string v2_limit(int64_t v) { return v == -1 ? std::string("max") : std::to_string(v); }

}  // namespace berth::cgroups
