// The ENOSYS stub runc prepends to a seccomp filter (its patchbpf), in berth's own form: a
// syscall newer than every syscall the profile names (per architecture) fails with ENOSYS
// instead of the profile's default errno or kill, so that programs fall back to older
// syscalls (glibc >= 2.34 from clone3 to clone, and whatever comes next) as they do on an
// older kernel. ENOSYS never runs the syscall: the stub is never more permissive than the
// filter it precedes. runc's seccomp.bats "-ENOSYS handling" checks it with syscall 1000.
#pragma once
#include <linux/filter.h>

#include <cstdint>
#include <map>
#include <vector>

namespace berth::linux_ {

// `largest`: libseccomp architecture token (SCMP_ARCH_*) -> the largest syscall number the
// profile names for it (x32's with its 0x40000000 bit, as libseccomp resolves them).
// Returns the instructions to put before the filter: they load what they compare and either
// return ERRNO(ENOSYS) or fall through to the filter's first instruction, whose own loads do
// not depend on them. Empty if `largest` is. Throws berth::Error if a jump would not fit.
std::vector<sock_filter> enosys_stub(const std::map<uint32_t, uint32_t>& largest);

}  // namespace berth::linux_
