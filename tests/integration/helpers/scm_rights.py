"""The receiving end of a runtime's fd-passing socket (--console-socket, --pidfd-socket):
listen on a unix stream socket, accept one connection, receive one message with its
SCM_RIGHTS fds. Shared by console-recv.py and pidfd_recv.py."""
import array
import socket
import sys


def receive_fds(path, timeout, what):
    """Returns (message bytes, [fds]), or None after printing why (no connection, no fd)."""
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(1)
    srv.settimeout(timeout)
    try:
        conn, _ = srv.accept()
    except socket.timeout:
        print("%s: no connection" % what, file=sys.stderr)
        return None
    conn.settimeout(timeout)
    fds = array.array("i")
    msg, anc, _flags, _addr = conn.recvmsg(4096, socket.CMSG_SPACE(4 * fds.itemsize))
    for level, typ, data in anc:
        if level == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS:
            fds.frombytes(data[: len(data) - (len(data) % fds.itemsize)])
    if not fds:
        print("%s: no fd received" % what, file=sys.stderr)
        return None
    return msg, list(fds)
