// linux.netDevices and linux.intelRdt around a container's life: see host_attach.hpp.
#include "berth/container/host_attach.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>

#include "berth/linux/mempolicy.hpp"
#include "berth/linux/netdev.hpp"
#include "berth/linux/resctrl.hpp"
#include "berth/util/error.hpp"
#include "berth/util/fd.hpp"
#include "berth/util/log.hpp"

namespace berth::container {
namespace {

const oci::Linux* linux_of(const oci::Spec& spec) { return spec.linux ? &*spec.linux : nullptr; }

// The container's network namespace outlives its init while this bind mount does.
void pin_netns(const std::string& pin, pid_t pid) {
  UniqueFd f(::open(pin.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!f) throw_errno("create " + pin);
  const std::string ns = "/proc/" + std::to_string(pid) + "/ns/net";
  if (::mount(ns.c_str(), pin.c_str(), nullptr, MS_BIND, nullptr) < 0) {
    int err = errno;
    ::unlink(pin.c_str());
    throw_errno("linux.netDevices: bind " + ns + " on " + pin, err);
  }
}

void unpin_netns(const std::string& pin) {
  if (::umount2(pin.c_str(), MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
    log::warn("linux.netDevices: unmount " + pin + ": " + std::strerror(errno));
  if (::unlink(pin.c_str()) < 0 && errno != ENOENT) log::warn("remove " + pin + ": " + std::strerror(errno));
}

void give_back_devices(const std::string& pin, const oci::Linux& lx) {
  UniqueFd ns(::open(pin.c_str(), O_RDONLY | O_CLOEXEC));
  if (ns) {
    std::string failures = linux_::move_net_devices_back(lx.netDevices, ns.get());
    if (!failures.empty()) log::warn(failures);
  } else if (errno != ENOENT) {
    log::warn("linux.netDevices: open " + pin + ": " + std::strerror(errno) + ": the devices are not moved back");
  }
  unpin_netns(pin);
}

}  // namespace

void require_host_support(const oci::Spec& spec) {
  const oci::Linux* lx = linux_of(spec);
  if (!lx) return;
  if (lx->memoryPolicy) linux_::check_memory_policy(*lx->memoryPolicy);
  if (!lx->netDevices.empty()) linux_::require_net_devices(lx->netDevices);
  if (lx->intelRdt) linux_::require_resctrl(linux_::resctrl_mount());
}

void attach_host(const StateDir& dir, const std::string& id, const oci::Spec& spec, pid_t init_pid) {
  const oci::Linux* lx = linux_of(spec);
  if (!lx) return;
  const std::string pin = dir.file("netns");
  if (!lx->netDevices.empty()) {
    pin_netns(pin, init_pid);
    try {
      UniqueFd ns(::open(pin.c_str(), O_RDONLY | O_CLOEXEC));
      if (!ns) throw_errno("open " + pin);
      linux_::move_net_devices_in(lx->netDevices, ns.get());
    } catch (...) {
      unpin_netns(pin);
      throw;
    }
  }
  if (lx->intelRdt) {
    const std::string root = linux_::resctrl_mount();
    try {
      linux_::join_intel_rdt(root, id, *lx->intelRdt, init_pid);
    } catch (...) {
      std::string f = linux_::leave_intel_rdt(root, id, *lx->intelRdt);
      if (!f.empty()) log::warn(f);
      if (!lx->netDevices.empty()) give_back_devices(pin, *lx);
      throw;
    }
  }
}

void join_intel_rdt_group(const std::string& id, const oci::Spec& spec, pid_t pid) {
  const oci::Linux* lx = linux_of(spec);
  if (!lx || !lx->intelRdt) return;
  linux_::add_to_intel_rdt(linux_::resctrl_mount(), id, *lx->intelRdt, pid);
}

void detach_host(const StateDir& dir, const std::string& id, const oci::Spec& spec) {
  const oci::Linux* lx = linux_of(spec);
  // A create killed before state.json leaves no config to name the devices: the pin goes
  // (the kernel then gives physical devices back to the host and destroys virtual ones).
  if (!lx || lx->netDevices.empty()) {
    unpin_netns(dir.file("netns"));
    if (!lx) return;
  }
  if (!lx->netDevices.empty()) give_back_devices(dir.file("netns"), *lx);
  if (lx->intelRdt) {
    std::string f = linux_::leave_intel_rdt(linux_::resctrl_mount(), id, *lx->intelRdt);
    if (!f.empty()) log::warn(f);
  }
}

}  // namespace berth::container
