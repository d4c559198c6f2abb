#include "berth/linux/mount_flags.hpp"

#include <linux/mount.h>
#include <sys/mount.h>
#include <sys/statvfs.h>

#include <string_view>
#include <utility>

#include "berth/util/error.hpp"

namespace berth::linux_ {
namespace {

struct FlagOpt {
  std::string_view name;
  bool clear;  // true: the option clears the flag ("rw", "dev", ...)
  unsigned long flag;
};

constexpr FlagOpt kFlags[] = {
    {"async", true, MS_SYNCHRONOUS},  {"atime", true, MS_NOATIME},
    {"defaults", false, 0},           {"dev", true, MS_NODEV},
    {"diratime", true, MS_NODIRATIME}, {"dirsync", false, MS_DIRSYNC},
    {"exec", true, MS_NOEXEC},        {"iversion", false, MS_I_VERSION},
    {"lazytime", false, MS_LAZYTIME}, {"loud", true, MS_SILENT},
    {"mand", false, MS_MANDLOCK},     {"noatime", false, MS_NOATIME},
    {"nodev", false, MS_NODEV},       {"nodiratime", false, MS_NODIRATIME},
    {"noexec", false, MS_NOEXEC},     {"noiversion", true, MS_I_VERSION},
    {"nolazytime", true, MS_LAZYTIME}, {"nomand", true, MS_MANDLOCK},
    {"norelatime", true, MS_RELATIME}, {"nostrictatime", true, MS_STRICTATIME},
    {"nosuid", false, MS_NOSUID},     {"nosymfollow", false, MS_NOSYMFOLLOW},
    {"relatime", false, MS_RELATIME}, {"remount", false, MS_REMOUNT},
    {"ro", false, MS_RDONLY},         {"rw", true, MS_RDONLY},
    {"silent", false, MS_SILENT},     {"strictatime", false, MS_STRICTATIME},
    {"suid", true, MS_NOSUID},        {"symfollow", true, MS_NOSYMFOLLOW},
    {"sync", false, MS_SYNCHRONOUS},
};

struct PropOpt {
  std::string_view name;
  unsigned long flag;
};

constexpr PropOpt kPropagation[] = {
    {"private", MS_PRIVATE},          {"rprivate", MS_PRIVATE | MS_REC},
    {"shared", MS_SHARED},            {"rshared", MS_SHARED | MS_REC},
    {"slave", MS_SLAVE},              {"rslave", MS_SLAVE | MS_REC},
    {"unbindable", MS_UNBINDABLE},    {"runbindable", MS_UNBINDABLE | MS_REC},
};

struct RecOpt {
  std::string_view name;
  bool clear;
  unsigned long long attr;
};

// Recursive variants, applied with mount_setattr(AT_RECURSIVE).
constexpr RecOpt kRecursive[] = {
    {"rro", false, MOUNT_ATTR_RDONLY},         {"rrw", true, MOUNT_ATTR_RDONLY},
    {"rnosuid", false, MOUNT_ATTR_NOSUID},     {"rsuid", true, MOUNT_ATTR_NOSUID},
    {"rnodev", false, MOUNT_ATTR_NODEV},       {"rdev", true, MOUNT_ATTR_NODEV},
    {"rnoexec", false, MOUNT_ATTR_NOEXEC},     {"rexec", true, MOUNT_ATTR_NOEXEC},
    {"rnodiratime", false, MOUNT_ATTR_NODIRATIME}, {"rdiratime", true, MOUNT_ATTR_NODIRATIME},
    {"rrelatime", false, MOUNT_ATTR_RELATIME}, {"rnorelatime", true, MOUNT_ATTR_RELATIME},
    {"rnoatime", false, MOUNT_ATTR_NOATIME},   {"ratime", true, MOUNT_ATTR_NOATIME},
    {"rstrictatime", false, MOUNT_ATTR_STRICTATIME}, {"rnostrictatime", true, MOUNT_ATTR_STRICTATIME},
    {"rnosymfollow", false, MOUNT_ATTR_NOSYMFOLLOW}, {"rsymfollow", true, MOUNT_ATTR_NOSYMFOLLOW},
};

}  // namespace

unsigned long propagation_flag(const std::string& name) {
  for (const auto& p : kPropagation)
    if (p.name == name) return p.flag;
  return 0;
}

unsigned long mount_flags_of(const std::string& path) {
  struct statvfs st {};
  // An error, not "no flags": the lock rules would then keep nothing of the source's.
  if (::statvfs(path.c_str(), &st) < 0) throw_errno("statvfs " + path);
  constexpr std::pair<unsigned long, unsigned long> kSt[] = {
      {ST_RDONLY, MS_RDONLY},   {ST_NOSUID, MS_NOSUID},         {ST_NODEV, MS_NODEV},
      {ST_NOEXEC, MS_NOEXEC},   {ST_NOATIME, MS_NOATIME},       {ST_NODIRATIME, MS_NODIRATIME},
      {ST_RELATIME, MS_RELATIME},
  };
  unsigned long f = 0;
  for (auto [st_flag, ms_flag] : kSt)
    if (st.f_flag & st_flag) f |= ms_flag;
  return f;
}

namespace {

constexpr unsigned long kLockable = MS_RDONLY | MS_NODEV | MS_NOSUID | MS_NOEXEC;
constexpr unsigned long kAtimeAsked = MS_NOATIME | MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME;

// The atime setting (MS_NOATIME|MS_NODIRATIME|MS_RELATIME) mount(2) makes of these flags.
unsigned long atime_made(unsigned long f) {
  unsigned long m = (f & MS_NOATIME) ? MS_NOATIME : MS_RELATIME;  // relatime is the default
  if (f & MS_NODIRATIME) m |= MS_NODIRATIME;
  if (f & MS_STRICTATIME) m &= ~(MS_RELATIME | MS_NOATIME);
  return m;
}

std::string flag_names(unsigned long f) {
  constexpr std::pair<unsigned long, std::string_view> kNames[] = {
      {MS_RDONLY, "ro"}, {MS_NODEV, "nodev"}, {MS_NOSUID, "nosuid"}, {MS_NOEXEC, "noexec"},
      {MS_NOATIME, "noatime"}, {MS_NODIRATIME, "nodiratime"}, {MS_RELATIME, "relatime"},
  };
  std::string s;
  for (auto [flag, name] : kNames)
    if (f & flag) s += (s.empty() ? "" : ",") + std::string(name);
  return s.empty() ? "strictatime" : s;
}

}  // namespace

LockedRemount remount_over_locked(unsigned long want, unsigned long cleared, unsigned long source) {
  LockedRemount r;
  if (unsigned long lost = cleared & source & kLockable) {
    r.refused = "the source mount's " + flag_names(lost) + " is locked in the container's user namespace";
    return r;
  }
  const unsigned long src_atime = source & (MS_NOATIME | MS_NODIRATIME | MS_RELATIME);
  if ((want & kAtimeAsked) && atime_made(want) != src_atime) {
    r.refused = "the source mount's atime setting (" + flag_names(src_atime) +
                ") is locked in the container's user namespace";
    return r;
  }
  r.flags = want | (source & kLockable);
  return r;
}

MountFlags parse_mount_options(const std::vector<std::string>& options) {
  MountFlags m;
  for (const auto& opt : options) {
    if (opt == "bind" || opt == "rbind") {
      m.bind = true;
      m.recursive_bind = m.recursive_bind || opt == "rbind";
      continue;
    }
    if (opt == "tmpcopyup") { m.tmpcopyup = true; continue; }
    if (opt == "idmap" || opt == "ridmap") {
      m.idmap = true;
      m.recursive_idmap = m.recursive_idmap || opt == "ridmap";
      continue;
    }
    bool matched = false;
    for (const auto& f : kFlags) {
      if (f.name != opt) continue;
      if (f.clear) { m.flags &= ~f.flag; m.clear |= f.flag; }
      else { m.flags |= f.flag; m.clear &= ~f.flag; }
      matched = true;
      break;
    }
    if (!matched) {
      if (unsigned long p = propagation_flag(opt)) { m.propagation |= p; matched = true; }
    }
    if (!matched) {
      for (const auto& r : kRecursive) {
        if (r.name != opt) continue;
        if (r.clear) { m.rec_clear |= r.attr; m.rec_set &= ~r.attr; }
        else { m.rec_set |= r.attr; m.rec_clear &= ~r.attr; }
        matched = true;
        break;
      }
    }
    if (!matched) {
      if (!m.data.empty()) m.data += ',';
      m.data += opt;
    }
  }
  return m;
}

}  // namespace berth::linux_
