// `berth exec [options] <container-id> <command> [args...]` or
// `berth exec [options] --process process.json <container-id>`: runs a new
// process in a running container. As in runc, options come before the
// container id; everything after it is the command, never berth's options.
// Foreground (the default): waits, forwards signals, relays the pty when it
// holds the master, and returns the process's exit code (128+signal if killed).
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <optional>

#include "berth/container/exec.hpp"
#include "berth/process/init.hpp"
#include "berth/process/sync.hpp"
#include "berth/util/error.hpp"
#include "cli.hpp"
#include "tty_relay.hpp"

namespace berth::cli {
namespace {

struct ExecCli {
  container::ExecOptions opts;
  bool tty = false;
  std::string cwd;
  std::string user;
  std::vector<int64_t> gids;
};

uint32_t parse_id(const std::string& s, const char* what) {
  errno = 0;
  char* end = nullptr;
  long long v = std::strtoll(s.c_str(), &end, 10);
  if (s.empty() || *end != '\0' || errno != 0 || v < 0 || v > UINT32_MAX)
    throw Error(std::string("--user: ") + what + " \"" + s + "\" is not a number (format: <uid>[:<gid>])");
  return static_cast<uint32_t>(v);
}

// The exec proper, once the command line is accepted: starts the process, and in the
// foreground waits for it and returns its status.
int exec_and_wait(container::ExecOptions& o) {
  // Signals meant for the process arrive at berth: blocked now, read from a
  // signalfd later (the process unblocks them before execve).
  sigset_t sigs = forwarded_signals();
  if (!o.detach) ::sigprocmask(SIG_BLOCK, &sigs, nullptr);

  // Foreground with a terminal and no --console-socket: berth holds the pty master.
  UniqueFd console_ours, console_theirs;
  if (!o.detach && o.console_socket.empty()) {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) throw_errno("socketpair");
    console_ours.reset(sv[0]);
    console_theirs.reset(sv[1]);
    o.console_fd = console_theirs.get();
  }
  container::Executed e = container::exec(o);
  console_theirs.reset();
  if (o.detach) return 0;

  UniqueFd master;
  if (e.terminal && console_ours) master = process::recv_fd(console_ours.get());  // sent before execve
  UniqueFd sigfd(::signalfd(-1, &sigs, SFD_CLOEXEC));
  if (!sigfd) throw_errno("signalfd");
  std::optional<RawTerminal> raw;
  if (master) {
    raw.emplace(0);
    prepare_relayed_pty(master.get());
  }
  return wait_foreground(e.pidfd.get(), e.pid, sigfd.get(), master ? master.get() : -1);
}

int do_exec(const Globals& g, ExecCli& c, std::vector<std::string> rest) {
  container::ExecOptions& o = c.opts;
  o.root = g.root;
  if (rest.empty()) throw Error("exec: container id required (usage: berth exec [options] <container-id> <command> [args...])");
  // An unknown option stops CLI11's parsing like the container id does: refuse
  // it rather than take it for an id.
  if (rest.front().size() > 1 && rest.front()[0] == '-')
    throw Error("exec: unknown option " + rest.front() + " (options come before the container id)");
  o.id = rest.front();
  o.args.assign(rest.begin() + 1, rest.end());
  if (c.tty) o.tty = true;
  if (!c.cwd.empty()) o.cwd = c.cwd;
  if (!c.user.empty()) {
    auto colon = c.user.find(':');
    o.uid = parse_id(c.user.substr(0, colon), "uid");
    if (colon != std::string::npos) o.gid = parse_id(c.user.substr(colon + 1), "gid");
  }
  for (int64_t gid : c.gids) {
    if (gid < 0 || gid > UINT32_MAX) throw Error("additional-gids must be a positive number " + std::to_string(gid));
    o.additional_gids.push_back(static_cast<uint32_t>(gid));
  }
  if (o.preserve_fds < 0) throw Error("--preserve-fds must not be negative");
  // runc's contract: once the command line is accepted, every failure of the exec (no such
  // container, a paused one, the pid file, an executable that cannot be run) exits 255 with
  // "exec failed: ...", so that any other status is the process's own.
  try {
    return exec_and_wait(o);
  } catch (const std::exception& e) {
    throw process::ExecError(std::string("exec failed: ") + e.what(), 255);
  }
}

}  // namespace

void add_exec(CLI::App& app, Globals& g, Action& act) {
  auto* cmd = app.add_subcommand("exec", "execute a new process inside a running container");
  // Everything from the container id on is left unparsed: the command and its arguments.
  cmd->prefix_command();
  cmd->fallthrough(false);
  cmd->footer(
      "Usage: berth exec [options] <container-id> <command> [args...]\n"
      "       berth exec [options] --process process.json <container-id>\n"
      "Options must come before <container-id>; what follows it is the command.");
  auto c = std::make_shared<ExecCli>();
  container::ExecOptions& o = c->opts;
  cmd->add_option("--console-socket", o.console_socket,
                  "unix socket that receives the pty master (with --tty and --detach)");
  cmd->add_option("--cwd", c->cwd, "current working directory in the container");
  cmd->add_option("-e,--env", o.env, "set an environment variable NAME=value (repeatable)")->allow_extra_args(false);
  cmd->add_flag("-t,--tty", c->tty, "allocate a pseudo-TTY");
  cmd->add_option("-u,--user", c->user, "user to run as: <uid>[:<gid>]");
  cmd->add_option("-g,--additional-gids", c->gids, "additional gid (repeatable)")->allow_extra_args(false);
  cmd->add_option("-p,--process", o.process_path, "path to a process.json");
  cmd->add_flag("-d,--detach", o.detach, "do not wait for the process");
  cmd->add_option("--pid-file", o.pid_file, "file to write the process's pid to");
  cmd->add_option("--pidfd-socket", o.pidfd_socket, "unix socket that receives a pidfd of the exec'd process");
  cmd->add_option("--process-label", o.process_label, "SELinux label of the process");
  cmd->add_option("--apparmor", o.apparmor, "AppArmor profile of the process");
  cmd->add_flag("--no-new-privs", o.no_new_privs, "set no_new_privs for the process");
  cmd->add_option("-c,--cap", o.caps, "add a capability to the process's sets (repeatable)")->allow_extra_args(false);
  cmd->add_option("--preserve-fds", o.preserve_fds, "pass N extra fds (3..3+N-1) to the process");
  cmd->add_flag("--ignore-paused", o.ignore_paused, "allow exec in a paused container");
  cmd->add_option("--cgroup", o.cgroups,
                  "run the process in a sub-cgroup of the container's: [controller[,controller...]:]path (repeatable)")
      ->allow_extra_args(false);
  cmd->callback([&g, &act, c, cmd] {
    std::vector<std::string> rest = cmd->remaining();
    if (rest.empty()) throw CLI::RequiredError("container-id");  // runc's wording, in main
    g.preserved_fds = c->opts.preserve_fds;
    act = [&g, c, rest] { return do_exec(g, *c, rest); };
  });
}

}  // namespace berth::cli
