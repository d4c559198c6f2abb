#include "berth/image/reference.hpp"

#include <cctype>
#include <string_view>

#include "berth/image/digest.hpp"
#include "berth/util/error.hpp"

namespace berth::image {

namespace {

bool lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool alnum(char c) { return lower_alnum(c) || (c >= 'A' && c <= 'Z'); }

// One path component: [a-z0-9]+ ((\.|_|__|-+)[a-z0-9]+)*
bool valid_component(std::string_view c) {
  if (c.empty() || !lower_alnum(c.front()) || !lower_alnum(c.back())) return false;
  for (size_t i = 0; i < c.size();) {
    if (lower_alnum(c[i])) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < c.size() && !lower_alnum(c[j])) ++j;
    std::string_view sep = c.substr(i, j - i);
    bool ok = sep == "." || sep == "_" || sep == "__" || sep.find_first_not_of('-') == std::string_view::npos;
    if (!ok) return false;
    i = j;
  }
  return true;
}

// host[:port]: DNS-ish labels of [A-Za-z0-9-] (not starting or ending with "-"), or [IPv6].
bool valid_domain(std::string_view d) {
  std::string_view host = d;
  size_t colon = std::string_view::npos;
  if (!d.empty() && d.front() == '[') {
    size_t close = d.find(']');
    if (close == std::string_view::npos || close == 1) return false;
    for (char c : d.substr(1, close - 1)) {
      if (!(std::isxdigit(static_cast<unsigned char>(c)) || c == ':')) return false;
    }
    if (close + 1 == d.size()) return true;
    if (d[close + 1] != ':') return false;
    colon = close + 1;
    host = {};
  } else {
    colon = d.find(':');
    host = d.substr(0, colon);
  }
  if (colon != std::string_view::npos) {
    std::string_view port = d.substr(colon + 1);
    if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string_view::npos) return false;
  }
  if (d.front() == '[') return true;
  if (host.empty()) return false;
  size_t start = 0;
  while (true) {
    size_t dot = host.find('.', start);
    std::string_view label = host.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty() || !alnum(label.front()) || !alnum(label.back())) return false;
    for (char c : label) {
      if (!alnum(c) && c != '-') return false;
    }
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return true;
}

bool valid_tag(std::string_view t) {
  if (t.empty() || t.size() > 128) return false;
  if (!(alnum(t[0]) || t[0] == '_')) return false;
  for (char c : t) {
    if (!(alnum(c) || c == '_' || c == '.' || c == '-')) return false;
  }
  return true;
}

}  // namespace

std::string Reference::str() const {
  std::string s = name();
  if (!tag.empty()) s += ":" + tag;
  if (!digest.empty()) s += "@" + digest;
  return s;
}

std::string Reference::familiar() const {
  std::string n = name();
  if (domain == kDefaultRegistry) {
    n = path.rfind("library/", 0) == 0 && path.find('/', 8) == std::string::npos ? path.substr(8) : path;
  }
  if (!tag.empty()) n += ":" + tag;
  if (!digest.empty()) n += "@" + digest;
  return n;
}

Reference parse_reference(const std::string& s) {
  auto bad = [&](const std::string& why) -> Error { return Error("invalid reference \"" + s.substr(0, 300) + "\": " + why); };
  if (s.empty()) throw bad("empty");
  Reference r;
  std::string rest = s;
  if (size_t at = rest.find('@'); at != std::string::npos) {
    r.digest = rest.substr(at + 1);
    rest.resize(at);
    size_t c = r.digest.find(':');
    if (c == std::string::npos || c == 0) throw bad("digest \"" + r.digest + "\" is not ALGORITHM:HEX");
    if (r.digest.substr(0, c) != "sha256") throw bad("digest algorithm \"" + r.digest.substr(0, c) + "\" is not supported (only sha256)");
    if (!valid_digest(r.digest)) throw bad("sha256 digest must be 64 lower-case hex digits");
  }
  size_t slash = rest.rfind('/');
  size_t colon = rest.rfind(':');
  if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) {
    r.tag = rest.substr(colon + 1);
    rest.resize(colon);
    if (!valid_tag(r.tag)) throw bad("tag \"" + r.tag + "\" must be [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");
  }
  if (rest.empty()) throw bad("no repository name");
  // The first component is a registry when it looks like a host: has "." or ":", is
  // "localhost", or has upper-case letters (which a repository path may not).
  size_t first = rest.find('/');
  std::string remainder = rest;
  r.domain = kDefaultRegistry;
  r.short_name = true;
  if (first != std::string::npos) {
    std::string head = rest.substr(0, first);
    bool upper = head.find_first_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ") != std::string::npos;
    if (head.find_first_of(".:") != std::string::npos || head == "localhost" || upper) {
      if (!valid_domain(head)) throw bad("registry \"" + head + "\" is not HOST[:PORT]");
      r.domain = head;
      r.short_name = false;
      remainder = rest.substr(first + 1);
    }
  }
  if (r.domain == "index.docker.io") r.domain = kDefaultRegistry;
  if (r.domain == kDefaultRegistry && remainder.find('/') == std::string::npos) remainder = "library/" + remainder;
  if (remainder.find_first_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ") != std::string::npos) throw bad("repository name must be lowercase");
  size_t start = 0;
  while (true) {
    size_t e = remainder.find('/', start);
    std::string_view comp = std::string_view(remainder).substr(start, e == std::string::npos ? std::string::npos : e - start);
    if (!valid_component(comp)) {
      throw bad("path component \"" + std::string(comp) + "\" must be [a-z0-9] separated by \".\", \"_\", \"__\" or \"-\"");
    }
    if (e == std::string::npos) break;
    start = e + 1;
  }
  // docker refuses a bare 64-hex name: it would be mistaken for an image ID.
  if (first == std::string::npos && rest.size() == 64 && rest.find_first_not_of("0123456789abcdef") == std::string::npos) {
    throw bad("a 64-digit hexadecimal string is an image ID, not a repository name");
  }
  r.path = remainder;
  if (r.name().size() > 255) throw bad("repository name is longer than 255 characters");
  if (r.tag.empty() && r.digest.empty()) r.tag = "latest";
  return r;
}

}  // namespace berth::image
