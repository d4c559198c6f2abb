// `berth spec` (runc's default config.json, byte-for-byte in content) and
// `berth features`.
#include "berth/oci/defaults.hpp"

#include <seccomp.h>
#include <sys/capability.h>
#include <unistd.h>

#include <cctype>
#include <memory>

#include "berth/oci/mount_options.hpp"
#include "berth/oci/spec.hpp"
#include "known.hpp"

#ifndef BERTH_VERSION
#define BERTH_VERSION "unknown"
#endif

namespace berth::oci {

namespace {

using nlohmann::json;

// ---- default_spec ----

json default_process() {
  const json caps = {"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"};
  return {
      {"terminal", true},
      {"user", {{"uid", 0}, {"gid", 0}}},
      {"args", {"sh"}},
      {"env", {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"}},
      {"cwd", "/"},
      {"capabilities", {{"bounding", caps}, {"effective", caps}, {"permitted", caps}, {"ambient", caps}}},
      {"rlimits", json::array({{{"type", "RLIMIT_NOFILE"}, {"hard", 1024}, {"soft", 1024}}})},
      {"noNewPrivileges", true},
  };
}

json mount(const char* destination, const char* type, const char* source, json options) {
  json m = {{"destination", destination}, {"type", type}, {"source", source}};
  if (!options.empty()) m["options"] = std::move(options);
  return m;
}

json default_mounts(bool rootless) {
  json devpts_options = {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"};
  // An unprivileged user cannot map gid 5 (tty); runc drops the option.
  if (!rootless) devpts_options.push_back("gid=5");
  // sysfs cannot be mounted without owning the network namespace; bind the host's instead.
  json sys = rootless ? mount("/sys", "none", "/sys", {"rbind", "nosuid", "noexec", "nodev", "ro"})
                      : mount("/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"});
  return json::array({
      mount("/proc", "proc", "proc", json::array()),
      mount("/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}),
      mount("/dev/pts", "devpts", "devpts", std::move(devpts_options)),
      mount("/dev/shm", "tmpfs", "shm", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}),
      mount("/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}),
      std::move(sys),
      mount("/sys/fs/cgroup", "cgroup", "cgroup", {"nosuid", "noexec", "nodev", "relatime", "ro"}),
  });
}

json namespaces(bool rootless) {
  json ns = json::array();
  for (const char* t : {"pid", "network", "ipc", "uts", "mount"}) {
    // A rootless container keeps the host network: it could not configure its own.
    if (rootless && std::string_view(t) == "network") continue;
    ns.push_back({{"type", t}});
  }
  if (rootless) ns.push_back({{"type", "user"}});
  return ns;
}

json default_linux(bool rootless) {
  json l = {
      {"namespaces", namespaces(rootless)},
      {"maskedPaths",
       {"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
        "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi"}},
      {"readonlyPaths", {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}},
  };
  if (rootless) {
    // Like runc: map root in the container to the calling user (effective ids).
    l["uidMappings"] = json::array({{{"containerID", 0}, {"hostID", ::geteuid()}, {"size", 1}}});
    l["gidMappings"] = json::array({{{"containerID", 0}, {"hostID", ::getegid()}, {"size", 1}}});
  } else {
    l["resources"] = {{"devices", json::array({{{"allow", false}, {"access", "rwm"}}})}};
  }
  return l;
}

// ---- features ----

template <size_t N>
json names(const std::array<std::string_view, N>& list) {
  json out = json::array();
  for (auto n : list) out.push_back(n);
  return out;
}

// Compile-time set (CAP_LAST_CAP of the libcap headers), as the features
// document is meant to describe the build, not the running kernel.
json capability_names() {
  json out = json::array();
  for (cap_value_t v = 0; v <= CAP_LAST_CAP; ++v) {
    const std::unique_ptr<char, decltype(&cap_free)> name(cap_to_name(v), &cap_free);
    if (!name) continue;
    std::string upper(name.get());
    for (char& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    if (upper.rfind("CAP_", 0) == 0) out.push_back(upper);  // unnamed bits come back as numbers
  }
  return out;
}

// The spec's architectures that the linked libseccomp can resolve.
json seccomp_archs() {
  json out = json::array();
  for (auto arch : detail::kSeccompArchs) {
    std::string lib(arch.substr(std::string_view("SCMP_ARCH_").size()));
    for (char& ch : lib) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (seccomp_arch_resolve_name(lib.c_str()) != 0) out.push_back(arch);
  }
  return out;
}

// Filter flags need libseccomp attributes: LOG (2.4), SPEC_ALLOW (2.5),
// WAIT_KILLABLE_RECV (2.6). TSYNC is always available.
json seccomp_supported_flags() {
  json out = {"SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG"};
#if SCMP_VER_MAJOR > 2 || (SCMP_VER_MAJOR == 2 && SCMP_VER_MINOR >= 5)
  out.push_back("SECCOMP_FILTER_FLAG_SPEC_ALLOW");
#endif
#if SCMP_VER_MAJOR > 2 || (SCMP_VER_MAJOR == 2 && SCMP_VER_MINOR >= 6)
  out.push_back("SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV");
#endif
  return out;
}

json linux_features() {
  return {
      {"namespaces", {"cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts"}},
      {"capabilities", capability_names()},
      // rdma: linux.resources.rdma is written to rdma.max (cgroups/resources.cpp).
      {"cgroup", {{"v1", true}, {"v2", true}, {"systemd", true}, {"systemdUser", false}, {"rdma", true}}},
      {"seccomp",
       {{"enabled", true},
        {"actions", names(detail::kSeccompActions)},
        {"operators", names(detail::kSeccompOperators)},
        {"archs", seccomp_archs()},
        {"knownFlags", names(detail::kSeccompFlags)},
        {"supportedFlags", seccomp_supported_flags()}}},
      // "Irrelevant to the availability on the host" (features-linux.md): what berth implements.
      // apparmor/selinux: process.apparmorProfile, process.selinuxLabel, linux.mountLabel (linux/lsm).
      {"apparmor", {{"enabled", true}}},
      {"selinux", {{"enabled", true}}},
      // closID group, l3CacheSchema/memBwSchema/schemata, monitoring groups (linux/resctrl).
      {"intelRdt", {{"enabled", true}, {"schemata", true}, {"monitoring", true}}},
      {"mountExtensions", {{"idmap", {{"enabled", true}}}}},
      {"memoryPolicy", {{"modes", names(detail::kMemoryPolicyModes)}, {"flags", names(detail::kMemoryPolicyFlags)}}},
      {"netDevices", {{"enabled", true}}},
  };
}

}  // namespace

json default_spec(bool rootless) {
  return {
      {"ociVersion", kSpecVersion},
      {"process", default_process()},
      {"root", {{"path", "rootfs"}, {"readonly", true}}},
      {"hostname", "runc"},
      {"mounts", default_mounts(rootless)},
      {"linux", default_linux(rootless)},
  };
}

json features() {
  return {
      {"ociVersionMin", "1.0.0"},
      {"ociVersionMax", kSpecVersion},
      {"hooks", {"prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"}},
      {"mountOptions", known_mount_options()},
      {"linux", linux_features()},
      {"annotations", {{"io.github.berth.version", BERTH_VERSION}}},
  };
}

}  // namespace berth::oci
