// berth's command line: runc-compatible global flags and one file per command.
// Commands only parse arguments and print; the work is in libberth.
#pragma once
#include <CLI/CLI.hpp>

#include <functional>
#include <string>

#include "berth/process/listen_fds.hpp"

namespace berth::container {
struct CriuOptions;
}

namespace berth::cli {

struct Globals {
  std::string root;  // --root; default /run/berth, $XDG_RUNTIME_DIR/berth when not root and it is set
  std::string log;
  std::string log_format = "text";
  bool debug = false;
  bool systemd_cgroup = false;
  std::string cgroup_manager;  // crun's --cgroup-manager as given (apply_cgroup_manager)
  std::string criu;
  std::string rootless = "auto";  // --rootless as given
  bool rootless_mode = false;      // resolved after parsing (container/rootless.hpp)
  // fds 3..3+n-1 belong to the container's process (create/run/exec: --preserve-fds,
  // plus the first listen_fds of them from LISTEN_FDS for create/run); checked
  // before berth opens anything.
  int preserved_fds = 0;
  int listen_fds = 0;
};

// The command chosen on the command line runs this after parsing; its return
// value is berth's exit status.
using Action = std::function<int()>;

void add_create(CLI::App& app, Globals& g, Action& act);
void add_start(CLI::App& app, Globals& g, Action& act);
void add_run(CLI::App& app, Globals& g, Action& act);
void add_state(CLI::App& app, Globals& g, Action& act);
void add_list(CLI::App& app, Globals& g, Action& act);
void add_kill(CLI::App& app, Globals& g, Action& act);
void add_delete(CLI::App& app, Globals& g, Action& act);
void add_ps(CLI::App& app, Globals& g, Action& act);
void add_spec(CLI::App& app, Globals& g, Action& act);
void add_features(CLI::App& app, Globals& g, Action& act);
void add_pause(CLI::App& app, Globals& g, Action& act);
void add_resume(CLI::App& app, Globals& g, Action& act);
void add_update(CLI::App& app, Globals& g, Action& act);
void add_events(CLI::App& app, Globals& g, Action& act);
void add_exec(CLI::App& app, Globals& g, Action& act);
void add_checkpoint(CLI::App& app, Globals& g, Action& act);
void add_restore(CLI::App& app, Globals& g, Action& act);
// The flags checkpoint and restore share (checkpoint.cpp).
void add_criu_flags(CLI::App* cmd, container::CriuOptions& o);

// --preserve-fds plus the socket-activation fds of berth's environment
// (LISTEN_FDS, taken when LISTEN_PID is unset or ours): sets `listen` and
// returns the size of the range for require_preserved_fds.
int preserved_with_listen_fds(int preserve_fds, process::ListenFds& listen);

// Every fd in 3..3+n-1 must be open (the first `listen` are LISTEN_FDS's), as
// runc requires, so that none of berth's own fds can land there
// (preserved_fds.cpp). Call before berth opens any fd; throws berth::Error.
void require_preserved_fds(int n, int listen);

// crun's --cgroup-manager onto berth's drivers: cgroupfs is the default, systemd is
// --systemd-cgroup, disabled (no cgroup at all) is refused. Throws berth::Error.
void apply_cgroup_manager(Globals& g);

// Help in runc's layout (help.cpp); set on the app before the commands are added.
std::shared_ptr<CLI::FormatterBase> runc_style_help();

// The command word: the first argument that is not a global flag or a global
// option's value (main.cpp registers only that command; seal.cpp decides on it).
std::string_view command_name(int argc, char** argv);

}  // namespace berth::cli
