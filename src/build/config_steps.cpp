// The instructions that only change the image config (no layer).
#include <algorithm>

#include "berth/cgroups/units.hpp"
#include "berth/linux/safepath.hpp"
#include "berth/util/error.hpp"
#include "berth/util/signals.hpp"
#include "stage_state.hpp"

namespace berth::build {

using nlohmann::json;

namespace {

// ENV/LABEL arguments: "k=v k2=v2" (each side expanded with the values from before this
// instruction), or the legacy "k the rest of the line".
std::vector<std::pair<std::string, std::string>> pairs(const Dockerfile& df, State& st, const Instruction& in, bool legacy_ok) {
  std::vector<std::pair<std::string, std::string>> out;
  auto words = split_words_raw(in.args, df.escape);
  auto env = stage_lookup(st);
  if (words.empty()) fail_at(df, in, "requires at least one argument");
  if (words[0].find('=') == std::string::npos) {
    if (!legacy_ok || words.size() < 2) fail_at(df, in, "must be of the form: name=value (\"" + words[0] + "\" has no '=')");
    std::string rest = in.args.substr(in.args.find(words[0]) + words[0].size());
    size_t b = rest.find_first_not_of(" \t");
    out.emplace_back(words[0], expand_at(df, in, b == std::string::npos ? "" : rest.substr(b), env));
    return out;
  }
  for (const auto& w : words) {
    size_t eq = w.find('=');
    if (eq == std::string::npos) fail_at(df, in, "syntax error - can't find = in \"" + w + "\". Must be of the form: name=value");
    std::string name = expand_at(df, in, w.substr(0, eq), env);
    if (name.empty()) fail_at(df, in, "names can not be blank");
    out.emplace_back(name, expand_at(df, in, w.substr(eq + 1), env));
  }
  return out;
}

}  // namespace

std::string apply_config_step(const Dockerfile& df, State& st, const Instruction& in) {
  const std::string& k = in.keyword;
  auto& c = st.config["config"];
  auto env = stage_lookup(st);
  std::string by = k + " " + in.args;
  if (k == "ENV") {
    auto ps = pairs(df, st, in, true);
    by = "ENV";
    for (const auto& [n, v] : ps) {
      env_set(st.config, n, v);
      by += " " + n + "=" + v;
    }
  } else if (k == "LABEL") {
    by = "LABEL";
    for (const auto& [n, v] : pairs(df, st, in, true)) {
      c["Labels"][n] = v;
      by += " " + n + "=" + v;
    }
  } else if (k == "WORKDIR") {
    std::string d = expand_at(df, in, in.args, env);
    if (d.empty()) fail_at(df, in, "requires a path");
    if (d[0] != '/') d = c.value("WorkingDir", std::string("/")) + "/" + d;
    c["WorkingDir"] = linux_::clean_path(d);
    by = "WORKDIR " + c["WorkingDir"].get<std::string>();
  } else if (k == "USER") {
    std::string u = expand_at(df, in, in.args, env);
    if (u.empty()) fail_at(df, in, "requires a user");
    c["User"] = u;
    by = "USER " + u;
  } else if (k == "CMD") {
    c["Cmd"] = command_of(st, in);
    st.cmd_set = true;
  } else if (k == "ENTRYPOINT") {
    c["Entrypoint"] = command_of(st, in);
    if (!st.cmd_set) c.erase("Cmd");  // an inherited CMD does not survive a new ENTRYPOINT
  } else if (k == "EXPOSE") {
    for (const auto& p : expand_list_at(df, in, in.args, env)) {
      std::string port = p, proto = "tcp";
      size_t sl = p.find('/');
      if (sl != std::string::npos) {
        port = p.substr(0, sl);
        proto = lower(p.substr(sl + 1));
      }
      if (proto != "tcp" && proto != "udp" && proto != "sctp") fail_at(df, in, "invalid protocol \"" + proto + "\" in \"" + p + "\"");
      size_t dash = port.find('-');
      auto num = [&](const std::string& s) {
        if (s.empty() || s.size() > 5 || s.find_first_not_of("0123456789") != std::string::npos || std::stoi(s) > 65535) {
          fail_at(df, in, "invalid port \"" + p + "\"");
        }
        return std::stoi(s);
      };
      int lo = num(port.substr(0, dash)), hi = dash == std::string::npos ? lo : num(port.substr(dash + 1));
      if (hi < lo || hi - lo > 10000) fail_at(df, in, "invalid port range \"" + p + "\"");
      for (int i = lo; i <= hi; ++i) c["ExposedPorts"][std::to_string(i) + "/" + proto] = json::object();
    }
  } else if (k == "VOLUME") {
    auto vols = in.json ? in.argv : expand_list_at(df, in, in.args, env);
    if (vols.empty()) fail_at(df, in, "requires at least one argument");
    for (const auto& v : vols) {
      if (v.empty()) fail_at(df, in, "volume paths can not be empty");
      c["Volumes"][v] = json::object();
    }
  } else if (k == "STOPSIGNAL") {
    std::string s = expand_at(df, in, in.args, env);
    try {
      (void)parse_signal(s);
    } catch (const Error& e) {
      fail_at(df, in, e.what());
    }
    c["StopSignal"] = s;
  } else if (k == "SHELL") {
    st.shell = in.argv;
    c["Shell"] = in.argv;
  } else if (k == "HEALTHCHECK") {
    auto words = split_words_raw(in.args, df.escape);
    json h;
    if (lower(words[0]) == "none") {
      h["Test"] = json::array({"NONE"});
    } else {
      std::string rest = in.args.substr(in.args.find(words[0]) + words[0].size());
      size_t b = rest.find_first_not_of(" \t");
      rest = b == std::string::npos ? "" : rest.substr(b);
      auto arr = nlohmann::json::parse(rest, nullptr, false);
      if (!arr.is_discarded() && arr.is_array() && !arr.empty() && std::all_of(arr.begin(), arr.end(), [](const json& x) { return x.is_string(); })) {
        h["Test"] = json::array({"CMD"});
        for (const auto& x : arr) h["Test"].push_back(x);
      } else {
        h["Test"] = json::array({"CMD-SHELL", rest});
      }
      for (const auto& f : in.flags) {
        std::string v = f.value.value_or("");
        try {
          if (f.name == "retries") {
            if (v.empty() || v.find_first_not_of("0123456789") != std::string::npos) throw Error("invalid --retries \"" + v + "\"");
            h["Retries"] = std::stoi(v);
          } else {
            static const std::map<std::string, std::string> names = {
                {"interval", "Interval"}, {"timeout", "Timeout"}, {"start-period", "StartPeriod"}, {"start-interval", "StartInterval"}};
            h[names.at(f.name)] = cgroups::parse_duration(v);  // Go durations, as runc parses them
          }
        } catch (const Error& e) {
          fail_at(df, in, "--" + f.name + ": " + e.what());
        }
      }
    }
    c["Healthcheck"] = h;
  } else if (k == "ONBUILD") {
    c["OnBuild"].push_back(in.args);
  } else if (k == "MAINTAINER") {
    st.config["author"] = in.args;
  }
  return by;
}

}  // namespace berth::build
