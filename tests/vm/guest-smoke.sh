#!/usr/bin/env bash
# guest-smoke.sh [BERTH]: smoke test of the test VM and of berth on cgroup v2 + systemd.
# Meant to run inside the VM as root (tests/vm/run.sh tests/vm/guest-smoke.sh), from the
# copy of the repo in /root/berth; BERTH defaults to $BERTH or build/berth.
#
# Checks: cgroup2fs on /sys/fs/cgroup, systemd as PID 1, `systemd-run --scope -p
# MemoryMax=32M` (and that the limit lands in memory.max), `berth --version`, and, with a
# busybox bundle from tests/mkbundle.sh: `berth run` of /bin/true in cgroupsPath
# /berth-vm-test (a poststart hook records the cgroup), a `sleep` container with memory and
# pids limits (create/start/state/ps/kill/delete, /proc/PID/cgroup, memory.max, pids.max,
# removal on delete), and a container without cgroupsPath (default: under the caller's
# cgroup). Prints "PASS name" / "FAIL name: why" / "SKIP name: why" and ends with the line
# "smoke: N passed, N failed, N skipped"; exits 1 if anything failed.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 2
BERTH=${1:-${BERTH:-build/berth}}
case "$BERTH" in /*) ;; *) BERTH=$PWD/$BERTH ;; esac
T=$(mktemp -d /tmp/berth-smoke.XXXXXX) || { echo "FAIL mktemp"; echo "smoke: 0 passed, 1 failed, 0 skipped"; exit 1; }
ROOT=$T/state
CG=/berth-vm-test
npass=0 nfail=0 nskip=0
pass() { echo "PASS $1${2:+: $2}"; npass=$((npass + 1)); }
fail() { echo "FAIL $1: $2"; nfail=$((nfail + 1)); }
skip() { echo "SKIP $1: $2"; nskip=$((nskip + 1)); }
b() { "$BERTH" --root "$ROOT" "$@"; }
cleanup() {
  for id in $(b list -q 2>/dev/null || true); do b delete --force "$id" >/dev/null 2>&1; done
  b delete --force smoke-sleep >/dev/null 2>&1
  b delete --force smoke-true >/dev/null 2>&1
  b delete --force smoke-default >/dev/null 2>&1
  for d in /sys/fs/cgroup$CG /sys/fs/cgroup$CG-sleep; do [ -d "$d" ] && rmdir "$d" 2>/dev/null; done
  rm -rf "$T"
}
trap cleanup EXIT

echo "== guest: $(uname -r), $(nproc) cpu, $(awk '/MemTotal/ {print int($2/1024)}' /proc/meminfo) MiB"

# 1. cgroup v2 only
fstype=$(stat -fc %T /sys/fs/cgroup)
echo "cgroup fs: $fstype; controllers: $(cat /sys/fs/cgroup/cgroup.controllers 2>/dev/null)"
echo "root subtree_control: $(cat /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null)"
if [ "$fstype" = cgroup2fs ]; then pass cgroup2fs; else fail cgroup2fs "stat -fc %T /sys/fs/cgroup = $fstype"; fi
if awk '$3 == "cgroup" {found = 1} END {exit !found}' /proc/self/mounts; then
  fail no-cgroup-v1 "cgroup v1 hierarchies mounted: $(awk '$3 == "cgroup" {print $2}' /proc/self/mounts | tr '\n' ' ')"
else
  pass no-cgroup-v1
fi

# 2. systemd as PID 1
pid1=$(cat /proc/1/comm)
echo "systemd: $(systemctl --version | head -n 1); PID 1: $pid1 ($(readlink /proc/1/exe)); state: $(systemctl is-system-running 2>&1)"
echo "this script's cgroup: $(cat /proc/self/cgroup)"
if [ "$pid1" = systemd ]; then pass systemd-pid1; else fail systemd-pid1 "PID 1 is $pid1"; fi

# 3. a transient scope with a memory limit
if out=$(systemd-run --quiet --scope -p MemoryMax=32M true 2>&1); then
  pass systemd-run-scope
else
  fail systemd-run-scope "systemd-run --scope -p MemoryMax=32M true: $out"
fi
mm=$(systemd-run --quiet --scope -p MemoryMax=32M sh -c 'cat "/sys/fs/cgroup$(cut -d: -f3 /proc/self/cgroup)/memory.max"' 2>&1)
if [ "$mm" = 33554432 ]; then pass scope-memory.max "$mm"; else fail scope-memory.max "expected 33554432, got [$mm]"; fi

# 4. berth itself
if v=$("$BERTH" --version 2>&1); then pass berth-version "$(echo "$v" | head -n 1)"; else fail berth-version "$v"; fi
[ -x "$BERTH" ] || { echo "smoke: $npass passed, $((nfail + 1)) failed, $nskip skipped"; exit 1; }

# 5. containers
if ! tests/mkbundle.sh "$T/bundle" "$BERTH" > "$T/mkbundle.log" 2>&1; then
  skip berth-containers "tests/mkbundle.sh failed: $(tail -n 3 "$T/mkbundle.log" | tr '\n' ' ')"
  echo "smoke: $npass passed, $nfail failed, $nskip skipped"
  [ $nfail = 0 ]; exit
fi
cfg() { # JQ-FILTER [jq args...]: edit $T/bundle/config.json
  local f=$1; shift
  jq "$@" "$f" "$T/bundle/config.json" > "$T/cfg.tmp" && mv "$T/cfg.tmp" "$T/bundle/config.json"
}

# 5a. berth run /bin/true in cgroupsPath /berth-vm-test; a poststart hook (runtime namespace)
#     records the container's cgroup while it exists.
cat > "$T/hook.sh" <<EOF
#!/bin/sh
d=/sys/fs/cgroup$CG
{ test -d "\$d" && echo "dir: yes" || echo "dir: no"
  echo "procs: \$(cat \$d/cgroup.procs 2>&1 | tr '\n' ' ')"
  echo "controllers: \$(cat \$d/cgroup.controllers 2>&1)"
  echo "state: \$(cat)"; } > $T/hook.out 2>&1
EOF
chmod +x "$T/hook.sh"
cfg '.process.args = ["/bin/true"] | .linux.cgroupsPath = $p
     | .hooks.poststart = [{"path": $h, "args": ["hook.sh"]}]' --arg p "$CG" --arg h "$T/hook.sh"
(cd "$T/bundle" && b run smoke-true) > "$T/run.out" 2>&1
rc=$?
if [ $rc = 0 ]; then pass berth-run-true; else fail berth-run-true "exit $rc: $(tr '\n' ' ' < "$T/run.out")"; fi
if [ -f "$T/hook.out" ]; then
  sed 's/^/    hook: /' "$T/hook.out"
  if grep -qx 'dir: yes' "$T/hook.out"; then pass cgroup-existed "/sys/fs/cgroup$CG during poststart"
  else fail cgroup-existed "/sys/fs/cgroup$CG missing during poststart"; fi
else
  fail cgroup-existed "the poststart hook did not run (no $T/hook.out)"
fi
if [ -d "/sys/fs/cgroup$CG" ]; then fail cgroup-removed "/sys/fs/cgroup$CG left after berth run"
else pass cgroup-removed "/sys/fs/cgroup$CG gone after berth run"; fi

# 5b. a sleep container with limits: create/start/state/ps/kill/delete
CG2=$CG-sleep
cfg 'del(.hooks) | .process.args = ["sleep", "300"] | .linux.cgroupsPath = $p
     | .linux.resources.memory = {"limit": 67108864} | .linux.resources.pids = {"limit": 64}
     | .linux.resources.cpu = {"shares": 512, "quota": 50000, "period": 100000}' --arg p "$CG2"
# (create's output goes to a file: the container inherits it, a $(...) pipe would never close)
if (cd "$T/bundle" && b create smoke-sleep) > "$T/create.out" 2>&1; then
  pass berth-create
  if out=$(b start smoke-sleep 2>&1); then pass berth-start; else fail berth-start "$out"; fi
  st=$(b state smoke-sleep 2>&1)
  status=$(jq -r .status <<<"$st" 2>/dev/null)
  pid=$(jq -r .pid <<<"$st" 2>/dev/null)
  if [ "$status" = running ]; then pass berth-state "running, pid $pid"; else fail berth-state "$st"; fi
  d=/sys/fs/cgroup$CG2
  if [ -d "$d" ]; then pass cgroup-dir "$d"; else fail cgroup-dir "$d missing"; fi
  pcg=$(cat "/proc/$pid/cgroup" 2>&1)
  if [ "$pcg" = "0::$CG2" ]; then pass proc-pid-cgroup "$pcg"; else fail proc-pid-cgroup "/proc/$pid/cgroup = [$pcg], expected [0::$CG2]"; fi
  for kv in memory.max=67108864 pids.max=64 "cpu.max=50000 100000" cpu.weight=20; do
    f=${kv%%=*} want=${kv#*=}
    got=$(cat "$d/$f" 2>&1)
    if [ "$got" = "$want" ]; then pass "$f" "$got"; else fail "$f" "expected [$want], got [$got]"; fi
  done
  if ps_out=$(b ps smoke-sleep 2>&1) && grep -q "$pid" <<<"$ps_out"; then pass berth-ps
  else fail berth-ps "$(tr '\n' ' ' <<<"$ps_out")"; fi
  b kill smoke-sleep KILL > "$T/kill.out" 2>&1 || fail berth-kill "$(cat "$T/kill.out")"
  for _ in $(seq 50); do [ "$(b state smoke-sleep 2>/dev/null | jq -r .status)" = stopped ] && break; sleep 0.1; done
  st=$(b state smoke-sleep 2>&1 | jq -r .status 2>/dev/null)
  if [ "$st" = stopped ]; then pass berth-kill "stopped"; else fail berth-kill "state after KILL: $st"; fi
  if out=$(b delete smoke-sleep 2>&1); then pass berth-delete; else fail berth-delete "$out"; fi
  if [ -d "$d" ]; then fail cgroup-removed-on-delete "$d left after delete"; else pass cgroup-removed-on-delete; fi
else
  fail berth-create "$(tr '\n' ' ' < "$T/create.out")"
fi

# 5c. no cgroupsPath: berth's default is a cgroup named after the container under the
#     caller's own cgroup (here a systemd service cgroup, which holds processes itself).
cfg 'del(.linux.cgroupsPath) | .process.args = ["sleep", "300"]'
own=$(cut -d: -f3 /proc/self/cgroup)
if (cd "$T/bundle" && b create smoke-default) > "$T/create-default.out" 2>&1; then
  pid=$(b state smoke-default | jq -r .pid)
  pcg=$(cut -d: -f3 "/proc/$pid/cgroup")
  echo "    default cgroup of the container: $pcg (caller: $own)"
  if [ "$pcg" != "$own" ]; then pass default-cgroup "$pcg"; else fail default-cgroup "container left in the caller's cgroup $own"; fi
  if out=$(b delete --force smoke-default 2>&1); then pass default-delete; else fail default-delete "$out"; fi
  [ ! -d "/sys/fs/cgroup$pcg" ] || [ "$pcg" = "$own" ] || fail default-cgroup-removed "/sys/fs/cgroup$pcg left"
else
  fail default-cgroup "berth create without cgroupsPath (caller in $own, limits memory 64M/pids 64): $(tr '\n' ' ' < "$T/create-default.out")"
fi

echo "smoke: $npass passed, $nfail failed, $nskip skipped"
[ $nfail = 0 ]
