// Shared by the libFuzzer targets: the input as JSON, and the rule every target
// checks: bad input may only ever end in a berth::Error (a clear message);
// anything else (another exception, a crash, a sanitizer report, a leak) is a bug.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include <nlohmann/json.hpp>

namespace berth::fuzz {

// nullopt when the bytes are not JSON (the parsers never see those).
inline std::optional<nlohmann::json> parse_json(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return std::nullopt;
  return j;
}

}  // namespace berth::fuzz
