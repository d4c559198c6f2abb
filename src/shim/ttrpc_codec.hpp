// ttrpc framing: every message is a 10-byte header (payload length uint32 BE, stream id
// uint32 BE, type uint8, flags uint8) followed by the payload, a protobuf Request (type 1)
// or Response (type 2). Payloads above 4 MiB are refused, as ttrpc does.
#pragma once
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace berth::shim::ttrpc {

inline constexpr std::size_t kHeaderSize = 10;
inline constexpr std::uint32_t kMaxMessage = 4u << 20;

enum class MsgType : std::uint8_t { Request = 1, Response = 2 };

struct Header {
  std::uint32_t length = 0;
  std::uint32_t stream_id = 0;
  std::uint8_t type = 0;
  std::uint8_t flags = 0;
};

void encode_header(const Header& h, unsigned char out[kHeaderSize]);
Header decode_header(const unsigned char in[kHeaderSize]);
// Header + payload. Throws RpcError(ResourceExhausted) if the payload is over the limit.
std::string frame(std::uint32_t stream_id, MsgType type, std::string_view payload);

// gRPC status codes (containerd maps them to its errdefs).
enum class Code : int {
  OK = 0, Canceled = 1, Unknown = 2, InvalidArgument = 3, DeadlineExceeded = 4, NotFound = 5,
  AlreadyExists = 6, PermissionDenied = 7, ResourceExhausted = 8, FailedPrecondition = 9,
  Aborted = 10, OutOfRange = 11, Unimplemented = 12, Internal = 13, Unavailable = 14,
};
const char* code_name(Code c);

// An error that travels back to the caller as a ttrpc status.
class RpcError : public std::runtime_error {
 public:
  RpcError(Code code, const std::string& msg) : std::runtime_error(msg), code_(code) {}
  Code code() const noexcept { return code_; }

 private:
  Code code_;
};

// Splits a byte stream into frames. Bytes are appended with feed(); next() yields complete
// frames. A header announcing more than kMaxMessage makes next() return Oversized: the
// stream cannot be trusted any more and the connection is to be closed.
class FrameReader {
 public:
  enum class Result { NeedMore, Frame, Oversized };
  void feed(const char* data, std::size_t n) { buf_.append(data, n); }
  Result next(Header& h, std::string& payload);
  // Bytes received but not yet part of a complete frame.
  std::size_t buffered() const noexcept { return buf_.size() - pos_; }

 private:
  std::string buf_;
  std::size_t pos_ = 0;
};

using Metadata = std::vector<std::pair<std::string, std::string>>;

struct Request {
  std::uint32_t stream_id = 0;
  std::string service;
  std::string method;
  std::string payload;
  std::int64_t timeout_nano = 0;
  Metadata metadata;
  // First value of a metadata key, empty if absent.
  std::string meta(std::string_view key) const;
};

// Protobuf encoding of the Request and Response messages (payload of a frame).
std::string encode_request(const Request& r);
// Throws RpcError(InvalidArgument) on a payload that is not a Request.
Request decode_request(std::string_view payload, std::uint32_t stream_id);
std::string encode_response(Code code, const std::string& message, std::string_view payload);
// Decodes a response; throws RpcError with the status it carries when that is not OK.
std::string decode_response(std::string_view payload);

}  // namespace berth::shim::ttrpc
