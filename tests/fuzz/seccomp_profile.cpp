// linux.seccomp: the input is the seccomp object; it is parsed and validated
// inside a minimal config.json, then compiled to a BPF program (never loaded).
// The compiled filter must survive the on-disk cache's round trip.
#include "berth/linux/seccomp.hpp"
#include "berth/oci/parse.hpp"
#include "berth/util/error.hpp"
#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto j = berth::fuzz::parse_json(data, size);
  if (!j) return 0;
  nlohmann::json config = {{"ociVersion", "1.2.0"}, {"root", {{"path", "rootfs"}}}, {"linux", {{"seccomp", *j}}}};
  try {
    berth::oci::Spec spec = berth::oci::parse_spec(config);
    if (!spec.linux || !spec.linux->seccomp) return 0;
    berth::linux_::SeccompFilter f = berth::linux_::compile_seccomp(*spec.linux->seccomp);
    auto back = berth::linux_::SeccompFilter::from_bytes(f.to_bytes());
    if (!back || back->to_bytes() != f.to_bytes()) __builtin_trap();
  } catch (const berth::Error&) {
  }
  return 0;
}
