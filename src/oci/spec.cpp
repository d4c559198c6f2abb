// Namespace vocabulary and the small helpers declared on Spec.
#include "berth/oci/spec.hpp"

#include <sched.h>

#include "berth/oci/parse.hpp"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080  // Linux 5.6; older libc headers lack it
#endif

namespace berth::oci {

namespace {

struct NamespaceInfo {
  NamespaceType type;
  const char* name;       // config.json spelling
  const char* proc_name;  // /proc/<pid>/ns/<proc_name>
  int clone_flag;
};

constexpr NamespaceInfo kNamespaces[] = {
    {NamespaceType::Pid, "pid", "pid", CLONE_NEWPID},
    {NamespaceType::Network, "network", "net", CLONE_NEWNET},
    {NamespaceType::Mount, "mount", "mnt", CLONE_NEWNS},
    {NamespaceType::Ipc, "ipc", "ipc", CLONE_NEWIPC},
    {NamespaceType::Uts, "uts", "uts", CLONE_NEWUTS},
    {NamespaceType::User, "user", "user", CLONE_NEWUSER},
    {NamespaceType::Cgroup, "cgroup", "cgroup", CLONE_NEWCGROUP},
    {NamespaceType::Time, "time", "time", CLONE_NEWTIME},
};

const NamespaceInfo& info(NamespaceType t) {
  for (const auto& i : kNamespaces)
    if (i.type == t) return i;
  return kNamespaces[0];  // unreachable for valid enumerators
}

}  // namespace

const char* namespace_name(NamespaceType t) { return info(t).name; }
int namespace_clone_flag(NamespaceType t) { return info(t).clone_flag; }
const char* namespace_proc_name(NamespaceType t) { return info(t).proc_name; }

bool Spec::has_namespace(NamespaceType t) const { return find_namespace(t) != nullptr; }

const Namespace* Spec::find_namespace(NamespaceType t) const {
  if (!linux) return nullptr;
  for (const auto& ns : linux->namespaces)
    if (ns.type == t) return &ns;
  return nullptr;
}

}  // namespace berth::oci
