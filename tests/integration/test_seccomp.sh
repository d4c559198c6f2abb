# linux.seccomp applied to real containers (the filter compiler has its own unit tests).

test_seccomp_errno() {
  mkbundle
  cfg '.root.readonly = false'
  cfg '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"],
        "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]}'
  set_sh 'mkdir /tmp/x 2>&1; echo rc=$?; touch /tmp/y && echo touch-ok'
  run_ctr "$ID"
  assert_rc 0
  assert_contains "$OUT" "Permission denied" "mkdir fails with errnoRet 13 (EACCES)"
  assert_contains "$OUT" "rc=1" "mkdir exit status"
  assert_contains "$OUT" "touch-ok" "other syscalls allowed"
}

test_seccomp_compiled_once_then_cached() {
  berth_only "the compiled-filter cache is berth's"
  mkbundle
  cfg '.root.readonly = false'
  cfg '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
        "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]}'
  # (rmdir first: the runs share the rootfs, and the allowed runs below make /tmp/x)
  set_sh 'rmdir /tmp/x 2>/dev/null; mkdir /tmp/x 2>&1; echo rc=$?'
  run_ctr "$ID"
  assert_rc 0
  assert_contains "$OUT" "rc=1" "first run (compiled): mkdir refused"
  assert_eq "1 700 root" "$(ls "$ROOT/.seccomp-cache" | wc -l) $(stat -c '%a %U' "$ROOT/.seccomp-cache")" \
    "one cache entry, in a 0700 root-owned directory"
  run_ctr "$ID-again"
  assert_rc 0
  assert_contains "$OUT" "rc=1" "second run (from the cache): mkdir still refused"
  assert_eq 1 "$(ls "$ROOT/.seccomp-cache" | wc -l)" "still one entry"
  local entry_a entry_b
  entry_a=$(ls -d "$ROOT"/.seccomp-cache/*)
  # The same profile allowing mkdir: a second entry, whose filter lets mkdir through.
  cfg '.linux.seccomp.syscalls[0].action = "SCMP_ACT_ALLOW" | del(.linux.seccomp.syscalls[0].errnoRet)'
  run_ctr "$ID-allow"
  assert_contains "$OUT" "rc=0" "the allowing profile lets mkdir through"
  entry_b=$(ls -d "$ROOT"/.seccomp-cache/* | grep -vxF "$entry_a")
  [ -n "$entry_b" ] || fail "no second cache entry"
  cfg '.linux.seccomp.syscalls[0].action = "SCMP_ACT_ERRNO" | .linux.seccomp.syscalls[0].errnoRet = 13'
  # entry A's key with entry B's filter: "magic\nkeylen\nkey" + filter bytes.
  python3 - "$entry_a" "$entry_b" <<'PY'
import sys
def split(path):
    d = open(path, "rb").read()
    magic, rest = d.split(b"\n", 1)
    n, rest = rest.split(b"\n", 1)
    return magic, rest[:int(n)], rest[int(n):]
magic, key_a, _ = split(sys.argv[1])
_, _, filter_b = split(sys.argv[2])
open(sys.argv[1], "wb").write(magic + b"\n" + str(len(key_a)).encode() + b"\n" + key_a + filter_b)
PY
  chmod 0600 "$entry_a"
  run_ctr "$ID-forged"
  assert_contains "$OUT" "rc=0" "an entry of ours with the right key is used as it is (here: the forged filter)"
  # The same entry writable by others is not used: the filter is compiled again.
  chmod 0666 "$entry_a"
  run_ctr "$ID-untrusted"
  assert_contains "$OUT" "rc=1" "an entry others can write is ignored: mkdir refused"
  # Another key under this entry's name (as a hash collision would be) is not used either.
  cp "$entry_b" "$entry_a"
  chmod 0600 "$entry_a"
  run_ctr "$ID-other-key"
  assert_contains "$OUT" "rc=1" "an entry with another profile's key is ignored: mkdir refused"
}

test_seccomp_kill_process() {
  mkbundle
  cfg '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [{"names": ["getppid"], "action": "SCMP_ACT_KILL_PROCESS"}]}'
  # busybox sh's $PPID comes from getppid at start-up: the shell dies of SIGSYS.
  set_sh 'echo started; cat /proc/self/status | grep -q Seccomp && echo $PPID'
  run_ctr "$ID"
  assert_eq 159 "$RC" "exit status 128+SIGSYS"
}

test_seccomp_default_errno_with_allow_list() {
  runc_known_diff "runc's init (Go) needs syscalls beyond this minimal allow list"
  mkbundle
  # Allow-list profile like Docker's: everything busybox sh + echo need, default ERRNO.
  cfg '.linux.seccomp = {"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1,
        "syscalls": [{"names": ["read","write","openat","close","fstat","newfstatat","mmap","munmap","brk",
          "rt_sigaction","rt_sigprocmask","rt_sigreturn","ioctl","getpid","getppid","getuid","geteuid","getgid",
          "getegid","execve","exit","exit_group","arch_prctl","set_tid_address","fcntl","dup2","dup3","wait4",
          "clone","fork","vfork","uname","getcwd","prctl","capget","capset","setgroups","setresuid","setresgid",
          "setuid","setgid","chdir","umask","access","faccessat","faccessat2","stat","lstat","getdents64","lseek",
          "pread64","prlimit64","getrlimit","setrlimit","rseq","set_robust_list","futex","sched_getaffinity",
          "sigaltstack","poll","ppoll","pselect6","select","readlink","readlinkat","statx","madvise","mprotect",
          "sysinfo","clock_gettime","gettid","tgkill","kill","getpgrp","setpgid","getpgid","getsid","setsid",
          "pipe","pipe2","keyctl","seccomp","personality","getrandom","epoll_create1","epoll_ctl","epoll_wait"],
          "action": "SCMP_ACT_ALLOW"}]}'
  cfg '.process.noNewPrivileges = true'
  set_sh 'echo inside; mkdir /tmp/blocked 2>&1 || echo mkdir-denied'
  run_ctr "$ID"
  assert_rc 0
  assert_contains "$OUT" "inside" "allowed syscalls work"
  assert_contains "$OUT" "mkdir-denied" "a syscall outside the allow list fails"
  assert_contains "$OUT" "Operation not permitted" "with defaultErrnoRet 1 (EPERM)"
}

# runc's ENOSYS stub (seccomp.bats "-ENOSYS handling"): with a refusing default action, a
# syscall newer than every one the profile names fails with ENOSYS, one inside the profile's
# range with the default errno.
test_seccomp_enosys_for_newer_syscalls() {
  command -v gcc >/dev/null || skip "gcc missing"
  [ "$(uname -m)" = x86_64 ] || skip "x86_64 syscall numbers"
  mkbundle --copy
  cat >"$T/probe.c" <<'C'
#include <errno.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/syscall.h>
int main(void) {
  long r = syscall(1000, 0, 0, 0);
  printf("1000:%s\n", r == -1 && errno == ENOSYS ? "ENOSYS" : r == -1 && errno == EPERM ? "EPERM" : "other");
  r = syscall(SYS_mkdir, "/x", 0755);
  printf("mkdir:%s\n", r == -1 && errno == ENOSYS ? "ENOSYS" : r == -1 && errno == EPERM ? "EPERM" : "other");
  return 0;
}
C
  gcc -static -O1 -o "$BUNDLE/rootfs/probe" "$T/probe.c" || skip "gcc -static failed (no static libc?)"
  # an allow list like Docker's, up to faccessat2 (439 on x86_64)
  cfg '.linux.seccomp = {"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
        "syscalls": [{"names": ["read","write","writev","openat","close","close_range","fstat","newfstatat","mmap",
          "munmap","brk","rt_sigaction","rt_sigprocmask","rt_sigreturn","ioctl","getpid","getppid","getuid","geteuid",
          "getgid","getegid","execve","exit","exit_group","arch_prctl","set_tid_address","fcntl","dup2","dup3","wait4",
          "clone","uname","getcwd","prctl","capget","capset","setgroups","setresuid","setresgid","setuid","setgid",
          "chdir","umask","access","faccessat","faccessat2","stat","lstat","getdents64","lseek","pread64","prlimit64",
          "getrlimit","setrlimit","rseq","set_robust_list","futex","sched_getaffinity","sigaltstack","poll","ppoll",
          "readlink","readlinkat","statx","madvise","mprotect","sysinfo","clock_gettime","gettid","tgkill","kill",
          "sendmsg","recvmsg","getrandom","personality","keyctl","seccomp","statfs","fstatfs","epoll_create1",
          "epoll_ctl","epoll_pwait","epoll_wait","nanosleep","sched_yield","mknodat","setns","pidfd_open"],
          "action": "SCMP_ACT_ALLOW"}]}'
  cfg '.process.noNewPrivileges = true'
  set_args /probe
  run_ctr "$ID"
  assert_rc 0
  assert_contains "$OUT" "1000:ENOSYS" "a syscall newer than the profile's newest (faccessat2)"
  assert_contains "$OUT" "mkdir:EPERM" "a syscall of the profile's range: the default errno"
}
