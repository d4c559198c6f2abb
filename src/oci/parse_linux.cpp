// config.json "linux" section, except linux.resources (parse_resources.cpp).
#include <algorithm>
#include <cctype>
#include <set>

#include "berth/oci/parse.hpp"
#include "known.hpp"
#include "parse_internal.hpp"

namespace berth::oci::detail {

namespace {

NamespaceType namespace_type(const Cursor& c) {
  const std::string name = c.str();
  for (auto t : {NamespaceType::Pid, NamespaceType::Network, NamespaceType::Mount, NamespaceType::Ipc,
                 NamespaceType::Uts, NamespaceType::User, NamespaceType::Cgroup, NamespaceType::Time})
    if (name == namespace_name(t)) return t;
  c.fail("unknown namespace " + quote(name));
}

std::vector<Namespace> parse_namespaces(const Cursor& c) {
  std::vector<Namespace> out;
  std::set<NamespaceType> seen;
  for (const Cursor& item : c.items()) {
    const Cursor type = item["type"];
    Namespace ns{namespace_type(type), {}};
    if (!seen.insert(ns.type).second) type.fail("duplicate namespace " + quote(namespace_name(ns.type)));
    // "path": "" is no path (runc, Go's zero value): a new namespace.
    if (const Cursor path = item["path"]; path && !path.str().empty()) ns.path = absolute_path(path);
    out.push_back(std::move(ns));
  }
  return out;
}

std::map<std::string, TimeOffset> parse_time_offsets(const Cursor& c) {
  std::map<std::string, TimeOffset> out;
  for (const auto& [clock, item] : c.members()) {
    if (!contains(kTimeOffsetClocks, clock))
      item.fail("unknown clock " + quote(clock) + ": want monotonic or boottime");
    TimeOffset t;
    optional_member(item, "secs", t.secs);
    optional_member(item, "nanosecs", t.nanosecs);
    // /proc/<pid>/timens_offsets rejects a nanosecond part of a second or more.
    if (t.nanosecs >= 1000000000U) item["nanosecs"].fail("must be less than 1000000000");
    out.emplace(clock, t);
  }
  return out;
}

// A FIFO has no device number; every other node needs both.
int64_t device_number(const Cursor& dev, const char* key, bool fifo) {
  const Cursor c = dev[key];
  if (!c) {
    if (fifo) return 0;
    c.fail("required unless type is \"p\"");
  }
  return c.integer<int64_t>();
}

Device parse_device(const Cursor& c) {
  Device d;
  const Cursor type = c["type"];
  d.type = type.str();
  if (d.type != "c" && d.type != "b" && d.type != "u" && d.type != "p")
    type.fail("unknown device type " + quote(d.type) + ": want c, b, u or p");
  d.path = absolute_path(c["path"]);
  d.major = device_number(c, "major", d.type == "p");
  d.minor = device_number(c, "minor", d.type == "p");
  optional_member(c, "fileMode", d.fileMode);
  optional_member(c, "uid", d.uid);
  optional_member(c, "gid", d.gid);
  return d;
}

std::string parse_propagation(const Cursor& c) {
  std::string p = c.str();
  if (!contains(kRootfsPropagations, p)) c.fail("unknown propagation " + quote(p));
  return p;
}

// A name from `known`; anything else fails with "<adjective> <what> NAME" ("unknown seccomp
// action ...").
template <size_t N>
std::string parse_name(const Cursor& c, const std::array<std::string_view, N>& known, const char* what,
                       const char* adjective = "unknown") {
  std::string name = c.str();
  if (!contains(known, name)) c.fail(std::string(adjective) + " " + what + " " + quote(name));
  return name;
}

template <size_t N>
std::vector<std::string> parse_names(const Cursor& c, const std::array<std::string_view, N>& known, const char* what,
                                     const char* adjective = "unknown") {
  std::vector<std::string> out;
  for (const Cursor& item : c.items()) out.push_back(parse_name(item, known, what, adjective));
  return out;
}

SeccompArg parse_seccomp_arg(const Cursor& c) {
  SeccompArg a;
  const Cursor index = c["index"];
  a.index = index.integer<uint32_t>();
  // Syscalls take at most six arguments; libseccomp refuses anything beyond.
  if (a.index > 5) index.fail("must be between 0 and 5, got " + std::to_string(a.index));
  a.value = required_member<uint64_t>(c, "value");
  optional_member(c, "valueTwo", a.valueTwo);
  a.op = parse_name(c["op"], kSeccompOperators, "seccomp operator");
  return a;
}

SeccompSyscall parse_seccomp_syscall(const Cursor& c) {
  SeccompSyscall s;
  const Cursor names = c["names"];
  if (!names || !names.value().is_array() || names.value().empty()) names.fail("must be a non-empty array of strings");
  for (const Cursor& n : names.items()) {
    std::string name = n.str();
    if (name.empty()) n.fail("must not be empty");
    s.names.push_back(std::move(name));
  }
  s.action = parse_name(c["action"], kSeccompActions, "seccomp action");
  optional_member(c, "errnoRet", s.errnoRet);
  if (const Cursor args = c["args"])
    for (const Cursor& a : args.items()) s.args.push_back(parse_seccomp_arg(a));
  return s;
}

// SCMP_ACT_NOTIFY hands syscalls to an agent listening on listenerPath; as in
// runc, it cannot be the default action and needs a listener.
void check_seccomp_notify(const Seccomp& s, const Cursor& c) {
  if (s.defaultAction == "SCMP_ACT_NOTIFY")
    c["defaultAction"].fail("SCMP_ACT_NOTIFY cannot be used as the default action");
  if (!s.listenerPath.empty()) return;
  for (size_t i = 0; i < s.syscalls.size(); ++i)
    if (s.syscalls[i].action == "SCMP_ACT_NOTIFY")
      c["listenerPath"].fail("required when SCMP_ACT_NOTIFY is used (syscalls[" + std::to_string(i) + "])");
}

Seccomp parse_seccomp(const Cursor& c) {
  Seccomp s;
  s.defaultAction = parse_name(c["defaultAction"], kSeccompActions, "seccomp action");
  optional_member(c, "defaultErrnoRet", s.defaultErrnoRet);
  if (const Cursor a = c["architectures"]) s.architectures = parse_names(a, kSeccompArchs, "seccomp architecture");
  if (const Cursor f = c["flags"]) s.flags = parse_names(f, kSeccompFlags, "seccomp flag");
  optional_member(c, "listenerPath", s.listenerPath);
  optional_member(c, "listenerMetadata", s.listenerMetadata);
  if (const Cursor calls = c["syscalls"])
    for (const Cursor& item : calls.items()) s.syscalls.push_back(parse_seccomp_syscall(item));
  check_seccomp_notify(s, c);
  return s;
}

Personality parse_personality(const Cursor& c) {
  Personality p;
  p.domain = parse_name(c["domain"], kPersonalityDomains, "personality domain");
  if (const Cursor flags = c["flags"]) {
    for (const Cursor& f : flags.items()) {
      std::string name = f.str();
      if (!contains(kPersonalityFlags, name)) f.fail("unknown personality flag " + quote(name));
      p.flags.push_back(std::move(name));
    }
  }
  return p;
}

// The kernel's rules for set_mempolicy(2) (mm/mempolicy.c: sanitize_mpol_flags,
// mpol_new), so that a policy the kernel would refuse fails before anything is
// created. Whether the nodes exist is the host's question (linux/mempolicy).
// The messages carry runc's words ("invalid memory policy mode/flag/node", "mode requires 0
// nodes but got N"), which its tests and users match on.
MemoryPolicy parse_memory_policy(const Cursor& c) {
  c.require_object();
  MemoryPolicy p;
  const Cursor mode = c["mode"];
  if (!mode) mode.fail("invalid memory policy mode \"\": a mode is required");
  p.mode = mode.str();
  if (!contains(kMemoryPolicyModes, p.mode)) mode.fail("invalid memory policy mode " + quote(p.mode));
  std::vector<unsigned long> nodes;
  if (const Cursor n = c["nodes"]) {
    // "" is what Go writes for "no nodes": the same as absent.
    if (!n.str().empty()) p.nodes = parse_number_list(n, "memory policy node", &nodes);
    // MAX_NUMNODES is at most 1 << 10 (NODES_SHIFT <= 10 on every architecture).
    for (unsigned long node : nodes)
      if (node >= 1024)
        n.fail("invalid memory policy node " + std::to_string(node) + ": the kernel has at most 1024 nodes");
  }
  if (const Cursor f = c["flags"]) p.flags = parse_names(f, kMemoryPolicyFlags, "memory policy flag", "invalid");
  auto has = [&](std::string_view flag) { return std::find(p.flags.begin(), p.flags.end(), flag) != p.flags.end(); };
  const bool fixed = has("MPOL_F_STATIC_NODES"), relative = has("MPOL_F_RELATIVE_NODES");
  if (fixed && relative) c["flags"].fail("MPOL_F_STATIC_NODES and MPOL_F_RELATIVE_NODES exclude each other");
  if (has("MPOL_F_NUMA_BALANCING") && p.mode != "MPOL_BIND" && p.mode != "MPOL_PREFERRED_MANY")
    c["flags"].fail("MPOL_F_NUMA_BALANCING needs mode MPOL_BIND or MPOL_PREFERRED_MANY, not " + p.mode);
  if (p.mode == "MPOL_DEFAULT" || p.mode == "MPOL_LOCAL") {
    if (!p.nodes.empty())
      c["nodes"].fail(p.mode + " mode requires 0 nodes but got " + std::to_string(nodes.size()));
    if (p.mode == "MPOL_LOCAL" && (fixed || relative))
      c["flags"].fail("MPOL_LOCAL takes neither MPOL_F_STATIC_NODES nor MPOL_F_RELATIVE_NODES");
  } else if (p.mode == "MPOL_PREFERRED") {
    // No nodes means local allocation, which has no node set to be static or relative.
    if (p.nodes.empty() && (fixed || relative))
      c["flags"].fail("MPOL_PREFERRED without nodes takes neither MPOL_F_STATIC_NODES nor MPOL_F_RELATIVE_NODES");
  } else if (p.nodes.empty()) {
    c["nodes"].fail("required for " + p.mode);
  }
  return p;
}

// An interface name the kernel accepts (dev_valid_name): 1-15 bytes, not "."
// or "..", no '/', ':' or white space.
std::string interface_name(const Cursor& c, const std::string& name) {
  if (name.empty() || name.size() > 15)
    c.fail("invalid interface name " + quote(name) + ": must be 1 to 15 characters");
  if (name == "." || name == "..") c.fail("invalid interface name " + quote(name));
  for (char ch : name)
    if (ch == '/' || ch == ':' || std::isspace(static_cast<unsigned char>(ch)))
      c.fail("invalid interface name " + quote(name) + ": must not contain '/', ':' or white space");
  return name;
}

std::map<std::string, NetDevice> parse_net_devices(const Cursor& c) {
  std::map<std::string, NetDevice> out;
  std::set<std::string> inside;
  for (const auto& [host, item] : c.members()) {
    interface_name(item, host);
    item.require_object();
    NetDevice d;
    if (const Cursor n = item["name"]) d.name = n.str().empty() ? "" : interface_name(n, n.str());
    const std::string& name = d.name.empty() ? host : d.name;
    if (!inside.insert(name).second) item.fail("two devices would be named " + quote(name) + " in the container");
    out.emplace(host, std::move(d));
  }
  return out;
}

// One line of a resctrl schemata file.
std::string schema_line(const Cursor& c, std::string_view prefix) {
  std::string s = c.str();
  if (!prefix.empty() && !s.starts_with(prefix)) c.fail("must start with " + quote(prefix) + ", got " + quote(s));
  if (s.find('\n') != std::string::npos && !prefix.empty()) c.fail("must not contain a newline");
  return s;
}

IntelRdt parse_intel_rdt(const Cursor& c) {
  c.require_object();
  IntelRdt r;
  if (const Cursor id = c["closID"]) {
    // A directory name under /sys/fs/resctrl.
    r.closID = id.str();
    if (r.closID.empty() || r.closID == "." || r.closID == ".." || r.closID.find('/') != std::string::npos ||
        r.closID.find('\n') != std::string::npos)
      id.fail("invalid closID " + quote(r.closID) + ": must be a directory name");
  }
  if (const Cursor l3 = c["l3CacheSchema"]) r.l3CacheSchema = schema_line(l3, "");
  if (const Cursor mb = c["memBwSchema"]) r.memBwSchema = schema_line(mb, "MB:");
  if (const Cursor s = c["schemata"]) {
    if (s.value().is_string()) {
      r.schemata.push_back(s.str());
    } else {
      for (const Cursor& line : s.items()) r.schemata.push_back(line.str());
    }
  }
  optional_member(c, "enableCMT", r.enableCMT);
  optional_member(c, "enableMBM", r.enableMBM);
  optional_member(c, "enableMonitoring", r.enableMonitoring);
  return r;
}

// maskedPaths / readonlyPaths: the spec requires absolute container paths.
std::vector<std::string> parse_path_list(const Cursor& c) {
  std::vector<std::string> out;
  for (const Cursor& item : c.items()) out.push_back(absolute_path(item));
  return out;
}

}  // namespace

std::vector<IdMapping> parse_id_mappings(const Cursor& c) {
  std::vector<IdMapping> out;
  for (const Cursor& item : c.items()) {
    IdMapping m;
    m.containerID = required_member<uint32_t>(item, "containerID");
    m.hostID = required_member<uint32_t>(item, "hostID");
    m.size = required_member<uint32_t>(item, "size");
    out.push_back(m);
  }
  return out;
}

Linux parse_linux(const Cursor& c) {
  c.require_object();
  Linux l;
  if (const Cursor ns = c["namespaces"]) l.namespaces = parse_namespaces(ns);
  if (const Cursor m = c["uidMappings"]) l.uidMappings = parse_id_mappings(m);
  if (const Cursor m = c["gidMappings"]) l.gidMappings = parse_id_mappings(m);
  if (const Cursor t = c["timeOffsets"]) l.timeOffsets = parse_time_offsets(t);
  if (const Cursor devs = c["devices"])
    for (const Cursor& d : devs.items()) l.devices.push_back(parse_device(d));
  optional_member(c, "cgroupsPath", l.cgroupsPath);
  if (const Cursor r = c["resources"]) l.resources = parse_resources(r);
  if (const Cursor p = c["rootfsPropagation"]) l.rootfsPropagation = parse_propagation(p);
  if (const Cursor s = c["seccomp"]) l.seccomp = parse_seccomp(s);
  optional_member(c, "sysctl", l.sysctl);
  if (const Cursor m = c["maskedPaths"]) l.maskedPaths = parse_path_list(m);
  if (const Cursor r = c["readonlyPaths"]) l.readonlyPaths = parse_path_list(r);
  optional_member(c, "mountLabel", l.mountLabel);
  if (const Cursor p = c["personality"]) l.personality = parse_personality(p);
  if (const Cursor rdt = c["intelRdt"]) l.intelRdt = parse_intel_rdt(rdt);
  if (const Cursor m = c["memoryPolicy"]) l.memoryPolicy = parse_memory_policy(m);
  if (const Cursor n = c["netDevices"]) l.netDevices = parse_net_devices(n);
  return l;
}

}  // namespace berth::oci::detail
