#include <fcntl.h>
#include <unistd.h>

#include "berth/oci/defaults.hpp"
#include "berth/util/error.hpp"
#include "berth/util/fd.hpp"
#include "cli.hpp"

namespace berth::cli {

void add_spec(CLI::App& app, Globals&, Action& act) {
  auto* cmd = app.add_subcommand("spec", "write a default config.json");
  auto bundle = std::make_shared<std::string>();
  auto rootless = std::make_shared<bool>(false);
  cmd->add_option("-b,--bundle", *bundle, "directory to write config.json to (default: current directory)");
  cmd->add_flag("--rootless", *rootless, "a config for a rootless container");
  cmd->callback([&act, bundle, rootless] {
    act = [bundle, rootless] {
      std::string path = (bundle->empty() ? std::string(".") : *bundle) + "/config.json";
      if (::access(path.c_str(), F_OK) == 0) throw Error("File " + path + " exists. Remove it first");
      std::string data = oci::default_spec(*rootless).dump(1, '\t') + "\n";
      UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666));
      if (!fd) throw_errno("create " + path);
      if (::write(fd.get(), data.data(), data.size()) != static_cast<ssize_t>(data.size())) throw_errno("write " + path);
      return 0;
    };
  });
}

}  // namespace berth::cli
