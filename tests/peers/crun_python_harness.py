"""Runs one of crun's tests/test_*.py files (from Debian's crun source package, never
committed here) with a timeout per test and a clean-up after each test.

crun's tests_utils.tests_main() runs every test of a file, prints TAP and then removes its
state dir (.testsuite-run-PID under the cwd) whatever the containers in it are doing. This
wraps each test so that after it, whether it passed, failed or timed out:
  - every process left in the harness's own cgroup (a hung runtime call, a process a runtime
    left behind) except this interpreter is killed,
  - every container in the suite's state dir is deleted with `RUNTIME --root DIR delete -f`,
  - cgroups named after the suite's containers (test-tmpXXXXXXXX, container-PID) and
    test_delete.py's freezer cgroup "frozen" are thawed, emptied and removed,
  - mounts under the work dir are unmounted.

usage: crun_python_harness.py TESTS_DIR TEST_FILE
environment: OCI_RUNTIME, INIT (as crun's suite), PEERS_TEST_TIMEOUT (seconds per test, 120),
             PEERS_HARNESS_CGROUP (the cgroup2 dir this interpreter runs in, optional),
             PEERS_WORK (the private work dir: mounts under it are removed)
"""
import atexit
import os
import re
import runpy
import shutil
import signal
import subprocess
import sys
import time

tests_dir, test_file = sys.argv[1], sys.argv[2]
sys.path.insert(0, tests_dir)
try:
    import libmount  # noqa: F401  (test_mounts.py's; Debian 12 has no python3-libmount)
except ImportError:
    sys.path.append(os.path.join(os.path.dirname(os.path.abspath(__file__)), "crun_python_shim"))
import tests_utils  # noqa: E402  (crun's, from the source package)

TIMEOUT = int(os.getenv("PEERS_TEST_TIMEOUT", "120"))
HARNESS_CGROUP = os.getenv("PEERS_HARNESS_CGROUP", "")
WORK = os.path.realpath(os.getenv("PEERS_WORK", os.getcwd()))
# test-%s % basename(mkdtemp()) and test_start.py's "container-%d" % getpid()
CONTAINER_NAME = re.compile(r"(test-tmp[A-Za-z0-9_]{8}|container-%d)" % os.getpid())


class TestTimeout(Exception):
    pass


def on_alarm(signum, frame):
    raise TestTimeout("test timed out after %d s" % TIMEOUT)


def log(msg):
    sys.stderr.write("harness: %s\n" % msg)
    sys.stderr.flush()


def kill_harness_strays():
    """Kills every process of the harness cgroup except this interpreter."""
    if not HARNESS_CGROUP:
        return
    me = os.getpid()
    for _ in range(20):
        try:
            with open(os.path.join(HARNESS_CGROUP, "cgroup.procs")) as f:
                pids = [int(p) for p in f.read().split() if int(p) != me]
        except OSError:
            return
        if not pids:
            return
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        reap()
        time.sleep(0.05)
    log("processes still in %s after SIGKILL" % HARNESS_CGROUP)


def reap():
    # Only our own children are reaped here; subprocess forgets them once check_output returned.
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def delete_containers():
    root = tests_utils.get_tests_root_status()
    runtime = tests_utils.get_crun_path()
    if not os.path.isdir(root):
        return
    for name in sorted(os.listdir(root)):
        if name.startswith(".") or not os.path.isdir(os.path.join(root, name)):
            continue
        try:
            subprocess.run([runtime, "--root", root, "delete", "-f", name], timeout=30,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        except (subprocess.TimeoutExpired, OSError) as e:
            log("delete -f %s: %s" % (name, e))


def cgroup_dirs():
    found = []
    for top in ("/sys/fs/cgroup",):
        for dirpath, dirnames, _ in os.walk(top):
            for d in dirnames:
                if CONTAINER_NAME.search(d):
                    found.append(os.path.join(dirpath, d))
    return found


# test_delete.py's test_simple_delete makes a freezer cgroup "frozen" (cgroup v1) to freeze a
# container's init before `delete -f`; it is removed here if the test left it.
FROZEN = "/sys/fs/cgroup/freezer/frozen"
FROZEN_WAS_THERE = os.path.isdir(FROZEN)


def remove_cgroups():
    # the frozen cgroup first: its processes die of SIGKILL only once thawed
    extra = [FROZEN] if os.path.isdir(FROZEN) and not FROZEN_WAS_THERE else []
    for path in extra + cgroup_dirs():
        # depth first: children before parents
        subtree = [path] + [os.path.join(dp, d) for dp, dns, _ in os.walk(path) for d in dns]
        for cg in reversed(sorted(subtree, key=len)):
            for _ in range(50):
                try:
                    with open(os.path.join(cg, "cgroup.procs")) as f:
                        pids = [int(p) for p in f.read().split()]
                except OSError:
                    pids = []
                for pid in pids:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                for knob, thawed in (("freezer.state", "THAWED"), ("cgroup.freeze", "0")):
                    try:
                        with open(os.path.join(cg, knob), "w") as f:
                            f.write(thawed)
                    except OSError:
                        pass
                try:
                    os.rmdir(cg)
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.1)
            else:
                log("cgroup %s left behind" % cg)


