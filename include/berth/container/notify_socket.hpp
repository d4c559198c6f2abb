// systemd's sd_notify(3) through the container, as runc does it (notify_socket.go): with
// NOTIFY_SOCKET in berth's environment at create, the container gets its state dir's
// notify/ bind-mounted read-only at /run/notify and NOTIFY_SOCKET=/run/notify/notify.sock;
// `start` (and `run`) listens on notify.sock and passes the container's READY=1 datagram,
// as it came, then MAINPID=<init pid>, to the caller's NOTIFY_SOCKET (podman --sdnotify=container,
// a systemd Type=notify unit running the runtime).
#pragma once
#include <sys/types.h>

#include <string>
#include <string_view>

#include "berth/oci/spec.hpp"
#include "berth/util/fd.hpp"

namespace berth::container {

// NOTIFY_SOCKET of berth's environment; "" when unset or empty.
std::string notify_socket_host();

// Adds the bind mount of `notify_dir` (the state dir's notify/, made here, 0755) at /run/notify
// and NOTIFY_SOCKET to the process's env (replacing one the config has). Only for a
// container with a mount namespace (the mount would be the host's otherwise): false if none.
bool add_notify_socket(oci::Spec& spec, const std::string& notify_dir);

// Whether a datagram to the notify socket says the service is ready: a line "READY=1" in it
// (sd_notify may send STATUS=... and others in the same datagram, in any order; READY=0 or
// another value is not readiness).
bool says_ready(std::string_view datagram);

class NotifyListener {
 public:
  NotifyListener() = default;
  // Binds notify_dir/notify.sock (a datagram socket the container's users may all write: 0777)
  // for the container whose init is `pid` (pinned now by a pidfd: it may be gone, and reaped,
  // before forward_ready runs).
  static NotifyListener bind(const std::string& notify_dir, pid_t pid);
  explicit operator bool() const { return bool(sock_); }
  // Waits until the container sends READY=1 (says_ready), then forwards that datagram and
  // MAINPID=<pid> to `host`;
  // returns, forwarding nothing, when the process ended without READY. Throws on a socket error.
  void forward_ready(const std::string& host);

 private:
  UniqueFd sock_, pidfd_;
  pid_t pid_ = 0;
};

}  // namespace berth::container
