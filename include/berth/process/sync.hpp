// The parent <-> init handshake: one SOCK_SEQPACKET socketpair (a dead peer
// reads as EOF). A message is one packet (header + payload) when it fits
// kSyncPacket, else its first packet plus continuation packets: a packet must
// fit the sender's socket buffer, a state JSON with large annotations or a long
// error does not. Each packet's size is peeked before it is read and a cut
// packet or lost fd is an error, never a short message.
#pragma once
#include <cstddef>
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

// Bytes per packet (well below the smallest socket buffer a host would configure).
inline constexpr size_t kSyncPacket = 32 * 1024;
// The largest payload a message may carry: the state JSON for the init's hooks
// holds the config (read with a 16 MiB bound, util/read_limited.hpp).
inline constexpr size_t kSyncMaxPayload = 64 * 1024 * 1024;

// An Error message for `message`; one longer than kSyncMaxError keeps its head
// and its last KiB (the reason) around a note saying how much was left out:
// an error that long is unreadable, but never lost.
inline constexpr size_t kSyncMaxError = 64 * 1024;
SyncMsg error_msg(int code, int status, std::string message);

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
// Receives one message, all its packets; throws berth::Error "init exited
// unexpectedly" on EOF. A peer that closed with messages of ours unread
// (ECONNRESET) still has its own read first.
// If `fd_out` is given and the message carries an fd, it is stored there.
SyncMsg recv_msg(int fd, UniqueFd* fd_out = nullptr);
// Receives one message and every fd it carries (nullptr: they are closed).
SyncMsg recv_msg_fds(int fd, std::vector<UniqueFd>* fds_out);

// Sends `fd` over a unix socket with SCM_RIGHTS and a small payload (console socket, runc-style).
void send_fd(int sock, int fd, const std::string& name);
// Receives one fd sent with send_fd.
UniqueFd recv_fd(int sock);

}  // namespace berth::process
