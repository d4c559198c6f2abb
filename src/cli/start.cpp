#include "berth/container/container.hpp"
#include "cli.hpp"

namespace berth::cli {

void add_start(CLI::App& app, Globals& g, Action& act) {
  auto* cmd = app.add_subcommand("start", "start the process of a created container");
  auto id = std::make_shared<std::string>();
  cmd->add_option("container-id", *id, "container id")->required();
  cmd->callback([&g, &act, id] {
    act = [&g, id] {
      container::start(g.root, *id);
      return 0;
    };
  });
}

}  // namespace berth::cli
