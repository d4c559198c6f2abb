// process.json (`berth exec --process`): parse + validate (oci::parse_process).
#include "berth/oci/parse.hpp"
#include "berth/util/error.hpp"
#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto j = berth::fuzz::parse_json(data, size);
  if (!j) return 0;
  try {
    berth::oci::Process p = berth::oci::parse_process(*j);
    (void)berth::oci::to_json(p);
  } catch (const berth::Error&) {
  }
  return 0;
}
