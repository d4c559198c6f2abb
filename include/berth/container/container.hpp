// The container lifecycle on top of the state store: create, start, state,
// kill, delete, list, ps. `run` is composed from these by the CLI.
#pragma once
#include <sys/types.h>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "berth/oci/state.hpp"
#include "berth/process/listen_fds.hpp"
#include "berth/container/record.hpp"
#include "berth/util/fd.hpp"

namespace berth::container {

struct CreateOptions {
  std::string root;
  std::string id;
  std::string bundle;          // "" = current directory
  std::string config;          // crun's --config: the config file, relative to the bundle ("" = config.json)
  std::string console_socket;  // path of the --console-socket
  std::string pid_file;
  std::string pidfd_socket;  // --pidfd-socket: receives a pidfd of the init
  bool no_pivot = false;
  bool no_new_keyring = false;
  int preserve_fds = 0;         // --preserve-fds: passed after the listen fds
  process::ListenFds listen;    // systemd socket activation: fds 3..3+listen.count-1 first
  bool systemd_cgroup = false;  // --systemd-cgroup: the systemd cgroup driver
  // For foreground `run` with a terminal and no console socket: the caller's
  // own socket that receives the pty master. -1 otherwise.
  int console_fd = -1;
  // Rootless mode (--rootless, container/rootless.hpp): a cgroup that cannot be
  // created for lack of permission is not an error when no limits are asked for.
  bool rootless = false;
};

struct Created {
  pid_t pid = 0;
  UniqueFd pidfd;  // the init is our child: wait on it (run)
  Record record;   // what state.json says, for `run`'s start and delete (no re-read)
};

Created create(const CreateOptions& o);
class NotifyListener;
// `known`: the record create returned (run), instead of parsing state.json again.
// With NOTIFY_SOCKET (container/notify_socket.hpp) start waits for the container's READY and
// passes it on, unless `notify` is given: then the bound listener is handed over (foreground
// `run` forwards it while it waits for the process).
void start(const std::string& root, const std::string& id, const Record* known = nullptr,
           NotifyListener* notify = nullptr);

// Runtime-spec state plus runc's extra keys (rootfs, created, owner), key order as runc's.
nlohmann::ordered_json state(const std::string& root, const std::string& id);
// Every container's state (for `list`).
std::vector<nlohmann::ordered_json> list(const std::string& root);

void kill(const std::string& root, const std::string& id, int sig, bool all);
void remove(const std::string& root, const std::string& id, bool force, const Record* known = nullptr);
std::vector<pid_t> pids(const std::string& root, const std::string& id);

}  // namespace berth::container
