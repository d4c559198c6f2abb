#include "berth/cgroups/manager.hpp"

#include <sys/vfs.h>
#include <unistd.h>
#include <linux/magic.h>

#include <fstream>
#include <sstream>

#include "berth/cgroups/fs.hpp"
#include "berth/util/error.hpp"

namespace berth::cgroups {

void join_self(const std::vector<UniqueFd>& tasks_files) {
  for (const auto& t : tasks_files)
    if (::write(t.get(), "0", 1) != 1) throw_errno("join the container's cgroup (write 0 to tasks)");
}

bool host_is_unified() {
  struct statfs st {};
  return ::statfs("/sys/fs/cgroup", &st) == 0 && st.f_type == CGROUP2_SUPER_MAGIC;
}

std::unique_ptr<Manager> make_manager(const std::string& cgroups_path, const std::string& id, bool systemd) {
  if (systemd) return make_systemd(cgroups_path, id);
  std::string path = cgroups_path.empty() ? id : cgroups_path;
  if (path.find(':') != std::string::npos)
    throw Error("cgroupsPath \"" + cgroups_path +
                "\" looks like a systemd slice:prefix:name: use --systemd-cgroup for the systemd cgroup driver");
  if (host_is_unified()) return make_v2(path);
  return make_v1(path);
}

std::unique_ptr<Manager> load_manager(const nlohmann::json& saved) {
  std::string driver = saved.value("driver", "");
  if (driver == "v2") return load_v2(saved);
  if (driver == "v1") return load_v1(saved);
  if (driver == "systemd") return load_systemd(saved);
  throw Error("state.json: unknown cgroup driver \"" + driver + "\"");
}

}  // namespace berth::cgroups
