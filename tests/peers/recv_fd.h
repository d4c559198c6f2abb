// recv_fd(conn): the first fd of the next message on the unix socket conn (SCM_RIGHTS), -1 if
// none came; further fds are closed. Shared by the suites' stand-ins (recvtty.c, pidfd_kill.c),
// each compiled on its own by runc_bats.sh.
#pragma once
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int recv_fd(int conn) {
  char data[4096];
  union {
    char buf[CMSG_SPACE(16 * sizeof(int))];
    struct cmsghdr align;
  } ctl;
  struct iovec iov = {data, sizeof data};
  struct msghdr msg = {0};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = ctl.buf;
  msg.msg_controllen = sizeof ctl.buf;
  if (recvmsg(conn, &msg, MSG_CMSG_CLOEXEC) < 0) return -1;
  int fd = -1;
  for (struct cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    int fds[16];
    memcpy(fds, CMSG_DATA(c), n * sizeof(int));
    for (size_t i = 0; i < n; i++) {
      if (fd < 0)
        fd = fds[i];
      else
        close(fds[i]);
    }
  }
  return fd;
}
