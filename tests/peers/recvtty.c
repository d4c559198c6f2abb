// recvtty [--mode null|single] [--pid-file FILE] [--no-stdin] SOCKET
//
// A --console-socket receiver with the command line runc's bats suite gives its recvtty
// (contrib/cmd/recvtty, Go, not packaged); runc_bats.sh compiles this at run time. It listens on
// the unix socket SOCKET and receives pty masters (SCM_RIGHTS):
//   null    any number of consoles, each read to nowhere until its slave side is closed;
//   single  one console: ONLCR cleared, copied to stdout, stdin copied to it (unless
//           --no-stdin); exits when the slave side is closed.
// Killing it closes the masters, which hangs up the containers' terminals (the suite stops
// containers that way). It is C and not a script because the suite starts it in the background
// and uses the socket right away: it must be listening within milliseconds.
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "recv_fd.h"

enum { MAX_FDS = 256 };

static void die(const char* what) {
  fprintf(stderr, "[recvtty] fatal error: %s: %s\n", what, strerror(errno));
  exit(1);
}

static void usage(const char* msg) {
  fprintf(stderr, "[recvtty] fatal error: %s\n", msg);
  exit(1);
}

static int write_all(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

static void null_mode(int srv) {
  struct pollfd p[MAX_FDS];
  int n = 1;
  p[0] = (struct pollfd){.fd = srv, .events = POLLIN};
  for (;;) {
    if (poll(p, (nfds_t)n, -1) < 0) {
      if (errno == EINTR) continue;
      die("poll");
    }
    for (int i = n - 1; i >= 1; i--) {
      if (!p[i].revents) continue;
      char buf[4096];
      ssize_t r = read(p[i].fd, buf, sizeof buf);
      if (r > 0 || (r < 0 && errno == EINTR)) continue;
      close(p[i].fd);  // EOF or EIO: the slave side is gone
      p[i] = p[--n];
    }
    if (p[0].revents & POLLIN) {
      int conn = accept4(srv, NULL, NULL, SOCK_CLOEXEC);
      if (conn < 0) continue;
      int master = recv_fd(conn);
      close(conn);
      if (master < 0) continue;
      if (n == MAX_FDS) {
        close(master);
        continue;
      }
      p[n++] = (struct pollfd){.fd = master, .events = POLLIN};
    }
  }
}

static void single_mode(int srv, int no_stdin) {
  int conn = accept4(srv, NULL, NULL, SOCK_CLOEXEC);
  if (conn < 0) die("accept");
  close(srv);
  int master = recv_fd(conn);
  close(conn);
  if (master < 0) die("receive the console fd");
  struct termios t;
  if (tcgetattr(master, &t) == 0) {
    t.c_oflag &= ~(tcflag_t)ONLCR;
    tcsetattr(master, TCSANOW, &t);
  }
  struct pollfd p[2] = {{.fd = master, .events = POLLIN}, {.fd = no_stdin ? -1 : 0, .events = POLLIN}};
  for (;;) {
    if (poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      die("poll");
    }
    char buf[4096];
    if (p[0].revents) {
      ssize_t r = read(master, buf, sizeof buf);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) break;
      if (write_all(1, buf, (size_t)r) < 0) break;
    }
    if (p[1].revents) {
      ssize_t r = read(0, buf, sizeof buf);
      if (r <= 0)
        p[1].fd = -1;  // stdin ended: keep copying the output
      else if (write_all(master, buf, (size_t)r) < 0)
        break;
    }
  }
  close(master);
}

int main(int argc, char** argv) {
  const char* mode = "single";
  const char* pid_file = NULL;
  const char* path = NULL;
  int no_stdin = 0;
  for (int i = 1; i < argc; i++) {
    const char* a = argv[i];
    if (a[0] != '-') {
      if (path) usage("need to specify a single socket path");
      path = a;
      continue;
    }
    while (*a == '-') a++;
    const char* eq = strchr(a, '=');
    size_t len = eq ? (size_t)(eq - a) : strlen(a);
    const char** dst = NULL;
    if (len == 8 && !strncmp(a, "no-stdin", len)) {
      no_stdin = 1;
      continue;
    } else if ((len == 4 && !strncmp(a, "mode", len)) || (len == 1 && a[0] == 'm')) {
      dst = &mode;
    } else if (len == 8 && !strncmp(a, "pid-file", len)) {
      dst = &pid_file;
    } else {
      fprintf(stderr, "[recvtty] flag provided but not defined: %s\n", argv[i]);
      return 1;
    }
    if (eq)
      *dst = eq + 1;
    else if (i + 1 < argc)
      *dst = argv[++i];
    else
      usage("flag needs an argument");
  }
  if (!path) usage("need to specify a single socket path");
  int single = !strcmp(mode, "single");
  if (!single && strcmp(mode, "null")) usage("need to select a valid mode");

  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof addr.sun_path) usage("socket path too long");
  strcpy(addr.sun_path, path);
  int srv = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (srv < 0) die("socket");
  if (bind(srv, (struct sockaddr*)&addr, sizeof addr) < 0) die(path);
  if (listen(srv, 64) < 0) die("listen");
  if (pid_file) {
    FILE* f = fopen(pid_file, "w");
    if (!f) die(pid_file);
    fprintf(f, "%d\n", (int)getpid());
    if (fclose(f) != 0) die(pid_file);
  }
  if (single)
    single_mode(srv, no_stdin);
  else
    null_mode(srv);
  return 0;
}
