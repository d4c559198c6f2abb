// runc's value parsers: go-units RAMInBytes and Go's time.ParseDuration.
#include "berth/cgroups/units.hpp"

#include <cctype>
#include <cmath>
#include <limits>

#include "berth/util/error.hpp"

namespace berth::cgroups {

int64_t parse_bytes(const std::string& s) {
  // ^(\d+(\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$
  auto invalid = [&]() -> Error { return Error("invalid size: '" + s + "'"); };
  size_t i = 0;
  auto digits = [&] {
    size_t start = i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
    return i > start;
  };
  if (!digits()) throw invalid();
  int dots = 0;
  while (i < s.size() && s[i] == '.') {
    ++i;
    if (!digits()) throw invalid();
    ++dots;
  }
  std::string number = s.substr(0, i);
  if (i < s.size() && s[i] == ' ') ++i;
  uint64_t mult = 1;
  if (i < s.size()) {
    switch (std::tolower(static_cast<unsigned char>(s[i]))) {
      case 'k': mult = 1ULL << 10; break;
      case 'm': mult = 1ULL << 20; break;
      case 'g': mult = 1ULL << 30; break;
      case 't': mult = 1ULL << 40; break;
      case 'p': mult = 1ULL << 50; break;
      default: mult = 0; break;
    }
    if (mult) ++i; else mult = 1;
  }
  if (i < s.size() && (s[i] == 'i' || s[i] == 'I')) ++i;
  if (i < s.size() && (s[i] == 'b' || s[i] == 'B')) ++i;
  if (i != s.size()) throw invalid();
  // Go's strconv.ParseFloat refuses "1.2.3", which the pattern lets through.
  if (dots > 1) throw Error("strconv.ParseFloat: parsing \"" + number + "\": invalid syntax");
  long double v = std::strtold(number.c_str(), nullptr) * static_cast<long double>(mult);
  if (!(v < 9223372036854775808.0L)) throw invalid();
  return static_cast<int64_t>(v);
}

int64_t parse_duration(const std::string& orig) {
  auto invalid = [&]() -> Error { return Error("time: invalid duration \"" + orig + "\""); };
  std::string s = orig;
  bool neg = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    neg = s[0] == '-';
    s.erase(0, 1);
  }
  if (s == "0") return 0;
  if (s.empty()) throw invalid();
  long double total = 0;
  size_t i = 0;
  while (i < s.size()) {
    // [0-9]*(\.[0-9]*)?
    size_t start = i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
    bool pre = i > start;
    bool post = false;
    if (i < s.size() && s[i] == '.') {
      ++i;
      size_t fs = i;
      while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
      post = i > fs;
    }
    if (!pre && !post) throw invalid();
    long double value = std::strtold(s.substr(start, i - start).c_str(), nullptr);
    size_t ustart = i;
    while (i < s.size() && s[i] != '.' && !std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
    if (i == ustart) throw Error("time: missing unit in duration \"" + orig + "\"");
    std::string unit = s.substr(ustart, i - ustart);
    long double mult;
    if (unit == "ns") mult = 1;
    else if (unit == "us" || unit == "\u00b5s" || unit == "\u03bcs") mult = 1e3L;
    else if (unit == "ms") mult = 1e6L;
    else if (unit == "s") mult = 1e9L;
    else if (unit == "m") mult = 60e9L;
    else if (unit == "h") mult = 3600e9L;
    else throw Error("time: unknown unit \"" + unit + "\" in duration \"" + orig + "\"");
    total += value * mult;
    if (total > static_cast<long double>(std::numeric_limits<int64_t>::max())) throw invalid();
  }
  int64_t ns = static_cast<int64_t>(total);
  return neg ? -ns : ns;
}

}  // namespace berth::cgroups
