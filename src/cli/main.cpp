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

// args: how many arguments the command takes, exactly or (at_least) at minimum:
// runc's checkArgs, whose wording a wrong count is reported in.
struct Command {
  std::string_view name;
  void (*add)(CLI::App&, berth::cli::Globals&, berth::cli::Action&);
  int args;
  bool at_least = false;
};

constexpr Command kCommands[] = {
    {"create", berth::cli::add_create, 1},         {"start", berth::cli::add_start, 1},
    {"run", berth::cli::add_run, 1},               {"state", berth::cli::add_state, 1},
    {"list", berth::cli::add_list, 0},             {"kill", berth::cli::add_kill, 1, true},
    {"delete", berth::cli::add_delete, 1},         {"ps", berth::cli::add_ps, 1, true},
    {"spec", berth::cli::add_spec, 0},             {"features", berth::cli::add_features, 0},
    {"pause", berth::cli::add_pause, 1},           {"resume", berth::cli::add_resume, 1},
    {"update", berth::cli::add_update, 1},         {"events", berth::cli::add_events, 1},
    {"exec", berth::cli::add_exec, 1, true},       {"checkpoint", berth::cli::add_checkpoint, 1},
    {"restore", berth::cli::add_restore, 1},
};

const Command* find_command(std::string_view name) {
  for (const auto& c : kCommands)
    if (c.name == name) return &c;
  return nullptr;
}

// The name berth was invoked as (urfave/cli's default program name).
std::string program_name(const char* argv0) {
  std::string_view a = argv0 && *argv0 ? argv0 : "berth";
  auto slash = a.rfind('/');
  return std::string(slash == std::string_view::npos ? a : a.substr(slash + 1));
}

bool has_help_or_version(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "-h" || a == "--help" || a == "-v" || a == "--version") return true;
  }
  return false;
}

int fail(const std::string& msg, int status) {
  berth::log::error(msg);
  // With a log file the engine reads it there; a human still sees it on stderr.
  if (berth::log::to_file()) std::fprintf(stderr, "%s\n", msg.c_str());
  return status;
}

// runc's frame for a failed create or run ("runc run failed: ..."), under the name called.
std::string failed_prefix(const std::string& prog, std::string_view command) {
  if (command != "run" && command != "create") return {};
  return prog + " " + std::string(command) + " failed: ";
}

// The global flags parsed so far decide where an error of the command line goes.
void init_log_best_effort(const berth::cli::Globals& g) {
  try {
    berth::log::init({g.log, g.log_format == "json" ? berth::log::Format::Json : berth::log::Format::Text, g.debug});
  } catch (const std::exception&) {
    berth::log::init({});
  }
}

