#!/usr/bin/env python3
"""berth side-by-side benchmark against crun and runc.

    bench/bench.py [--berth build/berth] [--scale 1.0]   full run (`make bench`): writes
                                                          docs/performance.md, bench/results.json
    bench/bench.py --quick [--berth build/berth]          few-second guard (`make bench-quick`):
                                                          exit 1 if berth's median `run` of
                                                          /bin/true is slower than runc's

All runtimes run the same busybox-static bundle (tests/mkbundle.sh DIR berth, process
/bin/true), in ONE process, interleaved (berth crun runc berth crun runc ...) after a warm-up.
Each runtime gets a private --root under a temp dir; every container created is deleted
again, also on failure, Ctrl-C, SIGTERM or SIGHUP; only PIDs this script started (directly,
or as container inits re-parented to it, a child subreaper) are killed.

Timing: wall time from just before posix_spawn() of the runtime to wait4() returning; CPU
time = ru_utime + ru_stime from wait4() (the runtime plus the descendants it reaped itself).
Peak RSS is measured separately through bench/rusage-exec.c (see Bench.memory).

cgroup v1 caveat: the first cgroup.procs write after a quiet spell waits ~10-16 ms for an RCU
grace period. Timed phases run in one of three regimes (MODE_LABEL): warm (a keep-warm process
migrates itself every 2 ms), raw back-to-back, and a 50 ms pause before each timed command.

crun 1.8.1 refuses to work on a hybrid cgroup host while the cgroup2 hierarchy is mounted at
/sys/fs/cgroup/unified: crun alone is spawned inside a private mount namespace (made once by
`unshare -m --propagation private`, then umount + a private tmpfs there; the host's mounts
are never changed) which this script enters with setns() just for the spawn of crun. berth and
runc run in the host's mount namespace.

Needs root, python3 >= 3.9 (pidfd_open, posix_spawn, wait4), util-linux (unshare), a C
compiler for the peak-RSS helper (else those rows are n/a). Only the standard library.
"""

import argparse
import ctypes
import datetime
import json
import os
import platform
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLONE_NEWNS = 0x00020000
RUNTIMES = ("berth", "crun", "runc")
PAUSE_S = 0.050  # the "paused" mode sleeps this long before each timed command
WARM_PERIOD_S = 0.002  # the cgroup keep-warm migrator's period
# Regimes of the cgroup_threadgroup_rwsem (see render_md / the docs):
#   warm:   no pause, and a keep-warm process migrates itself every 2 ms, so no runtime ever
#           pays the first-migration RCU stall (the state of a busy host or a tight loop);
#   b2b:    no pause, nothing else: whether a runtime stalls depends on how long ago the
#           previous command (of another runtime) migrated a process;
#   paused: 50 ms sleep before each timed command: every first cgroup.procs write stalls.
MODE_LABEL = {"warm": "back-to-back, warm cgroup lock", "b2b": "back-to-back, raw interleaved",
              "paused": "50 ms pause before each"}

# Child process that keeps cgroup_threadgroup_rwsem on its slow path by migrating itself into
# its own cgroup (a no-op move that still takes the lock for writing) every WARM_PERIOD_S.
WARM_SCRIPT = r"""
import os, sys, time
path = None
for line in open("/proc/self/cgroup"):
    _, ctrl, rel = line.rstrip("\n").split(":", 2)
    names = [c[5:] if c.startswith("name=") else c for c in ctrl.split(",") if c] or ["unified", ""]
    for n in names:
        cand = os.path.join("/sys/fs/cgroup", n, rel.lstrip("/"), "cgroup.procs")
        if os.path.exists(cand):
            path = cand
            break
    if path:
        break
if not path:
    sys.exit(3)
fd = os.open(path, os.O_WRONLY)
me = str(os.getpid()).encode()
os.write(fd, me)
sys.stdout.write("ready\n"); sys.stdout.flush()
while True:
    os.write(fd, me)
    time.sleep(float(sys.argv[1]))
"""
N_PARALLEL = 50

_libc = ctypes.CDLL(None, use_errno=True)
_libc.setns.argtypes = [ctypes.c_int, ctypes.c_int]
_libc.prctl.argtypes = [ctypes.c_int] + [ctypes.c_ulong] * 4
PR_SET_CHILD_SUBREAPER = 36


class BenchError(Exception):
    pass


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def setns(fd):
    if _libc.setns(fd, CLONE_NEWNS) != 0:
        e = ctypes.get_errno()
        raise OSError(e, "setns(CLONE_NEWNS): " + os.strerror(e))


# --------------------------------------------------------------------------------------------
# Process bookkeeping: every PID we spawn is recorded until reaped, so that the cleanup kills
# only our own processes.

class Procs:
    def __init__(self):
        self.live = set()
        self.devnull = os.open(os.devnull, os.O_RDWR)

    def spawn(self, argv, errfd, ns_fd=None, host_ns=None):
        """posix_spawn argv (stdin/stdout /dev/null, stderr errfd) in mount ns ns_fd if given."""
        fa = [(os.POSIX_SPAWN_DUP2, self.devnull, 0),
              (os.POSIX_SPAWN_DUP2, self.devnull, 1),
              (os.POSIX_SPAWN_DUP2, errfd, 2)]
        if ns_fd is not None:
            setns(ns_fd)
        try:
            pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=fa)
        finally:
            if ns_fd is not None:
                setns(host_ns)
        self.live.add(pid)
        return pid

    def wait(self, pid):
        _, status, ru = os.wait4(pid, 0)
        self.live.discard(pid)
        return os.waitstatus_to_exitcode(status), ru

    def reap_orphans(self):
        """Reap container inits re-parented to us (we are a child subreaper). Only called when
        none of the runtime processes we spawned is outstanding."""
        while True:
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            self.live.discard(pid)

    def kill_all(self):
        for pid in list(self.live):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for pid in list(self.live):
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass
            self.live.discard(pid)


# --------------------------------------------------------------------------------------------

