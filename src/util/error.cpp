#include "berth/util/error.hpp"

#include <cctype>
#include <cstring>

namespace berth {

Error::Error(const std::string& msg, int err) : std::runtime_error(msg), code_(err) {}

void throw_errno(const std::string& what) { throw_errno(what, errno); }

void throw_errno(const std::string& what, int err) {
  throw Error(what + ": " + std::strerror(err), err);
}

namespace {
std::string lower_first(std::string s) {
  if (!s.empty()) s[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[0])));
  return s;
}
}  // namespace

std::string go_strerror(int err) { return lower_first(std::strerror(err)); }
std::string go_strsignal(int sig) { return lower_first(::strsignal(sig)); }

}  // namespace berth
