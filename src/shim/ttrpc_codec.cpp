#include "ttrpc_codec.hpp"

#include "berth/ttrpc.pb.h"

namespace berth::shim::ttrpc {

void encode_header(const Header& h, unsigned char out[kHeaderSize]) {
  for (int i = 0; i < 4; ++i) {
    out[i] = static_cast<unsigned char>(h.length >> (24 - 8 * i));
    out[4 + i] = static_cast<unsigned char>(h.stream_id >> (24 - 8 * i));
  }
  out[8] = h.type;
  out[9] = h.flags;
}

Header decode_header(const unsigned char in[kHeaderSize]) {
  Header h;
  for (int i = 0; i < 4; ++i) {
    h.length = (h.length << 8) | in[i];
    h.stream_id = (h.stream_id << 8) | in[4 + i];
  }
  h.type = in[8];
  h.flags = in[9];
  return h;
}

std::string frame(std::uint32_t stream_id, MsgType type, std::string_view payload) {
  if (payload.size() > kMaxMessage)
    throw RpcError(Code::ResourceExhausted, "message length " + std::to_string(payload.size()) +
                                                " exceeds maximum message size of " + std::to_string(kMaxMessage));
  std::string out(kHeaderSize, '\0');
  encode_header({static_cast<std::uint32_t>(payload.size()), stream_id, static_cast<std::uint8_t>(type), 0},
                reinterpret_cast<unsigned char*>(out.data()));
  out.append(payload);
  return out;
}

const char* code_name(Code c) {
  static const char* const names[] = {"OK", "Canceled", "Unknown", "InvalidArgument", "DeadlineExceeded",
                                      "NotFound", "AlreadyExists", "PermissionDenied", "ResourceExhausted",
                                      "FailedPrecondition", "Aborted", "OutOfRange", "Unimplemented",
                                      "Internal", "Unavailable"};
  auto i = static_cast<int>(c);
  return i >= 0 && i < 15 ? names[i] : "Unknown";
}

FrameReader::Result FrameReader::next(Header& h, std::string& payload) {
  if (buf_.size() - pos_ < kHeaderSize) return Result::NeedMore;
  Header hdr = decode_header(reinterpret_cast<const unsigned char*>(buf_.data() + pos_));
  if (hdr.length > kMaxMessage) {
    h = hdr;
    return Result::Oversized;
  }
  if (buf_.size() - pos_ - kHeaderSize < hdr.length) return Result::NeedMore;
  h = hdr;
  payload.assign(buf_, pos_ + kHeaderSize, hdr.length);
  pos_ += kHeaderSize + hdr.length;
  // Compact once the consumed prefix dominates, so the buffer does not grow without bound.
  if (pos_ == buf_.size()) {
    buf_.clear();
    pos_ = 0;
  } else if (pos_ > 65536 && pos_ * 2 > buf_.size()) {
    buf_.erase(0, pos_);
    pos_ = 0;
  }
  return Result::Frame;
}

std::string Request::meta(std::string_view key) const {
  for (const auto& [k, v] : metadata)
    if (k == key) return v;
  return {};
}

std::string encode_request(const Request& r) {
  berth::ttrpc::Request m;
  m.set_service(r.service);
  m.set_method(r.method);
  m.set_payload(r.payload);
  m.set_timeout_nano(r.timeout_nano);
  for (const auto& [k, v] : r.metadata) {
    auto* kv = m.add_metadata();
    kv->set_key(k);
    kv->set_value(v);
  }
  return m.SerializeAsString();
}

Request decode_request(std::string_view payload, std::uint32_t stream_id) {
  berth::ttrpc::Request m;
  if (!m.ParseFromArray(payload.data(), static_cast<int>(payload.size())))
    throw RpcError(Code::InvalidArgument, "ttrpc: request on stream " + std::to_string(stream_id) +
                                              " is not a valid protobuf Request");
  Request r;
  r.stream_id = stream_id;
  r.service = m.service();
  r.method = m.method();
  r.payload = m.payload();
  r.timeout_nano = m.timeout_nano();
  for (const auto& kv : m.metadata()) r.metadata.emplace_back(kv.key(), kv.value());
  return r;
}

std::string encode_response(Code code, const std::string& message, std::string_view payload) {
  berth::ttrpc::Response m;
  if (code != Code::OK) {
    m.mutable_status()->set_code(static_cast<int>(code));
    m.mutable_status()->set_message(message);
  } else {
    m.mutable_status();  // present and OK, as ttrpc sends it
    m.set_payload(payload.data(), payload.size());
  }
  return m.SerializeAsString();
}

std::string decode_response(std::string_view payload) {
  berth::ttrpc::Response m;
  if (!m.ParseFromArray(payload.data(), static_cast<int>(payload.size())))
    throw RpcError(Code::Internal, "ttrpc: response is not a valid protobuf Response");
  if (m.has_status() && m.status().code() != 0)
    throw RpcError(static_cast<Code>(m.status().code()), m.status().message());
  return m.payload();
}

}  // namespace berth::shim::ttrpc
