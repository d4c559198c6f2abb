#include <iostream>

#include "berth/oci/defaults.hpp"
#include "cli.hpp"

namespace berth::cli {

void add_features(CLI::App& app, Globals&, Action& act) {
  auto* cmd = app.add_subcommand("features", "print the runtime-spec features document");
  cmd->callback([&act] {
    act = [] {
      std::cout << oci::features().dump(4) << "\n";
      return 0;
    };
  });
}

}  // namespace berth::cli
