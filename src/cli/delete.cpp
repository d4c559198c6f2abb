#include "berth/container/container.hpp"
#include "cli.hpp"

namespace berth::cli {

void add_delete(CLI::App& app, Globals& g, Action& act) {
  auto* cmd = app.add_subcommand("delete", "delete a stopped container (--force: kill it first)");
  auto id = std::make_shared<std::string>();
  auto force = std::make_shared<bool>(false);
  cmd->add_option("container-id", *id, "container id")->required();
  cmd->add_flag("-f,--force", *force, "kill a running container before deleting it");
  cmd->callback([&g, &act, id, force] {
    act = [&g, id, force] {
      container::remove(g.root, *id, *force);
      return 0;
    };
  });
}

}  // namespace berth::cli
