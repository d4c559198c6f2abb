#include "berth/container/ops.hpp"
#include "cli.hpp"

namespace berth::cli {

void add_pause(CLI::App& app, Globals& g, Action& act) {
  auto* cmd = app.add_subcommand("pause", "pause suspends all processes inside the container");
  auto id = std::make_shared<std::string>();
  cmd->add_option("container-id", *id, "container id")->required();
  cmd->callback([&g, &act, id] {
    act = [&g, id] {
      container::pause(g.root, *id);
      return 0;
    };
  });
}

}  // namespace berth::cli
