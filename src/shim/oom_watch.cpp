#include "oom_watch.hpp"

#include "berth/cgroups/fs.hpp"
#include "container_cgroup.hpp"

namespace berth::shim {

std::unique_ptr<cgroups::OomWatch> open_oom_watch(const std::string& root, const std::string& id) {
  ContainerCgroup cg = container_cgroup(root, id);
  if (cg.kind == ContainerCgroup::Kind::V1) {
    std::string mem = cgroups::controller_dir(cg.v1_dirs, "memory");
    return mem.empty() ? nullptr : cgroups::watch_oom_v1(mem);
  }
  if (cg.kind == ContainerCgroup::Kind::V2) return cgroups::watch_oom_v2(cg.v2_dir);
  return nullptr;
}

}  // namespace berth::shim
