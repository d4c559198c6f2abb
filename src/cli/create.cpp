#include "berth/container/container.hpp"
#include "cli.hpp"

namespace berth::cli {

void add_create(CLI::App& app, Globals& g, Action& act) {
  auto* cmd = app.add_subcommand("create", "create a container (held before its process runs until `start`)");
  auto o = std::make_shared<container::CreateOptions>();
  cmd->add_option("container-id", o->id, "container id")->required();
  cmd->add_option("-b,--bundle", o->bundle, "path to the bundle directory (default: current directory)");
  cmd->add_option("-f,--config", o->config, "the config file, relative to the bundle (crun's; default config.json)");
  cmd->add_option("--console-socket", o->console_socket, "unix socket that receives the pty master (terminal: true)");
  cmd->add_option("--pid-file", o->pid_file, "file to write the init's pid to");
  cmd->add_option("--pidfd-socket", o->pidfd_socket, "unix socket that receives a pidfd of the init process");
  cmd->add_flag("--no-pivot", o->no_pivot, "use MS_MOVE + chroot instead of pivot_root");
  cmd->add_flag("--no-new-keyring", o->no_new_keyring, "do not create a new session keyring");
  cmd->add_option("--preserve-fds", o->preserve_fds, "pass N extra fds (3..3+N-1) to the container");
  cmd->callback([&g, &act, o] {
    g.preserved_fds = preserved_with_listen_fds(o->preserve_fds, o->listen);
    g.listen_fds = o->listen.count;
    act = [&g, o] {
      o->root = g.root;
      o->rootless = g.rootless_mode;
      o->systemd_cgroup = g.systemd_cgroup;
      container::create(*o);
      return 0;
    };
  });
}

}  // namespace berth::cli
