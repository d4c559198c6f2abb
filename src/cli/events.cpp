#include <cstdio>
#include <iostream>

#include "berth/cgroups/units.hpp"
#include "berth/container/ops.hpp"
#include "berth/util/error.hpp"
#include "cli.hpp"

namespace berth::cli {

void add_events(CLI::App& app, Globals& g, Action& act) {
  auto* cmd = app.add_subcommand(
      "events", "display container events such as OOM notifications, cpu, memory, and IO usage statistics");
  auto id = std::make_shared<std::string>();
  auto interval = std::make_shared<std::string>("5s");
  auto stats = std::make_shared<bool>(false);
  cmd->add_option("container-id", *id, "container id")->required();
  cmd->add_option("--interval", *interval, "set the stats collection interval")->capture_default_str();
  cmd->add_flag("--stats", *stats, "display the container's stats then exit");
  cmd->callback([&g, &act, id, interval, stats] {
    act = [&g, id, interval, stats] {
      container::EventsOptions o;
      try {
        o.interval_ns = cgroups::parse_duration(*interval);
      } catch (const Error&) {
        throw Error("invalid value \"" + *interval + "\" for flag -interval: parse error");
      }
      o.stats_only = *stats;
      container::events(g.root, *id, o, [](const nlohmann::ordered_json& ev) {
        std::cout << ev.dump() << "\n" << std::flush;
      });
      return 0;
    };
  });
}

}  // namespace berth::cli
