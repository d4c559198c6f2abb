#include "berth/linux/userns_maps.hpp"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>

#include "berth/linux/namespaces.hpp"
#include "berth/linux/process_attrs.hpp"
#include "berth/util/error.hpp"
#include "berth/util/fd.hpp"

extern char** environ;

namespace berth::linux_ {

MapWriter choose_map_writer(const std::vector<oci::IdMapping>& m, unsigned own_id, bool privileged) {
  if (privileged) return MapWriter::Direct;
  // The kernel lets an unprivileged parent write exactly one line mapping its own id, size 1.
  if (m.size() == 1 && m[0].size == 1 && m[0].hostID == own_id) return MapWriter::Direct;
  return MapWriter::Helper;
}

std::vector<std::string> map_helper_argv(const std::string& helper, pid_t pid, const std::vector<oci::IdMapping>& m) {
  std::vector<std::string> argv = {helper, std::to_string(pid)};
  for (const auto& e : m) {
    argv.push_back(std::to_string(e.containerID));
    argv.push_back(std::to_string(e.hostID));
    argv.push_back(std::to_string(e.size));
  }
  return argv;
}

namespace {

std::string joined(const std::vector<std::string>& argv) {
  std::string s;
  for (const auto& a : argv) s += (s.empty() ? "" : " ") + a;
  return s;
}

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

void write_one(pid_t pid, const char* file, const char* helper, const std::vector<oci::IdMapping>& m, unsigned own_id,
               bool privileged) {
  if (m.empty()) return;
  std::string base = "/proc/" + std::to_string(pid);
  if (choose_map_writer(m, own_id, privileged) == MapWriter::Helper) {
    run_helper(map_helper_argv(helper, pid, m));
    return;
  }
  // Unprivileged: gid_map is writable only once setgroups is denied (else the
  // container could drop supplementary groups that guard files on the host).
  if (!privileged && std::string(file) == "gid_map") write_file(base + "/setgroups", "deny");
  write_file(base + "/" + file, format_id_map(m));
}

}  // namespace

void run_helper(const std::vector<std::string>& argv) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) < 0) throw_errno("pipe for " + argv.at(0));
  UniqueFd rd(p[0]), wr(p[1]);
  posix_spawn_file_actions_t fa;
  ::posix_spawn_file_actions_init(&fa);
  ::posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  ::posix_spawn_file_actions_adddup2(&fa, wr.get(), 1);
  ::posix_spawn_file_actions_adddup2(&fa, wr.get(), 2);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  int err = ::posix_spawnp(&pid, argv[0].c_str(), &fa, nullptr, args.data(), environ);
  ::posix_spawn_file_actions_destroy(&fa);
  if (err != 0) {
    std::string hint = err == ENOENT ? " (install the uidmap package)" : "";
    throw_errno("run " + joined(argv) + hint, err);
  }
  wr.reset();
  std::string out;
  char buf[1024];
  for (;;) {
    ssize_t n = ::read(rd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (out.size() < 4096) out.append(buf, static_cast<size_t>(n));
  }
  int st = 0;
  while (::waitpid(pid, &st, 0) < 0) {
    if (errno != EINTR) throw_errno("wait for " + joined(argv));
  }
  if (WIFEXITED(st) && WEXITSTATUS(st) == 0) return;
  std::string how = WIFEXITED(st) ? "exit status " + std::to_string(WEXITSTATUS(st))
                                  : "killed by signal " + std::to_string(WTERMSIG(st));
  out = trimmed(out);
  throw Error(joined(argv) + ": " + how + (out.empty() ? "" : ": " + out));
}

void write_userns_maps(pid_t pid, const std::vector<oci::IdMapping>& uid, const std::vector<oci::IdMapping>& gid) {
  bool privileged = ::geteuid() == 0;
  write_one(pid, "uid_map", "newuidmap", uid, ::geteuid(), privileged);
  write_one(pid, "gid_map", "newgidmap", gid, ::getegid(), privileged);
}

}  // namespace berth::linux_

namespace berth::linux_ {

namespace {
constexpr uint32_t kIdentityIds = 65536;
}

std::vector<oci::IdMapping> default_id_map(uint32_t id, uint32_t caller_id, const SubIdRange* range) {
  std::vector<oci::IdMapping> m;
  if (range && range->count > 0) {
    uint32_t from = range->start, available = range->count;
    if (id > 0) {
      uint32_t used = std::min(id, available);
      m.push_back({0, from, used});
      from += used;
      available -= used;
    }
    m.push_back({id, caller_id, 1});
    if (available > 0 && id < UINT32_MAX) m.push_back({id + 1, from, std::min(available, UINT32_MAX - id)});
    return m;
  }
  if (caller_id == 0) {
    // The first 65536 ids (at least up to `id`) to themselves: crun maps only
    // 0..id, and a config's devpts gid=5 (runc's and crun's own default spec)
    // then fails to mount with EINVAL.
    m.push_back({0, 0, std::max<uint32_t>(kIdentityIds, id == UINT32_MAX ? UINT32_MAX : id + 1)});
    return m;
  }
  m.push_back({0, caller_id, 1});
  return m;
}

bool find_subid_range(const std::string& text, const std::string& name, SubIdRange& out) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    if (line.size() <= name.size() || line.compare(0, name.size(), name) != 0 || line[name.size()] != ':') continue;
    unsigned long long start = 0, count = 0;
    char tail = 0;
    if (std::sscanf(line.c_str() + name.size() + 1, "%llu:%llu%c", &start, &count, &tail) != 2) continue;
    if (start > UINT32_MAX || count == 0 || count > UINT32_MAX - start) continue;
    out = {static_cast<uint32_t>(start), static_cast<uint32_t>(count)};
    return true;
  }
  return false;
}

namespace {

std::vector<oci::IdMapping> default_map_for(bool uid, uint32_t id) {
  const uint32_t caller = uid ? ::geteuid() : ::getegid();
  std::string name;
  if (uid) {
    if (const passwd* pw = ::getpwuid(caller)) name = pw->pw_name;
  } else {
    if (const group* gr = ::getgrgid(caller)) name = gr->gr_name;
  }
  SubIdRange range;
  bool have = false;
  if (!name.empty()) {
    std::string text;
    try {
      text = read_file(uid ? "/etc/subuid" : "/etc/subgid");
    } catch (const Error&) {
      // No such file: no subordinate ids.
    }
    have = find_subid_range(text, name, range);
  }
  return default_id_map(id, caller, have ? &range : nullptr);
}

}  // namespace

void fill_default_id_maps(oci::Spec& spec) {
  const oci::Namespace* user = spec.find_namespace(oci::NamespaceType::User);
  if (!user || !user->path.empty() || !spec.linux) return;
  const oci::User& u = spec.process ? spec.process->user : oci::User{};
  if (spec.linux->uidMappings.empty()) spec.linux->uidMappings = default_map_for(true, u.uid);
  if (spec.linux->gidMappings.empty()) spec.linux->gidMappings = default_map_for(false, u.gid);
}

}  // namespace berth::linux_
