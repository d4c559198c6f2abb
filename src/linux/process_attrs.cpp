#include "berth/linux/process_attrs.hpp"

#include <fcntl.h>
#include <grp.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string_view>

#include "berth/linux/procfs.hpp"
#include "berth/util/error.hpp"
#include "berth/util/fd.hpp"

namespace berth::linux_ {
namespace {
struct RlimitName {
  std::string_view name;
  int resource;
};
constexpr RlimitName kRlimits[] = {
    {"RLIMIT_AS", RLIMIT_AS},           {"RLIMIT_CORE", RLIMIT_CORE},
    {"RLIMIT_CPU", RLIMIT_CPU},         {"RLIMIT_DATA", RLIMIT_DATA},
    {"RLIMIT_FSIZE", RLIMIT_FSIZE},     {"RLIMIT_LOCKS", RLIMIT_LOCKS},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK}, {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
    {"RLIMIT_NICE", RLIMIT_NICE},       {"RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"RLIMIT_NPROC", RLIMIT_NPROC},     {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},   {"RLIMIT_RTTIME", RLIMIT_RTTIME},
    {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING}, {"RLIMIT_STACK", RLIMIT_STACK},
};
}  // namespace

int rlimit_number(const std::string& name) {
  for (const auto& r : kRlimits)
    if (r.name == name) return r.resource;
  return -1;
}

void apply_rlimits(pid_t pid, const std::vector<oci::Rlimit>& rlimits) {
  for (const auto& r : rlimits) {
    int res = rlimit_number(r.type);
    if (res < 0) throw Error("unknown rlimit \"" + r.type + "\"");
    struct rlimit lim {static_cast<rlim_t>(r.soft), static_cast<rlim_t>(r.hard)};
    if (::prlimit(pid, static_cast<__rlimit_resource>(res), &lim, nullptr) < 0) {
      int err = errno;
      std::string why;
      if (err == EPERM) why = " (raising a hard limit needs CAP_SYS_RESOURCE)";
      throw_errno("setrlimit " + r.type + " soft=" + std::to_string(r.soft) + " hard=" +
                      std::to_string(r.hard) + why, err);
    }
  }
}

// A terminal on the process's stdio (the container's pty, or one the caller
// passed) becomes the process's, keeping its group (devpts' gid=5): runc's
// fixStdioPermissions, limited to character devices (never a host file the
// caller redirected to) and never the null device. An owner or group not
// mapped in the user namespace (EINVAL, EPERM) is left alone, as in runc.
static void give_terminal_to(uid_t uid) {
  struct stat null_st {};
  const bool have_null = ::stat("/dev/null", &null_st) == 0;
  for (int fd = 0; fd <= 2; ++fd) {
    struct stat st {};
    if (::fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode) || st.st_uid == uid) continue;
    if (have_null && st.st_rdev == null_st.st_rdev) continue;
    if (::fchown(fd, uid, st.st_gid) < 0 && errno != EINVAL && errno != EPERM)
      throw_errno("chown stdio fd " + std::to_string(fd) + " to uid " + std::to_string(uid));
  }
}

bool keep_original_groups(const std::map<std::string, std::string>& annotations, const oci::User& user,
                          const std::string& what) {
  auto it = annotations.find("run.oci.keep_original_groups");
  if (it == annotations.end() || it->second == "0") return false;
  if (!user.additionalGids.empty())
    throw Error(what + ": additionalGids cannot apply with the annotation run.oci.keep_original_groups (the "
                       "supplementary groups are kept as they are)");
  return true;
}

void apply_user(const oci::User& user, bool keep_groups) {
  give_terminal_to(user.uid);
  // In a user namespace with setgroups denied, setgroups fails with EPERM; runc skips it then.
  std::vector<gid_t> groups(user.additionalGids.begin(), user.additionalGids.end());
  if (!keep_groups && ::setgroups(groups.size(), groups.data()) < 0) {
    bool denied = false;
    if (errno == EPERM) {
      try { denied = read_file("/proc/self/setgroups").rfind("deny", 0) == 0; } catch (const Error&) {}
    }
    if (!denied) throw_errno("setgroups");
  }
  if (::setresgid(user.gid, user.gid, user.gid) < 0) throw_errno("setgid " + std::to_string(user.gid));
  if (::setresuid(user.uid, user.uid, user.uid) < 0) throw_errno("setuid " + std::to_string(user.uid));
}

void write_oom_score_adj(pid_t pid, int adj) {
  std::string path = pid ? "/proc/" + std::to_string(pid) + "/oom_score_adj" : "/proc/self/oom_score_adj";
  std::string what = "oom_score_adj " + std::to_string(adj) + ": ";
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) throw_errno(what + "open " + path);
  std::string data = std::to_string(adj);
  if (::write(fd.get(), data.data(), data.size()) < 0) {
    int err = errno;
    // The kernel answers EACCES for a value below the process's minimum (oom_score_adj_min).
    throw_errno(what + "write " + path + (err == EACCES ? " (lowering oom_score_adj needs CAP_SYS_RESOURCE)" : ""), err);
  }
}

void apply_sysctl(const std::map<std::string, std::string>& sysctl) {
  for (const auto& [key, value] : sysctl) {
    std::string rel = key;
    for (char& c : rel) if (c == '.') c = '/';
    if (rel.find("..") != std::string::npos) throw Error("sysctl \"" + key + "\": invalid name");
    // Into procfs's own file, never one a config mount put there (procfs.hpp, CVE-2025-52881).
    try {
      write_procfs("sys/" + rel, value);
    } catch (const Error& e) {
      throw Error("sysctl " + key + "=" + value + ": " + e.what(), e.code());
    }
  }
}

void write_file(const std::string& path, const std::string& data) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd) throw_errno("open " + path);
  ssize_t n = ::write(fd.get(), data.data(), data.size());
  if (n < 0) throw_errno("write " + path);
  if (static_cast<size_t>(n) != data.size()) throw Error("write " + path + ": short write");
}

void read_chunks(const std::string& path, std::span<char> buf, const std::function<void(std::string_view)>& fn) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) throw_errno("open " + path);
  for (;;) {
    ssize_t n = ::read(fd.get(), buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("read " + path);
    }
    if (n == 0) break;
    fn(std::string_view(buf.data(), static_cast<size_t>(n)));
  }
}

std::string read_file(const std::string& path) {
  std::string out;
  char buf[4096];
  read_chunks(path, buf, [&](std::string_view chunk) { out.append(chunk); });
  return out;
}

}  // namespace berth::linux_
