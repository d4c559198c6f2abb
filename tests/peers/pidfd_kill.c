// pidfd-kill [--signal NAME] [--pid-file FILE] SOCKET
//
// A --pidfd-socket receiver with the command line newer runc's bats suite gives its pidfd-kill
// (contrib/cmd/pidfd-kill, Go, not packaged); runc_bats.sh compiles this at run time. It
// listens on the unix socket SOCKET, takes the first pidfd sent (SCM_RIGHTS), waits for SIGTERM,
// then sends the signal (default SIGKILL) to the process through that pidfd and exits.
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "recv_fd.h"

static void die(const char* what) {
  fprintf(stderr, "fatal error: %s: %s\n", what, strerror(errno));
  exit(1);
}

static int signal_number(const char* name) {
  static const struct { const char* name; int number; } table[] = {
      {"SIGKILL", SIGKILL}, {"SIGTERM", SIGTERM}, {"SIGINT", SIGINT}, {"SIGHUP", SIGHUP},
      {"SIGUSR1", SIGUSR1}, {"SIGUSR2", SIGUSR2}, {"SIGQUIT", SIGQUIT}, {"SIGSTOP", SIGSTOP},
      {"SIGCONT", SIGCONT}};
  for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
    if (strcmp(table[i].name, name) == 0 || strcmp(table[i].name + 3, name) == 0) return table[i].number;
  char* end;
  long n = strtol(name, &end, 10);
  if (*name && !*end && n > 0 && n < 65) return (int)n;
  fprintf(stderr, "fatal error: unknown signal %s\n", name);
  exit(1);
}

int main(int argc, char** argv) {
  const char* sig_name = "SIGKILL";
  const char* pid_file = NULL;
  const char* path = NULL;
  for (int i = 1; i < argc; i++) {
    const char* a = argv[i];
    if (a[0] == '-' && a[1] == '-') a++;
    if (strcmp(a, "-signal") == 0 && i + 1 < argc)
      sig_name = argv[++i];
    else if (strncmp(a, "-signal=", 8) == 0)
      sig_name = a + 8;
    else if (strcmp(a, "-pid-file") == 0 && i + 1 < argc)
      pid_file = argv[++i];
    else if (strncmp(a, "-pid-file=", 10) == 0)
      pid_file = a + 10;
    else if (!path && argv[i][0] != '-')
      path = argv[i];
    else {
      fprintf(stderr, "fatal error: unexpected argument %s\n", argv[i]);
      return 1;
    }
  }
  if (!path) {
    fprintf(stderr, "fatal error: required a single socket path\n");
    return 1;
  }
  int sig = signal_number(sig_name);

  // SIGTERM is waited for with sigwait: block it before anything can send it.
  sigset_t term;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  sigprocmask(SIG_BLOCK, &term, NULL);

  if (pid_file) {
    FILE* f = fopen(pid_file, "w");
    if (!f || fprintf(f, "%d\n", getpid()) < 0 || fclose(f) != 0) die(pid_file);
  }
  int ln = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (ln < 0) die("socket");
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof addr.sun_path) {
    fprintf(stderr, "fatal error: %s: path too long\n", path);
    return 1;
  }
  strcpy(addr.sun_path, path);
  if (bind(ln, (struct sockaddr*)&addr, sizeof addr) < 0) die(path);
  if (listen(ln, 1) < 0) die("listen");
  int conn = accept4(ln, NULL, NULL, SOCK_CLOEXEC);
  if (conn < 0) die("accept");
  close(ln);
  unlink(path);

  int pidfd = recv_fd(conn);
  if (pidfd < 0) {
    fprintf(stderr, "fatal error: no pidfd received\n");
    return 1;
  }
  close(conn);

  int got;
  if (sigwait(&term, &got) != 0) die("sigwait");
  if (syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0) die("pidfd_send_signal");
  if (pid_file) unlink(pid_file);
  return 0;
}
