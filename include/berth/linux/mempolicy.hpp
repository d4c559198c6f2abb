// linux.memoryPolicy (runtime-spec 1.3): the NUMA memory policy of the container
// process, set_mempolicy(2) on the caller just before execve (inherited across
// fork and kept across execve). The parser applied the kernel's rules that need
// no host (oci/parse_linux.cpp); check_memory_policy asks this host's kernel.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "berth/oci/spec.hpp"

namespace berth::linux_ {

// MPOL_* mode number, MPOL_F_* flag bit; nullopt if unknown.
std::optional<int> mempolicy_mode_number(const std::string& name);
std::optional<int> mempolicy_flag_number(const std::string& name);
// The mode argument of set_mempolicy: mode | flags.
int mempolicy_mode_argument(const oci::MemoryPolicy& p);
// The node mask: 1024 bits (the largest MAX_NUMNODES), as 64-bit words.
std::vector<unsigned long> mempolicy_node_mask(const std::string& nodes);

// Sets the calling thread's policy; throws berth::Error naming the field, the mode,
// the nodes and the kernel's reason.
void apply_memory_policy(const oci::MemoryPolicy& p);
// The same policy tried on the calling thread and reset to MPOL_DEFAULT, so that a
// policy this kernel refuses (an unknown mode on an old kernel, nodes without
// memory) fails before anything is created.
void check_memory_policy(const oci::MemoryPolicy& p);

}  // namespace berth::linux_
