// berth: entry point. Global flags, logging set-up, and the one place where
// errors become messages and exit codes.
#include <seccomp.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>

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

std::string default_root() {
  if (::geteuid() == 0) return "/run/berth";
  const char* xdg = std::getenv("XDG_RUNTIME_DIR");
  if (xdg && *xdg) return std::string(xdg) + "/berth";
  return "/tmp/berth-" + std::to_string(::geteuid());
}

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
  g.root = default_root();
  // runc's layout: dockerd reads the "commit:" line.
  app.set_version_flag("-v,--version", std::string("berth version ") + BERTH_VERSION + "\ncommit: " + BERTH_COMMIT +
                                           "\nspec: 1.2.0\nlibseccomp: " + BERTH_LIBSECCOMP_VERSION);
  app.add_option("--root", g.root, "root directory for storage of container state")->capture_default_str();
  app.add_option("--log", g.log, "log file (default: stderr)");
  app.add_option("--log-format", g.log_format, "log format: text or json")->check(CLI::IsMember({"text", "json"}));
  app.add_flag("--debug", g.debug, "enable debug logging");
  app.add_flag("--systemd-cgroup", g.systemd_cgroup, "use the systemd cgroup driver (cgroup v2 hosts with systemd)");
  app.add_option("--criu", g.criu, "path to criu (accepted for compatibility; checkpointing is not supported)");
  app.add_option("--rootless", g.rootless, "rootless mode: true, false or auto");

  Action act;
  add_create(app, g, act);
  add_start(app, g, act);
  add_run(app, g, act);
  add_state(app, g, act);
  add_list(app, g, act);
  add_kill(app, g, act);
  add_delete(app, g, act);
  add_ps(app, g, act);
  add_spec(app, g, act);
  add_features(app, g, act);
  add_pause(app, g, act);
  add_resume(app, g, act);
  add_update(app, g, act);
  add_events(app, g, act);
  add_exec(app, g, act);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    berth::log::init({g.log, g.log_format == "json" ? berth::log::Format::Json : berth::log::Format::Text, g.debug});
    return act ? act() : 0;
  } catch (const berth::process::ExecError& e) {
    return fail(e.what(), e.status());
  } catch (const std::exception& e) {
    return fail(e.what(), 1);
  }
}
