#include "berth/process/exec_check.hpp"

#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "berth/util/error.hpp"
#include "berth/util/fd.hpp"

namespace berth::process {
namespace {

std::string path_env(const std::vector<std::string>& env) {
  for (const auto& e : env)
    if (e.rfind("PATH=", 0) == 0) return e.substr(5);
  return "";
}

// The first line of a script, or the PT_INTERP of a dynamic ELF, must exist too.
std::string check_loader(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return "";  // unreadable but maybe executable (--x): let execve decide
  // One read covers the ELF header and, in practice, the program headers after it.
  char head[1024];
  ssize_t n = ::pread(fd.get(), head, sizeof head - 1, 0);
  if (n <= 0) return "";
  head[n] = 0;
  if (n > 2 && head[0] == '#' && head[1] == '!') {
    std::string line(head + 2, strcspn(head + 2, "\n"));
    bool crlf = !line.empty() && line.back() == '\r';
    size_t b = line.find_first_not_of(" \t");
    if (b == std::string::npos) return "";
    std::string interp = line.substr(b, line.find_first_of(" \t\r", b) - b);
    if (crlf && line.find_first_of(" \t", b) == std::string::npos) {
      return "\"" + path + "\" has a CRLF (Windows) line ending after its interpreter \"" + interp +
             "\"; convert the script to LF line endings";
    }
    if (::access(interp.c_str(), F_OK) != 0)
      return "interpreter \"" + interp + "\" of script \"" + path + "\" does not exist";
    return "";
  }
  if (n >= static_cast<ssize_t>(sizeof(Elf64_Ehdr)) && std::memcmp(head, ELFMAG, SELFMAG) == 0 &&
      head[EI_CLASS] == ELFCLASS64) {
    Elf64_Ehdr eh;
    std::memcpy(&eh, head, sizeof eh);
    for (int i = 0; i < eh.e_phnum && i < 64; ++i) {
      Elf64_Phdr ph;
      uint64_t off = eh.e_phoff + static_cast<uint64_t>(i) * eh.e_phentsize;
      if (off + sizeof ph <= static_cast<uint64_t>(n)) std::memcpy(&ph, head + off, sizeof ph);
      else if (::pread(fd.get(), &ph, sizeof ph, static_cast<off_t>(off)) != sizeof ph) break;
      if (ph.p_type != PT_INTERP || ph.p_filesz == 0 || ph.p_filesz > 4096) continue;
      std::string interp(ph.p_filesz, '\0');
      if (::pread(fd.get(), interp.data(), ph.p_filesz, static_cast<off_t>(ph.p_offset)) !=
          static_cast<ssize_t>(ph.p_filesz))
        break;
      interp.resize(strnlen(interp.c_str(), interp.size()));
      if (::access(interp.c_str(), F_OK) != 0)
        return "dynamic loader \"" + interp + "\" of \"" + path +
               "\" does not exist (a binary built for another libc or architecture?)";
    }
  }
  return "";
}

ExecTarget check_candidate(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) < 0) {
    int err = errno;
    return {path, "exec: \"" + path + "\": stat " + path + ": " + go_strerror(err), err == ENOENT ? 127 : 126};
  }
  if (S_ISDIR(st.st_mode)) return {path, "exec: \"" + path + "\": is a directory: permission denied", 126};
  // AT_EACCESS: the effective ids and capabilities, which execve uses (CAP_DAC_OVERRIDE runs a
  // file with any x bit); plain access() drops the capabilities of a non-root caller.
  if (::faccessat(AT_FDCWD, path.c_str(), X_OK, AT_EACCESS) != 0)
    return {path, "exec: \"" + path + "\": permission denied (the file is not executable)", 126};
  std::string loader = check_loader(path);
  // execve's own ENOENT, in runc's wording ("exec /run.sh: no such file or directory"), then why.
  if (!loader.empty()) return {path, "exec " + path + ": no such file or directory: " + loader, 127};
  return {path, "", 0};
}

}  // namespace

ExecTarget find_executable(const std::string& arg0, const std::vector<std::string>& env) {
  if (arg0.empty()) return {"", "exec: process.args[0] is empty", 127};
  if (arg0.find('/') != std::string::npos) return check_candidate(arg0);
  std::string path = path_env(env);
  size_t i = 0;
  ExecTarget first_denied;
  while (i <= path.size() && !path.empty()) {
    size_t j = path.find(':', i);
    if (j == std::string::npos) j = path.size();
    // Built with append: GCC 12 warns falsely (-Wrestrict) on operator+ chains here.
    std::string cand = j > i ? path.substr(i, j - i) : std::string(".");
    cand.append("/").append(arg0);
    struct stat st {};
    if (::stat(cand.c_str(), &st) == 0 && !S_ISDIR(st.st_mode)) {
      ExecTarget t = check_candidate(cand);
      if (t.error.empty()) return t;
      if (first_denied.path.empty()) first_denied = t;
    }
    i = j + 1;
  }
  if (!first_denied.path.empty()) return first_denied;
  return {arg0, "exec: \"" + arg0 + "\": executable file not found in $PATH", 127};
}

std::vector<std::string> dedupe_env(const std::vector<std::string>& env) {
  std::vector<std::string> out;
  std::map<std::string, size_t> at;  // name -> index in out
  for (const auto& e : env) {
    const std::string name = e.substr(0, e.find('='));
    auto [it, fresh] = at.emplace(name, out.size());
    if (fresh) out.push_back(e);
    else out[it->second] = e;
  }
  return out;
}

std::vector<std::string> with_home(std::vector<std::string> env, unsigned uid) {
  env = dedupe_env(env);
  auto it = std::find_if(env.begin(), env.end(), [](const std::string& e) { return e.rfind("HOME=", 0) == 0; });
  if (it != env.end() && it->size() > 5) return env;
  std::string home = "/";
  if (FILE* f = std::fopen("/etc/passwd", "re")) {
    char line[1024];
    while (std::fgets(line, sizeof line, f)) {
      // name:pw:uid:gid:gecos:home:shell
      std::string l(line);
      std::vector<std::string> fields;
      size_t i = 0, j;
      while ((j = l.find(':', i)) != std::string::npos) {
        fields.push_back(l.substr(i, j - i));
        i = j + 1;
      }
      fields.push_back(l.substr(i));
      if (fields.size() >= 6 && fields[2] == std::to_string(uid) && !fields[5].empty()) {
        home = fields[5];
        break;
      }
    }
    std::fclose(f);
  }
  if (it != env.end()) *it = "HOME=" + home;  // HOME= (empty): runc sets it too
  else env.push_back("HOME=" + home);
  return env;
}

std::string explain_exec_failure(const std::string& path, int err) {
  if (err == ENOENT) {
    ExecTarget t = check_candidate(path);
    if (!t.error.empty()) return t.error;
  }
  return "exec " + path + ": " + go_strerror(err);
}

}  // namespace berth::process
