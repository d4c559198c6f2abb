// A blocking ttrpc client: one call at a time, used by the event publisher's thread to
// call containerd's Events/Forward over TTRPC_ADDRESS.
#pragma once
#include <chrono>
#include <string>

#include "berth/util/fd.hpp"
#include "ttrpc_codec.hpp"

namespace berth::shim::ttrpc {

class Client {
 public:
  // Connects to a unix socket path (a "unix://" prefix is accepted). Throws berth::Error.
  explicit Client(const std::string& address);
  // Sends the request and waits up to `timeout` for its answer; returns the reply payload.
  // Throws RpcError with the peer's status, or with Unavailable/DeadlineExceeded when the
  // connection fails or the answer does not come.
  std::string call(const std::string& service, const std::string& method, const std::string& payload,
                   const Metadata& metadata, std::chrono::milliseconds timeout);

 private:
  UniqueFd fd_;
  std::uint32_t next_stream_ = 1;
  FrameReader reader_;
};

}  // namespace berth::shim::ttrpc
