// berth-build's registry commands: pull, push, login, logout; and the global
// --registries-conf the build's FROM uses too.
#pragma once
#include <CLI/CLI.hpp>
#include <functional>
#include <string>

#include "berth/image/registry.hpp"

namespace berth::build::cli {

// Adds the commands to APP. GLOBAL receives the options every registry access of the run uses
// (--registries-conf); ROOT is the store. The chosen command's work goes to ACTION.
void add_registry_commands(CLI::App& app, const std::string& root, std::function<int()>& action, image::RegistryOptions& global);

}  // namespace berth::build::cli
