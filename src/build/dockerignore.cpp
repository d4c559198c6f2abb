#include "berth/build/dockerignore.hpp"

#include <cctype>

#include "berth/linux/safepath.hpp"

namespace berth::build {
namespace {

// One path segment against one pattern segment (no '/').
bool seg_match(std::string_view p, std::string_view s) {
  size_t pi = 0, si = 0, star_p = std::string_view::npos, star_s = 0;
  while (si < s.size()) {
    if (pi < p.size() && p[pi] == '*') {
      star_p = pi++;
      star_s = si;
      continue;
    }
    if (pi < p.size()) {
      bool ok = false;
      size_t next = pi + 1;
      if (p[pi] == '?') {
        ok = true;
      } else if (p[pi] == '[') {
        size_t j = pi + 1;
        bool neg = false;
        if (j < p.size() && (p[j] == '^' || p[j] == '!')) {
          neg = true;
          ++j;
        }
        bool found = false, first = true;
        while (j < p.size() && (p[j] != ']' || first)) {
          first = false;
          char lo = p[j];
          if (lo == '\\' && j + 1 < p.size()) lo = p[++j];
          char hi = lo;
          if (j + 2 < p.size() && p[j + 1] == '-' && p[j + 2] != ']') {
            hi = p[j + 2];
            if (hi == '\\' && j + 3 < p.size()) hi = p[++j + 2];
            j += 2;
          }
          if (s[si] >= lo && s[si] <= hi) found = true;
          ++j;
        }
        if (j >= p.size()) return false;  // unterminated class: bad pattern
        ok = found != neg;
        next = j + 1;
      } else if (p[pi] == '\\' && pi + 1 < p.size()) {
        ok = p[pi + 1] == s[si];
        next = pi + 2;
      } else {
        ok = p[pi] == s[si];
      }
      if (ok) {
        pi = next;
        ++si;
        continue;
      }
    }
    if (star_p == std::string_view::npos) return false;
    pi = star_p + 1;
    si = ++star_s;
  }
  while (pi < p.size() && p[pi] == '*') ++pi;
  return pi == p.size();
}

std::vector<std::string_view> segments(std::string_view s) {
  std::vector<std::string_view> out;
  size_t b = 0;
  while (b <= s.size()) {
    size_t e = s.find('/', b);
    if (e == std::string_view::npos) e = s.size();
    if (e > b) out.push_back(s.substr(b, e - b));
    b = e + 1;
  }
  return out;
}

bool segs_match(const std::vector<std::string_view>& p, size_t pi, const std::vector<std::string_view>& s, size_t si) {
  while (pi < p.size()) {
    if (p[pi] == "**") {
      for (size_t k = si; k <= s.size(); ++k) {
        if (segs_match(p, pi + 1, s, k)) return true;
      }
      return false;
    }
    if (si >= s.size() || !seg_match(p[pi], s[si])) return false;
    ++pi;
    ++si;
  }
  return si == s.size();
}

std::string trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

// Cleans a pattern or path the way Docker does (filepath.Clean, no leading '/').
std::string clean_rel(const std::string& p) {
  std::string c = linux_::clean_path("/" + p);
  return c == "/" ? "." : c.substr(1);
}

}  // namespace

bool path_match(std::string_view pattern, std::string_view path) {
  return segs_match(segments(pattern), 0, segments(path), 0);
}

bool has_glob(std::string_view s) { return s.find_first_of("*?[\\") != std::string_view::npos; }

DockerIgnore::DockerIgnore(std::string_view text) {
  size_t b = 0;
  while (b <= text.size()) {
    size_t e = text.find('\n', b);
    if (e == std::string_view::npos) e = text.size();
    std::string line = trim(text.substr(b, e - b));
    b = e + 1;
    if (line.empty() || line[0] == '#') continue;
    bool exc = false;
    if (line[0] == '!') {
      exc = true;
      line = trim(std::string_view(line).substr(1));
      if (line.empty()) continue;
    }
    line = clean_rel(line);
    patterns_.push_back({line, exc});
    has_exceptions_ = has_exceptions_ || exc;
  }
}

bool DockerIgnore::excluded(const std::string& path) const {
  std::string p = clean_rel(path);
  bool ex = false;
  for (const auto& pat : patterns_) {
    // A pattern matching a parent directory excludes what is below it.
    bool m = path_match(pat.glob, p);
    for (size_t i = p.find('/'); !m && i != std::string::npos; i = p.find('/', i + 1)) {
      m = path_match(pat.glob, std::string_view(p).substr(0, i));
    }
    if (m) ex = !pat.exception;
  }
  return ex;
}

}  // namespace berth::build
