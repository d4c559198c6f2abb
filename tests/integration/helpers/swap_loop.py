#!/usr/bin/env python3
"""swap_loop.py A B SECONDS: exchange the directory entries A and B atomically
(renameat2 RENAME_EXCHANGE) as fast as possible for at most SECONDS, or until
killed; prints the number of exchanges. The racer of the CVE-2021-30465 tests:
a mount destination that is a directory one moment and a symlink the next."""
import ctypes
import os
import signal
import sys
import time

RENAME_EXCHANGE = 2
AT_FDCWD = -100


def main():
    a, b, seconds = sys.argv[1].encode(), sys.argv[2].encode(), float(sys.argv[3])
    libc = ctypes.CDLL(None, use_errno=True)
    renameat2 = libc.renameat2
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    count = 0
    stop = time.monotonic() + seconds
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        while time.monotonic() < stop:
            for _ in range(100):
                if renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE) != 0:
                    err = ctypes.get_errno()
                    print("renameat2: " + os.strerror(err), file=sys.stderr)
                    sys.exit(1)
                count += 1
    finally:
        print(count, flush=True)


if __name__ == "__main__":
    main()
