// model -> JSON. Members the spec marks optional are left out when empty (as
// Go's `omitempty` does in runc), so `berth spec` output and round-trips stay
// minimal; an optional struct that is present is always written, even if it
// is empty, so that parse(to_json(x)) gives back exactly x.
#include "berth/oci/parse.hpp"

namespace berth::oci {

namespace {

using nlohmann::json;

// ---- omit-if-empty writers ----

void put(json& j, const char* key, const std::string& v) {
  if (!v.empty()) j[key] = v;
}
template <class T>
void put(json& j, const char* key, const std::vector<T>& v) {
  if (!v.empty()) j[key] = v;
}
void put(json& j, const char* key, const std::map<std::string, std::string>& v) {
  if (!v.empty()) j[key] = v;
}
template <class T>
void put(json& j, const char* key, const std::optional<T>& v) {
  if (v) j[key] = *v;
}
// Plain numbers and booleans: zero/false is the default and is left out.
template <class T>
requires std::is_arithmetic_v<T>
void put(json& j, const char* key, T v) {
  if (v != T{}) j[key] = v;
}
// A list of structs, each written by `fn`.
template <class T, class Fn>
void put_each(json& j, const char* key, const std::vector<T>& v, Fn fn) {
  if (v.empty()) return;
  json arr = json::array();
  for (const auto& item : v) arr.push_back(fn(item));
  j[key] = std::move(arr);
}

// ---- process ----

json user_json(const User& u) {
  json j = {{"uid", u.uid}, {"gid", u.gid}};
  put(j, "umask", u.umask);
  put(j, "additionalGids", u.additionalGids);
  put(j, "username", u.username);
  return j;
}

json capabilities_json(const Capabilities& c) {
  json j = json::object();
  put(j, "bounding", c.bounding);
  put(j, "effective", c.effective);
  put(j, "inheritable", c.inheritable);
  put(j, "permitted", c.permitted);
  put(j, "ambient", c.ambient);
  return j;
}

json rlimit_json(const Rlimit& r) { return {{"type", r.type}, {"hard", r.hard}, {"soft", r.soft}}; }

json scheduler_json(const Scheduler& s) {
  json j = {{"policy", s.policy}};
  put(j, "nice", s.nice);
  put(j, "priority", s.priority);
  put(j, "flags", s.flags);
  put(j, "runtime", s.runtime);
  put(j, "deadline", s.deadline);
  put(j, "period", s.period);
  return j;
}

// ---- mounts, hooks ----

json id_mapping_json(const IdMapping& m) {
  return {{"containerID", m.containerID}, {"hostID", m.hostID}, {"size", m.size}};
}

json mount_json(const Mount& m) {
  json j = {{"destination", m.destination}};
  put(j, "type", m.type);
  put(j, "source", m.source);
  put(j, "options", m.options);
  put_each(j, "uidMappings", m.uidMappings, id_mapping_json);
  put_each(j, "gidMappings", m.gidMappings, id_mapping_json);
  return j;
}

json hook_json(const Hook& h) {
  json j = {{"path", h.path}};
  put(j, "args", h.args);
  put(j, "env", h.env);
  put(j, "timeout", h.timeout);
  return j;
}

json hooks_json(const Hooks& h) {
  json j = json::object();
  put_each(j, "prestart", h.prestart, hook_json);
  put_each(j, "createRuntime", h.createRuntime, hook_json);
  put_each(j, "createContainer", h.createContainer, hook_json);
  put_each(j, "startContainer", h.startContainer, hook_json);
  put_each(j, "poststart", h.poststart, hook_json);
  put_each(j, "poststop", h.poststop, hook_json);
  return j;
}

// ---- linux.resources ----

json device_rule_json(const DeviceCgroupRule& r) {
  json j = {{"allow", r.allow}};
  put(j, "type", r.type);
  put(j, "major", r.major);
  put(j, "minor", r.minor);
  put(j, "access", r.access);
  return j;
}

json memory_json(const MemoryResources& m) {
  json j = json::object();
  put(j, "limit", m.limit);
  put(j, "reservation", m.reservation);
  put(j, "swap", m.swap);
  put(j, "kernel", m.kernel);
  put(j, "kernelTCP", m.kernelTCP);
  put(j, "swappiness", m.swappiness);
  put(j, "disableOOMKiller", m.disableOOMKiller);
  put(j, "useHierarchy", m.useHierarchy);
  put(j, "checkBeforeUpdate", m.checkBeforeUpdate);
  return j;
}

json cpu_json(const CpuResources& c) {
  json j = json::object();
  put(j, "shares", c.shares);
  put(j, "quota", c.quota);
  put(j, "burst", c.burst);
  put(j, "period", c.period);
  put(j, "realtimeRuntime", c.realtimeRuntime);
  put(j, "realtimePeriod", c.realtimePeriod);
  put(j, "cpus", c.cpus);
  put(j, "mems", c.mems);
  put(j, "idle", c.idle);
  return j;
}

json weight_device_json(const WeightDevice& w) {
  json j = {{"major", w.major}, {"minor", w.minor}};
  put(j, "weight", w.weight);
  put(j, "leafWeight", w.leafWeight);
  return j;
}

json throttle_json(const ThrottleDevice& t) { return {{"major", t.major}, {"minor", t.minor}, {"rate", t.rate}}; }

json blockio_json(const BlockIOResources& b) {
  json j = json::object();
  put(j, "weight", b.weight);
  put(j, "leafWeight", b.leafWeight);
  put_each(j, "weightDevice", b.weightDevice, weight_device_json);
  put_each(j, "throttleReadBpsDevice", b.throttleReadBpsDevice, throttle_json);
  put_each(j, "throttleWriteBpsDevice", b.throttleWriteBpsDevice, throttle_json);
  put_each(j, "throttleReadIOPSDevice", b.throttleReadIOPSDevice, throttle_json);
  put_each(j, "throttleWriteIOPSDevice", b.throttleWriteIOPSDevice, throttle_json);
  return j;
}

json network_json(const NetworkResources& n) {
  json j = json::object();
  put(j, "classID", n.classID);
  put_each(j, "priorities", n.priorities, [](const InterfacePriority& p) {
    return json{{"name", p.name}, {"priority", p.priority}};
  });
  return j;
}

json rdma_json(const std::map<std::string, RdmaLimit>& rdma) {
  json j = json::object();
  for (const auto& [device, r] : rdma) {
    json limit = json::object();
    put(limit, "hcaHandles", r.hcaHandles);
    put(limit, "hcaObjects", r.hcaObjects);
    j[device] = std::move(limit);
  }
  return j;
}

json resources_json(const Resources& r) {
  json j = json::object();
  put_each(j, "devices", r.devices, device_rule_json);
  if (r.memory) j["memory"] = memory_json(*r.memory);
  if (r.cpu) j["cpu"] = cpu_json(*r.cpu);
  if (r.pids) j["pids"] = {{"limit", r.pids->limit}};
  if (r.blockIO) j["blockIO"] = blockio_json(*r.blockIO);
  put_each(j, "hugepageLimits", r.hugepageLimits, [](const HugepageLimit& h) {
    return json{{"pageSize", h.pageSize}, {"limit", h.limit}};
  });
  if (r.network) j["network"] = network_json(*r.network);
  if (!r.rdma.empty()) j["rdma"] = rdma_json(r.rdma);
  put(j, "unified", r.unified);
  return j;
}

// ---- linux ----

json namespace_json(const Namespace& ns) {
  json j = {{"type", namespace_name(ns.type)}};
  put(j, "path", ns.path);
  return j;
}

json device_json(const Device& d) {
  json j = {{"type", d.type}, {"path", d.path}, {"major", d.major}, {"minor", d.minor}};
  put(j, "fileMode", d.fileMode);
  put(j, "uid", d.uid);
  put(j, "gid", d.gid);
  return j;
}

json seccomp_syscall_json(const SeccompSyscall& s) {
  json j = {{"names", s.names}, {"action", s.action}};
  put(j, "errnoRet", s.errnoRet);
  put_each(j, "args", s.args, [](const SeccompArg& a) {
    json arg = {{"index", a.index}, {"value", a.value}, {"op", a.op}};
    put(arg, "valueTwo", a.valueTwo);
    return arg;
  });
  return j;
}

json seccomp_json(const Seccomp& s) {
  json j = {{"defaultAction", s.defaultAction}};
  put(j, "defaultErrnoRet", s.defaultErrnoRet);
  put(j, "architectures", s.architectures);
  put(j, "flags", s.flags);
  put(j, "listenerPath", s.listenerPath);
  put(j, "listenerMetadata", s.listenerMetadata);
  put_each(j, "syscalls", s.syscalls, seccomp_syscall_json);
  return j;
}

json time_offsets_json(const std::map<std::string, TimeOffset>& offsets) {
  json j = json::object();
  for (const auto& [clock, t] : offsets) {
    json o = json::object();
    put(o, "secs", t.secs);
    put(o, "nanosecs", t.nanosecs);
    j[clock] = std::move(o);
  }
  return j;
}

json linux_json(const Linux& l) {
  json j = json::object();
  put_each(j, "namespaces", l.namespaces, namespace_json);
  put_each(j, "uidMappings", l.uidMappings, id_mapping_json);
  put_each(j, "gidMappings", l.gidMappings, id_mapping_json);
  if (!l.timeOffsets.empty()) j["timeOffsets"] = time_offsets_json(l.timeOffsets);
  put_each(j, "devices", l.devices, device_json);
  put(j, "cgroupsPath", l.cgroupsPath);
  if (l.resources) j["resources"] = resources_json(*l.resources);
  put(j, "rootfsPropagation", l.rootfsPropagation);
  if (l.seccomp) j["seccomp"] = seccomp_json(*l.seccomp);
  put(j, "sysctl", l.sysctl);
  put(j, "maskedPaths", l.maskedPaths);
  put(j, "readonlyPaths", l.readonlyPaths);
  put(j, "mountLabel", l.mountLabel);
  if (l.personality) {
    json p = {{"domain", l.personality->domain}};
    put(p, "flags", l.personality->flags);
    j["personality"] = std::move(p);
  }
  if (l.intelRdt) {
    const IntelRdt& r = *l.intelRdt;
    json o = json::object();
    put(o, "closID", r.closID);
    put(o, "l3CacheSchema", r.l3CacheSchema);
    put(o, "memBwSchema", r.memBwSchema);
    put(o, "schemata", r.schemata);
    put(o, "enableCMT", r.enableCMT);
    put(o, "enableMBM", r.enableMBM);
    put(o, "enableMonitoring", r.enableMonitoring);
    j["intelRdt"] = std::move(o);
  }
  if (l.memoryPolicy) {
    json o = {{"mode", l.memoryPolicy->mode}};
    put(o, "nodes", l.memoryPolicy->nodes);
    put(o, "flags", l.memoryPolicy->flags);
    j["memoryPolicy"] = std::move(o);
  }
  if (!l.netDevices.empty()) {
    json o = json::object();
    for (const auto& [host, dev] : l.netDevices) {
      json d = json::object();
      put(d, "name", dev.name);
      o[host] = std::move(d);
    }
    j["netDevices"] = std::move(o);
  }
  return j;
}

}  // namespace

nlohmann::json to_json(const Process& p) {
  json j = json::object();
  put(j, "terminal", p.terminal);
  if (p.consoleSize) j["consoleSize"] = {{"height", p.consoleSize->height}, {"width", p.consoleSize->width}};
  j["user"] = user_json(p.user);
  put(j, "args", p.args);
  put(j, "commandLine", p.commandLine);
  put(j, "env", p.env);
  j["cwd"] = p.cwd;
  if (p.capabilities) j["capabilities"] = capabilities_json(*p.capabilities);
  put_each(j, "rlimits", p.rlimits, rlimit_json);
  put(j, "noNewPrivileges", p.noNewPrivileges);
  put(j, "apparmorProfile", p.apparmorProfile);
  put(j, "oomScoreAdj", p.oomScoreAdj);
  put(j, "selinuxLabel", p.selinuxLabel);
  if (p.ioPriority) j["ioPriority"] = {{"class", p.ioPriority->ioClass}, {"priority", p.ioPriority->priority}};
  if (p.scheduler) j["scheduler"] = scheduler_json(*p.scheduler);
  if (p.execCPUAffinity) {
    json a = json::object();
    put(a, "initial", p.execCPUAffinity->initial);
    put(a, "final", p.execCPUAffinity->final);
    j["execCPUAffinity"] = std::move(a);
  }
  return j;
}

nlohmann::json to_json(const Seccomp& s) { return seccomp_json(s); }

nlohmann::json to_json(const Spec& s) {
  json j = {{"ociVersion", s.ociVersion}};
  if (s.process) j["process"] = to_json(*s.process);
  json root = {{"path", s.root.path}};
  put(root, "readonly", s.root.readonly);
  j["root"] = std::move(root);
  put(j, "hostname", s.hostname);
  put(j, "domainname", s.domainname);
  put_each(j, "mounts", s.mounts, mount_json);
  json hooks = hooks_json(s.hooks);
  if (!hooks.empty()) j["hooks"] = std::move(hooks);
  put(j, "annotations", s.annotations);
  if (s.linux) j["linux"] = linux_json(*s.linux);
  return j;
}

}  // namespace berth::oci
