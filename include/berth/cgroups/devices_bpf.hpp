// Device access control on cgroup v2: v2 has no devices.allow/deny files; the
// kernel asks a BPF_PROG_TYPE_CGROUP_DEVICE program attached to the cgroup
// instead. This builds that program from the same rule list the v1 driver
// writes (effective_device_rules), loads it and attaches it.
//
// Semantics (as crun, and runc's result for the rule lists berth builds): the
// rules are read in order and the LAST rule that matches a request decides;
// no match = deny. A rule matches a request when the type matches ('a' = any),
// the major and minor match (absent or negative = any), and
//   allow rule: every requested access (r, w, m) is in the rule's access;
//   deny rule:  any requested access is in the rule's access
// (so "deny c 1:3 w" refuses an open for read+write, as v1's devices.deny does).
// A rule matching every device and access hides every rule before it, so the
// program stops there.
#pragma once
#include <linux/bpf.h>

#include <cstdint>
#include <string>
#include <vector>

#include "berth/oci/spec.hpp"
#include "berth/util/fd.hpp"

namespace berth::cgroups {

// The program's instructions. Throws berth::Error for a rule with an unknown
// type or access letter, naming the rule.
std::vector<bpf_insn> device_filter_program(const std::vector<oci::DeviceCgroupRule>& rules);

// bpf(BPF_PROG_LOAD) of a device program. On a verifier refusal the error
// message carries the verifier's log.
UniqueFd load_device_program(const std::vector<bpf_insn>& insns);

// Ids of the device programs attached to the cgroup directory `cgroup_fd`.
std::vector<uint32_t> attached_device_programs(int cgroup_fd);

// Builds, loads and attaches the program to the cgroup directory `dir` with
// BPF_F_ALLOW_MULTI, then detaches every device program that was attached
// before (runc's order on update: at no moment is the cgroup unfiltered).
void install_device_filter(const std::string& dir, const std::vector<oci::DeviceCgroupRule>& rules);

}  // namespace berth::cgroups
