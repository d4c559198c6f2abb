// config.json / process.json -> model: the document root, process, root,
// mounts, hooks. The linux section lives in parse_linux.cpp and
// parse_resources.cpp; cross-field rules in validate.cpp.
#include "berth/oci/parse.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <set>

#include "berth/util/error.hpp"
#include "berth/util/log.hpp"
#include "berth/util/read_limited.hpp"
#include "known.hpp"
#include "parse_internal.hpp"

namespace berth::oci {

namespace detail {

std::string absolute_path(const Cursor& c) {
  std::string p = c.str();
  if (p.empty() || p[0] != '/') c.fail("must be an absolute path, got " + quote(p));
  return p;
}

}  // namespace detail

namespace {

using namespace detail;

// ---- ociVersion ----

// Reads a run of decimal digits without a leading zero (SemVer numeric identifier).
bool semver_number(std::string_view& s, unsigned long& out) {
  size_t n = 0;
  while (n < s.size() && s[n] >= '0' && s[n] <= '9') ++n;
  if (n == 0 || n > 9 || (n > 1 && s[0] == '0')) return false;
  out = std::stoul(std::string(s.substr(0, n)));
  s.remove_prefix(n);
  return true;
}

// MAJOR.MINOR.PATCH with an optional -prerelease / +build suffix ("1.0.2-dev").
bool parse_semver(std::string_view s, unsigned long& major) {
  unsigned long minor = 0, patch = 0;
  if (!semver_number(s, major) || s.empty() || s[0] != '.') return false;
  s.remove_prefix(1);
  if (!semver_number(s, minor) || s.empty() || s[0] != '.') return false;
  s.remove_prefix(1);
  if (!semver_number(s, patch)) return false;
  if (s.empty()) return true;
  if (s[0] != '-' && s[0] != '+') return false;
  if (s.size() == 1) return false;
  for (char c : s.substr(1)) {
    const bool ok =
        (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '.' || c == '+';
    if (!ok) return false;
  }
  return true;
}

// The spec keeps compatibility within a major version, so any 1.x.y is ours.
std::string parse_version(const Cursor& c) {
  const std::string v = c.str();
  unsigned long major = 0;
  if (!parse_semver(v, major)) c.fail("invalid version " + quote(v) + ": must be SemVer such as \"1.2.0\"");
  if (major != 1) c.fail("unsupported version " + quote(v) + ": berth supports 1.x");
  return v;
}

// ---- process ----

std::vector<std::string> parse_args(const Cursor& c) {
  constexpr const char* kProblem = "must be a non-empty array of strings";
  if (!c || !c.value().is_array() || c.value().empty()) c.fail(kProblem);
  std::vector<std::string> args;
  for (const Cursor& item : c.items()) {
    std::string a = item.str();
    // execve(2) takes C strings: an embedded NUL would silently truncate.
    if (a.find('\0') != std::string::npos) item.fail("contains a nul byte");
    args.push_back(std::move(a));
  }
  return args;
}

// The same rules runc applies before execve, so bad entries fail at create time.
std::vector<std::string> parse_env(const Cursor& c) {
  std::vector<std::string> env;
  for (const Cursor& item : c.items()) {
    std::string e = item.str();
    const auto eq = e.find('=');
    if (eq == std::string::npos) item.fail("invalid environment variable " + quote(e) + ": missing '='");
    if (eq == 0) item.fail("invalid environment variable " + quote(e) + ": name cannot be empty");
    if (e.find('\0') != std::string::npos)
      item.fail("invalid environment variable " + quote(e.substr(0, eq)) + ": contains a nul byte");
    env.push_back(std::move(e));
  }
  return env;
}

User parse_user(const Cursor& c) {
  User u;
  optional_member(c, "uid", u.uid);
  optional_member(c, "gid", u.gid);
  optional_member(c, "umask", u.umask);
  if (const Cursor gids = c["additionalGids"])
    for (const Cursor& g : gids.items()) u.additionalGids.push_back(g.integer<uint32_t>());
  optional_member(c, "username", u.username);
  return u;
}

// Any string: a name that grants nothing here (malformed, unknown to libcap, newer than the
// kernel) is skipped when the sets are applied and warned about at create and exec
// (linux/caps.hpp: unavailable_caps), as runc and crun skip it. Skipping only ever grants less.
std::vector<std::string> parse_cap_list(const Cursor& c) {
  std::vector<std::string> caps;
  for (const Cursor& item : c.items()) caps.push_back(item.str());
  return caps;
}

Capabilities parse_capabilities(const Cursor& c) {
  Capabilities caps;
  if (const Cursor l = c["bounding"]) caps.bounding = parse_cap_list(l);
  if (const Cursor l = c["effective"]) caps.effective = parse_cap_list(l);
  if (const Cursor l = c["inheritable"]) caps.inheritable = parse_cap_list(l);
  if (const Cursor l = c["permitted"]) caps.permitted = parse_cap_list(l);
  if (const Cursor l = c["ambient"]) caps.ambient = parse_cap_list(l);
  return caps;
}

std::vector<Rlimit> parse_rlimits(const Cursor& c) {
  std::vector<Rlimit> out;
  std::set<std::string> seen;
  for (const Cursor& item : c.items()) {
    Rlimit r;
    const Cursor type = item["type"];
    r.type = type.str();
    if (!contains(kRlimits, r.type)) type.fail("unknown rlimit " + quote(r.type));
    if (!seen.insert(r.type).second) type.fail("duplicate rlimit " + quote(r.type));
    // soft > hard is left to setrlimit(2), as runc does.
    r.hard = required_member<uint64_t>(item, "hard");
    r.soft = required_member<uint64_t>(item, "soft");
    out.push_back(std::move(r));
  }
  return out;
}

ConsoleSize parse_console_size(const Cursor& c) {
  ConsoleSize s;
  s.height = required_member<uint32_t>(c, "height");
  s.width = required_member<uint32_t>(c, "width");
  return s;
}

IOPriority parse_io_priority(const Cursor& c) {
  IOPriority p;
  const Cursor cls = c["class"];
  p.ioClass = cls.str();
  if (!contains(kIoPriorityClasses, p.ioClass)) cls.fail("unknown I/O priority class " + quote(p.ioClass));
  if (const Cursor prio = c["priority"]) {
    p.priority = prio.integer<int>();
    if (p.priority < 0 || p.priority > 7) prio.fail("must be between 0 and 7, got " + std::to_string(p.priority));
    // The kernel takes and ignores a level with the idle class: refused, not ignored.
    if (p.ioClass == "IOPRIO_CLASS_IDLE" && p.priority != 0)
      prio.fail("IOPRIO_CLASS_IDLE has no priority levels (must be 0)");
  }
  return p;
}

// The kernel's own rules for sched_setattr(2) (kernel/sched/syscalls.c,
// __checkparam_dl), checked here so that a config it would refuse fails before
// anything is created, with the field that is wrong; and what the kernel would
// silently ignore is refused too — except a nice value beside another policy, which
// runc passes on (its tests set nice 19 with SCHED_DEADLINE): berth passes it on with a
// warning that it has no effect.
void check_scheduler(const Scheduler& s, const Cursor& c) {
  auto has_flag = [&](std::string_view f) { return std::find(s.flags.begin(), s.flags.end(), f) != s.flags.end(); };
  if (s.nice < -20 || s.nice > 19) c["nice"].fail("must be between -20 and 19, got " + std::to_string(s.nice));
  if (s.policy == "SCHED_ISO") c["policy"].fail("SCHED_ISO is reserved and not implemented by Linux");
  const bool realtime = s.policy == "SCHED_FIFO" || s.policy == "SCHED_RR";
  const bool fair = s.policy == "SCHED_OTHER" || s.policy == "SCHED_BATCH";
  if (realtime && (s.priority < 1 || s.priority > 99))
    c["priority"].fail("must be between 1 and 99 for " + s.policy + ", got " + std::to_string(s.priority));
  if (!realtime && s.priority != 0) c["priority"].fail("can only be set for SCHED_FIFO or SCHED_RR");
  if (s.nice != 0 && !fair)
    warn(c["nice"].path() + ": " + std::to_string(s.nice) + " has no effect under " + s.policy +
              " (the kernel uses nice only for SCHED_OTHER and SCHED_BATCH)");
  for (std::string_view f : {"SCHED_FLAG_UTIL_CLAMP_MIN", "SCHED_FLAG_UTIL_CLAMP_MAX"})
    if (has_flag(f)) c["flags"].fail(std::string(f) + ": the runtime-spec has no utilization value to clamp to");
  const bool deadline_params = s.runtime != 0 || s.deadline != 0 || s.period != 0;
  if (s.policy != "SCHED_DEADLINE") {
    if (deadline_params) c.fail("runtime, deadline and period can only be set for SCHED_DEADLINE");
    for (std::string_view f : {"SCHED_FLAG_RECLAIM", "SCHED_FLAG_DL_OVERRUN"})
      if (has_flag(f)) c["flags"].fail(std::string(f) + " can only be set for SCHED_DEADLINE");
    return;
  }
  constexpr uint64_t kMinRuntime = 1024;                // 1 << DL_SCALE ns
  constexpr uint64_t kMinPeriod = 100ULL * 1000;        // sched_deadline_period_min_us default, in ns
  constexpr uint64_t kMaxPeriod = (1ULL << 22) * 1000;  // sched_deadline_period_max_us default, in ns
  constexpr uint64_t kTopBit = 1ULL << 63;
  if (s.deadline == 0) c["deadline"].fail("is required for SCHED_DEADLINE");
  if (s.runtime < kMinRuntime)
    c["runtime"].fail("must be at least 1024 ns for SCHED_DEADLINE, got " + std::to_string(s.runtime));
  if (s.deadline & kTopBit) c["deadline"].fail("is out of range (bit 63 set)");
  if (s.period & kTopBit) c["period"].fail("is out of range (bit 63 set)");
  if (s.runtime > s.deadline)
    c["runtime"].fail("must not exceed deadline (" + std::to_string(s.runtime) + " > " +
                      std::to_string(s.deadline) + ")");
  const uint64_t period = s.period ? s.period : s.deadline;  // the kernel's default
  if (s.period && s.deadline > s.period)
    c["deadline"].fail("must not exceed period (" + std::to_string(s.deadline) + " > " + std::to_string(s.period) +
                       ")");
  if (period < kMinPeriod || period > kMaxPeriod)
    c[s.period ? "period" : "deadline"].fail("the period must be between 100 us and 4.194304 s (the kernel's "
                                              "sched_deadline_period_{min,max}_us), got " +
                                              std::to_string(period) + " ns");
  if (has_flag("SCHED_FLAG_KEEP_PARAMS"))
    c["flags"].fail("SCHED_FLAG_KEEP_PARAMS would ignore runtime, deadline and period");
}

}  // namespace

namespace {
thread_local int quiet_warnings = 0;
}  // namespace

QuietParseWarnings::QuietParseWarnings() { ++quiet_warnings; }
QuietParseWarnings::~QuietParseWarnings() { --quiet_warnings; }

namespace detail {

void warn(const std::string& message) {
  if (quiet_warnings == 0) log::warn(message);
}

// A CPU or node list in the kernel's list format ("0-3,7"): checked here so
// that a typo fails before anything is created. `what` is "CPU" or "node".
std::string parse_number_list(const Cursor& c, const char* what, std::vector<unsigned long>* numbers) {
  std::string s = c.str();
  if (s.empty()) c.fail(std::string("empty ") + what + " list");
  const std::string list = std::string("invalid ") + what + " list " + quote(s);
  size_t i = 0;
  auto number = [&]() -> unsigned long {
    size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    if (i == start || i - start > 5)
      c.fail(list + ": expected a " + what + " number at offset " + std::to_string(start));
    return std::stoul(s.substr(start, i - start));
  };
  for (;;) {
    unsigned long a = number(), b = a;
    if (i < s.size() && s[i] == '-') {
      ++i;
      b = number();
      if (b < a) c.fail(list + ": range " + std::to_string(a) + "-" + std::to_string(b) + " is reversed");
    }
    if (numbers)
      for (unsigned long n = a; n <= b; ++n) numbers->push_back(n);
    if (i == s.size()) break;
    if (s[i] != ',') c.fail(list + ": unexpected " + quote(std::string(1, s[i])));
    ++i;
  }
  return s;
}

}  // namespace detail

namespace {

std::string parse_cpu_list(const Cursor& c) { return parse_number_list(c, "CPU", nullptr); }

ExecCPUAffinity parse_exec_cpu_affinity(const Cursor& c) {
  ExecCPUAffinity a;
  if (const Cursor i = c["initial"]) a.initial = parse_cpu_list(i);
  if (const Cursor f = c["final"]) a.final = parse_cpu_list(f);
  return a;
}

Scheduler parse_scheduler(const Cursor& c) {
  Scheduler s;
  const Cursor policy = c["policy"];
  s.policy = policy.str();
  if (!contains(kSchedulerPolicies, s.policy)) policy.fail("unknown scheduler policy " + quote(s.policy));
  optional_member(c, "nice", s.nice);
  optional_member(c, "priority", s.priority);
  if (const Cursor flags = c["flags"]) {
    for (const Cursor& f : flags.items()) {
      std::string name = f.str();
      if (!contains(kSchedulerFlags, name)) f.fail("unknown scheduler flag " + quote(name));
      s.flags.push_back(std::move(name));
    }
  }
  optional_member(c, "runtime", s.runtime);
  optional_member(c, "deadline", s.deadline);
  optional_member(c, "period", s.period);
  check_scheduler(s, c);
  return s;
}

// ---- root, mounts, hooks ----

Root parse_root(const Cursor& c) {
  Root r;
  const Cursor path = c["path"];
  r.path = path.str();
  if (r.path.empty()) path.fail("must not be empty");
  optional_member(c, "readonly", r.readonly);
  return r;
}

bool is_bind_mount(const Mount& m) {
  if (m.type == "bind") return true;
  for (const auto& o : m.options)
    if (o == "bind" || o == "rbind") return true;
  return false;
}

// runc's rules for id-mapped mounts (MOUNT_ATTR_IDMAP needs both maps and a bind), in its
// words ("invalid mount: ..."), which its idmap.bats matches.
void check_idmapped_mount(const Mount& m, const Cursor& c) {
  // crun's own mapping syntax in the option (idmap=uids=0-1-10;gids=...): refused rather than
  // handed to a bind mount as data, which the kernel ignores (the mount would not be idmapped).
  if (const Cursor opts = c["options"])
    for (const Cursor& o : opts.items()) {
      const std::string s = o.str();
      if (s.rfind("idmap=", 0) == 0 || s.rfind("ridmap=", 0) == 0)
        o.fail("crun's idmap=uids=...;gids=... syntax is not supported: give the mount uidMappings and gidMappings");
    }
  if (m.uidMappings.empty() && m.gidMappings.empty()) return;
  if (m.uidMappings.empty() || m.gidMappings.empty())
    c.fail("invalid mount: id-mapped mounts must have both uid and gid mappings specified");
  if (!is_bind_mount(m)) c.fail("invalid mount: id-mapped mounts are only supported for bind mounts");
}

// A relative destination is deprecated but valid: the spec says it MUST be
// taken as relative to "/". We normalise it here so no later stage has to care.
std::string parse_destination(const Cursor& c) {
  std::string d = c.str();
  if (d.empty()) c.fail("must not be empty");
  if (d[0] != '/') d.insert(d.begin(), '/');
  return d;
}

Mount parse_mount(const Cursor& c) {
  Mount m;
  m.destination = parse_destination(c["destination"]);
  optional_member(c, "type", m.type);
  optional_member(c, "source", m.source);
  optional_member(c, "options", m.options);
  if (const Cursor u = c["uidMappings"]) m.uidMappings = parse_id_mappings(u);
  if (const Cursor g = c["gidMappings"]) m.gidMappings = parse_id_mappings(g);
  check_idmapped_mount(m, c);
  return m;
}

Hook parse_hook(const Cursor& c) {
  Hook h;
  h.path = absolute_path(c["path"]);
  optional_member(c, "args", h.args);
  optional_member(c, "env", h.env);
  if (const Cursor t = c["timeout"]) {
    h.timeout = t.integer<int>();
    if (*h.timeout <= 0) t.fail("must be greater than zero, got " + std::to_string(*h.timeout));
  }
  return h;
}

std::vector<Hook> parse_hook_list(const Cursor& hooks, const char* name) {
  std::vector<Hook> out;
  if (const Cursor list = hooks[name])
    for (const Cursor& item : list.items()) out.push_back(parse_hook(item));
  return out;
}

Hooks parse_hooks(const Cursor& c) {
  Hooks h;
  h.prestart = parse_hook_list(c, "prestart");
  h.createRuntime = parse_hook_list(c, "createRuntime");
  h.createContainer = parse_hook_list(c, "createContainer");
  h.startContainer = parse_hook_list(c, "startContainer");
  h.poststart = parse_hook_list(c, "poststart");
  h.poststop = parse_hook_list(c, "poststop");
  return h;
}


// nlohmann prefixes "[json.exception.parse_error.101] "; the rest (line,
// column, what was expected) is what a user needs.
std::string parse_error_text(const std::string& what) {
  if (!what.empty() && what[0] == '[') {
    const auto end = what.find("] ");
    if (end != std::string::npos) return what.substr(end + 2);
  }
  return what;
}

}  // namespace

namespace detail {

Process parse_process_object(const Cursor& c) {
  c.require_object();
  Process p;
  optional_member(c, "terminal", p.terminal);
  if (const Cursor cs = c["consoleSize"]) p.consoleSize = parse_console_size(cs);
  if (const Cursor u = c["user"]) p.user = parse_user(u);
  p.args = parse_args(c["args"]);
  optional_member(c, "commandLine", p.commandLine);
  if (const Cursor env = c["env"]) p.env = parse_env(env);
  p.cwd = absolute_path(c["cwd"]);
  if (const Cursor caps = c["capabilities"]) p.capabilities = parse_capabilities(caps);
  if (const Cursor rl = c["rlimits"]) p.rlimits = parse_rlimits(rl);
  optional_member(c, "noNewPrivileges", p.noNewPrivileges);
  optional_member(c, "apparmorProfile", p.apparmorProfile);
  if (const Cursor oom = c["oomScoreAdj"]) {
    p.oomScoreAdj = oom.integer<int>();
    // The kernel's range for /proc/<pid>/oom_score_adj; fail now, not mid-create.
    if (*p.oomScoreAdj < -1000 || *p.oomScoreAdj > 1000)
      oom.fail("must be between -1000 and 1000, got " + std::to_string(*p.oomScoreAdj));
  }
  optional_member(c, "selinuxLabel", p.selinuxLabel);
  if (const Cursor io = c["ioPriority"]) p.ioPriority = parse_io_priority(io);
  if (const Cursor s = c["scheduler"]) p.scheduler = parse_scheduler(s);
  if (const Cursor a = c["execCPUAffinity"]) p.execCPUAffinity = parse_exec_cpu_affinity(a);
  return p;
}

}  // namespace detail

Spec parse_spec(const nlohmann::json& j, const std::string& doc) {
  const Cursor root = Cursor::root(j, doc);
  root.require_object();
  Spec s;
  s.ociVersion = parse_version(root["ociVersion"]);
  if (const Cursor p = root["process"]) s.process = parse_process_object(p);
  // The spec makes root optional only for VM/Windows; berth runs Linux containers.
  s.root = parse_root(root["root"]);
  optional_member(root, "hostname", s.hostname);
  optional_member(root, "domainname", s.domainname);
  if (const Cursor mounts = root["mounts"])
    for (const Cursor& m : mounts.items()) s.mounts.push_back(parse_mount(m));
  if (const Cursor hooks = root["hooks"]) s.hooks = parse_hooks(hooks);
  optional_member(root, "annotations", s.annotations);
  if (const Cursor l = root["linux"]) s.linux = parse_linux(l);
  validate_cross_references(s, root);
  return s;
}

Hooks parse_hooks(const nlohmann::json& j, const std::string& doc) {
  const Cursor root = Cursor::root(j, doc);
  root.require_object();
  return parse_hooks(root);
}

Spec load_spec(const std::string& path) {
  const std::string text = read_limited(path, kMaxConfigBytes);
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw Error(path + ": invalid JSON: " + parse_error_text(e.what()));
  }
  return parse_spec(j, path);
}

Process parse_process(const nlohmann::json& j, const std::string& doc) {
  return parse_process_object(Cursor::root(j, doc));
}

}  // namespace berth::oci
