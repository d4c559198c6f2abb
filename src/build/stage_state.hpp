// What a build stage carries from one instruction to the next, and the helpers every step
// shares: variable lookup (ENV over ARG), expansion with Dockerfile-located errors, the
// cache key chain, and the metadata instructions (config_steps.cpp).
#pragma once
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "berth/build/dockerfile.hpp"
#include "berth/build/shell_words.hpp"
#include "berth/image/oci.hpp"

namespace berth::build {

inline constexpr const char* kDefaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

struct State {
  nlohmann::json config;             // the whole image config, as it stands
  std::vector<image::Layer> layers;
  std::string key;                   // cache key chain up to here
  std::map<std::string, std::string> args;  // ARG values in this stage
  std::vector<std::string> shell{"/bin/sh", "-c"};
  bool cmd_set = false;              // CMD given in this stage (ENTRYPOINT keeps it)
};

std::string lower(std::string s);
// key = sha256("berth-build-cache-v1" \n parent \n what)
std::string chain(const std::string& parent, const std::string& what);

std::optional<std::string> env_get(const nlohmann::json& cfg, const std::string& k);
void env_set(nlohmann::json& cfg, const std::string& k, const std::string& v);
// Variables as instructions see them: ENV first, then the stage's ARGs. Refers to st.
Lookup stage_lookup(const State& st);

// Expansion whose errors read "Dockerfile:LINE: KEYWORD: why".
std::string expand_at(const Dockerfile& df, const Instruction& in, const std::string& word, const Lookup& env);
std::vector<std::string> expand_list_at(const Dockerfile& df, const Instruction& in, const std::string& text, const Lookup& env);

// CMD/ENTRYPOINT/RUN argv: the JSON form as is, the shell form through the stage's SHELL.
std::vector<std::string> command_of(const State& st, const Instruction& in);

// ENV, LABEL, WORKDIR, USER, CMD, ENTRYPOINT, EXPOSE, VOLUME, STOPSIGNAL, SHELL, HEALTHCHECK,
// ONBUILD, MAINTAINER: edit st.config (and st.shell / st.cmd_set). Returns the history text.
std::string apply_config_step(const Dockerfile& df, State& st, const Instruction& in);

}  // namespace berth::build
