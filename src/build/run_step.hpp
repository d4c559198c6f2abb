// RUN: the command in a container on the step's merged overlay. By default the container is
// made by libberth (container::create/start) in a child forked from berth-build: no runtime
// binary is executed. With --runtime PATH a runc-compatible binary runs it instead (`PATH run`;
// the integration tests use it to run the RUN steps with runc as the control).
#pragma once
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace berth::build {

struct RunSpec {
  std::string runtime;            // "" = libberth in-process; else the path of a runtime binary
  std::string rootfs;             // the merged overlay
  std::string scratch;            // a private dir for the bundle and the runtime's state
  std::string id;                 // container id
  std::vector<std::string> args;  // argv
  std::vector<std::string> env;
  std::string cwd = "/";
  std::string user;               // USER as written (resolved in the rootfs)
  bool host_network = false;
  nlohmann::json mounts = nlohmann::json::array();  // extra runtime mounts (RUN --mount)
};

struct RunResult {
  int exit_code = 0;
  std::vector<std::string> tail;  // the last lines of output
};

// Runs and waits; each output line goes to on_line. Throws berth::Error when the container
// cannot be made (not for a non-zero exit of the command). SIGINT, SIGTERM and SIGHUP to
// berth-build (or its death) kill the container; nothing of it is left behind.
// on_tick, when given, is called about every 0.1 s while the command runs (a live display).
RunResult run_in_container(const RunSpec& spec, const std::function<void(const std::string&)>& on_line,
                           const std::function<void()>& on_tick = {});

// An explicit --runtime: must be an executable file. Throws otherwise.
std::string check_runtime(const std::string& path);

// The berth binary: next to this program, else `berth` in PATH. Throws when there is none.
// (`berth-build run`, which needs berth's terminal handling, still uses the binary.)
std::string find_runtime(const std::string& explicit_path);

}  // namespace berth::build
