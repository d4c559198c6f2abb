// config.json: parse + validate (oci::parse_spec), and what berth writes back
// (`berth spec`, state.json) must parse again to the same document.
#include "berth/oci/parse.hpp"
#include "berth/util/error.hpp"
#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto j = berth::fuzz::parse_json(data, size);
  if (!j) return 0;
  berth::oci::Spec spec;
  try {
    spec = berth::oci::parse_spec(*j);
  } catch (const berth::Error&) {
    return 0;
  }
  // A valid config survives the round trip: to_json's output is itself valid
  // and stable (it is what state.json stores and later commands read back).
  nlohmann::json once = berth::oci::to_json(spec);
  nlohmann::json twice = berth::oci::to_json(berth::oci::parse_spec(once, "round-trip"));
  if (once != twice) __builtin_trap();
  return 0;
}