class Runtime:
    """One runtime binary with its private --root and its stderr log."""

    def __init__(self, name, path, tmp, procs, ns_fd=None, host_ns=None):
        self.name = name
        self.path = path
        self.root = os.path.join(tmp, "root-" + name)
        os.mkdir(self.root, 0o700)
        self.errlog = os.path.join(tmp, "stderr-" + name + ".log")
        self.errfd = os.open(self.errlog, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        self.procs = procs
        self.ns_fd = ns_fd
        self.host_ns = host_ns
        self.containers = set()  # ids that may exist in self.root
        self.version = ""

    def argv(self, *args):
        return [self.path, "--root", self.root] + list(args)

    def spawn(self, *args):
        return self.procs.spawn(self.argv(*args), self.errfd, self.ns_fd, self.host_ns)

    def err_tail(self, since):
        with open(self.errlog, "rb") as f:
            f.seek(since)
            return f.read()[-2000:].decode(errors="replace").strip()

    def err_pos(self):
        return os.fstat(self.errfd).st_size

    def timed(self, *args, check=True):
        """Run one runtime command; returns dict(wall ms, cpu ms, maxrss KiB*, rc).
        *ru_maxrss here includes Python's own size (vfork + exec); not reported."""
        pos = self.err_pos()
        t0 = time.perf_counter_ns()
        pid = self.spawn(*args)
        rc, ru = self.procs.wait(pid)
        t1 = time.perf_counter_ns()
        if check and rc != 0:
            raise BenchError("%s %s failed (exit %d): %s" % (self.name, " ".join(args), rc,
                                                             self.err_tail(pos)))
        return {"wall": (t1 - t0) / 1e6, "cpu": (ru.ru_utime + ru.ru_stime) * 1e3,
                "maxrss": ru.ru_maxrss, "rc": rc}

    def via_helper(self, helper, outfile, *args):
        """Run one command under rusage-exec; returns (rc, maxrss KiB)."""
        pos = self.err_pos()
        pid = self.procs.spawn([helper, outfile] + self.argv(*args), self.errfd, self.ns_fd,
                               self.host_ns)
        rc, _ = self.procs.wait(pid)
        if rc != 0:
            raise BenchError("%s %s failed (exit %d): %s" % (self.name, " ".join(args), rc,
                                                             self.err_tail(pos)))
        with open(outfile) as f:
            return int(f.read().split()[0])

    def force_delete(self, cid):
        """Best-effort delete --force (cleanup path): not timed, bounded wait."""
        pid = self.spawn("delete", "--force", cid)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            wpid, _ = os.waitpid(pid, os.WNOHANG)
            if wpid:
                self.procs.live.discard(pid)
                return
            time.sleep(0.01)
        log("warning: %s delete --force %s hangs; killing it" % (self.name, cid))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        self.procs.live.discard(pid)

    def exists(self, cid):
        return os.path.exists(os.path.join(self.root, cid))


class Floor:
    """A baseline command timed like a runtime (no containers)."""

    def __init__(self, name, argv, procs, errfd):
        self.name, self._argv, self.procs, self.errfd = name, argv, procs, errfd

    def timed(self):
        t0 = time.perf_counter_ns()
        pid = self.procs.spawn(self._argv, self.errfd)
        rc, ru = self.procs.wait(pid)
        t1 = time.perf_counter_ns()
        if rc != 0:
            raise BenchError("floor %s failed (exit %d)" % (self.name, rc))
        return {"wall": (t1 - t0) / 1e6, "cpu": (ru.ru_utime + ru.ru_stime) * 1e3,
                "maxrss": ru.ru_maxrss, "rc": rc}


# --------------------------------------------------------------------------------------------
# Statistics

def quantile(sorted_vals, q):
    if not sorted_vals:
        return None
    pos = (len(sorted_vals) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(sorted_vals) - 1)
    return sorted_vals[lo] + (sorted_vals[hi] - sorted_vals[lo]) * (pos - lo)


def summary(vals):
    s = sorted(vals)
    if not s:
        return None
    return {"median": quantile(s, 0.5), "p10": quantile(s, 0.1), "p90": quantile(s, 0.9),
            "min": s[0], "max": s[-1], "n": len(s), "samples": [round(v, 4) for v in vals]}


class Results:
    def __init__(self):
        self.data = {}  # key -> runtime -> metric -> [values]
        self.notes = {}  # key -> runtime -> note (e.g. n/a reason)

    def add(self, key, rt, metric, value):
        self.data.setdefault(key, {}).setdefault(rt, {}).setdefault(metric, []).append(value)

    def add_run(self, key, rt, r, metrics=("wall", "cpu")):
        for m in metrics:
            self.add(key, rt, m, r[m])

    def na(self, key, rt, why):
        self.notes.setdefault(key, {})[rt] = why

    def summarised(self):
        out = {}
        for key, per_rt in self.data.items():
            out[key] = {rt: {m: summary(v) for m, v in ms.items()} for rt, ms in per_rt.items()}
        for key, per_rt in self.notes.items():
            for rt, why in per_rt.items():
                out.setdefault(key, {})[rt] = {"n/a": why}
        return out


# --------------------------------------------------------------------------------------------
# Set-up helpers

def make_bundle(tmp, berth):
    bundle = os.path.join(tmp, "bundle")
    r = subprocess.run([os.path.join(REPO, "tests", "mkbundle.sh"), bundle, berth],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0:
        raise BenchError("tests/mkbundle.sh %s %s failed (exit %d):\n%s" %
                         (bundle, berth, r.returncode, r.stdout))
    cfg_path = os.path.join(bundle, "config.json")
    with open(cfg_path) as f:
        cfg = json.load(f)
    # crun 1.8.1 rejects ociVersion 1.2.x ("unknown version specified"); `berth spec` and
    # `runc spec` are otherwise identical, so use runc's spec version for all three.
    cfg["ociVersion"] = "1.0.2-dev"
    cfg["process"]["args"] = ["/bin/true"]
    cfg["process"]["terminal"] = False
    with open(cfg_path, "w") as f:
        json.dump(cfg, f, indent=2)
    # A second bundle sharing the rootfs whose process stays up (target of exec).
    sleeper = os.path.join(tmp, "bundle-sleep")
    os.mkdir(sleeper)
    cfg["process"]["args"] = ["/bin/sleep", "1000000"]
    cfg["root"]["path"] = os.path.join(bundle, "rootfs")
    with open(os.path.join(sleeper, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
    # A third one with a Docker-like seccomp profile (see docker_like_seccomp).
    seccomp = os.path.join(tmp, "bundle-seccomp")
    os.mkdir(seccomp)
    cfg["process"]["args"] = ["/bin/true"]
    cfg["linux"]["seccomp"] = docker_like_seccomp()
    with open(os.path.join(seccomp, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
    return bundle, sleeper, seccomp


# Left out of the allow list, as in Docker's default profile (which refuses these
# unless a capability is added).
SECCOMP_REFUSED = {"acct", "add_key", "bpf", "clock_adjtime", "clock_settime", "create_module",
                   "delete_module", "finit_module", "get_kernel_syms", "init_module", "ioperm",
                   "iopl", "kcmp", "kexec_file_load", "kexec_load", "keyctl", "lookup_dcookie",
                   "mount", "move_pages", "nfsservctl", "open_by_handle_at", "perf_event_open",
                   "pivot_root", "process_vm_readv", "process_vm_writev", "ptrace",
                   "query_module", "quotactl", "reboot", "request_key", "setns", "settimeofday",
                   "swapoff", "swapon", "sysfs", "umount2", "unshare", "uselib", "userfaultfd",
                   "ustat", "vm86", "vm86old", "personality"}


def docker_like_seccomp():
    """The shape of Docker's default profile on amd64: default errno, one allow list of
    every x86_64 syscall but the refused ones, personality allowed for Docker's five
    values, and the three architectures Docker lists (x86_64, x86, x32): what makes
    libseccomp's compile cost ~10 ms for every container."""
    names = set()
    with open("/usr/include/x86_64-linux-gnu/asm/unistd_64.h") as f:
        for line in f:
            m = re.match(r"#define __NR_(\w+)\s+\d+", line)
            if m:
                names.add(m.group(1))
    allow = sorted(n for n in names if n not in SECCOMP_REFUSED)
    rules = [{"names": allow, "action": "SCMP_ACT_ALLOW"}]
    for v in (0, 8, 131072, 131080, 4294967295):
        rules.append({"names": ["personality"], "action": "SCMP_ACT_ALLOW",
                      "args": [{"index": 0, "value": v, "op": "SCMP_CMP_EQ"}]})
    return {"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1,
            "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
            "syscalls": rules}


def build_helper(tmp):
    """Compile bench/rusage-exec.c (static if possible); None if no C compiler works."""
    src = os.path.join(REPO, "bench", "rusage-exec.c")
    out = os.path.join(tmp, "rusage-exec")
    cc = shutil.which("cc") or shutil.which("gcc")
    if not cc:
        log("warning: no C compiler; peak RSS numbers will be n/a")
        return None
    for extra in (["-static"], []):
        r = subprocess.run([cc, "-O2"] + extra + ["-o", out, src], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
        if r.returncode == 0:
            return out
    log("warning: could not compile %s; peak RSS numbers will be n/a" % src)
    return None


def crun_namespace(procs):
    """Returns an fd of a private mount namespace without /sys/fs/cgroup/unified (or None if
    the host has no such mount), made by unshare(1) in a child that we then end."""
    with open("/proc/self/mountinfo") as f:
        if not any(l.split()[4] == "/sys/fs/cgroup/unified" for l in f):
            return None
    # crun (seeing no cgroup2 there) still mkdirs /sys/fs/cgroup/unified/<id> and writes a
    # cgroup.procs file into it; a private tmpfs over the spot keeps that litter out of the
    # host's /sys/fs/cgroup tmpfs (it goes away with the namespace).
    script = ("umount /sys/fs/cgroup/unified || exit 1; "
              "grep -q ' /sys/fs/cgroup/unified cgroup2 ' /proc/self/mountinfo && exit 1; "
              "mount -t tmpfs -o mode=0755,size=64m berth-bench-crun /sys/fs/cgroup/unified "
              "|| exit 1; echo ready; exec sleep 1000000")
    p = subprocess.Popen(["unshare", "-m", "--propagation", "private", "sh", "-c", script],
                         stdout=subprocess.PIPE, text=True)
    procs.live.add(p.pid)
    try:
        line = p.stdout.readline().strip()
        if line != "ready":
            raise BenchError("could not make a private mount namespace for crun")
        return os.open("/proc/%d/ns/mnt" % p.pid, os.O_RDONLY | os.O_CLOEXEC)
    finally:
        p.kill()
        p.wait()
        procs.live.discard(p.pid)


def version_of(path, ns_fd=None, host_ns=None):
    try:
        if ns_fd is not None:
            setns(ns_fd)
        try:
            out = subprocess.run([path, "--version"], stdout=subprocess.PIPE,
                                 stderr=subprocess.DEVNULL, text=True, timeout=10).stdout
        finally:
            if ns_fd is not None:
                setns(host_ns)
        return " ".join(l.strip() for l in out.strip().splitlines()[:2])
    except Exception as e:  # noqa: BLE001 - informational only
        return "unknown (%s)" % e


def machine_info(berth_src):
    def read(path):
        try:
            with open(path) as f:
                return f.read()
        except OSError:
            return ""
    cpu = next((l.split(":", 1)[1].strip() for l in read("/proc/cpuinfo").splitlines()
                if l.startswith("model name")), platform.machine())
    mem = next(("%.1f GiB" % (int(l.split()[1]) / 1048576.0) for l in
                read("/proc/meminfo").splitlines() if l.startswith("MemTotal")), "?")
    os_rel = next((l.split("=", 1)[1].strip().strip('"') for l in
                   read("/etc/os-release").splitlines() if l.startswith("PRETTY_NAME=")), "?")
    mounts = read("/proc/self/mountinfo")
    if " /sys/fs/cgroup cgroup2 " in mounts or mounts.count(" - cgroup ") == 0:
        cg = "v2 (unified)"
    elif " - cgroup2 " in mounts:
        cg = "v1 hybrid (v1 controllers + cgroup2 at /sys/fs/cgroup/unified)"
    else:
        cg = "v1 (legacy)"
    commit = ""
    try:
        commit = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                                timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", REPO, "status", "--porcelain", "--untracked-files=no"],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                               timeout=10).stdout.strip()
        if commit and dirty:
            commit += " (+ uncommitted changes)"
    except Exception:  # noqa: BLE001
        pass
    return {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "host": socket.gethostname(), "kernel": platform.release(), "os": os_rel,
            "cpu": cpu, "cpus": os.cpu_count(), "memory": mem, "cgroups": cg,
            "python": platform.python_version(), "berth_binary": berth_src,
            "berth_commit": commit}


def loadavg():
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "?"


def proc_mem(pid):
    """(VmRSS KiB, Pss KiB) of pid, or (None, None)."""
    rss = pss = None
    try:
        with open("/proc/%d/status" % pid) as f:
            for l in f:
                if l.startswith("VmRSS:"):
                    rss = int(l.split()[1])
        with open("/proc/%d/smaps_rollup" % pid) as f:
            for l in f:
                if l.startswith("Pss:"):
                    pss = int(l.split()[1])
    except OSError:
        pass
    return rss, pss


def read_pid(path):
    with open(path) as f:
        return int(f.read().strip())


def wait_pidfd(fd, timeout=10.0):
    r, _, _ = select.select([fd], [], [], timeout)
    if not r:
        raise BenchError("container process did not exit within %.0f s" % timeout)


# --------------------------------------------------------------------------------------------
# Scenarios

class Bench:
    def __init__(self, args):
        self.args = args
        self.procs = Procs()
        self.tmp = None
        self.rts = {}
        self.floors = {}
        self.res = Results()
        self.seq = 0
        self.tag = "bb%s" % os.urandom(3).hex()
        self.host_ns = None
        self.crun_ns = None
        self.exec_na = None
        self.warmer = None
        self.failures = {}  # "runtime: phase" -> [error, ...]

    # -- ids / pause
    def new_id(self, rt):
        self.seq += 1
        cid = "%s-%s-%d" % (self.tag, rt.name[0], self.seq)
        rt.containers.add(cid)
        return cid

    def gap(self, mode):
        if mode == "paused":
            time.sleep(PAUSE_S)

    def set_mode(self, mode):
        """Start the keep-warm migrator for "warm", stop it otherwise."""
        if mode == "warm" and self.warmer is None:
            p = subprocess.Popen([sys.executable, "-c", WARM_SCRIPT, str(WARM_PERIOD_S)],
                                 stdout=subprocess.PIPE, text=True)
            self.procs.live.add(p.pid)
            if p.stdout.readline().strip() != "ready":
                p.wait()
                self.procs.live.discard(p.pid)
                raise BenchError("the cgroup keep-warm process failed (no writable cgroup.procs)")
            self.warmer = p
        elif mode != "warm" and self.warmer is not None:
            self.stop_warmer()
        if mode == "paused":
            time.sleep(0.2)

    def stop_warmer(self):
        p, self.warmer = self.warmer, None
        if p is not None:
            p.kill()
            p.wait()
            p.stdout.close()
            self.procs.live.discard(p.pid)

    # -- set-up and teardown
    def setup(self, names):
        self.tmp = tempfile.mkdtemp(prefix="berth-bench-")
        os.chmod(self.tmp, 0o755)
        # Snapshot the berth binary: the build dir may be rebuilt while we run.
        src = os.path.abspath(self.args.berth)
        if not os.access(src, os.X_OK):
            raise BenchError("%s is not executable (run `make build`)" % src)
        berth = os.path.join(self.tmp, "berth")
        shutil.copy2(src, berth)
        self.bundle, self.sleeper, self.seccomp_bundle = make_bundle(self.tmp, berth)
        self.helper = build_helper(self.tmp)
        self.host_ns = os.open("/proc/self/ns/mnt", os.O_RDONLY | os.O_CLOEXEC)
        # Container inits outlive `create`; as a subreaper we reap them ourselves, like a shim.
        _libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
        for name in names:
            path = berth if name == "berth" else shutil.which(name)
            if not path:
                log("warning: %s not found; its column will be n/a" % name)
                continue
            ns = None
            if name == "crun":
                self.crun_ns = crun_namespace(self.procs)
                ns = self.crun_ns
            rt = Runtime(name, path, self.tmp, self.procs, ns, self.host_ns)
            rt.version = version_of(path, ns, self.host_ns)
            self.rts[name] = rt
        self.meta = machine_info(src)
        self.meta["loadavg_start"] = loadavg()
        self.meta["versions"] = {n: r.version for n, r in self.rts.items()}

    def cleanup(self):
        self.stop_warmer()
        self.procs.kill_all()
        for rt in self.rts.values():
            for cid in sorted(rt.containers):
                if rt.exists(cid):
                    rt.force_delete(cid)
            rt.containers.clear()
        self.procs.reap_orphans()
        self.remove_leftover_cgroups()
        self.kill_orphans()
        if self.tmp:
            with open("/proc/self/mountinfo") as f:
                busy = [l.split()[4] for l in f if l.split()[4].startswith(self.tmp + "/")]
            if busy:
                log("warning: mounts left under %s, not removing it: %s" % (self.tmp, busy))
            else:
                shutil.rmtree(self.tmp, ignore_errors=True)

    def kill_orphans(self):
        """We are a child subreaper: anything still parented to us was started (directly or
        through a runtime) by this script, e.g. the init of a container whose `create` was
        interrupted. Kill and reap those."""
        me = os.getpid()
        for _ in range(3):
            found = False
            for d in os.listdir("/proc"):
                if not d.isdigit():
                    continue
                try:
                    with open("/proc/%s/stat" % d) as f:
                        ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                except (OSError, ValueError, IndexError):
                    continue
                if ppid == me:
                    found = True
                    try:
                        os.kill(int(d), signal.SIGKILL)
                    except ProcessLookupError:
                        pass
            if not found:
                break
            time.sleep(0.05)
            self.procs.reap_orphans()

    def remove_leftover_cgroups(self):
        """rmdir cgroups named after our containers (unique tag) that a failed delete left;
        processes inside are container processes we created: kill them first."""
        with open("/proc/self/mountinfo") as f:
            roots = [l.split()[4] for l in f if " - cgroup" in l]
        for root in roots:
            base = root.count("/")
            for d, subdirs, _ in os.walk(root):
                if d.count("/") - base >= 3:
                    subdirs[:] = []
                for s in list(subdirs):
                    if s.startswith(self.tag + "-"):
                        subdirs.remove(s)
                        self._rm_cgroup(os.path.join(d, s))

    def _rm_cgroup(self, path):
        for d, _, _ in sorted(os.walk(path), key=lambda t: -t[0].count("/")):
            try:
                with open(os.path.join(d, "cgroup.procs")) as f:
                    for pid in f.read().split():
                        try:
                            os.kill(int(pid), signal.SIGKILL)
                        except ProcessLookupError:
                            pass
            except OSError:
                pass
            for _ in range(50):
                try:
                    os.rmdir(d)
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.02)
        log("note: removed leftover cgroup %s" % path)

    # -- single container steps
    def run_true(self, rt, bundle=None):
        cid = self.new_id(rt)
        r = rt.timed("run", "--bundle", bundle or self.bundle, cid)
        if not rt.exists(cid):
            rt.containers.discard(cid)
        return r

    def lifecycle(self, rt, mode, record=True):
        """create | start (command; and until the process exited) | delete, each timed."""
        cid = self.new_id(rt)
        pidfile = os.path.join(self.tmp, "pid-" + cid)
        self.gap(mode)
        c = rt.timed("create", "--bundle", self.bundle, "--pid-file", pidfile, cid)
        pid = read_pid(pidfile)
        pidfd = os.pidfd_open(pid)
        try:
            self.gap(mode)
            t0 = time.perf_counter_ns()
            s = rt.timed("start", cid)
            wait_pidfd(pidfd)
            s_exit = (time.perf_counter_ns() - t0) / 1e6
        finally:
            os.close(pidfd)
        self.procs.reap_orphans()
        self.gap(mode)
        d = rt.timed("delete", cid)
        rt.containers.discard(cid)
        os.unlink(pidfile)
        if record:
            self.res.add_run("create/" + mode, rt.name, c)
            self.res.add_run("start/" + mode, rt.name, s)
            self.res.add("start-exit/" + mode, rt.name, "wall", s_exit)
            self.res.add_run("delete/" + mode, rt.name, d)

    def memory(self, rt, record=True):
        """Peak RSS of `create` and `run` (under rusage-exec), and the memory of the init of a
        created, not started container. Not timed."""
        cid = self.new_id(rt)
        pidfile = os.path.join(self.tmp, "pid-" + cid)
        out = os.path.join(self.tmp, "rusage.out")
        if self.helper:
            peak = rt.via_helper(self.helper, out, "create", "--bundle", self.bundle,
                                 "--pid-file", pidfile, cid)
        else:
            peak = None
            rt.timed("create", "--bundle", self.bundle, "--pid-file", pidfile, cid)
        pid = read_pid(pidfile)
        rss, pss = proc_mem(pid)
        pidfd = os.pidfd_open(pid)
        try:
            rt.timed("start", cid)
            wait_pidfd(pidfd)
        finally:
            os.close(pidfd)
        self.procs.reap_orphans()
        rt.timed("delete", cid)
        rt.containers.discard(cid)
        os.unlink(pidfile)
        run_peak = None
        if self.helper:
            cid = self.new_id(rt)
            run_peak = rt.via_helper(self.helper, out, "run", "--bundle", self.bundle, cid)
            if not rt.exists(cid):
                rt.containers.discard(cid)
        if record:
            for metric, v in (("create-peak", peak), ("run-peak", run_peak),
                              ("created-rss", rss), ("created-pss", pss)):
                if v is not None:
                    self.res.add("mem", rt.name, metric, v)

    def parallel(self, rt, record=True):
        n = N_PARALLEL
        ids = [self.new_id(rt) for _ in range(n)]
        pidfiles = [os.path.join(self.tmp, "pid-" + c) for c in ids]
        phases = {}

        def batch(phase, argvs):
            pos = rt.err_pos()
            t0 = time.perf_counter_ns()
            pids = [rt.spawn(*a) for a in argvs]
            cpu, fails = 0.0, 0
            for p in pids:
                rc, ru = self.procs.wait(p)
                cpu += (ru.ru_utime + ru.ru_stime) * 1e3
                fails += rc != 0
            wall = (time.perf_counter_ns() - t0) / 1e6
            if fails:
                raise BenchError("%s: %d of %d parallel %s failed: %s" %
                                 (rt.name, fails, n, phase, rt.err_tail(pos)))
            phases[phase] = (wall, cpu)

        batch("create", [("create", "--bundle", self.bundle, "--pid-file", pf, c)
                         for c, pf in zip(ids, pidfiles)])
        pidfds = [os.pidfd_open(read_pid(pf)) for pf in pidfiles]
        try:
            batch("start", [("start", c) for c in ids])
            for fd in pidfds:
                wait_pidfd(fd)
        finally:
            for fd in pidfds:
                os.close(fd)
        self.procs.reap_orphans()
        batch("delete", [("delete", c) for c in ids])
        for c, pf in zip(ids, pidfiles):
            rt.containers.discard(c)
            os.unlink(pf)
        if record:
            for ph, (wall, cpu) in phases.items():
                self.res.add("par-" + ph, rt.name, "wall", wall)
                self.res.add("par-" + ph, rt.name, "cpu", cpu)
            total = sum(w for w, _ in phases.values())
            self.res.add("par-total", rt.name, "wall", total)
            self.res.add("par-total", rt.name, "cpu", sum(c for _, c in phases.values()))
            self.res.add("par-throughput", rt.name, "per_s", n / (total / 1e3))

    def exec_setup(self):
        """A running sleep container per runtime; decide whether berth has `exec`."""
        self.exec_ids = {}
        for rt in self.rts.values():
            if rt.name == "berth":
                helptext = subprocess.run([rt.path, "--help"], stdout=subprocess.PIPE,
                                          stderr=subprocess.STDOUT, text=True).stdout
                if not any(l.split()[:1] == ["exec"] for l in helptext.splitlines()):
                    self.exec_na = "this berth build has no `exec` subcommand yet"
                    continue
            cid = self.new_id(rt)
            try:
                rt.timed("create", "--bundle", self.sleeper, cid)
                rt.timed("start", cid)
            except BenchError as e:
                self.failures.setdefault("%s: exec set-up" % rt.name, []).append(str(e)[:400])
                log("warning: %s" % e)
                self.recover(rt)
                continue
            self.exec_ids[rt.name] = cid
        if "berth" in self.exec_ids:
            rt = self.rts["berth"]
            r = rt.timed("exec", self.exec_ids["berth"], "/bin/true", check=False)
            if r["rc"] != 0:
                self.exec_na = "berth exec failed: %s" % " ".join(rt.err_tail(0).split())[-300:]
                del self.exec_ids["berth"]

    def exec_teardown(self):
        for name, cid in self.exec_ids.items():
            rt = self.rts[name]
            rt.force_delete(cid)
            rt.containers.discard(cid)
        self.procs.reap_orphans()

    # -- drivers
    def interleave(self, phase, keys, n_warm, n, fn, after=None, every=25):
        """n_warm + n rounds of fn(rt, record) over the runtimes. The order rotates every
        round (A B C, B C A, C A B, ...), so each runtime follows each other one equally
        often: what one command leaves behind (a warm cgroup lock, a queued netns teardown)
        favours no runtime in particular. A failing command is reported, its containers
        are removed and the round goes on; a runtime failing 3 times in a phase is dropped
        from it and its numbers for `keys` become n/a."""
        active = list(self.rts.values())
        for i in range(n_warm + n):
            record = i >= n_warm
            k = i % len(active) if active else 0
            for rt in active[k:] + active[:k]:
                try:
                    fn(rt, record)
                except BenchError as e:
                    errs = self.failures.setdefault("%s: %s" % (rt.name, phase), [])
                    errs.append(" ".join(str(e).split())[:400])
                    log("warning: %s" % e)
                    self.recover(rt)
                    if len(errs) >= 3:
                        log("warning: %s dropped from %s after 3 failures" % (rt.name, phase))
                        active.remove(rt)
                        for k in keys:
                            self.res.data.get(k, {}).pop(rt.name, None)
                            self.res.na(k, rt.name, "failed: " + errs[0])
            if after:
                after(record)
            if record and (i + 1 - n_warm) % every == 0:
                log("    %d/%d" % (i + 1 - n_warm, n))
            if i % 10 == 9:
                self.clean_crun_litter()
        self.clean_crun_litter()

    def clean_crun_litter(self):
        """Empty our ids' dirs from the private tmpfs crun writes into (see crun_namespace)."""
        if self.crun_ns is None:
            return
        live = self.rts["crun"].containers if "crun" in self.rts else set()
        setns(self.crun_ns)
        try:
            with open("/proc/self/mountinfo") as f:
                ours = any(l.split()[4] == "/sys/fs/cgroup/unified" and
                           " - tmpfs berth-bench-crun " in l for l in f)
            if not ours:
                return
            base = "/sys/fs/cgroup/unified"
            for name in os.listdir(base):
                if name.startswith(self.tag + "-") and name not in live:
                    d = os.path.join(base, name)
                    for fn in os.listdir(d):
                        os.unlink(os.path.join(d, fn))
                    os.rmdir(d)
        except OSError as e:
            log("warning: cleaning crun's tmpfs: %s" % e)
        finally:
            setns(self.host_ns)

    def recover(self, rt):
        """After a failure: remove what the runtime may have left (except exec targets)."""
        keep = set(getattr(self, "exec_ids", {}).values())
        for cid in sorted(rt.containers - keep):
            if rt.exists(cid):
                rt.force_delete(cid)
            rt.containers.discard(cid)
        self.procs.reap_orphans()

    def run_full(self):
        a = self.args
        sc = lambda k: max(3, int(round(k * a.scale)))  # noqa: E731
        floors = [Floor("true", ["/bin/true"], self.procs, self.procs.devnull),
                  Floor("unshare", [shutil.which("unshare") or "/usr/bin/unshare", "--fork",
                                    "--pid", "--mount", "--uts", "--ipc", "--net",
                                    "--mount-proc", "/bin/true"], self.procs, self.procs.devnull)]

        for mode, n in (("warm", sc(200)), ("b2b", sc(100)), ("paused", sc(100))):
            log("== run /bin/true (%s), %d interleaved iterations" % (MODE_LABEL[mode], n))
            self.set_mode(mode)

            def one(rt, record, mode=mode):
                self.gap(mode)
                r = self.run_true(rt)
                if record:
                    self.res.add_run("run/" + mode, rt.name, r)

            def floor(record, mode=mode):
                for f in floors:
                    self.gap(mode)
                    r = f.timed()
                    if record:
                        self.res.add_run("floor/" + mode, f.name, r)
            self.interleave("run " + mode, ["run/" + mode], 10, n, one, floor, every=50)

        n = sc(100)
        log("== run /bin/true with a Docker-like seccomp profile (warm), %d iterations" % n)
        self.set_mode("warm")

        def sec(rt, record):
            r = self.run_true(rt, self.seccomp_bundle)
            if record:
                self.res.add_run("run-seccomp/warm", rt.name, r)
        self.interleave("run seccomp", ["run-seccomp/warm"], 5, n, sec, every=50)

        for mode, n in (("warm", sc(100)), ("paused", sc(60))):
            log("== create | start | delete (%s), %d interleaved iterations" %
                (MODE_LABEL[mode], n))
            self.set_mode(mode)
            self.interleave("create|start|delete " + mode,
                            [k + "/" + mode for k in ("create", "start", "start-exit", "delete")],
                            5, n, lambda rt, rec, m=mode: self.lifecycle(rt, m, rec))

        log("== exec /bin/true into a running container")
        self.set_mode("warm")
        self.exec_setup()
        try:
            if self.exec_na and "berth" in self.rts:
                log("    berth exec: n/a (%s)" % self.exec_na)
                for m in ("warm", "paused"):
                    self.res.na("exec/" + m, "berth", self.exec_na)
            for mode, n in (("warm", sc(100)), ("paused", sc(60))):
                log("   exec (%s), %d interleaved iterations" % (MODE_LABEL[mode], n))
                self.set_mode(mode)

                def ex(rt, record, mode=mode):
                    if rt.name not in self.exec_ids:
                        return
                    self.gap(mode)
                    r = rt.timed("exec", self.exec_ids[rt.name], "/bin/true")
                    if record:
                        self.res.add_run("exec/" + mode, rt.name, r)
                self.interleave("exec " + mode, ["exec/" + mode], 5, n, ex)
        finally:
            self.exec_teardown()

        n = sc(20)
        log("== memory: peak RSS of create and run, created container's init; %d iterations" % n)
        self.interleave("memory", ["mem"], 2, n, lambda rt, rec: self.memory(rt, rec))
        if self.helper:
            out = os.path.join(self.tmp, "rusage.out")
            for _ in range(n):
                pid = self.procs.spawn([self.helper, out, "/bin/true"], self.procs.devnull)
                self.procs.wait(pid)
                with open(out) as f:
                    self.res.add("mem", "floor-true", "run-peak", int(f.read().split()[0]))

        n = sc(10)
        log("== %d containers in parallel: create all, start all, delete all; %d rounds (warm)" %
            (N_PARALLEL, n))
        self.set_mode("warm")
        self.interleave("parallel", ["par-create", "par-start", "par-delete", "par-total",
                                     "par-throughput"], 1, n,
                        lambda rt, rec: self.parallel(rt, rec), every=5)
        self.set_mode("b2b")

    def run_quick(self):
        n = self.args.iterations or 15
        rts = [self.rts[k] for k in ("berth", "runc") if k in self.rts]
        if len(rts) != 2:
            raise BenchError("bench-quick needs berth and runc")
        self.set_mode("warm")
        for _ in range(5):
            for rt in rts:
                self.run_true(rt)
        for _ in range(n):
            for rt in rts:
                self.res.add("run/warm", rt.name, "wall", self.run_true(rt)["wall"])
        self.set_mode("b2b")


# --------------------------------------------------------------------------------------------
# Report

W, B2B, P = "back-to-back (warm)", "back-to-back (raw)", "50 ms pause"
ROWS = [
    # (key, metric, scenario, unit)
    ("run/warm", "wall", "`run` /bin/true, %s: wall" % W, "ms"),
    ("run/warm", "cpu", "`run` /bin/true, %s: CPU" % W, "ms"),
    ("run/b2b", "wall", "`run` /bin/true, %s: wall" % B2B, "ms"),
    ("run/paused", "wall", "`run` /bin/true, %s: wall" % P, "ms"),
    ("run/paused", "cpu", "`run` /bin/true, %s: CPU" % P, "ms"),
    ("run-seccomp/warm", "wall", "`run` /bin/true with a Docker-like seccomp profile, %s: wall" % W, "ms"),
    ("run-seccomp/warm", "cpu", "`run` /bin/true with a Docker-like seccomp profile, %s: CPU" % W, "ms"),
    ("create/warm", "wall", "`create`, %s: wall" % W, "ms"),
    ("create/warm", "cpu", "`create`, %s: CPU" % W, "ms"),
    ("create/paused", "wall", "`create`, %s: wall" % P, "ms"),
    ("start/warm", "wall", "`start` (until the command returns), %s: wall" % W, "ms"),
    ("start/warm", "cpu", "`start`, %s: CPU" % W, "ms"),
    ("start-exit/warm", "wall", "`start` until /bin/true has exited, %s: wall" % W, "ms"),
    ("start/paused", "wall", "`start` (until the command returns), %s: wall" % P, "ms"),
    ("start-exit/paused", "wall", "`start` until /bin/true has exited, %s: wall" % P, "ms"),
    ("delete/warm", "wall", "`delete` of the stopped container, %s: wall" % W, "ms"),
    ("delete/warm", "cpu", "`delete`, %s: CPU" % W, "ms"),
    ("delete/paused", "wall", "`delete` of the stopped container, %s: wall" % P, "ms"),
    ("exec/warm", "wall", "`exec` /bin/true, %s: wall" % W, "ms"),
    ("exec/warm", "cpu", "`exec` /bin/true, %s: CPU" % W, "ms"),
    ("exec/paused", "wall", "`exec` /bin/true, %s: wall" % P, "ms"),
    ("par-create", "wall", "50 in parallel: create all: wall", "ms"),
    ("par-start", "wall", "50 in parallel: start all: wall", "ms"),
    ("par-delete", "wall", "50 in parallel: delete all: wall", "ms"),
    ("par-total", "wall", "50 in parallel: create + start + delete: wall", "ms"),
    ("par-total", "cpu", "50 in parallel: create + start + delete: CPU (sum)", "ms"),
    ("par-throughput", "per_s", "50 in parallel: throughput (higher is better)", "containers/s"),
    ("mem", "create-peak", "peak RSS of the runtime during `create`", "MiB"),
    ("mem", "run-peak", "peak RSS during `run` (runtime + the children it reaps)", "MiB"),
    ("mem", "created-rss", "created, not started container: its init's VmRSS", "MiB"),
    ("mem", "created-pss", "created, not started container: its init's Pss", "MiB"),
]


def fmt(v, unit):
    if v is None:
        return "n/a"
    if unit == "MiB":
        v = v / 1024.0
    if abs(v) >= 100:
        return "%.0f" % v
    if abs(v) >= 10:
        return "%.1f" % v
    return "%.2f" % v


def cell(s, unit):
    if s is None or "n/a" in s:
        return "n/a"
    return "%s (%s–%s)" % (fmt(s["median"], unit), fmt(s["p10"], unit), fmt(s["p90"], unit))


def get(summ, key, rt, metric):
    try:
        s = summ[key][rt]
    except KeyError:
        return None
    if "n/a" in s:
        return s
    return s.get(metric)


def ratio(a, b):
    if not a or not b or "n/a" in a or "n/a" in b or not b["median"]:
        return None
    return a["median"] / b["median"]


def fr(r):
    return "%.2f" % r if r is not None else "n/a"


def results_table(summ):
    L = ["| scenario | unit | berth | crun | runc | berth/crun | berth/runc |",
         "|---|---|---|---|---|---|---|"]
    for key, metric, label, unit in ROWS:
        b, c, r = (get(summ, key, n, metric) for n in RUNTIMES)
        if b is None and c is None and r is None:
            continue
        L.append("| %s | %s | %s | %s | %s | %s | %s |" % (
            label, unit, cell(b, unit), cell(c, unit), cell(r, unit),
            fr(ratio(b, c)), fr(ratio(b, r))))
    return L


def floor_table(summ):
    L = ["| command | mode | wall ms | CPU ms |", "|---|---|---|---|"]
    for mode in ("warm", "b2b", "paused"):
        for f, flabel in (("true", "`/bin/true`"),
                          ("unshare", "`unshare --fork --pid --mount --uts --ipc --net "
                                      "--mount-proc /bin/true`")):
            s = summ.get("floor/" + mode, {}).get(f)
            if s:
                L.append("| %s | %s | %s | %s |" % (flabel, MODE_LABEL[mode],
                                                    cell(s["wall"], "ms"), cell(s["cpu"], "ms")))
    return L


def render_md(meta, summ, ratios, scale, exec_na, analysis, failures):
    L = []
    L.append("# Performance: berth vs crun vs runc")
    L.append("")
    L.append("Generated by `make bench` (`bench/bench.py`) on %s; do not edit by hand. Every "
             "sample is in `bench/results.json`. `make bench-quick` is the few-second guard "
             "used by `make test` (berth's median `run` must not be slower than runc's)." %
             meta["date"])
    L.append("")
    L.append("## Machine")
    L.append("")
    L.append("| | |")
    L.append("|---|---|")
    for k, lbl in (("host", "host"), ("os", "OS"), ("kernel", "kernel"), ("cpu", "CPU"),
                   ("cpus", "CPUs"), ("memory", "memory"), ("cgroups", "cgroups"),
                   ("python", "python"), ("loadavg", "load average (start → end)")):
        L.append("| %s | %s |" % (lbl, meta.get(k, "?")))
    for n, v in meta["versions"].items():
        extra = ""
        if n == "berth" and meta.get("berth_commit"):
            extra = " — commit %s" % meta["berth_commit"]
        L.append("| %s | %s%s |" % (n, v, extra))
    L.append("")
    L.append("## Results")
    L.append("")
    L.append("Median (p10–p90) of each runtime; the ratios are of medians, below 1 = berth is "
             "faster or smaller (for throughput, above 1 = berth is better).")
    L.append("")
    L.extend(results_table(summ))
    L.append("")
    if exec_na:
        L.append("berth `exec`: n/a — %s." % exec_na)
        L.append("")
    if failures:
        L.append("**Failures during this run** (the failing command's containers were removed; "
                 "a runtime failing 3 times in a phase was dropped from it):")
        L.append("")
        for k, errs in failures.items():
            L.append("* %s: %d× — first: `%s`" % (k, len(errs), errs[0].replace("`", "'")))
        L.append("")
    L.append("### Floor")
    L.append("")
    L.append("Spawned and timed the same way, in the same interleaved loop as `run`:")
    L.append("")
    L.extend(floor_table(summ))
    L.append("")
    L.append("### Headline ratios (medians of wall time)")
    L.append("")
    for k, v in ratios.items():
        L.append("* %s: **%s**" % (k, fr(v)))
    L.append("")
    L.append("Where the time above the `unshare` floor goes, and what each change gained: "
             "docs/startup-costs.md (`bench/startup-profile.sh` counts the calls, `bench/ab.py` "
             "compares two builds or two configs, interleaved).")
    L.append("")
    if analysis:
        L.append("## Derived from the numbers above")
        L.append("")
        L.extend(analysis)
        L.append("")
    L.append("## Method")
    L.append("")
    L.append("* One bundle for all three runtimes: busybox-static rootfs from "
             "`tests/mkbundle.sh`, the default `berth spec` config (identical to `runc spec` "
             "except ociVersion, set to `1.0.2-dev` because crun 1.8.1 rejects 1.2.0), "
             "process `/bin/true`, namespaces pid, net, ipc, uts, mount, no cgroupsPath (each "
             "runtime uses `/<id>` in every hierarchy).")
    L.append("* The runtimes run interleaved in one process (berth, crun, runc, berth, crun, "
             "runc, ...) after a warm-up; every container has a new id; each runtime has a "
             "private `--root` in a temp dir; the berth binary is a snapshot copy of "
             "`build/berth`. The bench process is a child subreaper and reaps the container "
             "inits itself, as a shim would.")
    L.append("* Wall time: from `posix_spawn` of the runtime to `wait4` returning. CPU: "
             "`ru_utime + ru_stime` from `wait4` (the runtime plus the descendants it reaped "
             "itself; for `create` the container's init is not included).")
    L.append("* cgroup lock regimes. On this cgroup-v1 kernel the first write to a "
             "`cgroup.procs` after a quiet spell waits for an RCU grace period "
             "(cgroup_threadgroup_rwsem leaves its fast path), 10–16 ms here; writes that "
             "follow within a grace period of the previous one skip it. **warm**: no pause, "
             "and a keep-warm process moves itself into its own cgroup every %g ms (a no-op "
             "migration that takes the lock), so no runtime pays the stall: the pure cost of "
             "the runtime. **raw**: no pause and nothing else: whether a runtime pays the "
             "stall depends on when the previous command (of another runtime) last migrated "
             "a process, so the numbers are bimodal (the order of the runtimes rotates every "
             "round, so none always follows the same one); only shown for `run`. **50 ms pause**: a 50 ms sleep before each timed command, so every "
             "create, run and exec pays the stall: a sporadic container start on an idle "
             "host." % (WARM_PERIOD_S * 1e3))
    L.append("* crun runs in a private mount namespace where `/sys/fs/cgroup/unified` is "
             "unmounted (crun 1.8.1 refuses the hybrid layout otherwise) and covered by an "
             "empty private tmpfs (crun still mkdirs `<id>` there); berth and runc run in the "
             "host's mount namespace, so they also join the cgroup2 hierarchy and crun "
             "does not.")
    L.append("* Seccomp: a third bundle adds a profile shaped like Docker's default on amd64 "
             "(default errno; one allow list of every x86_64 syscall in the kernel headers "
             "except the ~40 Docker refuses; personality for Docker's five values; "
             "architectures x86_64, x86 and x32). Every runtime compiles it with libseccomp; "
             "berth keeps the compiled filter in `--root`/.seccomp-cache "
             "(linux/seccomp_cache.hpp), so after the warm-up it loads it instead: the "
             "steady state of an engine whose containers share one profile.")
    L.append("* `start` is timed twice: until the `start` command returns, and until the "
             "container's /bin/true has exited (pidfd of the init from `--pid-file`). "
             "`delete` is timed on the stopped, reaped container.")
    L.append("* 50 in parallel: 50 `create` spawned at once and waited for; then 50 `start`; "
             "once every process exited, 50 `delete`; the CPU is the sum over the 150 "
             "commands. Runs warm.")
    L.append("* Memory, in separate untimed iterations: `ru_maxrss` of `create` and `run`, "
             "measured through `bench/rusage-exec.c` (fork + exec + wait4 from a tiny static "
             "process; a posix_spawn from Python would report Python's own ~18 MiB). "
             "`/bin/true` under the same helper peaks at %s MiB. The init of a created, not "
             "started container (from `--pid-file`): VmRSS from /proc/PID/status, Pss from "
             "/proc/PID/smaps_rollup." % fmt(
                 (get(summ, "mem", "floor-true", "run-peak") or {}).get("median"), "MiB"))
    L.append("* Iterations (scale %.2g): run 200 warm + 100 raw + 100 paused + 100 with seccomp; create/start/"
             "delete 100 warm + 60 paused; exec 100 + 60; memory 20; 10 parallel rounds; "
             "each after a warm-up. Runtime and machine noise are shared by the three "
             "columns because they are interleaved; compare ratios, not absolute times "
             "across runs." % scale)
    L.append("")
    return "\n".join(L)


def derived(summ):
    """A few computed observations for the report."""
    L = []
    med = lambda k, rt, m="wall": (get(summ, k, rt, m) or {}).get("median")  # noqa: E731
    fl = (summ.get("floor/warm", {}).get("unshare") or {}).get("wall", {}).get("median")
    tr = (summ.get("floor/warm", {}).get("true") or {}).get("wall", {}).get("median")
    parts = []
    for rt in RUNTIMES:
        v = med("run/warm", rt)
        if v is not None and fl is not None:
            parts.append("%s %+.1f ms" % (rt, v - fl))
    if parts:
        L.append("* `run` (warm) above the `unshare` floor (%.1f ms; plain /bin/true %.1f ms): "
                 "%s." % (fl, tr or 0, ", ".join(parts)))
    parts = []
    for rt in RUNTIMES:
        w, p = med("run/warm", rt), med("run/paused", rt)
        if w is not None and p is not None:
            parts.append("%s %+.1f ms" % (rt, p - w))
    if parts:
        L.append("* What the cold cgroup lock adds to `run` (50 ms pause minus warm): %s." %
                 ", ".join(parts))
    parts = []
    for rt in RUNTIMES:
        c, s_, d, r = (med(k, rt) for k in ("create/warm", "start-exit/warm", "delete/warm",
                                            "run/warm"))
        if None not in (c, s_, d, r):
            parts.append("%s %.1f + %.1f + %.1f = %.1f ms (run: %.1f)" % (rt, c, s_, d,
                                                                        c + s_ + d, r))
    if parts:
        L.append("* create + start-until-exit + delete (warm), against one `run`: %s." %
                 "; ".join(parts))
    parts = []
    for rt in RUNTIMES:
        w, c = med("run/warm", rt), med("run/warm", rt, "cpu")
        if w and c is not None:
            parts.append("%s %.0f%%" % (rt, 100.0 * c / w))
    if parts:
        L.append("* CPU/wall of `run` (warm; > 100%% = work on both CPUs): %s." %
                 ", ".join(parts))
    return L


def headline_ratios(summ):
    out = {}
    for key, lbl in (("run/warm", "run-true back-to-back (warm)"),
                     ("run/paused", "run-true 50 ms pause"),
                     ("run-seccomp/warm", "run-true with Docker-like seccomp (warm)"),
                     ("create/warm", "create (warm)"), ("create/paused", "create (paused)"),
                     ("par-total", "50 in parallel, total")):
        for other in ("crun", "runc"):
            out["berth/%s %s" % (other, lbl)] = ratio(get(summ, key, "berth", "wall"),
                                                      get(summ, key, other, "wall"))
    return out



# docs/performance.md also carries berth-build's numbers (bench/build-vs-buildah.sh, pasted by
# hand below this marker): a new render keeps them.
BUILD_MARKER = "<!-- berth-build: bench/build-vs-buildah.sh -->"


def kept_tail(md_path):
    try:
        with open(md_path) as f:
            text = f.read()
    except OSError:
        return ""
    i = text.find(BUILD_MARKER)
    return "" if i < 0 else "\n" + text[i:]

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--berth", default=os.path.join(REPO, "build", "berth"))
    ap.add_argument("--quick", action="store_true",
                    help="berth vs runc run-true only; exit 1 if berth's median is slower")
    ap.add_argument("--iterations", type=int, default=0, help="--quick iterations (default 15)")
    ap.add_argument("--scale", type=float, default=1.0, help="scale the full run's iterations")
    ap.add_argument("--md", default=os.path.join(REPO, "docs", "performance.md"))
    ap.add_argument("--json", default=os.path.join(REPO, "bench", "results.json"))
    ap.add_argument("--render", action="store_true",
                    help="only re-write the --md report from an existing --json")
    args = ap.parse_args()
    # absolute now: setns() into a mount namespace resets the cwd to /
    args.berth, args.md, args.json = (os.path.abspath(x) for x in (args.berth, args.md, args.json))

    if args.render:
        with open(args.json) as f:
            d = json.load(f)
        m = d["method"]
        exec_na = None if m.get("exec_berth") == "available" else m.get("exec_berth")
        tail = kept_tail(args.md)
        with open(args.md, "w") as f:
            f.write(render_md(d["meta"], d["results"], d["ratios"], m.get("scale", 1.0), exec_na,
                              derived(d["results"]), d.get("failures", {})) + tail)
        print("wrote %s from %s" % (args.md, args.json))
        return 0

    if os.geteuid() != 0:
        log("bench: needs root")
        return 2

    def on_term(signum, _frame):
        raise KeyboardInterrupt("signal %d" % signum)
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_term)

    b = Bench(args)
    rc = 0
    try:
        b.setup(("berth", "runc") if args.quick else RUNTIMES)
        if args.quick:
            b.run_quick()
        else:
            b.run_full()
    except KeyboardInterrupt:
        log("bench: interrupted; cleaning up")
        rc = 130
    except BenchError as e:
        log("bench: error: %s" % e)
        rc = 1
    finally:
        # No second interruption half-way through the clean-up (its waits are bounded).
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        b.cleanup()
    if rc:
        return rc

    summ = b.res.summarised()
    if args.quick:
        sb, sr = summ["run/warm"]["berth"]["wall"], summ["run/warm"]["runc"]["wall"]
        r = sb["median"] / sr["median"]
        print("bench-quick: `run` /bin/true, %d interleaved iterations (warm cgroup lock): "
              "berth median %.2f ms (p10–p90 %.2f–%.2f), runc median %.2f ms (%.2f–%.2f)" % (
                  sb["n"], sb["median"], sb["p10"], sb["p90"], sr["median"], sr["p10"],
                  sr["p90"]))
        if r > 1.0:
            print("bench-quick: FAIL: berth's median `run` is slower than runc's")
        print("berth/runc run-true median ratio: %.2f" % r)
        return 1 if r > 1.0 else 0
    b.meta["loadavg"] = "%s → %s" % (b.meta.get("loadavg_start", "?"), loadavg())

    ratios = headline_ratios(summ)
    analysis = derived(summ)
    results = {"meta": b.meta, "method": {
        "pause_ms": PAUSE_S * 1e3, "parallel": N_PARALLEL, "scale": args.scale,
        "units": {"wall": "ms", "cpu": "ms", "create-peak": "KiB", "run-peak": "KiB",
                  "created-rss": "KiB", "created-pss": "KiB",
                  "per_s": "containers/s"},
        "exec_berth": b.exec_na or "available"},
        "failures": b.failures, "ratios": ratios, "results": summ}
    os.makedirs(os.path.dirname(args.json), exist_ok=True)
    with open(args.json, "w") as f:
        json.dump(results, f, indent=1)
    os.makedirs(os.path.dirname(args.md), exist_ok=True)
    tail = kept_tail(args.md)
    with open(args.md, "w") as f:
        f.write(render_md(b.meta, summ, ratios, args.scale, b.exec_na, analysis, b.failures) + tail)
    print("\n".join(results_table(summ)))
    print()
    print("\n".join(floor_table(summ)))
    print()
    print("\n".join(analysis))
    print()
    print("wrote %s and %s" % (os.path.abspath(args.md), os.path.abspath(args.json)))
    for k in ("berth/crun run-true 50 ms pause", "berth/runc run-true 50 ms pause",
              "berth/runc run-true back-to-back (warm)"):
        print("%s median ratio: %s" % (k, fr(ratios.get(k))))
    for k, errs in b.failures.items():
        print("FAILED %s: %d× — first: %s" % (k, len(errs), errs[0]))
    # The headline: `run` of /bin/true, back-to-back with the cgroup lock warm.
    print("berth/crun run-true median ratio: %s" %
          fr(ratios.get("berth/crun run-true back-to-back (warm)")))
    if any(k.startswith("berth:") for k in b.failures):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
