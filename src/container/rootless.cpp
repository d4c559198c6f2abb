#include "berth/container/rootless.hpp"

#include <unistd.h>

#include <sstream>

#include "berth/linux/process_attrs.hpp"
#include "berth/util/error.hpp"

namespace berth::container {

bool is_initial_uid_map(std::string_view uid_map) {
  std::istringstream in{std::string(uid_map)};
  unsigned long long inside = 1, outside = 1, count = 0;
  if (!(in >> inside >> outside >> count)) return false;
  std::string more;
  return inside == 0 && outside == 0 && count == 4294967295ULL && !(in >> more);
}

bool decide_rootless(std::string_view flag, uid_t euid, bool initial_userns) {
  if (flag == "true") return true;
  if (flag == "false") return false;
  if (flag == "auto" || flag.empty()) return euid != 0 || !initial_userns;
  throw Error("--rootless \"" + std::string(flag) + "\": must be true, false or auto");
}

bool rootless_mode(std::string_view flag) {
  bool initial = true;
  // Only auto needs the namespace; an unreadable map (no /proc) counts as initial.
  if (flag == "auto" || flag.empty()) {
    try {
      initial = is_initial_uid_map(linux_::read_file("/proc/self/uid_map"));
    } catch (const Error&) {
    }
  }
  return decide_rootless(flag, ::geteuid(), initial);
}

std::string default_state_root(uid_t euid, const char* xdg) {
  if (euid != 0 && xdg && *xdg) return std::string(xdg) + "/berth";
  return "/run/berth";
}

}  // namespace berth::container
