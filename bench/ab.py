#!/usr/bin/env python3
"""A/B of berth builds (or configs): `berth run` (or create, or exec) of a bundle, interleaved.

    bench/ab.py [--op run|create|exec] ROUNDS NAME=BUNDLE[:BERTH] ...

Runs every variant once per round (after 3 warm-up rounds), in the same order, each with a
fresh container id under a private --root, and prints the median wall and CPU time (the
command and everything it waited for) of each variant and its ratio to the first. Use it to
measure a change before and after: build the old tree into another directory and compare the
binaries on one bundle, or one binary on bundles that differ in one part of config.json.
--op create times `create` alone (the container is deleted afterwards, untimed); --op exec
starts one container per variant from its bundle (whose process must keep running, e.g.
`sleep 3600`) and times `exec ID true` in it. Needs root.
"""
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time


def timed(berth, root, bundle, args):
    """Runs berth with args in bundle; returns (wall ms, cpu ms, status)."""
    t0 = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        os.chdir(bundle)
        fd = os.open("/dev/null", os.O_RDWR)
        os.dup2(fd, 0)
        os.dup2(fd, 1)
        os.execv(berth, [berth, "--root", root] + args)
    _, status, ru = os.wait4(pid, 0)
    wall = (time.perf_counter() - t0) * 1000
    return wall, (ru.ru_utime + ru.ru_stime) * 1000, status


def quiet(berth, root, args):
    subprocess.run([berth, "--root", root] + args, stdin=subprocess.DEVNULL,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def main():
    argv = sys.argv[1:]
    op = "run"
    if len(argv) >= 2 and argv[0] == "--op":
        op = argv[1]
        argv = argv[2:]
    if len(argv) < 2 or op not in ("run", "create", "exec"):
        sys.exit(__doc__)
    rounds = int(argv[0])
    here = os.path.dirname(os.path.abspath(__file__))
    default_berth = os.path.join(os.path.dirname(here), "build", "berth")
    variants = []
    for arg in argv[1:]:
        name, _, rest = arg.partition("=")
        bundle, _, berth = rest.partition(":")
        variants.append((name, os.path.abspath(bundle), os.path.abspath(berth or default_berth)))
    root = tempfile.mkdtemp(prefix="berth-ab-")
    results = {name: ([], []) for name, _, _ in variants}
    n = 0
    try:
        if op == "exec":
            for i, (name, bundle, berth) in enumerate(variants):
                subprocess.run([berth, "--root", root, "run", "--detach", "--bundle", bundle, "abx%d" % i],
                               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, check=True)
        for r in range(rounds + 3):
            for i, (name, bundle, berth) in enumerate(variants):
                n += 1
                cid = "ab%d" % n
                if op == "exec":
                    wall, cpu, status = timed(berth, root, bundle, ["exec", "abx%d" % i, "true"])
                else:
                    wall, cpu, status = timed(berth, root, bundle, [op, cid])
                    if op == "create":
                        quiet(berth, root, ["delete", "--force", cid])
                if status != 0:
                    sys.exit("%s: berth %s exited with status %d" % (name, op, status))
                if r >= 3:
                    results[name][0].append(wall)
                    results[name][1].append(cpu)
    finally:
        if op == "exec":
            for i, (name, bundle, berth) in enumerate(variants):
                quiet(berth, root, ["delete", "--force", "abx%d" % i])
        shutil.rmtree(root, ignore_errors=True)
    first = None
    for name, _, _ in variants:
        wall = statistics.median(results[name][0])
        cpu = statistics.median(results[name][1])
        first = first or wall
        print("%-12s wall %6.2f ms  cpu %6.2f ms  ratio %.3f" % (name, wall, cpu, wall / first))


if __name__ == "__main__":
    main()
