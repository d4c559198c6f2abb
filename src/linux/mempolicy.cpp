// linux.memoryPolicy: see mempolicy.hpp.
#include "berth/linux/mempolicy.hpp"

#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <string_view>

#include "berth/linux/process_attrs.hpp"
#include "berth/util/error.hpp"

namespace berth::linux_ {
namespace {

// <linux/mempolicy.h>: the enum's order, and the mode flags.
constexpr std::string_view kModes[] = {"MPOL_DEFAULT", "MPOL_PREFERRED",      "MPOL_BIND",
                                       "MPOL_INTERLEAVE", "MPOL_LOCAL", "MPOL_PREFERRED_MANY",
                                       "MPOL_WEIGHTED_INTERLEAVE"};
struct Flag {
  std::string_view name;
  int bit;
};
constexpr Flag kFlags[] = {
    {"MPOL_F_STATIC_NODES", 1 << 15}, {"MPOL_F_RELATIVE_NODES", 1 << 14}, {"MPOL_F_NUMA_BALANCING", 1 << 13}};

constexpr size_t kMaskBits = 1024;
constexpr size_t kWordBits = sizeof(unsigned long) * CHAR_BIT;

long set_mempolicy(int mode, const std::vector<unsigned long>& mask) {
  // maxnode counts one more than the bits the kernel reads (as libnuma passes it).
  return ::syscall(SYS_set_mempolicy, mode, mask.empty() ? nullptr : mask.data(),
                   mask.empty() ? 0UL : static_cast<unsigned long>(kMaskBits + 1));
}

std::string describe(const oci::MemoryPolicy& p) {
  std::string s = "linux.memoryPolicy: set_mempolicy(" + p.mode;
  for (const auto& f : p.flags) s += "|" + f;
  if (!p.nodes.empty()) s += ", nodes \"" + p.nodes + "\"";
  return s + ")";
}

// Why EINVAL, most likely: the kernel lacks the mode, or none of the nodes has memory.
std::string hint(const oci::MemoryPolicy& p, int err) {
  if (err != EINVAL) return "";
  std::string memory_nodes;
  try {
    memory_nodes = read_file("/sys/devices/system/node/has_memory");
    while (!memory_nodes.empty() && memory_nodes.back() == '\n') memory_nodes.pop_back();
  } catch (const Error&) {
  }
  std::string h = " (";
  if (p.mode == "MPOL_WEIGHTED_INTERLEAVE") h += "MPOL_WEIGHTED_INTERLEAVE needs Linux 6.9; ";
  if (p.mode == "MPOL_PREFERRED_MANY") h += "MPOL_PREFERRED_MANY needs Linux 5.15; ";
  h += memory_nodes.empty() ? "this host lists no NUMA nodes" : "nodes with memory on this host: " + memory_nodes;
  return h + ")";
}

}  // namespace

std::optional<int> mempolicy_mode_number(const std::string& name) {
  for (size_t i = 0; i < std::size(kModes); ++i)
    if (kModes[i] == name) return static_cast<int>(i);
  return std::nullopt;
}

std::optional<int> mempolicy_flag_number(const std::string& name) {
  for (const auto& f : kFlags)
    if (f.name == name) return f.bit;
  return std::nullopt;
}

int mempolicy_mode_argument(const oci::MemoryPolicy& p) {
  auto mode = mempolicy_mode_number(p.mode);
  if (!mode) throw Error("linux.memoryPolicy.mode: unknown mode \"" + p.mode + "\"", EINVAL);
  int arg = *mode;
  for (const auto& f : p.flags) {
    auto bit = mempolicy_flag_number(f);
    if (!bit) throw Error("linux.memoryPolicy.flags: unknown flag \"" + f + "\"", EINVAL);
    arg |= *bit;
  }
  return arg;
}

std::vector<unsigned long> mempolicy_node_mask(const std::string& nodes) {
  if (nodes.empty()) return {};
  std::vector<unsigned long> mask(kMaskBits / kWordBits, 0);
  // The parser checked the syntax and the range: "a" or "a-b", comma-separated.
  size_t i = 0;
  while (i < nodes.size()) {
    size_t end = nodes.find(',', i);
    if (end == std::string::npos) end = nodes.size();
    std::string part = nodes.substr(i, end - i);
    size_t dash = part.find('-');
    unsigned long a = std::stoul(part.substr(0, dash));
    unsigned long b = dash == std::string::npos ? a : std::stoul(part.substr(dash + 1));
    if (b >= kMaskBits) throw Error("linux.memoryPolicy.nodes \"" + nodes + "\": node " + std::to_string(b) +
                                        " is out of range", EINVAL);
    for (unsigned long n = a; n <= b; ++n) mask[n / kWordBits] |= 1UL << (n % kWordBits);
    i = end + 1;
  }
  return mask;
}

void apply_memory_policy(const oci::MemoryPolicy& p) {
  if (set_mempolicy(mempolicy_mode_argument(p), mempolicy_node_mask(p.nodes)) < 0) {
    int err = errno;
    throw Error(describe(p) + ": " + std::strerror(err) + hint(p, err), err);
  }
}

void check_memory_policy(const oci::MemoryPolicy& p) {
  apply_memory_policy(p);
  if (set_mempolicy(0, {}) < 0) throw_errno("linux.memoryPolicy: reset berth's own policy to MPOL_DEFAULT");
}

}  // namespace berth::linux_
