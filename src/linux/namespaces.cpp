#include "berth/linux/namespaces.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>

#include <sstream>

#include "berth/linux/process_attrs.hpp"
#include "berth/oci/parse.hpp"
#include "berth/util/error.hpp"

namespace berth::linux_ {

std::vector<JoinedNs> open_joined_namespaces(const oci::Linux& linux) {
  using T = oci::NamespaceType;
  static const T order[] = {T::User, T::Ipc, T::Uts, T::Network, T::Pid, T::Cgroup, T::Time, T::Mount};
  std::vector<JoinedNs> out;
  for (T t : order) {
    for (const auto& ns : linux.namespaces) {
      if (ns.type != t || ns.path.empty()) continue;
      UniqueFd fd(::open(ns.path.c_str(), O_RDONLY | O_CLOEXEC));
      if (!fd) throw_errno(std::string("open ") + oci::namespace_name(t) + " namespace " + ns.path);
      out.push_back({t, oci::namespace_clone_flag(t), std::move(fd), ns.path});
    }
  }
  return out;
}

namespace {

bool same_inode(const std::string& a, const std::string& b) {
  struct stat sa {}, sb {};
  if (::stat(a.c_str(), &sa) < 0 || ::stat(b.c_str(), &sb) < 0) return false;  // open_joined_namespaces reports it
  return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

// What of the config needs a namespace of the container's own of this type.
std::string needs_own(const oci::Spec& spec, oci::NamespaceType t) {
  using T = oci::NamespaceType;
  const oci::Linux& l = *spec.linux;
  for (const auto& [key, value] : l.sysctl) {
    const bool net = key.rfind("net.", 0) == 0, ipc = oci::is_ipc_sysctl(key);
    if ((t == T::Network && net) || (t == T::Ipc && ipc) || (t == T::Uts && key == "kernel.domainname"))
      return "linux.sysctl \"" + key + "\"";
  }
  if (t == T::Network && !l.netDevices.empty()) return "linux.netDevices";
  if (t == T::Uts && !spec.hostname.empty()) return "hostname";
  if (t == T::Uts && !spec.domainname.empty()) return "domainname";
  return {};
}

}  // namespace

void check_joined_namespaces(const oci::Spec& spec) {
  using T = oci::NamespaceType;
  if (!spec.linux) return;
  const auto& nss = spec.linux->namespaces;
  for (size_t i = 0; i < nss.size(); ++i) {
    const auto& ns = nss[i];
    if (ns.path.empty() || (ns.type != T::Mount && ns.type != T::Network && ns.type != T::Ipc && ns.type != T::Uts))
      continue;
    if (!same_inode(ns.path, std::string("/proc/self/ns/") + oci::namespace_proc_name(ns.type))) continue;
    const std::string where = "config.json: linux.namespaces[" + std::to_string(i) + "]: the " +
                              oci::namespace_name(ns.type) + " namespace " + ns.path + " is berth's own";
    if (ns.type == T::Mount)
      throw Error(where + ": the container's root file system would be set up and pivot_root'ed in it; refused");
    if (std::string what = needs_own(spec, ns.type); !what.empty())
      throw Error(where + ": " + what + " would change it (not allowed in the host's " + oci::namespace_name(ns.type) +
                  " namespace)");
  }
}

int new_namespace_flags(const oci::Linux& linux) {
  int flags = 0;
  for (const auto& ns : linux.namespaces)
    if (ns.path.empty()) flags |= oci::namespace_clone_flag(ns.type);
  return flags;
}

void join_namespace(const JoinedNs& ns) {
  if (::setns(ns.fd.get(), ns.flag) < 0)
    throw_errno(std::string("join ") + oci::namespace_name(ns.type) + " namespace " + ns.path);
}

std::string format_id_map(const std::vector<oci::IdMapping>& m) {
  std::string s;
  for (const auto& e : m)
    s += std::to_string(e.containerID) + " " + std::to_string(e.hostID) + " " + std::to_string(e.size) + "\n";
  return s;
}

void write_id_maps(pid_t pid, const std::vector<oci::IdMapping>& uid, const std::vector<oci::IdMapping>& gid) {
  std::string base = "/proc/" + std::to_string(pid);
  if (!uid.empty()) write_file(base + "/uid_map", format_id_map(uid));
  if (!gid.empty()) write_file(base + "/gid_map", format_id_map(gid));
}

void write_time_offsets(const std::map<std::string, oci::TimeOffset>& offsets) {
  std::string s;
  for (const auto& [clock, off] : offsets)
    s += clock + " " + std::to_string(off.secs) + " " + std::to_string(off.nanosecs) + "\n";
  if (!s.empty()) write_file("/proc/self/timens_offsets", s);
}

bool is_initial_uid_map(std::string_view uid_map) {
  std::istringstream in{std::string(uid_map)};
  unsigned long long inside = 1, outside = 1, count = 0;
  if (!(in >> inside >> outside >> count)) return false;
  std::string more;
  return inside == 0 && outside == 0 && count == 4294967295ULL && !(in >> more);
}

bool in_initial_user_namespace() {
  static const bool initial = [] {
    try {
      return is_initial_uid_map(read_file("/proc/self/uid_map"));
    } catch (const Error&) {
      return true;  // no /proc
    }
  }();
  return initial;
}

}  // namespace berth::linux_
