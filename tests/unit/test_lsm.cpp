// LSM labels: the /proc attr writes (file and content) and the refusal of labels the host cannot
// apply. The writes themselves need AppArmor/SELinux on the host and are not exercised here.
#include <doctest/doctest.h>

#include <unistd.h>

#include <functional>
#include <string>

#include "berth/linux/lsm.hpp"
#include "berth/linux/process_attrs.hpp"
#include "berth/util/error.hpp"

#include "error_of.hpp"

using namespace berth;
using linux_::LsmHost;

TEST_CASE("AppArmor: \"exec PROFILE\" into the per-LSM file when the kernel has it, else attr/exec") {
  auto w = linux_::apparmor_exec_attr("berth-default", true);
  CHECK(w.path == "/proc/self/attr/apparmor/exec");
  CHECK(w.value == "exec berth-default");
  w = linux_::apparmor_exec_attr("unconfined", false);
  CHECK(w.path == "/proc/self/attr/exec");
  CHECK(w.value == "exec unconfined");
}

TEST_CASE("SELinux: the bare label into the thread's attr/exec") {
  auto w = linux_::selinux_exec_attr("system_u:system_r:container_t:s0:c1,c2");
  CHECK(w.path == "/proc/thread-self/attr/exec");
  CHECK(w.value == "system_u:system_r:container_t:s0:c1,c2");
}

TEST_CASE("labels are refused, naming the field, when the host lacks the LSM") {
  const LsmHost none{}, both{true, true};
  CHECK(error_of([&] { linux_::require_apparmor("p", "process.apparmorProfile", none); }) ==
        "process.apparmorProfile \"p\": AppArmor is not enabled on this host "
        "(/sys/module/apparmor/parameters/enabled is missing or not \"Y\")");
  CHECK(error_of([&] { linux_::require_selinux("l", "exec --process-label", none); }) ==
        "exec --process-label \"l\": SELinux is not enabled on this host (no /sys/fs/selinux/enforce)");
  // Empty values, or the LSM present: nothing to refuse.
  CHECK(error_of([&] { linux_::require_apparmor("", "f", none); }).empty());
  CHECK(error_of([&] { linux_::require_selinux("", "f", none); }).empty());
  CHECK(error_of([&] { linux_::require_apparmor("p", "f", both); }).empty());
  CHECK(error_of([&] { linux_::require_selinux("l", "f", both); }).empty());

  oci::Spec spec;
  CHECK(error_of([&] { linux_::require_lsm_support(spec, none); }).empty());  // no process, no linux
  CHECK_FALSE(linux_::wants_lsm(spec));  // create does not even probe the host
  spec.linux = oci::Linux{};
  spec.process = oci::Process{};
  CHECK_FALSE(linux_::wants_lsm(spec));
  spec.process.reset();
  spec.linux->mountLabel = "system_u:object_r:container_file_t:s0";
  CHECK(linux_::wants_lsm(spec));
  // Without SELinux the mount label is ignored with a warning, as runc 1.2+ (go-selinux) does.
  CHECK(error_of([&] { linux_::require_lsm_support(spec, none); }).empty());
  CHECK(error_of([&] { linux_::require_lsm_support(spec, LsmHost{true, false}); }).empty());
  CHECK(error_of([&] { linux_::require_lsm_support(spec, LsmHost{false, true}); }).empty());
  spec.process = oci::Process{};
  spec.process->apparmorProfile = "berth-default";
  CHECK(error_of([&] { linux_::require_lsm_support(spec, LsmHost{false, true}); })
            .starts_with("process.apparmorProfile \"berth-default\": AppArmor is not enabled"));
  spec.process->apparmorProfile.clear();
  spec.process->selinuxLabel = "system_u:system_r:container_t:s0";
  CHECK(error_of([&] { linux_::require_lsm_support(spec, LsmHost{true, false}); })
            .starts_with("process.selinuxLabel \"system_u:system_r:container_t:s0\": SELinux is not enabled"));
}

TEST_CASE("detect_lsm agrees with /sys") {
  LsmHost h = linux_::detect_lsm();
  std::string aa;
  try {
    aa = linux_::read_file("/sys/module/apparmor/parameters/enabled");
  } catch (const Error&) {
  }
  CHECK(h.apparmor == aa.starts_with("Y"));
  CHECK(h.selinux == (::access("/sys/fs/selinux/enforce", F_OK) == 0));
}

TEST_CASE("linux.mountLabel: context= on the file systems the container creates, as runc") {
  const std::string label = "system_u:object_r:container_file_t:s0:c1,c2";
  CHECK(linux_::mount_label_data("mode=755,size=65536k", "tmpfs", false, label) ==
        "mode=755,size=65536k,context=\"system_u:object_r:container_file_t:s0:c1,c2\"");
  CHECK(linux_::mount_label_data("", "devpts", false, label) == "context=\"" + label + "\"");
  for (const char* untouched : {"proc", "sysfs", "mqueue", "cgroup", "cgroup2", "bind"})
    CHECK(linux_::mount_label_data("x=1", untouched, false, label) == "x=1");
  CHECK(linux_::mount_label_data("x=1", "tmpfs", true, label) == "x=1");  // a bind keeps its files' labels
  CHECK(linux_::mount_label_data("x=1", "tmpfs", false, "") == "x=1");
}
