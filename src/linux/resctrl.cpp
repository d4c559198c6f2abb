// linux.intelRdt: see resctrl.hpp.
#include "berth/linux/resctrl.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "berth/linux/process_attrs.hpp"
#include "berth/util/error.hpp"
#include "berth/util/fd.hpp"

namespace berth::linux_ {
namespace {

std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(line);
  return out;
}

std::string without_spaces(std::string s) {
  std::erase_if(s, [](char c) { return c == ' ' || c == '\t'; });
  return s;
}

bool wants_monitoring(const oci::IntelRdt& rdt) { return rdt.enableMonitoring || rdt.enableCMT || rdt.enableMBM; }

// resctrl files exist once the group does, and take one line per write; O_CREAT and
// O_APPEND only matter for a test's directory.
void put(const std::string& path, const std::string& value) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644));
  if (!fd) throw_errno("linux.intelRdt: open " + path);
  std::string v = value + "\n";
  if (::write(fd.get(), v.data(), v.size()) != static_cast<ssize_t>(v.size()))
    throw_errno("linux.intelRdt: write \"" + value + "\" to " + path);
}

bool make_dir(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0755) == 0) return true;
  if (errno == EEXIST) return false;
  throw_errno("linux.intelRdt: create resctrl group " + dir);
}

}  // namespace

std::string resctrl_mount() {
  std::ifstream in("/proc/self/mountinfo");
  for (std::string line; std::getline(in, line);) {
    // ... mountpoint ... - fstype source options
    size_t dash = line.find(" - ");
    if (dash == std::string::npos || line.compare(dash + 3, 8, "resctrl ") != 0) continue;
    std::istringstream f(line.substr(0, dash));
    std::string id, parent, devno, root, mountpoint;
    f >> id >> parent >> devno >> root >> mountpoint;
    return mountpoint;
  }
  return "";
}

void require_resctrl(const std::string& root) {
  if (!root.empty()) return;
  bool known = false;
  try {
    known = read_file("/proc/filesystems").find("\tresctrl\n") != std::string::npos;
  } catch (const Error&) {
  }
  throw Error(std::string("linux.intelRdt: Intel RDT is not available on this host: ") +
                  (known ? "no resctrl file system is mounted (mount -t resctrl resctrl /sys/fs/resctrl)"
                         : "the kernel has no resctrl file system (/proc/filesystems; needs CONFIG_X86_CPU_RESCTRL "
                           "and a CPU with RDT)"),
              ENODEV);
}

std::vector<std::string> rdt_schema_lines(const oci::IntelRdt& rdt) {
  std::vector<std::string> out;
  for (const auto& line : lines_of(rdt.l3CacheSchema))
    if (rdt.memBwSchema.empty() || !line.starts_with("MB:")) out.push_back(line);
  if (!rdt.memBwSchema.empty()) out.push_back(rdt.memBwSchema);
  for (const auto& s : rdt.schemata)
    for (const auto& line : lines_of(s)) out.push_back(line);
  return out;
}

std::string rdt_group_dir(const std::string& root, const std::string& id, const oci::IntelRdt& rdt) {
  return root + "/" + (rdt.closID.empty() ? id : rdt.closID);
}

void join_intel_rdt(const std::string& root, const std::string& id, const oci::IntelRdt& rdt, pid_t pid) {
  require_resctrl(root);
  const std::string dir = rdt_group_dir(root, id, rdt);
  const bool legacy = !rdt.l3CacheSchema.empty() || !rdt.memBwSchema.empty();
  const bool any_schema = legacy || !rdt.schemata.empty();
  if (!rdt.closID.empty() && !any_schema) {
    struct stat st {};
    if (::stat(dir.c_str(), &st) < 0 || !S_ISDIR(st.st_mode))
      throw Error("linux.intelRdt.closID \"" + rdt.closID + "\": no such resctrl group " + dir +
                      " (without schemata berth only joins a group that exists)",
                  ENOENT);
  }
  const bool made = make_dir(dir);
  if (legacy && !made && !rdt.closID.empty()) {
    // A shared group keeps its schemata: ours must already be there.
    std::vector<std::string> have;
    for (const auto& l : lines_of(read_file(dir + "/schemata"))) have.push_back(without_spaces(l));
    oci::IntelRdt only_legacy = rdt;
    only_legacy.schemata.clear();
    for (const auto& want : rdt_schema_lines(only_legacy))
      if (std::find(have.begin(), have.end(), without_spaces(want)) == have.end())
        throw Error("linux.intelRdt: resctrl group " + dir + " exists with other schemata: \"" + want +
                        "\" is not in its schemata file",
                    EEXIST);
  } else {
    oci::IntelRdt only_legacy = rdt;
    only_legacy.schemata.clear();
    for (const auto& line : rdt_schema_lines(only_legacy)) put(dir + "/schemata", line);
  }
  // runtime-spec: schemata last, after l3CacheSchema and memBwSchema.
  for (const auto& s : rdt.schemata)
    for (const auto& line : lines_of(s)) put(dir + "/schemata", line);
  put(dir + "/tasks", std::to_string(pid));
  if (wants_monitoring(rdt)) {
    const std::string mon = dir + "/mon_groups/" + id;
    make_dir(mon);
    put(mon + "/tasks", std::to_string(pid));
  }
}

void add_to_intel_rdt(const std::string& root, const std::string& id, const oci::IntelRdt& rdt, pid_t pid) {
  require_resctrl(root);
  const std::string dir = rdt_group_dir(root, id, rdt);
  put(dir + "/tasks", std::to_string(pid));
  if (wants_monitoring(rdt)) put(dir + "/mon_groups/" + id + "/tasks", std::to_string(pid));
}

std::string leave_intel_rdt(const std::string& root, const std::string& id, const oci::IntelRdt& rdt) {
  if (root.empty()) return "";
  const std::string dir = rdt_group_dir(root, id, rdt);
  // The group named after the container is ours (its mon_groups go with it); a closID group is shared.
  const std::string ours = rdt.closID.empty() ? dir : (wants_monitoring(rdt) ? dir + "/mon_groups/" + id : "");
  if (ours.empty() || ::rmdir(ours.c_str()) == 0 || errno == ENOENT) return "";
  return "linux.intelRdt: remove resctrl group " + ours + ": " + std::strerror(errno);
}

}  // namespace berth::linux_
