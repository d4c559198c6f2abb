// The message of the berth::Error that f throws, or "" when it throws none.
#pragma once
#include <functional>
#include <string>

#include "berth/util/error.hpp"

inline std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const berth::Error& e) {
    return e.what();
  }
  return "";
}
