#include <iostream>

#include "berth/container/container.hpp"
#include "cli.hpp"

namespace berth::cli {

void add_state(CLI::App& app, Globals& g, Action& act) {
  auto* cmd = app.add_subcommand("state", "print the state of a container (runtime-spec state JSON)");
  auto id = std::make_shared<std::string>();
  cmd->add_option("container-id", *id, "container id")->required();
  cmd->callback([&g, &act, id] {
    act = [&g, id] {
      std::cout << container::state(g.root, *id).dump(2) << "\n";
      return 0;
    };
  });
}

}  // namespace berth::cli
