/* rusage-exec OUTFILE PROG [ARGS...]: fork, exec PROG, wait4 it and write
 * "maxrss_kib utime_ms stime_ms" to OUTFILE; exits with PROG's exit status.
 *
 * Used by bench/bench.py for peak-RSS numbers: ru_maxrss of a process spawned
 * straight from Python with posix_spawn (vfork) includes the high-water mark of
 * Python's own address space at exec time (~18 MiB), hiding smaller runtimes. This
 * helper is tiny (linked statically when possible), so its fork adds ~nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s OUTFILE PROG [ARGS...]\n", argv[0]);
    return 2;
  }
  pid_t pid = fork();
  if (pid < 0) {
    perror("fork");
    return 2;
  }
  if (pid == 0) {
    execv(argv[2], argv + 2);
    perror("execv");
    _exit(127);
  }
  int status = 0;
  struct rusage ru;
  if (wait4(pid, &status, 0, &ru) < 0) {
    perror("wait4");
    return 2;
  }
  FILE *f = fopen(argv[1], "w");
  if (!f) {
    perror(argv[1]);
    return 2;
  }
  fprintf(f, "%ld %.3f %.3f\n", ru.ru_maxrss, ru.ru_utime.tv_sec * 1e3 + ru.ru_utime.tv_usec / 1e3,
          ru.ru_stime.tv_sec * 1e3 + ru.ru_stime.tv_usec / 1e3);
  fclose(f);
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + WTERMSIG(status);
}
