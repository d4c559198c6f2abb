// The container's terminal (process.terminal): a pty made inside the
// container's /dev/pts, the master handed out over a unix socket as runc does.
#pragma once
#include <optional>
#include <string>

#include "berth/oci/spec.hpp"
#include "berth/util/fd.hpp"

namespace berth::linux_ {

struct Pty {
  UniqueFd master;
  UniqueFd slave;
  std::string slave_path;
};

// Opens /dev/ptmx of the current mount namespace and its slave.
Pty open_pty(const std::optional<oci::ConsoleSize>& size);
// Makes `slave` the controlling terminal and stdin/stdout/stderr of this process
// (which must be a session leader).
void attach_terminal(int slave);

}  // namespace berth::linux_
