#include "berth/cgroups/rootless.hpp"

#include <cerrno>

namespace berth::cgroups {

std::vector<std::string> requested_limits(const oci::Resources& r) {
  std::vector<std::string> out;
  if (r.memory) out.push_back("memory");
  if (r.cpu) out.push_back("cpu");
  if (r.pids) out.push_back("pids");
  if (r.blockIO) out.push_back("blockIO");
  if (!r.hugepageLimits.empty()) out.push_back("hugepageLimits");
  if (r.network) out.push_back("network");
  if (!r.rdma.empty()) out.push_back("rdma");
  if (!r.unified.empty()) out.push_back("unified");
  return out;
}

bool is_permission_error(int err) { return err == EACCES || err == EPERM || err == EROFS; }

}  // namespace berth::cgroups
