#include "run_mounts.hpp"

#include <charconv>

#include "berth/linux/safepath.hpp"
#include "berth/util/error.hpp"

namespace berth::build {
namespace {

template <typename T>
T number(const std::string& key, const std::string& v, int base = 10) {
  T out{};
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out, base);
  if (ec != std::errc() || p != v.data() + v.size() || v.empty()) throw Error("--mount: " + key + "=\"" + v + "\": not a number");
  return out;
}

uint64_t size_of(const std::string& v) {
  size_t i = 0;
  while (i < v.size() && std::isdigit(static_cast<unsigned char>(v[i]))) ++i;
  uint64_t n = number<uint64_t>("size", v.substr(0, i));
  std::string unit = v.substr(i);
  uint64_t mul = unit.empty() || unit == "b" ? 1 : unit == "k" || unit == "kb" ? 1024 : unit == "m" || unit == "mb" ? 1024 * 1024 : unit == "g" || unit == "gb" ? 1024ull * 1024 * 1024 : 0;
  if (!mul) throw Error("--mount: size=\"" + v + "\": unknown unit");
  return n * mul;
}

}  // namespace

RunMount parse_run_mount(const std::string& value, const std::string& workdir) {
  RunMount m;
  size_t b = 0;
  while (b <= value.size()) {
    size_t e = value.find(',', b);
    if (e == std::string::npos) e = value.size();
    std::string kv = value.substr(b, e - b);
    b = e + 1;
    if (kv.empty()) continue;
    size_t eq = kv.find('=');
    std::string k = kv.substr(0, eq), v = eq == std::string::npos ? "" : kv.substr(eq + 1);
    if (k == "type") {
      if (v != "bind" && v != "cache" && v != "tmpfs" && v != "secret" && v != "ssh") {
        throw Error("--mount: type=\"" + v + "\" is not supported (bind, cache, tmpfs, secret, ssh)");
      }
      m.type = v;
    } else if (k == "target" || k == "dst" || k == "destination") {
      m.target = v;
    } else if (k == "source" || k == "src") {
      m.source = v;
    } else if (k == "from") {
      m.from = v;
    } else if (k == "id") {
      m.id = v;
    } else if (k == "readonly" || k == "ro") {
      m.readonly = v.empty() || v == "true";
    } else if (k == "rw" || k == "readwrite") {
      if (v.empty() || v == "true") throw Error("--mount: rw bind mounts are not supported (changes would be thrown away)");
    } else if (k == "required") {
      if (!v.empty() && v != "true" && v != "false") throw Error("--mount: required=\"" + v + "\": want true or false");
      m.required = v != "false";
    } else if (k == "sharing") {
      if (v != "shared" && v != "private" && v != "locked") throw Error("--mount: sharing=\"" + v + "\": want shared, private or locked");
    } else if (k == "mode") {
      m.mode = number<mode_t>(k, v, 8);
    } else if (k == "uid") {
      m.uid = number<uid_t>(k, v);
    } else if (k == "gid") {
      m.gid = number<gid_t>(k, v);
    } else if (k == "size") {
      m.size = size_of(v);
    } else {
      throw Error("--mount: unknown option \"" + k + "\"");
    }
  }
  if (m.type == "secret") {
    if (m.id.empty() && m.target.empty()) throw Error("--mount: type=secret needs id= or target=");
    if (m.id.empty()) m.id = m.target.substr(m.target.rfind('/') + 1);
    if (m.target.empty()) m.target = "/run/secrets/" + m.id;
  } else if (m.type == "ssh") {
    if (m.id.empty()) m.id = "default";
  } else if (m.required) {
    throw Error("--mount: required= is for type=secret and type=ssh");
  }
  if (m.target.empty() && m.type != "ssh") throw Error("--mount: target=PATH is required");
  if (!m.target.empty()) {
    if (m.target[0] != '/') m.target = (workdir == "/" ? "" : workdir) + "/" + m.target;
    m.target = linux_::clean_path(m.target);
    if (m.target == "/") throw Error("--mount: cannot mount over /");
  }
  if (m.type != "bind" && (!m.from.empty() || !m.source.empty())) throw Error("--mount: from= and source= are for type=bind");
  if (m.type == "ssh" && (m.mode || m.uid || m.gid)) {
    // The agent's socket is bound as it is (no proxy socket of our own): its owner and mode
    // are the host's. Refused rather than ignored.
    throw Error("--mount: type=ssh: mode=, uid= and gid= are not supported (the agent socket is bound as it is)");
  }
  if (m.type == "bind" && m.source.empty()) m.source = ".";
  if (m.type == "cache" && m.id.empty()) m.id = m.target;
  m.canonical = m.type + "|" + m.target + "|" + m.source + "|" + m.from + "|" + m.id + "|" + (m.readonly ? "ro" : "rw") + "|" +
                (m.required ? "required|" : "") +
                (m.mode ? std::to_string(*m.mode) : "") + "|" + (m.uid ? std::to_string(*m.uid) : "") + "|" +
                (m.gid ? std::to_string(*m.gid) : "") + "|" + (m.size ? std::to_string(*m.size) : "");
  return m;
}

}  // namespace berth::build
