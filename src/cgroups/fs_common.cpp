#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "berth/cgroups/fs.hpp"
#include "berth/linux/namespaces.hpp"
#include "berth/linux/process_attrs.hpp"
#include "berth/linux/safepath.hpp"
#include "berth/util/error.hpp"
#include "berth/util/fd.hpp"

namespace berth::cgroups {

namespace {
std::vector<Hierarchy> read_host_hierarchies() {
  std::vector<Hierarchy> out;
  std::ifstream mi("/proc/self/mountinfo");
  std::string line;
  while (std::getline(mi, line)) {
    auto sep = line.find(" - ");
    if (sep == std::string::npos) continue;
    std::istringstream pre(line.substr(0, sep)), post(line.substr(sep + 3));
    std::string id, parent, dev, root, mnt, fstype, source, superopts;
    pre >> id >> parent >> dev >> root >> mnt;
    post >> fstype >> source >> superopts;
    if (fstype == "cgroup2") {
      out.push_back({mnt, {}, true});
    } else if (fstype == "cgroup") {
      Hierarchy h{mnt, {}, false, {}};
      std::istringstream so(superopts);
      std::string o;
      static const char* kKnown[] = {"cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio",
                                     "pids", "net_cls", "net_prio", "perf_event", "hugetlb", "rdma", "misc"};
      while (std::getline(so, o, ',')) {
        bool known = o.rfind("name=", 0) == 0;
        for (const char* k : kKnown) known = known || o == k;
        if (known) h.controllers.push_back(o);
        if (o != "rw" && o != "ro") h.options += (h.options.empty() ? "" : ",") + o;
      }
      out.push_back(h);
    }
  }
  return out;
}
}  // namespace

const std::vector<Hierarchy>& host_hierarchies() {
  static const std::vector<Hierarchy> cached = read_host_hierarchies();
  return cached;
}

std::map<std::string, std::string> own_cgroups() {
  std::map<std::string, std::string> out;
  std::ifstream f("/proc/self/cgroup");
  std::string line;
  while (std::getline(f, line)) {
    // "ID:controller,list:/path"
    auto a = line.find(':');
    auto b = line.find(':', a + 1);
    if (a == std::string::npos || b == std::string::npos) continue;
    std::string ctrls = line.substr(a + 1, b - a - 1);
    std::string path = line.substr(b + 1);
    if (ctrls.empty()) { out[""] = path; continue; }
    std::istringstream cs(ctrls);
    std::string c;
    while (std::getline(cs, c, ',')) out[c] = path;
  }
  return out;
}

std::string join_cgroup(const std::string& mountpoint, const std::string& path) {
  std::string clean = linux_::clean_path("/" + path);
  return clean == "/" ? mountpoint : mountpoint + clean;
}

void collect_pids(const std::string& dir, std::vector<pid_t>& out) {
  std::ifstream f(dir + "/cgroup.procs");
  pid_t p;
  while (f >> p) out.push_back(p);
  DIR* d = ::opendir(dir.c_str());
  if (!d) return;
  std::unique_ptr<DIR, int (*)(DIR*)> guard(d, ::closedir);
  while (dirent* e = ::readdir(d)) {
    if (e->d_type != DT_DIR || e->d_name[0] == '.') continue;
    collect_pids(dir + "/" + e->d_name, out);
  }
}

void remove_tree(const std::string& dir) {
  // Usually the container made no child cgroups: one rmdir, no listing.
  if (::rmdir(dir.c_str()) == 0 || errno == ENOENT) return;
  DIR* d = ::opendir(dir.c_str());
  if (!d) {
    if (errno == ENOENT) return;
    throw_errno("open cgroup " + dir);
  }
  {
    std::unique_ptr<DIR, int (*)(DIR*)> guard(d, ::closedir);
    while (dirent* e = ::readdir(d)) {
      if (e->d_type != DT_DIR || e->d_name[0] == '.') continue;
      remove_tree(dir + "/" + e->d_name);
    }
  }
  // A cgroup whose last process just exited is EBUSY until the kernel has
  // taken it out. cgroup2 says when (cgroup.events "populated 0", an event);
  // a v1 hierarchy does not: short retries there. Both bounded by kRemoveWaitMs.
  if (::rmdir(dir.c_str()) == 0 || errno == ENOENT) return;
  int err = errno;
  if (err == EBUSY) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kRemoveWaitMs);
    bool event = cgroup_file_exists(dir, "cgroup.events");
    for (;;) {
      auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      if (event) {
        event = false;  // once: if rmdir still fails after "populated 0", retry as on v1
        try {
          wait_cgroup_events(dir, "populated 0", static_cast<int>(left.count()));
        } catch (const Error&) {
        }
      } else {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      if (::rmdir(dir.c_str()) == 0 || errno == ENOENT) return;
      err = errno;
      if (err != EBUSY) break;
    }
  }
  if (err == EBUSY)
    throw_errno("remove cgroup " + dir + " (still busy after " + std::to_string(kRemoveWaitMs / 1000) + " s)", err);
  throw_errno("remove cgroup " + dir, err);
}

bool wait_cgroup_events(const std::string& dir, const std::string& want, int timeout_ms) {
  const std::string path = dir + "/cgroup.events";
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) throw_errno("open " + path);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    // Each read re-arms the event (kernfs: the open file's event count).
    char buf[512];
    ssize_t n = ::pread(fd.get(), buf, sizeof buf - 1, 0);
    if (n < 0) throw_errno("read " + path);
    const std::string content = "\n" + std::string(buf, static_cast<size_t>(n));
    if (content.find("\n" + want + "\n") != std::string::npos) return true;
    auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    // cgroup.events changes raise POLLPRI (a "file modified" event); the bound
    // also covers a kernel that would not raise it.
    pollfd p{fd.get(), POLLPRI, 0};
    int r = ::poll(&p, 1, static_cast<int>(std::min<long long>(left.count(), kEventRecheckMs)));
    if (r < 0 && errno != EINTR) throw_errno("poll " + path);
  }
}

}  // namespace berth::cgroups

namespace berth::cgroups {

std::string controller_dir(const std::map<std::string, std::string>& dirs, const std::string& ctrl) {
  auto it = dirs.find("/sys/fs/cgroup/" + ctrl);
  if (it != dirs.end()) return it->second;
  for (const auto& [mnt, dir] : dirs) {
    std::string base = mnt.substr(mnt.rfind('/') + 1);
    if (("," + base + ",").find("," + ctrl + ",") != std::string::npos) return dir;
  }
  return "";
}

void write_cgroup_file(const std::string& dir, const std::string& file, const std::string& value) {
  std::string path = dir + "/" + file;
  int fd = ::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    int err = errno;
    throw Error("failed to write \"" + value + "\": open " + path + ": " + std::strerror(err), err);
  }
  ssize_t n;
  do {
    n = ::write(fd, value.data(), value.size());
  } while (n < 0 && errno == EINTR);
  int err = errno;
  ::close(fd);
  if (n < 0) throw Error("failed to write \"" + value + "\": write " + path + ": " + std::strerror(err), err);
  if (static_cast<size_t>(n) != value.size())
    throw Error("failed to write \"" + value + "\": write " + path + ": short write", EIO);
}

std::string read_cgroup_file(const std::string& dir, const std::string& file) {
  return linux_::read_file(dir + "/" + file);
}

bool cgroup_file_exists(const std::string& dir, const std::string& file) {
  return !dir.empty() && ::access((dir + "/" + file).c_str(), F_OK) == 0;
}

bool in_user_namespace() { return !linux_::in_initial_user_namespace(); }

}  // namespace berth::cgroups
