#include "berth/container/container.hpp"
#include "berth/util/signals.hpp"
#include "cli.hpp"

namespace berth::cli {

void add_kill(CLI::App& app, Globals& g, Action& act) {
  auto* cmd = app.add_subcommand("kill", "send a signal (default SIGTERM) to the container's init");
  auto id = std::make_shared<std::string>();
  auto sig = std::make_shared<std::string>("SIGTERM");
  auto all = std::make_shared<bool>(false);
  cmd->add_option("container-id", *id, "container id")->required();
  cmd->add_option("signal", *sig, "signal name or number");
  cmd->add_flag("-a,--all", *all, "signal every process in the container");
  cmd->callback([&g, &act, id, sig, all] {
    act = [&g, id, sig, all] {
      int s = parse_signal(*sig);
      container::kill(g.root, *id, s, *all);
      return 0;
    };
  });
}

}  // namespace berth::cli
