#include "berth/linux/idmap_mount.hpp"

#include <fcntl.h>
#include <linux/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "berth/linux/mount_flags.hpp"
#include "berth/linux/namespaces.hpp"
#include "berth/linux/syscalls.hpp"
#include "berth/util/error.hpp"

namespace berth::linux_ {

UniqueFd make_userns(const std::vector<oci::IdMapping>& uid, const std::vector<oci::IdMapping>& gid) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) < 0) throw_errno("pipe");
  UniqueFd rd(p[0]), wr(p[1]);
  int pidfd = -1;
  pid_t pid = sys::clone3_fork(CLONE_NEWUSER | CLONE_PIDFD, &pidfd);
  if (pid < 0) throw_errno("clone3 user namespace for idmapped mount");
  if (pid == 0) {
    wr.reset();
    char c;
    (void)!::read(rd.get(), &c, 1);  // parked until the parent has the namespace fd
    ::_exit(0);
  }
  UniqueFd pfd(pidfd);
  rd.reset();
  UniqueFd ns;
  try {
    write_id_maps(pid, uid, gid);
    ns.reset(::open(("/proc/" + std::to_string(pid) + "/ns/user").c_str(), O_RDONLY | O_CLOEXEC));
    if (!ns) throw_errno("open user namespace of idmapped mount helper");
  } catch (...) {
    wr.reset();
    ::waitpid(pid, nullptr, 0);
    throw;
  }
  wr.reset();
  ::waitpid(pid, nullptr, 0);
  return ns;
}

std::map<size_t, UniqueFd> prepare_idmapped_mounts(const oci::Spec& spec) {
  std::map<size_t, UniqueFd> out;
  for (size_t i = 0; i < spec.mounts.size(); ++i) {
    const oci::Mount& m = spec.mounts[i];
    MountFlags mf = parse_mount_options(m.options);
    bool own_maps = !m.uidMappings.empty() || !m.gidMappings.empty();
    if (!mf.idmap && !own_maps) continue;
    std::string what = "idmapped mount of " + m.source + " on " + m.destination;
    const auto& uid = own_maps ? m.uidMappings : (spec.linux ? spec.linux->uidMappings : m.uidMappings);
    const auto& gid = own_maps ? m.gidMappings : (spec.linux ? spec.linux->gidMappings : m.gidMappings);
    if (uid.empty() || gid.empty()) throw Error(what + ": needs uidMappings and gidMappings (on the mount or in linux)");
    bool rec = mf.recursive_bind || mf.recursive_idmap;
    unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (rec ? AT_RECURSIVE : 0);
    UniqueFd tree(static_cast<int>(::syscall(SYS_open_tree, AT_FDCWD, m.source.c_str(), flags)));
    if (!tree) throw_errno(what + ": open_tree");
    UniqueFd ns = make_userns(uid, gid);
    struct mount_attr attr {};
    attr.attr_set = MOUNT_ATTR_IDMAP;
    attr.userns_fd = static_cast<uint64_t>(ns.get());
    unsigned at = AT_EMPTY_PATH | (rec ? AT_RECURSIVE : 0);
    if (::syscall(SYS_mount_setattr, tree.get(), "", at, &attr, sizeof attr) < 0)
      throw_errno(what + ": mount_setattr MOUNT_ATTR_IDMAP (does the file system support idmapped mounts?)");
    out.emplace(i, std::move(tree));
  }
  return out;
}

void prepare_userns_bind_trees(const oci::Spec& spec, std::map<size_t, UniqueFd>& trees) {
  if (!spec.has_namespace(oci::NamespaceType::User)) return;
  for (size_t i = 0; i < spec.mounts.size(); ++i) {
    const oci::Mount& m = spec.mounts[i];
    if (trees.count(i)) continue;  // idmapped: made already
    MountFlags mf = parse_mount_options(m.options);
    if (!mf.bind && m.type != "bind") continue;
    unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (mf.recursive_bind ? AT_RECURSIVE : 0);
    UniqueFd tree(static_cast<int>(::syscall(SYS_open_tree, AT_FDCWD, m.source.c_str(), flags)));
    if (!tree && (errno == EPERM || errno == ENOSYS)) return;  // rootless or an old kernel: by path
    if (!tree) throw_errno("bind mount of " + m.source + " on " + m.destination + ": open_tree " + m.source);
    trees.emplace(i, std::move(tree));
  }
}

void attach_tree(int tree, int target_fd, const std::string& dest) {
  if (::syscall(SYS_move_mount, tree, "", target_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    throw_errno("attach bind mount tree on " + dest);
}

}  // namespace berth::linux_
