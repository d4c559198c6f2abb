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
  // `fresh_dev`: /dev is a new file system of the container's own (a tmpfs from
  // config.json), where an entry in the way may be replaced. Otherwise (the
  // image's /dev, or a bound host directory) nothing there is ever replaced: a
  // missing node is made, the same node is kept, a symlink or anything else in
  // the way is an error (runc 1.1 keeps what it finds; a symlink would lead
  // the node, or a mount of it, elsewhere).
  DeviceMaker(int rootfd, bool bind_from_host, bool fresh_dev);
  // /dev/null, zero, full, random, urandom, tty (mode 0666, root-owned).
  void create_defaults();
  // /dev/fd, stdin, stdout, stderr, ptmx (and core when /proc/kcore exists).
  void create_symlinks();
  void create(const oci::Device& dev);

 private:
  int rootfd_;
  bool bind_;
  bool fresh_;
  UniqueFd dev_;
  mode_t umask_ = 0;
  uid_t uid_ = 0;
  gid_t gid_ = 0;
  bool setgid_dir_ = false;
};

}  // namespace berth::linux_
