// USER / --chown resolution the way the image-spec and Docker do it: "uid", "name",
// "uid:gid", "name:group" looked up in the rootfs's own /etc/passwd and /etc/group (read
// inside the rootfs, never following a symlink out of it).
#pragma once
#include <sys/types.h>

#include <string>
#include <vector>

namespace berth::image {

struct ResolvedUser {
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> additional_gids;  // groups of /etc/group listing the user by name
};

// rootfd: an fd of the rootfs directory. Throws berth::Error, e.g.
// `user "nobody2": no such user in /etc/passwd of the image`.
ResolvedUser resolve_user(int rootfd, const std::string& spec);

}  // namespace berth::image
