// Human-facing values on the command line, parsed as runc parses them.
#pragma once
#include <cstdint>
#include <string>

namespace berth::cgroups {

// A memory size as docker/go-units RAMInBytes reads it (runc update --memory etc.):
// a decimal number, an optional space, an optional binary unit k/m/g/t/p (any case),
// an optional "i" and an optional "b": "10m", "1.5g", "64MiB", "100", "2 kb".
// Throws berth::Error with runc's text ("invalid size: 'abc'"). "-1" is not a size:
// callers that accept -1 (unlimited) check for it first, as runc does.
int64_t parse_bytes(const std::string& s);

// A Go time.Duration string ("5s", "100ms", "1m30s", "1.5h", "-2s", "0"), in
// nanoseconds. Throws berth::Error("time: invalid duration ...") like Go.
int64_t parse_duration(const std::string& s);

}  // namespace berth::cgroups
