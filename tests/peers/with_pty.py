#!/usr/bin/python3
"""with_pty.py COMMAND [ARG...]

Runs COMMAND in a new session whose controlling terminal (and stdin) is a fresh pty, with
stdout and stderr left as they are; what is written to the terminal is read and dropped.
runc's bats suite runs `runc run` of terminal:true containers in the foreground, which needs
a terminal on stdin (runc's CI gives its container one with `docker run -t`); this provides
it also when the caller has none (make in the background, CI). Exits with COMMAND's status.
"""
import fcntl
import os
import select
import sys
import termios
import time


def main():
    if len(sys.argv) < 2:
        print("usage: with_pty.py COMMAND [ARG...]", file=sys.stderr)
        return 2
    master, slave = os.openpty()
    pid = os.fork()
    if pid == 0:
        os.close(master)
        os.setsid()
        fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
        os.dup2(slave, 0)
        if slave != 0:
            os.close(slave)
        try:
            os.execvp(sys.argv[1], sys.argv[1:])
        except OSError as e:
            print("with_pty.py: %s: %s" % (sys.argv[1], e), file=sys.stderr)
            os._exit(127)
    os.close(slave)
    # Drain the terminal until the command exits (not until every slave fd is closed: a
    # process the command left behind may hold one).
    while True:
        ready, _, _ = select.select([master], [], [], 0.5)
        if ready:
            try:
                os.read(master, 65536)
            except OSError:  # EIO: no slave fd open at the moment
                time.sleep(0.2)
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
    os.close(master)
    return os.waitstatus_to_exitcode(status) if hasattr(os, "waitstatus_to_exitcode") else status >> 8


if __name__ == "__main__":
    code = main()
    sys.exit(code if code >= 0 else 128 - code)
