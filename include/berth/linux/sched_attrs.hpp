// Scheduling attributes of the container process, set on the caller just
// before execve (all survive it): process.scheduler (sched_setattr),
// process.ioPriority (ioprio_set), linux.personality (personality). Each
// throws berth::Error naming the field, the value and the kernel's reason.
// The values were validated by the parser (oci/parse.cpp); the numbers here
// are the kernel's.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "berth/oci/spec.hpp"

namespace berth::linux_ {

// SCHED_* policy and SCHED_FLAG_* numbers for a name; nullopt if unknown.
std::optional<uint32_t> sched_policy_number(const std::string& name);
std::optional<uint64_t> sched_flag_number(const std::string& name);
// IOPRIO_CLASS_* number; personality domain (PER_*) and flag numbers.
std::optional<int> ioprio_class_number(const std::string& name);
std::optional<unsigned long> personality_domain_number(const std::string& name);
std::optional<unsigned long> personality_flag_number(const std::string& name);

void apply_scheduler(const oci::Scheduler& s);
void apply_io_priority(const oci::IOPriority& p);
void apply_personality(const oci::Personality& p);
// sched_setaffinity of the caller to a CPU list ("0-3,7"); `field` names it in errors.
void apply_cpu_affinity(const std::string& cpus, const std::string& field);
// Without process.execCPUAffinity.final the process gets every CPU its cpuset allows, not the
// narrower affinity of whoever called berth (`taskset -c 0 berth run`, a pinned systemd
// service): runc 1.2's reset. The kernel intersects the full mask with the cpuset. Best effort,
// as in runc: a failure leaves the inherited affinity.
void reset_cpu_affinity() noexcept;

}  // namespace berth::linux_
