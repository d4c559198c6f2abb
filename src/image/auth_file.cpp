#include "berth/image/auth_file.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "berth/image/store.hpp"
#include "berth/util/error.hpp"
#include "berth/util/fd.hpp"

namespace berth::image {

using nlohmann::json;

namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

std::string home() { return env("HOME"); }

bool exists(const std::string& p) {
  struct stat st{};
  return ::stat(p.c_str(), &st) == 0;
}

// A key as docker and containers may have written it, reduced to host[/path]:
// "https://index.docker.io/v1/" -> "docker.io", "http://h:5000" -> "h:5000".
std::string normalize_key(std::string k) {
  bool legacy = false;
  for (const char* scheme : {"https://", "http://"}) {
    if (k.rfind(scheme, 0) == 0) {
      k = k.substr(std::string(scheme).size());
      legacy = true;
    }
  }
  if (legacy) k = k.substr(0, k.find('/'));  // docker's URLs carry an API path ("/v1/"), not a repository
  while (!k.empty() && k.back() == '/') k.pop_back();
  if (k == "index.docker.io" || k == "registry-1.docker.io") k = "docker.io";
  return k;
}

json read_json(const std::string& file) {
  std::string text = read_file(file);
  json j = json::parse(text, nullptr, false);
  if (!j.is_object()) throw Error("auth file " + file + ": not a JSON object");
  return j;
}

std::optional<Credentials> decode_entry(const json& e, const std::string& file, const std::string& key) {
  if (!e.is_object()) throw Error("auth file " + file + ": auths[\"" + key + "\"] is not an object");
  std::string where = "auth file " + file + ": auths[\"" + key + "\"]";
  if (e.contains("auth") && e["auth"].is_string() && !e["auth"].get<std::string>().empty()) {
    std::string plain;
    try {
      plain = base64_decode(e["auth"].get<std::string>());
    } catch (const Error& x) {
      throw Error(where + ".auth: " + x.what());
    }
    size_t c = plain.find(':');
    if (c == std::string::npos) throw Error(where + ".auth: not base64 of USER:PASSWORD");
    return Credentials{plain.substr(0, c), plain.substr(c + 1)};
  }
  if (e.contains("username") && e["username"].is_string()) {
    return Credentials{e["username"].get<std::string>(), e.value("password", "")};
  }
  return std::nullopt;  // e.g. an entry that only names a credential helper
}

// FILE with a private mode from the first byte: a temporary (0600), fsync, rename.
void write_private(const std::string& file, const std::string& data) {
  std::string dir = file.substr(0, file.rfind('/'));
  if (!dir.empty() && !exists(dir)) {
    // mkdir -p with 0700 for what we create
    for (size_t p = 1; p <= dir.size(); ++p) {
      if (p == dir.size() || dir[p] == '/') {
        std::string d = dir.substr(0, p);
        if (::mkdir(d.c_str(), 0700) != 0 && errno != EEXIST) throw_errno("mkdir " + d);
      }
    }
  }
  std::string tmp = file + ".tmp-" + std::to_string(::getpid());
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd) throw_errno("create " + tmp);
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd.get(), data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int e = errno;
      ::unlink(tmp.c_str());
      throw_errno("write " + tmp, e);
    }
    off += static_cast<size_t>(n);
  }
  if (::fsync(fd.get()) != 0 || ::rename(tmp.c_str(), file.c_str()) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    throw_errno("write " + file, e);
  }
}

json read_or_empty(const std::string& file) { return exists(file) ? read_json(file) : json::object(); }

}  // namespace

std::string base64_encode(const std::string& in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::string base64_decode(const std::string& in) {
  if (in.size() % 4 != 0 || in.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") != std::string::npos) {
    throw Error("not base64");
  }
  std::string out(in.size() / 4 * 3 + 1, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()), reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
  if (n < 0) throw Error("not base64");
  size_t len = static_cast<size_t>(n);
  // EVP_DecodeBlock counts the padding as zero bytes.
  for (size_t i = in.size(); i > 0 && in[i - 1] == '='; --i) --len;
  out.resize(len);
  return out;
}

std::string auth_file_path(const std::string& explicit_path) {
  if (!explicit_path.empty()) return explicit_path;
  if (std::string f = env("REGISTRY_AUTH_FILE"); !f.empty()) return f;
  if (std::string x = env("XDG_RUNTIME_DIR"); !x.empty()) return x + "/containers/auth.json";
  return "/run/containers/" + std::to_string(::getuid()) + "/auth.json";
}

std::vector<std::string> auth_file_search_path(const std::string& explicit_path) {
  std::vector<std::string> out{auth_file_path(explicit_path)};
  bool named = !explicit_path.empty() || !env("REGISTRY_AUTH_FILE").empty();
  if (!named) {
    if (std::string x = env("XDG_CONFIG_HOME"); !x.empty()) {
      out.push_back(x + "/containers/auth.json");
    } else if (!home().empty()) {
      out.push_back(home() + "/.config/containers/auth.json");
    }
  }
  if (std::string d = env("DOCKER_CONFIG"); !d.empty()) {
    out.push_back(d + "/config.json");
  } else if (!home().empty()) {
    out.push_back(home() + "/.docker/config.json");
  }
  return out;
}

std::optional<Credentials> find_credentials(const std::string& explicit_path, const std::string& domain, const std::string& path) {
  // Most specific first: "h/a/b", "h/a", "h".
  std::vector<std::string> keys;
  std::string k = domain + (path.empty() ? "" : "/" + path);
  while (true) {
    keys.push_back(k);
    size_t s = k.rfind('/');
    if (s == std::string::npos || s < domain.size()) break;
    k.resize(s);
  }
  for (const auto& file : auth_file_search_path(explicit_path)) {
    if (!exists(file)) continue;
    json j = read_json(file);
    if (!j.contains("auths") || !j["auths"].is_object()) continue;
    for (const auto& want : keys) {
      for (const auto& [key, entry] : j["auths"].items()) {
        if (normalize_key(key) != want) continue;
        if (auto c = decode_entry(entry, file, key)) return c;
      }
    }
  }
  return std::nullopt;
}

void store_credentials(const std::string& file, const std::string& key, const Credentials& c) {
  json j = read_or_empty(file);
  if (!j.contains("auths") || !j["auths"].is_object()) j["auths"] = json::object();
  j["auths"][key] = {{"auth", base64_encode(c.username + ":" + c.password)}};
  write_private(file, j.dump(1, '\t') + "\n");
}

bool remove_credentials(const std::string& file, const std::string& key) {
  if (!exists(file)) return false;
  json j = read_json(file);
  if (!j.contains("auths") || !j["auths"].is_object()) return false;
  bool found = false;
  for (auto it = j["auths"].begin(); it != j["auths"].end();) {
    if (it.key() == key || normalize_key(it.key()) == key) {
      it = j["auths"].erase(it);
      found = true;
    } else {
      ++it;
    }
  }
  if (found) write_private(file, j.dump(1, '\t') + "\n");
  return found;
}

void remove_all_credentials(const std::string& file) {
  if (!exists(file)) return;
  json j = read_json(file);
  j["auths"] = json::object();
  write_private(file, j.dump(1, '\t') + "\n");
}

}  // namespace berth::image
