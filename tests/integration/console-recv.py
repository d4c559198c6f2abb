#!/usr/bin/env python3
"""console-recv.py SOCKET OUTFILE [TIMEOUT]

Minimal --console-socket receiver: listens on the unix socket SOCKET, accepts one
connection, receives the pty master fd (SCM_RIGHTS), then copies everything read from
the master to OUTFILE until the slave side is closed (EIO/EOF) or TIMEOUT seconds pass.
Exit status 0 when a fd was received, 1 otherwise.
"""
import os
import select
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "helpers"))
from scm_rights import receive_fds  # noqa: E402


def main():
    path, out = sys.argv[1], sys.argv[2]
    timeout = float(sys.argv[3]) if len(sys.argv) > 3 else 10.0
    got = receive_fds(path, timeout, "console-recv")
    if got is None:
        return 1
    fds = got[1]
    master = fds[0]
    for extra in fds[1:]:
        os.close(extra)
    with open(out + ".fdinfo", "w") as f:
        f.write(os.readlink("/proc/self/fd/%d" % master) + "\n")
    buf = b""
    deadline = time.time() + timeout
    while time.time() < deadline:
        ready, _, _ = select.select([master], [], [], 0.2)
        if not ready:
            continue
        try:
            data = os.read(master, 4096)
        except OSError:  # EIO: every slave fd is closed
            break
        if not data:
            break
        buf += data
    with open(out, "wb") as f:
        f.write(buf)
    return 0


if __name__ == "__main__":
    sys.exit(main())
