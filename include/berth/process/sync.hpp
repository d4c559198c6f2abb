// The parent <-> init handshake: one SOCK_SEQPACKET socketpair, one message
// per packet, so no framing code is needed and a dead peer reads as EOF.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "berth/util/fd.hpp"

namespace berth::process {

enum class SyncType : uint32_t {
  Go = 1,          // parent -> init: id maps, rlimits and oom_score_adj written; continue
  RunHooks = 2,    // init -> parent: rootfs mounted, run prestart/createRuntime hooks
  HooksDone = 3,   // parent -> init: payload is the state JSON for createContainer hooks
  Ready = 4,       // init -> parent: set up, now waiting on the exec fifo
  Error = 5,       // init -> parent: payload is the message, `code` the errno, `status` exit status
  SeccompFd = 6,   // init -> parent: the seccomp notify fd, for linux.seccomp.listenerPath
  InitPid = 7,     // middle child -> parent: pid of the init (double fork, see spawn_init)
  CgroupJoined = 8,  // parent -> init, after Go: in its cgroup now, once it has written "0"
                     // into each file passed with this message (Manager::join)
};

// "Go", "RunHooks", ...: for error messages.
const char* sync_name(SyncType t);

struct SyncMsg {
  SyncType type{};
  int32_t code = 0;    // errno for Error
  int32_t status = 0;  // exit status to report for Error (1, or 126/127 for exec failures)
  std::string payload;
};

struct SyncPair {
  UniqueFd parent;
  UniqueFd child;
};
SyncPair make_sync_pair();

void send_msg(int fd, const SyncMsg& m);
// Sends a message plus one fd (SCM_RIGHTS).
void send_msg_fd(int fd, const SyncMsg& m, int passfd);
// Sends a message plus up to 16 fds.
void send_msg_fds(int fd, const SyncMsg& m, const std::vector<UniqueFd>& fds);
// Receives one message; throws berth::Error "init exited unexpectedly" on EOF.
// If `fd_out` is given and the message carries an fd, it is stored there.
SyncMsg recv_msg(int fd, UniqueFd* fd_out = nullptr);
// Receives one message and every fd it carries (nullptr: they are closed).
SyncMsg recv_msg_fds(int fd, std::vector<UniqueFd>* fds_out);

// Sends `fd` over a unix socket with SCM_RIGHTS and a small payload (console socket, runc-style).
void send_fd(int sock, int fd, const std::string& name);
// Receives one fd sent with send_fd.
UniqueFd recv_fd(int sock);

}  // namespace berth::process
