// The terminal of a container under checkpoint and restore. The pty master lives outside the
// container (with whoever got it from --console-socket), so criu sees an unpaired slave: at the
// dump it is declared an external tty (named by the slave's rdev and its devpts' dev) and the
// /dev/console bind of it an external mount; at the restore a new pty takes its place — criu
// inherits the new slave under the old name and binds it on /dev/console — and the new master
// goes to the restore's console socket. The names are kept beside the images (berth-terminal).
#pragma once
#include <sys/types.h>

#include <string>
#include <vector>

#include "berth/linux/console.hpp"

namespace berth::container {

// criu dump arguments for the terminal of the init PID; records them in IMAGES.
std::vector<std::string> terminal_dump_args(pid_t pid, const std::string& images);
// Removes the record terminal_dump_args wrote in IMAGES (the dump failed).
void remove_terminal_record(const std::string& images);

struct RestoredTerminal {
  // master: for the console socket once criu has restored the tasks; slave: close-on-exec
  // here, inherited by criu alone (made inheritable in criu's child, then closed after it).
  linux_::Pty pty;
  std::vector<std::string> criu_args;
};

// A new pty for the terminal recorded in IMAGES, and the criu restore arguments for it.
RestoredTerminal terminal_for_restore(const std::string& images);

}  // namespace berth::container
