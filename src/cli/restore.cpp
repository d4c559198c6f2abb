// `restore`: runc's flags; the work is in container/checkpoint.cpp.
#include "berth/container/checkpoint.hpp"
#include "cli.hpp"

namespace berth::cli {

void add_restore(CLI::App& app, Globals& g, Action& act) {
  auto* cmd = app.add_subcommand("restore", "restore a container from a previous checkpoint");
  auto o = std::make_shared<container::RestoreOptions>();
  cmd->add_option("container-id", o->id, "container id")->required();
  add_criu_flags(cmd, *o);
  cmd->add_option("-b,--bundle", o->bundle, "path to the root of the bundle directory");
  cmd->add_flag("-d,--detach", o->detach, "detach from the container's process");
  cmd->add_option("--pid-file", o->pid_file, "file to write the process id to");
  cmd->add_option("--console-socket", o->console_socket, "unix socket for the pty master (not supported)");
  cmd->add_flag("--no-subreaper", o->no_subreaper, "disable the use of the subreaper used to reap reparented processes");
  auto no_pivot = std::make_shared<bool>(false);
  cmd->add_flag("--no-pivot", *no_pivot, "accepted for compatibility (criu sets up the root)");
  cmd->callback([&g, &act, o] {
    act = [&g, o] {
      o->root = g.root;
      o->criu = g.criu;
      o->systemd_cgroup = g.systemd_cgroup;
      return container::restore(*o);
    };
  });
}

}  // namespace berth::cli
