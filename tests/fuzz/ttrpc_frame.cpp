// A byte stream on a shim connection: the first byte picks the size of the reads it arrives
// in (1..256 bytes), the rest is fed to ttrpc::FrameReader as the server does. Every frame
// is decoded as the server would: a Request (round-tripped through encode_request, and its
// payload read as runtime options, the Any of a Create) or a Response. Bad input may only end
// in an RpcError or an Oversized frame (the server then closes the connection).
#include <cstdint>
#include <string>

#include "runtime_options.hpp"
#include "ttrpc_codec.hpp"

using namespace berth::shim;
using namespace berth::shim::ttrpc;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const std::size_t chunk = std::size_t{data[0]} + 1;
  const char* bytes = reinterpret_cast<const char*>(data + 1);
  size -= 1;
  FrameReader reader;
  Header h;
  std::string payload;
  std::size_t fed = 0, framed = 0;
  for (std::size_t off = 0; off < size;) {
    std::size_t n = size - off < chunk ? size - off : chunk;
    reader.feed(bytes + off, n);
    off += n;
    fed += n;
    for (;;) {
      auto res = reader.next(h, payload);
      if (res == FrameReader::Result::NeedMore) break;
      if (res == FrameReader::Result::Oversized) {
        if (h.length <= kMaxMessage) __builtin_trap();
        return 0;  // the server answers ResourceExhausted and hangs up
      }
      if (payload.size() != h.length) __builtin_trap();
      framed += kHeaderSize + payload.size();
      if (h.type == static_cast<std::uint8_t>(MsgType::Request)) {
        try {
          Request q = decode_request(payload, h.stream_id);
          Request back = decode_request(encode_request(q), h.stream_id);
          if (back.service != q.service || back.method != q.method || back.payload != q.payload ||
              back.timeout_nano != q.timeout_nano || back.metadata != q.metadata)
            __builtin_trap();
          try {
            parse_runtime_options(q.payload);
          } catch (const RpcError&) {
          }
        } catch (const RpcError&) {
        }
      } else {
        try {
          decode_response(payload);
        } catch (const RpcError&) {
        }
      }
      // The frame re-encodes to the bytes it came from (flags aside, which frame() zeroes).
      std::string again = frame(h.stream_id, static_cast<MsgType>(h.type), payload);
      Header h2 = decode_header(reinterpret_cast<const unsigned char*>(again.data()));
      if (h2.length != h.length || h2.stream_id != h.stream_id || h2.type != h.type) __builtin_trap();
    }
  }
  if (framed + reader.buffered() != fed) __builtin_trap();  // no byte lost or made up
  return 0;
}
