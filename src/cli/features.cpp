#include <iostream>

#include "berth/linux/seccomp.hpp"
#include "berth/oci/defaults.hpp"
#include "cli.hpp"

namespace berth::cli {

void add_features(CLI::App& app, Globals&, Action& act) {
  auto* cmd = app.add_subcommand("features", "print the runtime-spec features document");
  cmd->callback([&act] {
    act = [] {
      auto f = oci::features();
      // Usable flags depend on libseccomp and on the running kernel (a flag this libseccomp lacks
      // goes to seccomp(2) directly): the code that loads the filter answers.
      f["linux"]["seccomp"]["supportedFlags"] = linux_::seccomp_known_flags();
      std::cout << f.dump(4) << "\n";
      return 0;
    };
  });
}

}  // namespace berth::cli
