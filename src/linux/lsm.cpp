// Linux security modules: the AppArmor profile and SELinux label the process
// gets at execve. Without the LSM on the host the write fails and the error
// says so.
#include "berth/linux/lsm.hpp"

#include <unistd.h>

#include "berth/linux/process_attrs.hpp"
#include "berth/util/error.hpp"

namespace berth::linux_ {


// process.apparmorProfile: takes effect at execve, like runc's change_onexec.
void apply_apparmor(const std::string& profile) {
  if (profile.empty()) return;
  std::string what = "apply AppArmor profile \"" + profile + "\"";
  // Newer kernels have a per-LSM directory; older ones only the shared file.
  const char* file = ::access("/proc/self/attr/apparmor/exec", F_OK) == 0 ? "/proc/self/attr/apparmor/exec"
                                                                          : "/proc/self/attr/exec";
  try {
    write_file(file, "exec " + profile);
  } catch (const Error& e) {
    throw Error(what + " (is AppArmor enabled and the profile loaded?): " + e.what(), e.code());
  }
}

// process.selinuxLabel: the label the process gets at execve.
void apply_selinux_label(const std::string& label) {
  if (label.empty()) return;
  try {
    write_file("/proc/thread-self/attr/exec", label);
  } catch (const Error& e) {
    throw Error("set SELinux exec label \"" + label + "\": " + e.what(), e.code());
  }
}

}  // namespace berth::linux_
