#include "berth/container/ops.hpp"
#include "cli.hpp"

namespace berth::cli {

void add_resume(CLI::App& app, Globals& g, Action& act) {
  auto* cmd = app.add_subcommand("resume", "resumes all processes that have been previously paused");
  auto id = std::make_shared<std::string>();
  cmd->add_option("container-id", *id, "container id")->required();
  cmd->callback([&g, &act, id] {
    act = [&g, id] {
      container::resume(g.root, *id);
      return 0;
    };
  });
}

}  // namespace berth::cli
