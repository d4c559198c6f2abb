#include "oom_watch.hpp"

#include <fstream>

#include <nlohmann/json.hpp>

#include "berth/cgroups/fs.hpp"
#include "berth/util/error.hpp"

namespace berth::shim {

std::unique_ptr<cgroups::OomWatch> open_oom_watch(const std::string& root, const std::string& id) {
  std::string path = root + "/" + id + "/state.json";
  std::ifstream f(path);
  if (!f) throw Error("open " + path + ": cannot read it");
  auto j = nlohmann::json::parse(f, nullptr, false);
  if (!j.is_object()) throw Error(path + ": not JSON");
  auto cg = j.value("cgroup", nlohmann::json());
  if (!cg.is_object()) return nullptr;  // made without a cgroup (rootless)
  std::string driver = cg.value("driver", "");
  if (driver == "v1" && cg.contains("dirs") && cg["dirs"].is_object()) {
    auto dirs = cg["dirs"].get<std::map<std::string, std::string>>();
    std::string mem = cgroups::controller_dir(dirs, "memory");
    return mem.empty() ? nullptr : cgroups::watch_oom_v1(mem);
  }
  if (driver == "v2" && cg.contains("dir") && cg["dir"].is_string()) return cgroups::watch_oom_v2(cg["dir"]);
  if (driver == "systemd" && cg.contains("cgroup") && cg["cgroup"].is_string())
    return cgroups::watch_oom_v2("/sys/fs/cgroup" + cg["cgroup"].get<std::string>());
  return nullptr;
}

}  // namespace berth::shim