// A command line CLI11 refused, reported as runc (urfave/cli) does: the usage
// on stdout ("Incorrect Usage." + the command's help), the error logged, exit 1.
int usage_error(CLI::App& app, const CLI::ParseError& e, std::string_view name, const std::string& prog,
                const berth::cli::Globals& g) {
  init_log_best_effort(g);
  std::string msg = e.what();
  std::string head = "Incorrect Usage.";
  std::vector<std::string> extras = app.remaining(true);
  const Command* cmd = find_command(name);
  if (!extras.empty() && extras.front().size() > 1 && extras.front()[0] == '-') {
    // Go's flag package names an unknown flag with one dash.
    std::string flag = extras.front().substr(extras.front()[1] == '-' ? 1 : 0);
    flag = flag.substr(0, flag.find('='));
    msg = "flag provided but not defined: " + flag;
    head = "Incorrect Usage: " + msg;
  } else if (cmd && (dynamic_cast<const CLI::RequiredError*>(&e) || dynamic_cast<const CLI::ExtrasError*>(&e) ||
                     dynamic_cast<const CLI::ArgumentMismatch*>(&e))) {
    msg = prog + ": \"" + std::string(cmd->name) + "\" requires " + (cmd->at_least ? "a minimum of " : "exactly ") +
          std::to_string(cmd->args) + " argument(s)";
  } else {
    return fail(msg, 1);
  }
  std::printf("%s\n\n%s", head.c_str(), app.help().c_str());
  std::fflush(stdout);
  return fail(msg, 1);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace berth::cli;
  const std::string prog = program_name(argc > 0 ? argv[0] : nullptr);
  CLI::App app{"Open Container Initiative runtime", prog};
  app.formatter(runc_style_help());  // before the commands: they inherit it
  app.require_subcommand(1);
  app.fallthrough();
  Globals g;
  g.root = berth::container::default_state_root(::geteuid(), std::getenv("XDG_RUNTIME_DIR"));
  // runc's layout: dockerd reads the "commit:" line. The last line is crun's list of what the
  // runtime was built with, in crun's words, which crun's users and tests read (+CRIU,
  // +SYSTEMD: the systemd cgroup driver, ...): only what berth has.
  app.set_version_flag("-v,--version", prog + " version " + BERTH_VERSION + "\ncommit: " + BERTH_COMMIT +
                                           "\nspec: " + berth::oci::kSpecVersion +
                                           "\nlibseccomp: " + BERTH_LIBSECCOMP_VERSION +
                                           "\n+SYSTEMD +SELINUX +APPARMOR +CAP +SECCOMP +EBPF +CRIU");
  app.add_option("--root", g.root, "root directory for storage of container state")->capture_default_str();
  app.add_option("--log", g.log, "log file (default: stderr)");
  app.add_option("--log-format", g.log_format, "log format: text or json")->check(CLI::IsMember({"text", "json"}));
  app.add_flag("--debug", g.debug, "enable debug logging");
  app.add_flag("--systemd-cgroup", g.systemd_cgroup, "use the systemd cgroup driver (cgroup v2 hosts with systemd)");
  app.add_option("--cgroup-manager", g.cgroup_manager,
                 "crun's cgroup driver choice: cgroupfs (the default) or systemd (--systemd-cgroup); disabled is refused")
      ->check(CLI::IsMember({"cgroupfs", "systemd", "disabled"}));
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

  // runc's `help [command]` (alias `h`); no command at all shows the help too.
  if (name == "help" || name == "h" || (name.empty() && !has_help_or_version(argc, argv))) {
    std::string_view topic;
    bool after = false;
    for (int i = 1; i < argc; ++i) {
      if (after && argv[i][0] != '-') {
        topic = argv[i];
        break;
      }
      if (argv[i] == name) after = true;
    }
    if (topic.empty() || topic == "help" || topic == "h") {
      std::fputs(app.help().c_str(), stdout);
      return 0;
    }
    if (CLI::App* sub = find_command(topic) ? app.get_subcommand(std::string(topic)) : nullptr) {
      std::fputs(sub->help(prog).c_str(), stdout);
      return 0;
    }
    init_log_best_effort(g);
    return fail("No help topic for '" + std::string(topic) + "'", 1);
  }
  if (!found && !name.empty()) {
    init_log_best_effort(g);
    return fail("No help topic for '" + std::string(name) + "'", 1);
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    return usage_error(app, e, name, prog, g);
  }
  try {
    // First, before any fd of berth's own is opened (the log file, state locks, sockets).
    require_preserved_fds(g.preserved_fds, g.listen_fds);
    berth::log::init({g.log, g.log_format == "json" ? berth::log::Format::Json : berth::log::Format::Text, g.debug});
    apply_cgroup_manager(g);
    g.rootless_mode = berth::container::rootless_mode(g.rootless);
    return act ? act() : 0;
  } catch (const berth::process::ExecError& e) {
    return fail(failed_prefix(prog, name) + e.what(), e.status());
  } catch (const std::exception& e) {
    return fail(failed_prefix(prog, name) + e.what(), 1);
  }
}
