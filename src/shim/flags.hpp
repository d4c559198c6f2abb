// The shim's command line, parsed the way Go's flag package does it (containerd calls
// `containerd-shim-berth-v2 -namespace NS -address ADDR -publish-binary P -id ID [-debug] start`):
// -name value, --name value, -name=value, --name=value; boolean flags take no value
// (or =true/=false); parsing stops at the first non-flag argument or at "--".
#pragma once
#include <string>
#include <vector>

namespace berth::shim {

struct Flags {
  std::string namespace_;
  std::string address;         // containerd's grpc socket
  std::string publish_binary;  // containerd binary (events go over TTRPC_ADDRESS instead)
  std::string id;
  std::string bundle;  // default: the working directory
  std::string socket;  // unused by containerd 1.6; accepted
  bool debug = false;
  bool version = false;
  std::string action;  // "start", "delete" or empty (serve)
};

// Throws berth::Error naming the bad flag.
Flags parse_flags(const std::vector<std::string>& args);

}  // namespace berth::shim
