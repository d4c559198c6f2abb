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
      // 0 is kill(2)'s "no signal, only check": runc accepts it (kill.bats, and callers that
      // probe a container with `kill -a ID 0`), so does berth; signal names never mean 0.
      int s = *sig == "0" ? 0 : parse_signal(*sig);
      container::kill(g.root, *id, s, *all);
      return 0;
    };
  });
}

}  // namespace berth::cli
