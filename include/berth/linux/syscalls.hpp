// Thin wrappers for system calls glibc 2.36 does not wrap (or wraps late).
#pragma once
#include <linux/openat2.h>
#include <linux/sched.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#include <csignal>
#include <cstdint>

namespace berth::sys {

// clone3 without a new stack: behaves like fork(2) (the child continues here
// with a copy of the address space) but can create namespaces and a pidfd in
// one step. Returns 0 in the child, the child's pid in the parent, -1 on error.
inline pid_t clone3_fork(uint64_t flags, int* pidfd, uint64_t cgroup_fd = 0) {
  struct clone_args args {};
  args.flags = flags;
  args.pidfd = reinterpret_cast<uint64_t>(pidfd);
  args.exit_signal = SIGCHLD;
  args.cgroup = cgroup_fd;
  return static_cast<pid_t>(::syscall(SYS_clone3, &args, sizeof args));
}

inline int pidfd_open(pid_t pid, unsigned flags = 0) {
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, flags));
}

inline int pidfd_send_signal(int pidfd, int sig) {
  return static_cast<int>(::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0));
}

inline int openat2(int dirfd, const char* path, uint64_t flags, uint64_t mode, uint64_t resolve) {
  struct open_how how {};
  how.flags = flags;
  how.mode = mode;
  how.resolve = resolve;
  return static_cast<int>(::syscall(SYS_openat2, dirfd, path, &how, sizeof how));
}

inline int pivot_root(const char* new_root, const char* put_old) {
  return static_cast<int>(::syscall(SYS_pivot_root, new_root, put_old));
}

}  // namespace berth::sys
