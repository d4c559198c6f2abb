// Device nodes inside the container: the default set every container gets and
// linux.devices. In a user namespace mknod is not allowed, so the host's node
// is bind-mounted over an empty file instead.
#pragma once
#include <sys/types.h>

#include "berth/oci/spec.hpp"
#include "berth/util/fd.hpp"

namespace berth::linux_ {

// The rootfs's /dev, opened once for all the nodes made in it, and what a node
// made there gets without a chmod/chown: the mode asked for when the umask is 0
// (the init's during set-up), our fs ids unless /dev is set-group-ID.
class DeviceMaker {
 public:
  DeviceMaker(int rootfd, bool bind_from_host);
  // /dev/null, zero, full, random, urandom, tty (mode 0666, root-owned).
  void create_defaults();
  // /dev/fd, stdin, stdout, stderr, ptmx (and core when /proc/kcore exists).
  void create_symlinks();
  void create(const oci::Device& dev);

 private:
  int rootfd_;
  bool bind_;
  UniqueFd dev_;
  mode_t umask_ = 0;
  uid_t uid_ = 0;
  gid_t gid_ = 0;
  bool setgid_dir_ = false;
};

}  // namespace berth::linux_
