// AppArmor / SELinux labels for the container process (applied at execve).
//
// Two halves: what the host offers and what to write (pure, unit-tested), and the writes
// themselves, made by the init (or exec'd process) just before execve. A label asked for on a
// host without the LSM is refused before anything is created: the write would only fail late,
// with EINVAL, deep inside the init.
#pragma once
#include <string>

#include "berth/oci/spec.hpp"

namespace berth::linux_ {

// Which LSMs this host runs.
struct LsmHost {
  bool apparmor = false;  // /sys/module/apparmor/parameters/enabled is "Y"
  bool selinux = false;   // selinuxfs at /sys/fs/selinux (its "enforce" file exists)
};
LsmHost detect_lsm();

// Refuses a non-empty AppArmor profile / SELinux label when the host lacks the LSM.
// `field` names where the value came from ("process.apparmorProfile", "exec --apparmor", ...):
//   process.apparmorProfile "p": AppArmor is not enabled on this host (...)
// Empty values are always fine.
void require_apparmor(const std::string& profile, const std::string& field, const LsmHost& host);
void require_selinux(const std::string& label, const std::string& field, const LsmHost& host);
// Every label of a container's config: process.apparmorProfile and process.selinuxLabel are
// refused without their LSM; linux.mountLabel is ignored with a warning without SELinux, as
// runc 1.2+ does (runc 1.1.5 adds context= anyway and fails on the first tmpfs: EINVAL).
void require_lsm_support(const oci::Spec& spec, const LsmHost& host);

// Whether SELinux is enabled (asked once per process).
bool selinux_enabled();
// The file system data of a mount with linux.mountLabel: `data` plus context="<label>",
// as runc, for the file systems the container creates (not binds, proc, sysfs, mqueue,
// cgroup); `data` unchanged for an empty label.
std::string mount_label_data(const std::string& data, const std::string& type, bool bind, const std::string& label);
// Whether the config asks for any AppArmor profile or SELinux label.
bool wants_lsm(const oci::Spec& spec);

// One write into /proc: the file and what goes into it.
struct AttrWrite {
  std::string path;
  std::string value;
};
// AppArmor's change_onexec: "exec PROFILE" into the per-LSM file when the kernel has it
// (per_lsm_dir: /proc/self/attr/apparmor/ exists, Linux >= 5.8), else the shared attr/exec.
AttrWrite apparmor_exec_attr(const std::string& profile, bool per_lsm_dir);
// SELinux's setexeccon: the bare label into the calling thread's attr/exec.
AttrWrite selinux_exec_attr(const std::string& label);

// The writes; no-ops for "". Throw berth::Error naming the label, the file and the errno.
void apply_apparmor(const std::string& profile);
void apply_selinux_label(const std::string& label);

}  // namespace berth::linux_
