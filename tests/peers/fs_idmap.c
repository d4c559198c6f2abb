// fs-idmap PATH
//
// What newer runc's bats suite asks its contrib/cmd/fs-idmap (Go, not packaged) before the
// idmapped-mount tests: can the filesystem holding PATH be mounted with an ID mapping? Exits 0
// if a detached copy of PATH's mount takes MOUNT_ATTR_IDMAP with a user namespace mapping
// 0..65535 to 65536.., 1 with the reason otherwise. runc_bats.sh compiles this at run time.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int fail(const char* what) {
  fprintf(stderr, "fatal error: %s: %s\n", what, strerror(errno));
  return 1;
}

static int write_file(const char* path, const char* text) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = write(fd, text, strlen(text));
  close(fd);
  return n == (ssize_t)strlen(text) ? 0 : -1;
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s path_to_mount_set_attr\n", argv[0]);
    return 1;
  }
  int tree = (int)syscall(SYS_open_tree, AT_FDCWD, argv[1], OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
  if (tree < 0) return fail("open_tree");

  // A child in a new user namespace, paused until its mappings are written and used.
  int ready[2];
  if (pipe2(ready, O_CLOEXEC) < 0) return fail("pipe");
  pid_t child = fork();
  if (child < 0) return fail("fork");
  if (child == 0) {
    char c;
    if (unshare(CLONE_NEWUSER) < 0) _exit(1);
    close(ready[1]);
    (void)!read(ready[0], &c, 1); // until the parent closes its end
    _exit(0);
  }
  close(ready[0]);
  // The child unshares right away; wait until /proc/PID/ns/user differs from ours.
  char self_ns[64] = "", child_ns[64] = "", path[64];
  (void)!readlink("/proc/self/ns/user", self_ns, sizeof self_ns - 1);
  snprintf(path, sizeof path, "/proc/%d/ns/user", child);
  for (int i = 0; i < 1000; i++) {
    memset(child_ns, 0, sizeof child_ns);
    (void)!readlink(path, child_ns, sizeof child_ns - 1);
    if (strcmp(self_ns, child_ns) != 0) break;
    usleep(1000);
  }
  int rc = 0;
  char map[64];
  snprintf(map, sizeof map, "/proc/%d/uid_map", child);
  if (write_file(map, "0 65536 65536\n") < 0) rc = fail("uid_map");
  snprintf(map, sizeof map, "/proc/%d/gid_map", child);
  if (!rc && write_file(map, "0 65536 65536\n") < 0) rc = fail("gid_map");
  int userns = rc ? -1 : open(path, O_RDONLY | O_CLOEXEC);
  if (!rc && userns < 0) rc = fail("unable to get user ns file descriptor");
  if (!rc) {
    struct mount_attr attr = {.attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t)userns};
    if (syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH, &attr, sizeof attr) < 0) rc = fail("error calling mount_setattr");
  }
  close(ready[1]);
  kill(child, SIGKILL);
  waitpid(child, NULL, 0);
  return rc;
}
