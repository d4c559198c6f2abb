// CVE-2019-5736: a process in the container must never reach a writable berth
// binary. It can try two ways: execve() a `#!/proc/self/exe` script while the
// process is still berth (the init's final execve, the exec child's), which
// runs berth's /proc/self/exe inside the container and hands it to the
// container as its own exe, or open /proc/<pid>/exe of a berth process.
// Non-dumpable alone does not hold: execve resets it, and the script's
// interpreter is resolved at execve time.
//
// So the commands that put processes into a container (create, run, exec)
// re-execute berth once, at start, from a copy no one can write:
//   1. a read-only overlayfs (two lower layers, no upper: the superblock itself
//      is read-only, so neither a remount nor mount_setattr on the detached
//      mount, which any process in a user namespace of its own may do, makes
//      it writable) of the binary's directory, detached (fsmount): nothing is
//      mounted anywhere a process could see it; the second layer is an empty
//      detached tmpfs;
//   2. where that is not permitted (rootless: no CAP_SYS_ADMIN), a memfd copy
//      of the binary sealed against writes, shrinking, growing and re-sealing.
// A plain read-only bind (open_tree + MOUNT_ATTR_RDONLY) is NOT used: its
// read-only flag can be cleared with mount_setattr by any process that creates
// a user and mount namespace of its own (measured on this kernel).
#pragma once
#include <string>

namespace berth::linux_ {

// Re-executes the running binary from a sealed copy (execveat) and does not
// return; when the process already runs from one (the environment marker set
// by the re-exec, verified against /proc/self/exe), removes the marker and
// returns. Throws berth::Error naming what failed.
void reexec_sealed(char** argv);

// Identity of the berth binary on disk ("dev:ino:size:mtime"), the same in
// the sealed copy as in the original (keys the seccomp cache).
std::string berth_binary_identity();

}  // namespace berth::linux_
