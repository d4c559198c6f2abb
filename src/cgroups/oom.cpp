// OOM notifications. v1: an eventfd registered on memory.oom_control through
// cgroup.event_control (the kernel signals it on every OOM and when the cgroup
// is removed). v2: inotify on memory.events (oom_kill counter) and
// cgroup.events (populated 0 = nothing left to watch).
#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

#include "berth/cgroups/fs.hpp"
#include "berth/util/error.hpp"
#include "berth/util/fd.hpp"

namespace berth::cgroups {
namespace {

class OomV1 : public OomWatch {
 public:
  explicit OomV1(std::string dir) : dir_(std::move(dir)) {
    efd_ = UniqueFd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!efd_) throw_errno("eventfd");
    std::string oc = dir_ + "/memory.oom_control";
    ofd_ = UniqueFd(::open(oc.c_str(), O_RDONLY | O_CLOEXEC));
    if (!ofd_) throw_errno("open " + oc);
    write_cgroup_file(dir_, "cgroup.event_control",
                      std::to_string(efd_.get()) + " " + std::to_string(ofd_.get()));
  }
  int fd() const override { return efd_.get(); }
  Events read() override {
    Events ev;
    uint64_t n = 0;
    ssize_t r = ::read(efd_.get(), &n, sizeof n);
    if (r != sizeof n) return ev;
    // The eventfd is also signalled when the cgroup is removed.
    if (!cgroup_file_exists(dir_, "cgroup.event_control")) {
      ev.gone = true;
      return ev;
    }
    ev.ooms = 1;  // one event per notification, as runc reports them
    return ev;
  }

 private:
  std::string dir_;
  UniqueFd efd_, ofd_;
};

class OomV2 : public OomWatch {
 public:
  explicit OomV2(std::string dir) : dir_(std::move(dir)) {
    ifd_ = UniqueFd(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
    if (!ifd_) throw_errno("inotify_init1");
    std::string me = dir_ + "/memory.events", ce = dir_ + "/cgroup.events";
    mwd_ = ::inotify_add_watch(ifd_.get(), me.c_str(), IN_MODIFY);
    if (mwd_ < 0) throw_errno("inotify_add_watch " + me);
    cwd_ = ::inotify_add_watch(ifd_.get(), ce.c_str(), IN_MODIFY);
    if (cwd_ < 0) throw_errno("inotify_add_watch " + ce);
    last_ = oom_kills();
  }
  int fd() const override { return ifd_.get(); }
  Events read() override {
    Events ev;
    alignas(inotify_event) char buf[4096];
    bool any = false;
    for (;;) {
      ssize_t n = ::read(ifd_.get(), buf, sizeof buf);
      if (n <= 0) break;
      any = true;
    }
    if (!any) return ev;
    uint64_t now = oom_kills();
    if (now > last_) ev.ooms = static_cast<int>(now - last_);
    last_ = std::max(last_, now);
    try {
      auto kv = parse_key_values(read_cgroup_file(dir_, "cgroup.events"), "cgroup.events");
      ev.gone = kv["populated"] == 0;
    } catch (const Error&) {
      ev.gone = true;
    }
    return ev;
  }

 private:
  uint64_t oom_kills() const {
    try {
      return parse_key_values(read_cgroup_file(dir_, "memory.events"), "memory.events")["oom_kill"];
    } catch (const Error&) {
      return last_;
    }
  }
  std::string dir_;
  UniqueFd ifd_;
  int mwd_ = -1, cwd_ = -1;
  uint64_t last_ = 0;
};

}  // namespace

std::unique_ptr<OomWatch> watch_oom_v1(const std::string& memory_dir) {
  if (memory_dir.empty()) throw Error("cannot watch for OOM events: the memory cgroup controller is not mounted");
  return std::make_unique<OomV1>(memory_dir);
}

std::unique_ptr<OomWatch> watch_oom_v2(const std::string& dir) { return std::make_unique<OomV2>(dir); }

}  // namespace berth::cgroups