def mounts_under(top):
    with open("/proc/self/mountinfo") as f:
        points = [line.split()[4].replace("\\040", " ") for line in f]
    return [p for p in points if p == top or p.startswith(top + "/")]


def unmount_work():
    for p in reversed(mounts_under(WORK)):
        if subprocess.run(["umount", p], stderr=subprocess.DEVNULL).returncode != 0:
            subprocess.run(["umount", "-l", p], stderr=subprocess.DEVNULL)


# The host's null device as it was before any test: crun 1.8.1's sd-notify-proxy test (a user
# namespace mapping root to 8000, stdio on /dev/null) leaves the host's /dev/null owned by 8000
# when run against crun; every later test on the host that looks at it (runc's exec.bats
# "/dev/null ownership") would then fail. Put back after each test, and said in the log.
NULL_STAT = os.stat("/dev/null")


def restore_dev_null(name):
    st = os.stat("/dev/null")
    if (st.st_uid, st.st_gid, st.st_mode) == (NULL_STAT.st_uid, NULL_STAT.st_gid, NULL_STAT.st_mode):
        return
    log("%s: the host's /dev/null became %d:%d %o: put back to %d:%d %o" % (
        name, st.st_uid, st.st_gid, st.st_mode & 0o7777,
        NULL_STAT.st_uid, NULL_STAT.st_gid, NULL_STAT.st_mode & 0o7777))
    os.chown("/dev/null", NULL_STAT.st_uid, NULL_STAT.st_gid)
    os.chmod("/dev/null", NULL_STAT.st_mode & 0o7777)


def clean_up(name="the run"):
    kill_harness_strays()
    delete_containers()
    kill_harness_strays()
    remove_cgroups()
    unmount_work()
    restore_dev_null(name)


def guarded(name, fn):
    def run():
        # a second alarm every 10 s after the first in case the test swallows the exception
        signal.setitimer(signal.ITIMER_REAL, TIMEOUT, 10)
        try:
            return fn()
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            try:
                clean_up(name)
            except Exception as e:  # clean-up trouble is logged, the next test still runs
                log("clean-up after %s: %s" % (name, e))
            sys.stdout.flush()
    return run


def tests_main(all_tests):
    """crun's tests_main with each test guarded, and the clean-up before its state dir goes."""
    os.environ["LANG"] = "C"
    tests_root = tests_utils.get_tests_root()
    os.makedirs(tests_root)
    try:
        wrapped = {name: guarded(name, fn) for name, fn in all_tests.items()}
        tests_utils.run_all_tests(wrapped, os.getenv("RUN_TESTS"))
    finally:
        clean_up()
        if mounts_under(WORK):
            log("mounts left under %s, %s not removed" % (WORK, tests_root))
        else:
            shutil.rmtree(tests_root)


def own_cgroup():
    """This interpreter goes into a child cgroup of the harness's own: what is killed after
    each test is then only what it started, never the processes around it (script(1) and
    tr of test_tty.py's pty). Leaves it, and removes it, at exit."""
    global HARNESS_CGROUP
    if not HARNESS_CGROUP:
        return
    parent = HARNESS_CGROUP
    mine = os.path.join(parent, "tests-%d" % os.getpid())
    os.mkdir(mine)
    with open(os.path.join(mine, "cgroup.procs"), "w") as f:
        f.write(str(os.getpid()))
    HARNESS_CGROUP = mine

    def leave():
        try:
            kill_harness_strays()
            with open(os.path.join(parent, "cgroup.procs"), "w") as f:
                f.write(str(os.getpid()))
            os.rmdir(mine)
        except OSError as e:
            log("cgroup %s: %s" % (mine, e))
    atexit.register(leave)


own_cgroup()
signal.signal(signal.SIGALRM, on_alarm)
tests_utils.tests_main = tests_main
sys.argv = [test_file]
runpy.run_path(test_file, run_name="__main__")
