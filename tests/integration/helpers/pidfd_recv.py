#!/usr/bin/env python3
"""pidfd_recv.py SOCKET OUTFILE [SIGNAL] [TIMEOUT]

Receiver for a runtime's --pidfd-socket: listens on the unix socket SOCKET, accepts one
connection, receives one fd (SCM_RIGHTS), writes "NAME PID" to OUTFILE (the message that came
with it and the Pid: line of the fd's /proc/self/fdinfo, which only a pidfd has), then, if a
SIGNAL number is given, sends it through the pidfd (pidfd_send_signal). Exit 0 when a pidfd was
received, 1 otherwise.
"""
import os
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from scm_rights import receive_fds  # noqa: E402


def main():
    path, out = sys.argv[1], sys.argv[2]
    sig = int(sys.argv[3]) if len(sys.argv) > 3 and sys.argv[3] else 0
    timeout = float(sys.argv[4]) if len(sys.argv) > 4 else 15.0
    got = receive_fds(path, timeout, "pidfd_recv")
    if got is None:
        return 1
    msg, fds = got
    if len(fds) != 1:
        print("pidfd_recv: %d fds received" % len(fds), file=sys.stderr)
        return 1
    pid = ""
    with open("/proc/self/fdinfo/%d" % fds[0]) as f:
        for line in f:
            if line.startswith("Pid:"):
                pid = line.split()[1]
    if not pid:
        print("pidfd_recv: the fd is not a pidfd", file=sys.stderr)
        return 1
    with open(out, "w") as f:
        f.write("%s %s\n" % (msg.decode(errors="replace"), pid))
    if sig:
        signal.pidfd_send_signal(fds[0], sig)
    return 0


if __name__ == "__main__":
    sys.exit(main())
