// mounts[].options -> mount flags (linux_::parse_mount_options). One option a
// line, so that an option may hold commas ("size=1k,mode=1777" as one string).
#include <sys/mount.h>

#include <string>
#include <vector>

#include "berth/linux/mount_flags.hpp"
#include "berth/util/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<std::string> options;
  std::string cur;
  for (size_t i = 0; i < size; ++i) {
    if (data[i] == '\n') {
      options.push_back(cur);
      cur.clear();
    } else {
      cur.push_back(static_cast<char>(data[i]));
    }
  }
  options.push_back(cur);
  try {
    berth::linux_::MountFlags f = berth::linux_::parse_mount_options(options);
    (void)berth::linux_::propagation_flag(options.front());
    // Propagation holds only propagation bits (and MS_REC).
    constexpr unsigned long kAllowed = MS_SHARED | MS_SLAVE | MS_PRIVATE | MS_UNBINDABLE | MS_REC;
    if (f.propagation & ~kAllowed) __builtin_trap();
  } catch (const berth::Error&) {
  }
  return 0;
}
