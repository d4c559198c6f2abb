// Namespaces: which to create, which to join, uid/gid maps, time offsets.
#pragma once
#include <sys/types.h>

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "berth/oci/spec.hpp"
#include "berth/util/fd.hpp"

namespace berth::linux_ {

struct JoinedNs {
  oci::NamespaceType type;
  int flag;  // CLONE_NEW*
  UniqueFd fd;
  std::string path;
};

// Opens every namespace given by path (in the runtime's mount namespace, before
// anything changes). Order: user first, mount last (joining mnt changes "/").
std::vector<JoinedNs> open_joined_namespaces(const oci::Linux& linux);
// A namespace given by path that is berth's own is none of the container's:
// refused where that would change berth's (the host's): the mount namespace
// (the rootfs would be set up and pivot_root'ed in it), the network, IPC and
// UTS namespaces with sysctls, net devices, hostname or domainname. Before
// anything is created.
void check_joined_namespaces(const oci::Spec& spec);
// CLONE_NEW* flags of the namespaces to create.
int new_namespace_flags(const oci::Linux& linux);
void join_namespace(const JoinedNs& ns);

// /proc/self/uid_map of the initial user namespace maps every id to itself.
bool is_initial_uid_map(std::string_view uid_map);
// Whether berth runs in the initial user namespace: /proc/self/uid_map read once
// per process (it cannot change while berth runs); unreadable counts as initial.
bool in_initial_user_namespace();

// Writes /proc/<pid>/{uid_map,gid_map} (as root, directly).
void write_id_maps(pid_t pid, const std::vector<oci::IdMapping>& uid, const std::vector<oci::IdMapping>& gid);
std::string format_id_map(const std::vector<oci::IdMapping>& m);

// /proc/self/timens_offsets for a time namespace created with unshare.
void write_time_offsets(const std::map<std::string, oci::TimeOffset>& offsets);

}  // namespace berth::linux_
