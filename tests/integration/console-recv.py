#!/usr/bin/env python3
"""console-recv.py SOCKET OUTFILE [TIMEOUT]

Minimal --console-socket receiver: listens on the unix socket SOCKET, accepts one
connection, receives the pty master fd (SCM_RIGHTS), then copies everything read from
the master to OUTFILE until the slave side is closed (EIO/EOF) or TIMEOUT seconds pass.
Exit status 0 when a fd was received, 1 otherwise.
"""
import array
import os
import select
import socket
import sys
import time


def main():
    path, out = sys.argv[1], sys.argv[2]
    timeout = float(sys.argv[3]) if len(sys.argv) > 3 else 10.0
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(1)
    srv.settimeout(timeout)
    try:
        conn, _ = srv.accept()
    except socket.timeout:
        print("console-recv: no connection", file=sys.stderr)
        return 1
    fds = array.array("i")
    _msg, anc, _flags, _addr = conn.recvmsg(4096, socket.CMSG_SPACE(4 * fds.itemsize))
    for level, typ, data in anc:
        if level == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS:
            fds.frombytes(data[: len(data) - (len(data) % fds.itemsize)])
    if not fds:
        print("console-recv: no fd received", file=sys.stderr)
        return 1
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
