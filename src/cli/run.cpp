// `berth run`: create + start, then (unless --detach) wait for the process,
// forward the signals berth receives, relay the terminal, return its exit code
// and delete the container (unless --keep).
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <optional>
#include <thread>

#include "berth/container/notify_socket.hpp"
#include "berth/container/container.hpp"
#include "berth/linux/syscalls.hpp"
#include "berth/process/sync.hpp"
#include "berth/util/error.hpp"
#include "berth/util/log.hpp"
#include "cli.hpp"
#include "tty_relay.hpp"

namespace berth::cli {
namespace {

struct RunOptions {
  container::CreateOptions create;
  bool detach = false;
  bool keep = false;
  bool keep_subreaper_flag = false;  // --no-subreaper: berth never becomes a subreaper
};

int do_run(const Globals& g, RunOptions& o) {
  o.create.root = g.root;
  o.create.rootless = g.rootless_mode;
  o.create.systemd_cgroup = g.systemd_cgroup;
  // Signals meant for the container arrive at berth; take them through a signalfd
  // (the init restores its own mask before exec).
  sigset_t all = forwarded_signals();
  if (!o.detach) ::sigprocmask(SIG_BLOCK, &all, nullptr);

  // Foreground with a terminal and no --console-socket: berth itself holds the pty master.
  UniqueFd console_ours, console_theirs;
  if (!o.detach && o.create.console_socket.empty()) {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) throw_errno("socketpair");
    console_ours.reset(sv[0]);
    console_theirs.reset(sv[1]);
    o.create.console_fd = console_theirs.get();
  }
  container::Created c = container::create(o.create);
  console_theirs.reset();

  UniqueFd master;
  {
    // Only a terminal container sends a master; a non-terminal one closed its copy at exec.
    pollfd p{console_ours.get(), POLLIN, 0};
    if (console_ours && ::poll(&p, 1, 0) > 0) {
      try {
        master = process::recv_fd(console_ours.get());
      } catch (const Error&) {
      }
    }
  }
  container::NotifyListener notify;
  try {
    container::start(g.root, o.create.id, &c.record, o.detach ? nullptr : &notify);
  } catch (...) {
    try { container::remove(g.root, o.create.id, true, &c.record); } catch (const Error&) {}
    throw;
  }
  if (o.detach) return 0;

  UniqueFd sigfd(::signalfd(-1, &all, SFD_CLOEXEC));
  if (!sigfd) throw_errno("signalfd");
  // sd_notify: the container's READY goes on while berth waits for it (runc: a goroutine).
  std::thread notifier;
  if (notify)
    notifier = std::thread([&notify] {
      try {
        notify.forward_ready(container::notify_socket_host());
      } catch (const std::exception& e) {
        log::warn(std::string("sd_notify: ") + e.what());
      }
    });
  int status;
  {
    std::optional<RawTerminal> raw;
    if (master) {
      raw.emplace(0);
      prepare_relayed_pty(master.get());
    }
    status = wait_foreground(c.pidfd.get(), c.pid, sigfd.get(), master ? master.get() : -1);
  }
  if (notifier.joinable()) notifier.join();  // returns once the process is gone
  if (!o.keep) {
    try {
      container::remove(g.root, o.create.id, true, &c.record);
    } catch (const Error& e) {
      log::warn(std::string("delete after run: ") + e.what());
    }
  }
  return status;
}

}  // namespace

void add_run(CLI::App& app, Globals& g, Action& act) {
  auto* cmd = app.add_subcommand("run", "create and start a container, wait for it and delete it");
  auto o = std::make_shared<RunOptions>();
  cmd->add_option("container-id", o->create.id, "container id")->required();
  cmd->add_option("-b,--bundle", o->create.bundle, "path to the bundle directory (default: current directory)");
  cmd->add_option("-f,--config", o->create.config, "the config file, relative to the bundle (crun's; default config.json)");
  cmd->add_option("--console-socket", o->create.console_socket, "unix socket that receives the pty master");
  cmd->add_option("--pid-file", o->create.pid_file, "file to write the init's pid to");
  cmd->add_option("--pidfd-socket", o->create.pidfd_socket, "unix socket that receives a pidfd of the init process");
  cmd->add_flag("-d,--detach", o->detach, "do not wait for the container's process");
  cmd->add_flag("--keep", o->keep, "do not delete the container after it exits");
  cmd->add_flag("--no-pivot", o->create.no_pivot, "use MS_MOVE + chroot instead of pivot_root");
  cmd->add_flag("--no-new-keyring", o->create.no_new_keyring, "do not create a new session keyring");
  cmd->add_option("--preserve-fds", o->create.preserve_fds, "pass N extra fds (3..3+N-1) to the container");
  cmd->add_flag("--no-subreaper", o->keep_subreaper_flag, "accepted for compatibility");
  cmd->callback([&g, &act, o] {
    g.preserved_fds = preserved_with_listen_fds(o->create.preserve_fds, o->create.listen);
    g.listen_fds = o->create.listen.count;
    act = [&g, o] { return do_run(g, *o); };
  });
}

}  // namespace berth::cli
