#include "berth/linux/proc_tree.hpp"

#include <dirent.h>
#include <unistd.h>

#include <charconv>
#include <memory>
#include <string>

#include "berth/linux/process_attrs.hpp"
#include "berth/util/error.hpp"

namespace berth::linux_ {

pid_t stat_ppid(std::string_view stat) {
  // "pid (comm) S ppid ...": comm may contain spaces and ')', so search from the last ')'.
  size_t rp = stat.rfind(')');
  if (rp == std::string_view::npos || rp + 4 >= stat.size()) return -1;
  size_t i = rp + 4;  // ") S " then ppid
  size_t j = stat.find(' ', i);
  if (j == std::string_view::npos) return -1;
  pid_t p = -1;
  if (std::from_chars(stat.data() + i, stat.data() + j, p).ec != std::errc()) return -1;
  return p;
}

std::vector<pid_t> descendants(pid_t root, const std::multimap<pid_t, pid_t>& children) {
  std::vector<pid_t> out = {root};
  for (size_t k = 0; k < out.size(); ++k) {
    auto [b, e] = children.equal_range(out[k]);
    for (auto it = b; it != e; ++it) out.push_back(it->second);
  }
  return out;
}

std::vector<pid_t> process_tree(pid_t root) {
  if (::access(("/proc/" + std::to_string(root)).c_str(), F_OK) != 0) return {};
  std::multimap<pid_t, pid_t> children;  // ppid -> pid
  DIR* d = ::opendir("/proc");
  if (!d) throw_errno("open /proc");
  std::unique_ptr<DIR, int (*)(DIR*)> guard(d, ::closedir);
  while (dirent* e = ::readdir(d)) {
    pid_t pid = 0;
    std::string_view name = e->d_name;
    auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), pid);
    if (ec != std::errc() || end != name.data() + name.size() || pid <= 0) continue;
    std::string stat;
    try {
      stat = read_file("/proc/" + std::string(name) + "/stat");
    } catch (const Error&) {
      continue;  // exited meanwhile
    }
    pid_t ppid = stat_ppid(stat);
    if (ppid > 0) children.emplace(ppid, pid);
  }
  return descendants(root, children);
}

}  // namespace berth::linux_
