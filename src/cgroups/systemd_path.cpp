// cgroupsPath -> systemd unit and cgroup, with runc's rules (specconv.go,
// systemd/common.go ExpandSlice, getUnitName).
#include <string_view>

#include "berth/cgroups/systemd.hpp"
#include "berth/util/error.hpp"

namespace berth::cgroups {
namespace {

constexpr std::string_view kSliceSuffix = ".slice";

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

bool SystemdPath::is_slice() const { return ends_with(unit, kSliceSuffix); }

std::string expand_slice(const std::string& slice) {
  auto invalid = [&] { return Error("invalid slice name: " + slice); };
  if (!ends_with(slice, kSliceSuffix) || slice.find('/') != std::string::npos) throw invalid();
  std::string base = slice.substr(0, slice.size() - kSliceSuffix.size());
  if (base == "-") return "/";
  if (base.empty()) throw invalid();
  // test-a-b.slice -> /test.slice/test-a.slice/test-a-b.slice; "test--a" or "-test" are refused.
  std::string path, prefix;
  size_t i = 0;
  for (;;) {
    size_t j = base.find('-', i);
    std::string component = base.substr(i, j == std::string::npos ? std::string::npos : j - i);
    if (component.empty()) throw invalid();
    path += "/" + prefix + component + std::string(kSliceSuffix);
    prefix += component + "-";
    if (j == std::string::npos) break;
    i = j + 1;
  }
  return path;
}

void check_unit_name(const std::string& unit) {
  auto bad = [&](const std::string& why) {
    return Error("systemd cgroup driver: invalid unit name \"" + unit + "\": " + why);
  };
  if (unit.size() > 255) throw bad("longer than 255 bytes");
  size_t dot = unit.rfind('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 == unit.size()) throw bad("no unit type suffix");
  for (char c : unit.substr(0, dot)) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ':' ||
              c == '-' || c == '_' || c == '.' || c == '\\' || c == '@';
    if (!ok) throw bad(std::string("character '") + c + "' is not allowed (systemd allows A-Z a-z 0-9 : - _ . \\ @)");
  }
}

SystemdPath parse_systemd_path(const std::string& cgroups_path, const std::string& id) {
  SystemdPath p;
  if (cgroups_path.empty()) {
    p.prefix = "berth";  // runc uses "runc"
    p.name = id;
  } else {
    std::vector<std::string> parts;
    size_t i = 0;
    for (;;) {
      size_t j = cgroups_path.find(':', i);
      parts.push_back(cgroups_path.substr(i, j == std::string::npos ? std::string::npos : j - i));
      if (j == std::string::npos) break;
      i = j + 1;
    }
    if (parts.size() != 3)
      throw Error("expected cgroupsPath to be of format \"slice:prefix:name\" for systemd cgroups, got \"" +
                  cgroups_path + "\" instead");
    p.slice = parts[0];
    p.prefix = parts[1];
    p.name = parts[2];
  }
  if (p.slice.empty()) p.slice = "system.slice";
  if (p.name.empty()) throw Error("cgroupsPath \"" + cgroups_path + "\": the name part (slice:prefix:name) is empty");
  std::string slice_dir = expand_slice(p.slice);
  check_unit_name(p.slice);
  if (ends_with(p.name, kSliceSuffix)) {
    // A slice's place in the tree is its name, whatever the parent part says
    // (runc joins parent + name, which is not where systemd puts it).
    p.unit = p.name;
    check_unit_name(p.unit);
    if (p.unit == "-.slice") throw Error("cgroupsPath \"" + cgroups_path + "\": the root slice -.slice cannot be a container's unit");
    p.cgroup = expand_slice(p.unit);
  } else {
    p.unit = p.prefix + "-" + p.name + ".scope";
    check_unit_name(p.unit);
    p.cgroup = (slice_dir == "/" ? "" : slice_dir) + "/" + p.unit;
  }
  return p;
}

}  // namespace berth::cgroups
