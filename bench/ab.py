#!/usr/bin/env python3
"""A/B of berth builds (or configs): `berth run` of a bundle, interleaved.

    bench/ab.py ROUNDS NAME=BUNDLE[:BERTH] ...

Runs every variant once per round (after 3 warm-up rounds), in the same order, each with a
fresh container id under a private --root, and prints the median wall and CPU time (the run
and everything it waited for) of each variant and its ratio to the first. Use it to measure a
change before and after: build the old tree into another directory and compare the binaries
on one bundle, or one binary on bundles that differ in one part of config.json. Needs root.
"""
import os
import shutil
import statistics
import sys
import tempfile
import time


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    rounds = int(sys.argv[1])
    here = os.path.dirname(os.path.abspath(__file__))
    default_berth = os.path.join(os.path.dirname(here), "build", "berth")
    variants = []
    for arg in sys.argv[2:]:
        name, _, rest = arg.partition("=")
        bundle, _, berth = rest.partition(":")
        variants.append((name, os.path.abspath(bundle), os.path.abspath(berth or default_berth)))
    root = tempfile.mkdtemp(prefix="berth-ab-")
    results = {name: ([], []) for name, _, _ in variants}
    n = 0
    try:
        for r in range(rounds + 3):
            for name, bundle, berth in variants:
                n += 1
                t0 = time.perf_counter()
                pid = os.fork()
                if pid == 0:
                    os.chdir(bundle)
                    fd = os.open("/dev/null", os.O_RDWR)
                    os.dup2(fd, 0)
                    os.dup2(fd, 1)
                    os.execv(berth, [berth, "--root", root, "run", "ab%d" % n])
                _, status, ru = os.wait4(pid, 0)
                wall = (time.perf_counter() - t0) * 1000
                if status != 0:
                    sys.exit("%s: berth run exited with status %d" % (name, status))
                if r >= 3:
                    results[name][0].append(wall)
                    results[name][1].append((ru.ru_utime + ru.ru_stime) * 1000)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    first = None
    for name, _, _ in variants:
        wall = statistics.median(results[name][0])
        cpu = statistics.median(results[name][1])
        first = first or wall
        print("%-12s wall %6.2f ms  cpu %6.2f ms  ratio %.3f" % (name, wall, cpu, wall / first))


if __name__ == "__main__":
    main()
