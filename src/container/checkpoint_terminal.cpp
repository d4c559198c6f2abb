#include "berth/container/checkpoint_terminal.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <regex>
#include <sstream>

#include "berth/util/error.hpp"

namespace berth::container {
namespace {

constexpr const char* kRecord = "berth-terminal";
// criu's name of the /dev/console mount in the images (--external mnt[/dev/console]:NAME).
constexpr const char* kConsoleMountName = "berth-console";

// criu's name of a tty: tty[RDEV:DEV] in hex, as criu formats it.
std::string tty_name(const struct stat& st) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "tty[%llx:%llx]", static_cast<unsigned long long>(st.st_rdev),
                static_cast<unsigned long long>(st.st_dev));
  return buf;
}

// Whether /dev/console is a mount point in the process's mount namespace (the console bind
// of the pty slave; a container given its own /dev may have none).
bool console_mounted(pid_t pid) {
  const std::string path = "/proc/" + std::to_string(pid) + "/mountinfo";
  std::ifstream in(path);
  if (!in) throw_errno("checkpoint: open " + path);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string id, parent, dev, root, mountpoint;
    if ((fields >> id >> parent >> dev >> root >> mountpoint) && mountpoint == "/dev/console") return true;
  }
  return false;
}

}  // namespace

std::vector<std::string> terminal_dump_args(pid_t pid, const std::string& images) {
  struct stat st {};
  const std::string fd0 = "/proc/" + std::to_string(pid) + "/fd/0";
  if (::stat(fd0.c_str(), &st) < 0) throw_errno("checkpoint: stat the terminal " + fd0);
  if (!S_ISCHR(st.st_mode)) throw Error("checkpoint: process.terminal is set but " + fd0 + " is not a terminal");
  const std::string tty = tty_name(st);
  const bool console = console_mounted(pid);
  const std::string record = images + "/" + kRecord;
  {
    std::ofstream out(record, std::ios::trunc);
    out << "tty " << tty << "\n";
    if (console) out << "console\n";
    if (!out.flush()) throw Error("checkpoint: write " + record);
  }
  std::vector<std::string> args{"--external", tty};
  if (console) args.insert(args.end(), {"--external", std::string("mnt[/dev/console]:") + kConsoleMountName});
  return args;
}

void remove_terminal_record(const std::string& images) { ::unlink((images + "/" + kRecord).c_str()); }

RestoredTerminal terminal_for_restore(const std::string& images) {
  const std::string record = images + "/" + kRecord;
  std::ifstream in(record);
  if (!in)
    throw Error("restore: " + images + " holds no " + kRecord +
                ": the checkpoint was not of a container with process.terminal");
  static const std::regex tty_re("tty (tty\\[[0-9a-f]{1,16}:[0-9a-f]{1,16}\\])");
  std::string line, tty;
  bool console = false;
  while (std::getline(in, line)) {
    std::smatch m;
    if (std::regex_match(line, m, tty_re))
      tty = m[1];
    else if (line == "console")
      console = true;
    else
      throw Error("restore: " + record + ": unexpected line \"" + line.substr(0, 80) + "\"");
  }
  if (tty.empty()) throw Error("restore: " + record + ": no tty line");

  RestoredTerminal t;
  try {
    t.pty = linux_::open_pty(std::nullopt);  // the host's /dev/ptmx: criu binds the slave from there
  } catch (const Error& e) {
    throw Error(std::string("restore: a new pty for the terminal: ") + e.what(), e.code());
  }
  t.criu_args = {"--inherit-fd", "fd[" + std::to_string(t.pty.slave.get()) + "]:" + tty};
  if (console)
    t.criu_args.insert(t.criu_args.end(), {"--external", std::string("mnt[") + kConsoleMountName + "]:" + t.pty.slave_path});
  return t;
}

}  // namespace berth::container
