// A task process's stdio as containerd names it: fifo paths (what ctr and the CRI plugin
// use), file:// URIs, binary:// URIs (a logging binary: containerd's protocol, the process's
// stdout and stderr as pipes on its fds 3 and 4, ready when it closes fd 5), or nothing. Without a terminal the fds go to the process itself, so
// nothing is copied by the shim and nothing is lost when it writes a lot and exits; with a
// terminal the shim copies between the pty master and the fifos (see Pump).
#pragma once
#include <string>
#include <vector>

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
// `id` and `ns` are given to a logging binary (CONTAINER_ID, CONTAINER_NAMESPACE).
OpenStdio open_stdio(const StdioPaths& p, const std::string& id, const std::string& ns);

// binary:///path?k=v&flag -> {"/path", "k", "v", "flag"} (percent-decoded); throws RpcError.
std::vector<std::string> logging_binary_argv(const std::string& uri);

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
