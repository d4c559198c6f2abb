#include "container_cgroup.hpp"

#include <fstream>

#include <nlohmann/json.hpp>

#include "berth/util/error.hpp"

namespace berth::shim {

ContainerCgroup container_cgroup(const std::string& root, const std::string& id) {
  std::string path = root + "/" + id + "/state.json";
  std::ifstream f(path);
  if (!f) throw Error("open " + path + ": cannot read it");
  auto j = nlohmann::json::parse(f, nullptr, false);
  if (!j.is_object()) throw Error(path + ": not JSON");
  ContainerCgroup out;
  auto cg = j.value("cgroup", nlohmann::json());
  if (!cg.is_object()) return out;
  std::string driver = cg.value("driver", "");
  if (driver == "v1" && cg.contains("dirs") && cg["dirs"].is_object()) {
    for (const auto& [k, v] : cg["dirs"].items())
      if (v.is_string()) out.v1_dirs[k] = v.get<std::string>();
    out.kind = ContainerCgroup::Kind::V1;
  } else if (driver == "v2" && cg.contains("dir") && cg["dir"].is_string()) {
    out.v2_dir = cg["dir"].get<std::string>();
    out.kind = ContainerCgroup::Kind::V2;
  } else if (driver == "systemd" && cg.contains("cgroup") && cg["cgroup"].is_string()) {
    out.v2_dir = "/sys/fs/cgroup" + cg["cgroup"].get<std::string>();
    out.kind = ContainerCgroup::Kind::V2;
  }
  return out;
}

}  // namespace berth::shim
