#include "berth/container/rootless.hpp"

#include <unistd.h>

#include "berth/linux/namespaces.hpp"
#include "berth/util/error.hpp"

namespace berth::container {

bool decide_rootless(std::string_view flag, uid_t euid, bool initial_userns) {
  if (flag == "true") return true;
  if (flag == "false") return false;
  if (flag == "auto" || flag.empty()) return euid != 0 || !initial_userns;
  throw Error("--rootless \"" + std::string(flag) + "\": must be true, false or auto");
}

bool rootless_mode(std::string_view flag) {
  // Only auto needs the namespace.
  bool initial = (flag == "auto" || flag.empty()) ? linux_::in_initial_user_namespace() : true;
  return decide_rootless(flag, ::geteuid(), initial);
}

std::string default_state_root(uid_t euid, const char* xdg) {
  if (euid != 0 && xdg && *xdg) return std::string(xdg) + "/berth";
  return "/run/berth";
}

}  // namespace berth::container
