#include "berth/container/exec_cgroup.hpp"

#include <map>
#include <set>
#include <sstream>

#include "berth/util/error.hpp"

namespace berth::container {
namespace {

// "a/./b" -> "a/b"; "" or "/" -> ""; any ".." that would climb out: refused.
std::string clean_sub_path(const std::string& path) {
  std::vector<std::string> parts;
  std::stringstream ss(path);
  std::string part;
  while (std::getline(ss, part, '/')) {
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (parts.empty()) throw Error("exec --cgroup: " + path + " is not a sub cgroup path (it leaves the container's cgroup)");
      parts.pop_back();
      continue;
    }
    parts.push_back(part);
  }
  std::string out;
  for (const auto& p : parts) out += "/" + p;
  return out;
}

// The controllers of a v1 hierarchy from its mount point ("/sys/fs/cgroup/cpu,cpuacct").
std::set<std::string> controllers_of(const std::string& mount) {
  std::set<std::string> out;
  std::string base = mount.substr(mount.rfind('/') + 1);
  std::stringstream ss(base);
  std::string c;
  while (std::getline(ss, c, ',')) {
    if (c.rfind("name=", 0) == 0) c = c.substr(5);
    out.insert(c);
  }
  return out;
}

}  // namespace

nlohmann::json sub_cgroup(const nlohmann::json& saved, const std::vector<std::string>& args) {
  if (saved.is_null()) throw Error("exec --cgroup: the container has no cgroup");
  const std::string driver = saved.value("driver", "");
  // controller ("" = every hierarchy) -> path
  std::map<std::string, std::string> wanted;
  for (const auto& a : args) {
    auto colon = a.find(':');
    std::string path = clean_sub_path(colon == std::string::npos ? a : a.substr(colon + 1));
    if (colon == std::string::npos) {
      wanted[""] = path;
      continue;
    }
    std::stringstream ss(a.substr(0, colon));
    std::string c;
    while (std::getline(ss, c, ',')) {
      if (c.empty()) throw Error("exec --cgroup " + a + ": empty controller name");
      wanted[c] = path;
    }
  }
  if (driver == "v2" || driver == "systemd") {
    for (const auto& [c, p] : wanted)
      if (!c.empty())
        throw Error("exec --cgroup: cgroup v2 has one hierarchy: give a path without controllers (not \"" + c + ":\")");
    std::string dir = driver == "v2" ? saved.at("dir").get<std::string>()
                                     : "/sys/fs/cgroup" + saved.at("cgroup").get<std::string>();
    return {{"driver", "v2"}, {"dir", dir + wanted[""]}};
  }
  if (driver != "v1") throw Error("exec --cgroup: unknown cgroup driver \"" + driver + "\"");
  auto dirs = saved.at("dirs").get<std::map<std::string, std::string>>();
  std::set<std::string> known;
  for (const auto& [mount, dir] : dirs)
    for (const auto& c : controllers_of(mount)) known.insert(c);
  for (const auto& [c, p] : wanted)
    if (!c.empty() && !known.count(c)) throw Error("exec --cgroup: unknown controller \"" + c + "\"");
  for (auto& [mount, dir] : dirs) {
    std::string sub;
    bool set = false;
    for (const auto& c : controllers_of(mount)) {
      auto it = wanted.find(c);
      if (it != wanted.end()) {
        sub = it->second;
        set = true;
      }
    }
    if (!set) {
      auto all = wanted.find("");
      if (all != wanted.end()) sub = all->second;
    }
    dir += sub;
  }
  return {{"driver", "v1"}, {"dirs", dirs}};
}

}  // namespace berth::container
