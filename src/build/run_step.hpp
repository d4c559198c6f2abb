// RUN: the command in a container made by the berth runtime binary on the step's merged
// overlay (berth-build invokes `berth run`; see docs/build.md for why not in-process yet).
#pragma once
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace berth::build {

struct RunSpec {
  std::string runtime;            // path of the berth binary
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
// cannot be made (not for a non-zero exit of the command).
RunResult run_in_container(const RunSpec& spec, const std::function<void(const std::string&)>& on_line);

// The berth binary: next to this program, else `berth` in PATH. Throws when there is none.
std::string find_runtime(const std::string& explicit_path);

}  // namespace berth::build
