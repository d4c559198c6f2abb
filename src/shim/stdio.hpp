// A task process's stdio as containerd names it: fifo paths (what ctr and the CRI plugin
// use), file:// URIs, or nothing. Without a terminal the fds go to the process itself, so
// nothing is copied by the shim and nothing is lost when it writes a lot and exits; with a
// terminal the shim copies between the pty master and the fifos (see Pump).
#pragma once
#include <string>

#include "berth/util/fd.hpp"

namespace berth::shim {

struct StdioPaths {
  std::string in, out, err;
  bool terminal = false;
};

struct OpenStdio {
  UniqueFd in, out, err;
  // A writer of the stdin fifo held by the shim, so the process does not read EOF before
  // containerd's writer opens; closed on CloseIO.
  UniqueFd in_keeper;
};

// Opens what `p` names; throws RpcError (InvalidArgument for a URI scheme it cannot serve).
OpenStdio open_stdio(const StdioPaths& p);

// A listening console socket in a private directory (removed by the destructor).
class ConsoleSocket {
 public:
  ConsoleSocket();
  ~ConsoleSocket();
  ConsoleSocket(const ConsoleSocket&) = delete;
  ConsoleSocket& operator=(const ConsoleSocket&) = delete;
  const std::string& path() const { return path_; }
  // The pty master that berth sent (waits up to 2 s for the connection).
  UniqueFd receive_master();

 private:
  std::string dir_, path_;
  UniqueFd sock_;
};

}  // namespace berth::shim
