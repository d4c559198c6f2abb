// cgroup v1: one directory per hierarchy. On a hybrid host the unified
// hierarchy (/sys/fs/cgroup/unified) is joined too, as runc does, so that
// tools reading the v2 path still find the container.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>

#include "berth/cgroups/fs.hpp"
#include "berth/cgroups/resources.hpp"
#include "berth/linux/process_attrs.hpp"
#include "berth/util/error.hpp"
#include "berth/util/log.hpp"

namespace berth::cgroups {
namespace {

constexpr const char* kUnified = "/sys/fs/cgroup/unified";

class V1 : public Manager {
 public:
  explicit V1(std::map<std::string, std::string> dirs) : dirs_(std::move(dirs)) {}

  Driver driver() const override { return Driver::V1; }

  void create() override {
    for (const auto& [mnt, dir] : dirs_) {
      bool cpuset = mnt.find("cpuset") != std::string::npos;
      // Usually only the last directory is missing (or, on a hybrid host, the
      // unified one was made for CLONE_INTO_CGROUP already): one mkdir.
      bool made = ::mkdir(dir.c_str(), 0755) == 0;
      if (made || errno == EEXIST) {
        if (cpuset) inherit_cpuset(mnt, dir, made);
        continue;
      }
      if (errno != ENOENT) throw_errno("create cgroup " + dir);
      std::string cur = mnt;
      std::string rel = dir.substr(mnt.size());
      size_t i = 1;
      while (i <= rel.size()) {
        size_t j = rel.find('/', i);
        if (j == std::string::npos) j = rel.size();
        cur += "/" + rel.substr(i, j - i);
        bool made_here = ::mkdir(cur.c_str(), 0755) == 0;
        if (!made_here && errno != EEXIST) throw_errno("create cgroup " + cur);
        // cpuset children start empty; inherit the parent's cpus/mems so tasks can join.
        if (cpuset) inherit_cpuset(mnt, cur, made_here);
        i = j + 1;
      }
    }
  }

  void apply(const oci::Resources& r) override {
    warn_ignored_resources(r);
    apply_v1(dirs_, r);
  }

  void add(pid_t pid) override {
    for (const auto& [mnt, dir] : dirs_) linux_::write_file(dir + "/cgroup.procs", std::to_string(pid));
  }

