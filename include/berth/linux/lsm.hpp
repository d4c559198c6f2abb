// AppArmor / SELinux labels for the container process (applied at execve).
#pragma once
#include <string>

namespace berth::linux_ {

// "exec <profile>" into /proc/self/attr/{apparmor/,}exec; no-op for "".
void apply_apparmor(const std::string& profile);
// The label into /proc/thread-self/attr/exec; no-op for "".
void apply_selinux_label(const std::string& label);

}  // namespace berth::linux_
