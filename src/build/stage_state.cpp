#include "stage_state.hpp"

#include <cctype>

#include "berth/image/digest.hpp"
#include "berth/util/error.hpp"

namespace berth::build {

using nlohmann::json;

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string chain(const std::string& parent, const std::string& what) {
  return image::sha256_digest("berth-build-cache-v1\n" + parent + "\n" + what);
}

std::optional<std::string> env_get(const json& cfg, const std::string& k) {
  if (!cfg.contains("config") || !cfg["config"].contains("Env") || !cfg["config"]["Env"].is_array()) return std::nullopt;
  for (const auto& e : cfg["config"]["Env"]) {
    if (!e.is_string()) continue;
    std::string s = e.get<std::string>();
    if (s.compare(0, k.size() + 1, k + "=") == 0) return s.substr(k.size() + 1);
  }
  return std::nullopt;
}

void env_set(json& cfg, const std::string& k, const std::string& v) {
  auto& env = cfg["config"]["Env"];
  if (!env.is_array()) env = json::array();
  for (auto& e : env) {
    if (e.is_string() && e.get<std::string>().compare(0, k.size() + 1, k + "=") == 0) {
      e = k + "=" + v;
      return;
    }
  }
  env.push_back(k + "=" + v);
}

Lookup stage_lookup(const State& st) {
  return [&st](const std::string& k) -> std::optional<std::string> {
    if (auto v = env_get(st.config, k)) return v;  // ENV wins over ARG
    auto it = st.args.find(k);
    if (it != st.args.end()) return it->second;
    return std::nullopt;
  };
}

std::string expand_at(const Dockerfile& df, const Instruction& in, const std::string& word, const Lookup& env) {
  try {
    return expand_word(word, env, df.escape);
  } catch (const Error& e) {
    fail_at(df, in, e.what());
  }
}

std::vector<std::string> expand_list_at(const Dockerfile& df, const Instruction& in, const std::string& text, const Lookup& env) {
  try {
    return expand_words(text, env, df.escape);
  } catch (const Error& e) {
    fail_at(df, in, e.what());
  }
}

std::vector<std::string> command_of(const State& st, const Instruction& in) {
  if (in.json) return in.argv;
  std::vector<std::string> a = st.shell;
  a.push_back(in.args);
  return a;
}

}  // namespace berth::build
