// Per-process attributes of the container process: rlimits, user and groups,
// oom_score_adj, sysctl, hostname. Each throws berth::Error naming what failed.
#pragma once
#include <sys/types.h>

#include <functional>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "berth/oci/spec.hpp"

namespace berth::linux_ {

// RLIMIT_* number for a name; -1 if unknown.
int rlimit_number(const std::string& name);
// prlimit on `pid` (0: the caller). Set from the parent, with berth's
// privileges: in the container's user namespace a hard limit could not be raised.
void apply_rlimits(pid_t pid, const std::vector<oci::Rlimit>& rlimits);

// setgroups(additionalGids) (skipped when setgroups is denied in a user namespace, or
// with keep_groups), setresgid, setresuid. Capabilities survive through PR_SET_KEEPCAPS.
void apply_user(const oci::User& user, bool keep_groups = false);

// crun's annotation run.oci.keep_original_groups (podman's --group-add keep-groups): any
// value but "0" keeps the supplementary groups of the process that started the container
// (no setgroups). Throws when process.user.additionalGids asks for groups too: they could
// not be applied (crun drops them silently).
bool keep_original_groups(const std::map<std::string, std::string>& annotations, const oci::User& user,
                          const std::string& what);

void write_oom_score_adj(pid_t pid, int adj);  // pid 0: the caller

// Writes each key to /proc/sys/<key with . -> />.
void apply_sysctl(const std::map<std::string, std::string>& sysctl);

// Writes a whole small file (procfs/sysfs/cgroupfs) in one write(2).
void write_file(const std::string& path, const std::string& data);
// Reads a whole small file; throws on failure.
std::string read_file(const std::string& path);
// Reads PATH to its end through BUF, handing each chunk to FN: the one read loop (EINTR
// retried, errors naming PATH) of read_file and of hashing a file without holding it whole.
void read_chunks(const std::string& path, std::span<char> buf, const std::function<void(std::string_view)>& fn);

}  // namespace berth::linux_
