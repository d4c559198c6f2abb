// Linux security modules: the AppArmor profile and SELinux label the process gets at execve.
// Labels are checked against the host before anything is created (require_*); the writes
// happen last, in the init or the exec'd process.
#include "berth/linux/lsm.hpp"

#include <unistd.h>

#include "berth/linux/process_attrs.hpp"
#include "berth/linux/procfs.hpp"
#include "berth/util/error.hpp"
#include "berth/util/log.hpp"

namespace berth::linux_ {
namespace {

constexpr const char* kAppArmorEnabled = "/sys/module/apparmor/parameters/enabled";
constexpr const char* kSelinuxEnforce = "/sys/fs/selinux/enforce";

std::string quoted(const std::string& s) { return "\"" + s + "\""; }

}  // namespace

LsmHost detect_lsm() {
  LsmHost h;
  // The module parameter, not securityfs: the kernel's own answer, present even where
  // /sys/kernel/security is not mounted (runc also reads it).
  try {
    h.apparmor = read_file(kAppArmorEnabled).starts_with("Y");
  } catch (const Error&) {
    h.apparmor = false;  // no AppArmor in this kernel
  }
  h.selinux = ::access(kSelinuxEnforce, F_OK) == 0;
  return h;
}

void require_apparmor(const std::string& profile, const std::string& field, const LsmHost& host) {
  if (profile.empty() || host.apparmor) return;
  throw Error(field + " " + quoted(profile) + ": AppArmor is not enabled on this host (" + kAppArmorEnabled +
                  " is missing or not \"Y\")",
              EINVAL);
}

void require_selinux(const std::string& label, const std::string& field, const LsmHost& host) {
  if (label.empty() || host.selinux) return;
  throw Error(field + " " + quoted(label) + ": SELinux is not enabled on this host (no " + kSelinuxEnforce + ")",
              EINVAL);
}

bool wants_lsm(const oci::Spec& spec) {
  bool p = spec.process && (!spec.process->apparmorProfile.empty() || !spec.process->selinuxLabel.empty());
  return p || (spec.linux && !spec.linux->mountLabel.empty());
}

void require_lsm_support(const oci::Spec& spec, const LsmHost& host) {
  if (spec.process) {
    require_apparmor(spec.process->apparmorProfile, "process.apparmorProfile", host);
    require_selinux(spec.process->selinuxLabel, "process.selinuxLabel", host);
  }
  // runc (1.2 and later, go-selinux's FormatMountLabel) adds context= only where SELinux is
  // enabled and ignores the label elsewhere; berth does the same, and says so.
  if (spec.linux && !spec.linux->mountLabel.empty() && !host.selinux)
    log::warn("linux.mountLabel " + quoted(spec.linux->mountLabel) +
              " is ignored: SELinux is not enabled on this host (as runc)");
}

bool selinux_enabled() {
  static const bool enabled = ::access(kSelinuxEnforce, F_OK) == 0;
  return enabled;
}

std::string mount_label_data(const std::string& data, const std::string& type, bool bind, const std::string& label) {
  // runc labels the file systems it creates, not binds (their files keep their own labels)
  // nor proc, sysfs, mqueue and cgroup (which take no context= option).
  if (label.empty() || bind) return data;
  for (const char* t : {"proc", "sysfs", "mqueue", "cgroup", "cgroup2", "bind"})
    if (type == t) return data;
  std::string opt = "context=\"" + label + "\"";
  return data.empty() ? opt : data + "," + opt;
}

AttrWrite apparmor_exec_attr(const std::string& profile, bool per_lsm_dir) {
  // Since Linux 5.8 each LSM has its own directory; attr/exec is then SELinux's (or whichever
  // LSM registered first), so AppArmor must use its own file when there is one.
  return {per_lsm_dir ? "/proc/self/attr/apparmor/exec" : "/proc/self/attr/exec", "exec " + profile};
}

AttrWrite selinux_exec_attr(const std::string& label) {
  // Per thread, as libselinux's setexeccon: the init is single-threaded, but the label must not
  // land on another thread should that change.
  return {"/proc/thread-self/attr/exec", label};
}

void apply_apparmor(const std::string& profile) {
  if (profile.empty()) return;
  try {
    AttrWrite w = apparmor_exec_attr(profile, procfs_exists("self/attr/apparmor/exec"));
    write_procfs(w.path.substr(6), w.value);  // beneath /proc, no mount crossed (procfs.hpp)
  } catch (const Error& e) {
    throw Error("apply AppArmor profile " + quoted(profile) + " (is the profile loaded?): " + e.what(), e.code());
  }
}

void apply_selinux_label(const std::string& label) {
  if (label.empty()) return;
  AttrWrite w = selinux_exec_attr(label);
  try {
    write_procfs(w.path.substr(6), w.value);  // beneath /proc, no mount crossed (procfs.hpp)
  } catch (const Error& e) {
    throw Error("set SELinux exec label " + quoted(label) + ": " + e.what(), e.code());
  }
}

}  // namespace berth::linux_
