#include <cctype>

#include "berth/image/registry.hpp"
#include "berth/util/error.hpp"

namespace berth::image {

// RFC 7235: scheme SP auth-param *("," auth-param), auth-param = token "=" (token / quoted-string).
AuthChallenge parse_auth_challenge(const std::string& h) {
  auto bad = [&](const std::string& why) -> Error { return Error("WWW-Authenticate \"" + h.substr(0, 200) + "\": " + why); };
  AuthChallenge c;
  size_t i = 0;
  auto ws = [&] {
    while (i < h.size() && (h[i] == ' ' || h[i] == '\t')) ++i;
  };
  ws();
  while (i < h.size() && h[i] != ' ' && h[i] != '\t') c.scheme += static_cast<char>(std::tolower(static_cast<unsigned char>(h[i++])));
  if (c.scheme.empty()) throw bad("no scheme");
  while (true) {
    ws();
    if (i >= h.size()) break;
    std::string key;
    while (i < h.size() && h[i] != '=' && h[i] != ',' && h[i] != ' ') key += static_cast<char>(std::tolower(static_cast<unsigned char>(h[i++])));
    ws();
    if (i >= h.size() || h[i] != '=') throw bad("parameter \"" + key + "\" has no value");
    ++i;
    ws();
    std::string val;
    if (i < h.size() && h[i] == '"') {
      ++i;
      bool closed = false;
      while (i < h.size()) {
        if (h[i] == '\\' && i + 1 < h.size()) {
          val += h[i + 1];
          i += 2;
        } else if (h[i] == '"') {
          ++i;
          closed = true;
          break;
        } else {
          val += h[i++];
        }
      }
      if (!closed) throw bad("unterminated quoted value of \"" + key + "\"");
    } else {
      while (i < h.size() && h[i] != ',' && h[i] != ' ') val += h[i++];
    }
    if (key.empty()) throw bad("empty parameter name");
    c.params[key] = val;
    ws();
    if (i < h.size()) {
      if (h[i] != ',') throw bad("expected \",\" after \"" + key + "\"");
      ++i;
    }
  }
  return c;
}

}  // namespace berth::image
