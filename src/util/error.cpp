#include "berth/util/error.hpp"

#include <cstring>

namespace berth {

Error::Error(const std::string& msg, int err) : std::runtime_error(msg), code_(err) {}

void throw_errno(const std::string& what) { throw_errno(what, errno); }

void throw_errno(const std::string& what, int err) {
  throw Error(what + ": " + std::strerror(err), err);
}

}  // namespace berth
