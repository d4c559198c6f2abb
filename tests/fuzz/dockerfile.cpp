// Dockerfile text (berth-build): build::parse_dockerfile (directives, continuations,
// comments, flags, JSON and shell forms, heredocs).
#include <string_view>

#include "berth/build/dockerfile.hpp"
#include "berth/util/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    berth::build::Dockerfile df = berth::build::parse_dockerfile(text);
    for (const auto& ins : df.instructions)
      if (ins.line < 1) __builtin_trap();  // every instruction has a 1-based line
  } catch (const berth::Error&) {
  }
  return 0;
}
