// Runs the berth binary for the task service (create, start, exec, kill --all, delete,
// pause, resume, ps, update, events --stats). berth's init and exec'd processes outlive
// the call and are reparented to the shim, which is their subreaper.
#pragma once
#include <string>
#include <vector>

namespace berth::shim {

struct RuntimeStdio {
  int in = -1, out = -1, err = -1;  // -1: /dev/null
};

class Runtime {
 public:
  // binary: path of berth (or of the runtime the options name); root: its --root; globals:
  // global flags put before the command (--systemd-cgroup, --criu PATH).
  Runtime(std::string binary, std::string root, std::vector<std::string> globals = {});
  using Stdio = RuntimeStdio;
  // Runs `berth --root R [--log LOG --log-format json] ARGS...` and waits for it. LOG is
  // the container's bundle/log.json (as with runc), where berth's error is read from when
  // it fails: thrown as RpcError. With `out` set, berth's stdout is captured into it
  // (stdio.out is then ignored).
  void run(const std::vector<std::string>& args, const std::string& log, const Stdio& stdio = {},
           std::string* out = nullptr) const;
  const std::string& root() const { return root_; }
  const std::string& binary() const { return binary_; }

 private:
  std::string binary_, root_;
  std::vector<std::string> globals_;
};

// The berth next to this program, else "berth" from PATH.
std::string find_berth();

}  // namespace berth::shim
