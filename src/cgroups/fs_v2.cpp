// cgroup v2: one unified hierarchy.
#include <fcntl.h>
#include <unistd.h>
#include <sys/stat.h>

#include "berth/cgroups/devices_bpf.hpp"
#include "berth/cgroups/fs.hpp"
#include "berth/cgroups/resources.hpp"
#include "berth/linux/process_attrs.hpp"
#include "berth/util/error.hpp"
#include "berth/util/log.hpp"

namespace berth::cgroups {
namespace {

constexpr int kFreezeWaitMs = 2000;

class V2 : public Manager {
 public:
  explicit V2(std::string dir) : dir_(std::move(dir)) {}
  Driver driver() const override { return Driver::V2; }

  void create() override {
    // Every ancestor, from the root down, must delegate its controllers to
    // the next level (existing ones included), as runc and crun do.
    std::string rel = dir_.substr(std::string("/sys/fs/cgroup").size());
    std::string cur = "/sys/fs/cgroup";
    size_t i = 1;
    while (i <= rel.size()) {
      size_t j = rel.find('/', i);
      if (j == std::string::npos) j = rel.size();
      enable_controllers(cur);
      cur += "/" + rel.substr(i, j - i);
      if (::mkdir(cur.c_str(), 0755) < 0 && errno != EEXIST) throw_errno("create cgroup " + cur);
      i = j + 1;
    }
  }

  void apply(const oci::Resources& r) override {
    warn_ignored_resources(r);
    // Devices first: v2 has no device files; the filter is an eBPF program.
    // Not in a user namespace, where the kernel refuses it (runc skips it too).
    if (!r.devices.empty() && !in_user_namespace()) install_device_filter(dir_, r.devices);
    apply_v2(dir_, r);
  }
  void add(pid_t pid) override { linux_::write_file(dir_ + "/cgroup.procs", std::to_string(pid)); }
  std::vector<pid_t> pids() const override {
    std::vector<pid_t> out;
    collect_pids(dir_, out);
    return out;
  }
  void freeze(bool frozen) override {
    if (!cgroup_file_exists(dir_, "cgroup.freeze"))
      throw Error("cannot pause/resume: cgroup.freeze is not supported by this kernel (needs Linux 5.2)");
    write_cgroup_file(dir_, "cgroup.freeze", frozen ? "1" : "0");
    // The kernel says when every process has stopped (or runs again): an event
    // on cgroup.events, bounded by kFreezeWaitMs (a process stuck in the kernel
    // can delay freezing for ever).
    const char* want = frozen ? "frozen 1" : "frozen 0";
    if (wait_cgroup_events(dir_, want, kFreezeWaitMs)) return;
    if (frozen) {
      try { write_cgroup_file(dir_, "cgroup.freeze", "0"); } catch (const Error&) {}
    }
    throw Error(std::string(frozen ? "unable to freeze " : "unable to thaw ") + dir_ + ": cgroup.events did not say \"" +
                want + "\" within " + std::to_string(kFreezeWaitMs / 1000) + " s");
  }
  bool frozen() const override {
    try {
      return read_cgroup_file(dir_, "cgroup.freeze").rfind("1", 0) == 0;
    } catch (const Error&) {
      return false;
    }
  }
  Stats stats() const override { return read_stats_v2(dir_); }
  std::unique_ptr<OomWatch> watch_oom() const override { return watch_oom_v2(dir_); }
  void destroy() override {
    // Killed processes leave the cgroup only when they have fully exited; rmdir
    // is EBUSY until then: remove_tree waits for the kernel's "populated 0".
    remove_tree(dir_);
  }
  std::map<std::string, std::string> dirs() const override { return {{"/sys/fs/cgroup", dir_}}; }
  UniqueFd clone_into_fd() const override {
    // Not O_PATH: clone3 needs a real open file of the directory.
    return UniqueFd(::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  }
  nlohmann::json save() const override { return {{"driver", "v2"}, {"dir", dir_}}; }

 private:
  // Intermediate cgroups must delegate the controllers to their children.
  // One controller per write: a controller the kernel refuses (e.g. EBUSY for
  // a threaded subtree) must not take the others down with it. A refusal is
  // logged; the resource write that needs the controller then fails loudly.
  static void enable_controllers(const std::string& dir) {
    std::string avail, enabled;
    try {
      avail = linux_::read_file(dir + "/cgroup.controllers");
      enabled = " " + linux_::read_file(dir + "/cgroup.subtree_control") + " ";
    } catch (const Error&) {
      return;
    }
    for (char& c : enabled) if (c == '\n') c = ' ';
    size_t i = 0;
    while (i < avail.size()) {
      size_t j = avail.find_first_of(" \n", i);
      if (j == std::string::npos) j = avail.size();
      std::string ctrl = avail.substr(i, j - i);
      i = j + 1;
      if (ctrl.empty() || enabled.find(" " + ctrl + " ") != std::string::npos) continue;
      try {
        linux_::write_file(dir + "/cgroup.subtree_control", "+" + ctrl);
      } catch (const Error& e) {
        log::debug("enable " + ctrl + " in " + dir + ": " + e.what());
      }
    }
  }
  std::string dir_;
};

}  // namespace

std::unique_ptr<Manager> make_v2(const std::string& path) {
  // Relative paths go next to berth's own cgroup, not inside it: v2 refuses to
  // delegate controllers from a cgroup that holds processes (berth's does).
  auto own = own_cgroups();
  std::string base;
  if (path.front() != '/') {
    base = own[""];
    base = base.substr(0, base.rfind('/'));
  }
  return std::make_unique<V2>(join_cgroup("/sys/fs/cgroup", base + "/" + path));
}

std::unique_ptr<Manager> load_v2(const nlohmann::json& saved) {
  return std::make_unique<V2>(saved.at("dir").get<std::string>());
}

}  // namespace berth::cgroups
