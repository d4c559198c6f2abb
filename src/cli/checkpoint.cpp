// `checkpoint`: runc's flags; the work is in container/checkpoint.cpp.
#include "berth/container/checkpoint.hpp"
#include "cli.hpp"

namespace berth::cli {

// Flags checkpoint and restore share (runc's names and defaults).
void add_criu_flags(CLI::App* cmd, container::CriuOptions& o) {
  cmd->add_option("--image-path", o.image_path, "path for saving criu image files (default ./checkpoint)");
  cmd->add_option("--work-path", o.work_path, "path for saving work files and logs (default: the image path)");
  cmd->add_flag("--tcp-established", o.tcp_established, "allow open tcp connections");
  cmd->add_flag("--ext-unix-sk", o.ext_unix_sk, "allow external unix sockets");
  cmd->add_flag("--shell-job", o.shell_job, "allow shell jobs");
  cmd->add_flag("--file-locks", o.file_locks, "handle file locks, for safety");
  cmd->add_flag("--auto-dedup", o.auto_dedup, "enable auto deduplication of memory images");
  cmd->add_flag("--lazy-pages", o.lazy_pages, "use userfaultfd to lazily restore memory pages");
  cmd->add_option("--manage-cgroups-mode", o.manage_cgroups_mode, "cgroups mode: soft (default), full, strict, ignore");
  cmd->add_option("--empty-ns", o.empty_ns, "create a namespace, but don't restore its properties (network)")
      ->allow_extra_args(false);  // one value per --empty-ns: the container id is not one
}

void add_checkpoint(CLI::App& app, Globals& g, Action& act) {
  auto* cmd = app.add_subcommand("checkpoint", "checkpoint a running container");
  auto o = std::make_shared<container::CheckpointOptions>();
  cmd->add_option("container-id", o->id, "container id")->required();
  add_criu_flags(cmd, *o);
  cmd->add_flag("--leave-running", o->leave_running, "leave the process running after checkpointing");
  cmd->add_flag("--pre-dump", o->pre_dump, "dump the container's memory only, leave it running");
  cmd->add_option("--parent-path", o->parent_path, "path for previous criu image files in a pre-dump");
  cmd->add_option("--page-server", o->page_server, "ADDRESS:PORT of the page server");
  cmd->add_option("--status-fd", o->status_fd, "criu writes \\0 to this FD once lazy-pages is ready");
  cmd->callback([&g, &act, o] {
    act = [&g, o] {
      o->root = g.root;
      o->criu = g.criu;
      container::checkpoint(*o);
      return 0;
    };
  });
}

}  // namespace berth::cli
