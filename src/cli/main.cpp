// berth: entry point. Global flags, logging set-up, and the one place where
// errors become messages and exit codes.
#include <seccomp.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "berth/container/rootless.hpp"
#include "berth/process/init.hpp"
#include "berth/util/error.hpp"
#include "berth/util/log.hpp"
#include "cli.hpp"

#ifndef BERTH_VERSION
#define BERTH_VERSION "0.0.0"
#endif
#ifndef BERTH_COMMIT
#define BERTH_COMMIT "unknown"
#endif
#define BERTH_STR2(x) #x
#define BERTH_STR(x) BERTH_STR2(x)
#define BERTH_LIBSECCOMP_VERSION \
  BERTH_STR(SCMP_VER_MAJOR) "." BERTH_STR(SCMP_VER_MINOR) "." BERTH_STR(SCMP_VER_MICRO)

namespace {

struct Command {
  std::string_view name;
  void (*add)(CLI::App&, berth::cli::Globals&, berth::cli::Action&);
};

constexpr Command kCommands[] = {
    {"create", berth::cli::add_create}, {"start", berth::cli::add_start},     {"run", berth::cli::add_run},
    {"state", berth::cli::add_state},   {"list", berth::cli::add_list},       {"kill", berth::cli::add_kill},
    {"delete", berth::cli::add_delete}, {"ps", berth::cli::add_ps},           {"spec", berth::cli::add_spec},
    {"features", berth::cli::add_features}, {"pause", berth::cli::add_pause}, {"resume", berth::cli::add_resume},
    {"update", berth::cli::add_update}, {"events", berth::cli::add_events},   {"exec", berth::cli::add_exec},
    {"checkpoint", berth::cli::add_checkpoint}, {"restore", berth::cli::add_restore},
};

int fail(const std::string& msg, int status) {
  berth::log::error(msg);
  // With a log file the engine reads it there; a human still sees it on stderr.
  if (berth::log::to_file()) std::fprintf(stderr, "%s\n", msg.c_str());
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace berth::cli;
  CLI::App app{"berth: an OCI container runtime", "berth"};
  app.require_subcommand(1);
  app.fallthrough();
  Globals g;
  g.root = berth::container::default_state_root(::geteuid(), std::getenv("XDG_RUNTIME_DIR"));
  // runc's layout: dockerd reads the "commit:" line.
  app.set_version_flag("-v,--version", std::string("berth version ") + BERTH_VERSION + "\ncommit: " + BERTH_COMMIT +
                                           "\nspec: 1.2.0\nlibseccomp: " + BERTH_LIBSECCOMP_VERSION);
  app.add_option("--root", g.root, "root directory for storage of container state")->capture_default_str();
  app.add_option("--log", g.log, "log file (default: stderr)");
  app.add_option("--log-format", g.log_format, "log format: text or json")->check(CLI::IsMember({"text", "json"}));
  app.add_flag("--debug", g.debug, "enable debug logging");
  app.add_flag("--systemd-cgroup", g.systemd_cgroup, "use the systemd cgroup driver (cgroup v2 hosts with systemd)");
  app.add_option("--criu", g.criu, "path to the criu binary used for checkpoint and restore (default: criu in $PATH)");
  app.add_option("--rootless", g.rootless, "rootless mode: true, false or auto (auto: when not root)")
      ->check(CLI::IsMember({"true", "false", "auto"}))
      ->capture_default_str();

  // Only the command named on the command line is registered: building every
  // command's options costs more than the whole parse (75% of `berth --version`'s
  // instructions) and its heap is part of the peak RSS engines pay per call.
  Action act;
  const std::string_view name = command_name(argc, argv);
  bool found = false;
  for (const auto& c : kCommands)
    if (c.name == name) {
      c.add(app, g, act);
      found = true;
    }
  if (!found)
    for (const auto& c : kCommands) c.add(app, g, act);  // help, errors: the full set

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    berth::log::init({g.log, g.log_format == "json" ? berth::log::Format::Json : berth::log::Format::Text, g.debug});
    g.rootless_mode = berth::container::rootless_mode(g.rootless);
    return act ? act() : 0;
  } catch (const berth::process::ExecError& e) {
    return fail(e.what(), e.status());
  } catch (const std::exception& e) {
    return fail(e.what(), 1);
  }
}
