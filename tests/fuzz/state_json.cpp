// --root/<id>/state.json and creating.json read back into a Record, as every
// later command (state, list, start, delete, exec, ...) does.
#include "berth/container/record.hpp"
#include "berth/util/error.hpp"
#include "fuzz_input.hpp"

using berth::container::RecordSpec;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto j = berth::fuzz::parse_json(data, size);
  if (!j) return 0;
  for (RecordSpec what : {RecordSpec::None, RecordSpec::HooksOnly, RecordSpec::Full}) {
    try {
      (void)berth::container::record_from_state(*j, "state.json", what);
    } catch (const berth::Error&) {
    }
  }
  try {
    (void)berth::container::record_from_partial(*j, "creating.json");
  } catch (const berth::Error&) {
  }
  return 0;
}