  // The unified hierarchy of a hybrid host is cgroup2: the init is born in it.
  UniqueFd clone_into_fd() const override {
    auto it = dirs_.find(kUnified);
    if (it == dirs_.end()) return {};
    if (::mkdir(it->second.c_str(), 0755) < 0 && errno != EEXIST) return {};
    // Not O_PATH: clone3 needs a real open file of the directory.
    return UniqueFd(::open(it->second.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  }

  std::vector<UniqueFd> join(pid_t pid, bool born) override {
    std::vector<UniqueFd> tasks;
    for (const auto& [mnt, dir] : dirs_) {
      if (mnt == kUnified) {
        if (!born) linux_::write_file(dir + "/cgroup.procs", std::to_string(pid));
        continue;
      }
      // A delegated (rootless) cgroup may hand over cgroup.procs only: then from outside.
      UniqueFd fd(::open((dir + "/tasks").c_str(), O_WRONLY | O_CLOEXEC | O_NOFOLLOW));
      if (fd) tasks.push_back(std::move(fd));
      else linux_::write_file(dir + "/cgroup.procs", std::to_string(pid));
    }
    return tasks;
  }

  std::vector<pid_t> pids() const override {
    std::vector<pid_t> out;
    std::string dir = pick({"/sys/fs/cgroup/pids", "/sys/fs/cgroup/freezer", "/sys/fs/cgroup/memory"});
    if (!dir.empty()) collect_pids(dir, out);
    return out;
  }

  void freeze(bool frozen) override {
    std::string dir = pick({"/sys/fs/cgroup/freezer"});
    if (dir.empty()) throw Error("cannot pause/resume: the freezer cgroup controller is not mounted on this host");
    if (!frozen) {
      write_cgroup_file(dir, "freezer.state", "THAWED");
      return;
    }
    // A v1 cgroup may stay FREEZING while new tasks keep appearing (fork, exec
    // joining): keep asking, with an occasional thaw and short sleep between
    // attempts (the scheme runc uses), and never leave it half-frozen. v1's
    // freezer.state raises no event: bounded by the count of attempts
    // (~0.2 s of sleeps plus the writes).
    const auto t0 = std::chrono::steady_clock::now();
    try {
      for (int i = 0; i < 1000; ++i) {
        if (i % 50 == 49) {
          write_cgroup_file(dir, "freezer.state", "THAWED");
          ::usleep(10000);
        }
        write_cgroup_file(dir, "freezer.state", "FROZEN");
        if (i % 25 == 24) ::usleep(10);
        std::string st = read_cgroup_file(dir, "freezer.state");
        if (st.rfind("FROZEN", 0) == 0) return;
        if (st.rfind("FREEZING", 0) != 0) throw Error("unexpected freezer state " + st + " while freezing " + dir);
      }
      auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
      throw Error("unable to freeze " + dir + ": still FREEZING after 1000 attempts in " + std::to_string(ms) + " ms");
    } catch (...) {
      try { write_cgroup_file(dir, "freezer.state", "THAWED"); } catch (const Error&) {}
      throw;
    }
  }

  bool frozen() const override {
    std::string dir = pick({"/sys/fs/cgroup/freezer"});
    if (dir.empty()) return false;
    try {
      std::string st = read_cgroup_file(dir, "freezer.state");
      if (st.rfind("THAWED", 0) == 0) return false;
      // FROZEN or FREEZING: paused if we asked for it here, not through an ancestor.
      try {
        return read_cgroup_file(dir, "freezer.self_freezing").rfind("1", 0) == 0;
      } catch (const Error&) {
        return st.rfind("FROZEN", 0) == 0;  // kernels without self_freezing
      }
    } catch (const Error&) {
      return false;
    }
  }

  Stats stats() const override { return read_stats_v1(dirs_); }

  std::unique_ptr<OomWatch> watch_oom() const override { return watch_oom_v1(controller_dir(dirs_, "memory")); }

  void destroy() override {
    for (const auto& [mnt, dir] : dirs_) remove_tree(dir);
  }

  std::map<std::string, std::string> dirs() const override { return dirs_; }

  nlohmann::json save() const override { return {{"driver", "v1"}, {"dirs", dirs_}}; }

 private:
  std::string pick(std::initializer_list<const char*> mounts) const {
    for (const char* m : mounts) {
      auto it = dirs_.find(m);
      if (it != dirs_.end()) return it->second;
    }
    return "";
  }

  // A cpuset directory needs cpus and mems before a task can join it (ENOSPC otherwise): an
  // empty one takes its parent's, the parent filled first the same way up to the hierarchy's
  // root, as runc's ensureParent does (a pod's cgroup someone else made may be empty too).
  // `fresh`: made just now, so certainly empty (no read to find out).
  static void inherit_cpuset(const std::string& mnt, const std::string& dir, bool fresh) {
    if (dir.size() <= mnt.size()) return;
    auto empty = [](const std::string& v) { return v.empty() || v == "\n"; };
    std::string parent = dir.substr(0, dir.rfind('/'));
    for (const char* f : {"cpuset.cpus", "cpuset.mems"}) {
      if (!fresh && !empty(linux_::read_file(dir + "/" + f))) continue;
      std::string value = linux_::read_file(parent + "/" + f);
      if (empty(value) && parent.size() > mnt.size()) {
        inherit_cpuset(mnt, parent, false);
        value = linux_::read_file(parent + "/" + f);
      }
      linux_::write_file(dir + "/" + f, value);
    }
  }

  std::map<std::string, std::string> dirs_;
};

}  // namespace

std::unique_ptr<Manager> make_v1(const std::string& path) {
  auto own = own_cgroups();
  std::map<std::string, std::string> dirs;
  for (const auto& h : host_hierarchies()) {
    std::string key = h.unified ? "" : (h.controllers.empty() ? "" : h.controllers.front());
    if (!h.unified && h.controllers.empty()) continue;
    std::string base = path.front() == '/' ? "" : own[key];
    dirs[h.mountpoint] = join_cgroup(h.mountpoint, base + "/" + path);
  }
  return std::make_unique<V1>(std::move(dirs));
}

std::unique_ptr<Manager> load_v1(const nlohmann::json& saved) {
  return std::make_unique<V1>(saved.at("dirs").get<std::map<std::string, std::string>>());
}

}  // namespace berth::cgroups
