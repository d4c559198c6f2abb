#!/usr/bin/env bash
# run.sh RUNTIME_PATH [FILTER]
#
# Runs real container engines (containerd 1.6 via ctr, dockerd 20.10, podman 4.3; Debian's
# packages, installed by setup.sh if missing) on top of an OCI runtime (berth, or runc as the
# control) and checks what a user of each engine sees. FILTER is an extended regex matched
# against "ENGINE:SCENARIO" (e.g. "docker:", "exec", "^podman:(run|exit)").
#
# Every run starts from scratch in a fresh temp dir $T (/tmp/berth-eng.XXXXXX): a private
# containerd (own config: root, state, gRPC/ttrpc sockets, opt dir under $T, CRI disabled), a
# private dockerd on top of it (own data-root, exec-root, socket, pidfile, daemon.json; no
# iptables; the runtime registered as "berth" and made the default), and podman with its own
# root/runroot/tmpdir/config. Containers are put in cgroups under /$TAG (a random tag of the
# run). An EXIT trap always tears down: containers removed, the daemons this run started (and
# only those: PIDs recorded at start, checked against their start time) stopped, shims and
# conmons of this run (their command line names $T) killed, mounts under $T unmounted, the
# run's cgroups and bridge removed, $T deleted.
#
# The engines call the runtime through a logging wrapper: the runtime invocations of each engine
# are summarised at the end (distinct subcommands + flags), and for a failing scenario the
# failing invocations and the runtime's --log are printed.
#
# Environment: SCENARIO_TIMEOUT (s, default 120), CMD_TIMEOUT (s, default 60),
#   KEEP_LOGS=1 keeps the logs dir even when everything passed,
#   ENGINES_LOG_DIR (default /tmp/berth-engines-logs-RUNTIME_NAME-TAG),
#   ENGINES_SHIM=PATH of containerd-shim-berth-v2: containerd's tasks go through that shim
#   instead of containerd-shim-runc-v2 (see start_containerd); run with FILTER "containerd:".
# Output: "PASS engine:scenario", "FAIL engine:scenario" (+ details), "SKIP engine:scenario: why".
# Exit: 0 if nothing failed (skips are fine), 1 otherwise, 2 on usage/set-up errors.
set -uo pipefail

usage() { echo "usage: $0 RUNTIME_PATH [FILTER]" >&2; exit 2; }
[ $# -ge 1 ] && [ $# -le 2 ] || usage
[ "$(id -u)" = 0 ] || { echo "run.sh: the engine tests need root" >&2; exit 2; }

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
case "$1" in
  */*) RUNTIME=$(cd "$(dirname "$1")" && pwd)/$(basename "$1") ;;
  *) RUNTIME=$(command -v "$1") || { echo "run.sh: $1 not found" >&2; exit 2; } ;;
esac
[ -x "$RUNTIME" ] && [ -f "$RUNTIME" ] || { echo "run.sh: $RUNTIME is not an executable file" >&2; exit 2; }
FILTER=${2:-}
RUNTIME_NAME=${RUNTIME_NAME:-$(basename "$RUNTIME")}
SCENARIO_TIMEOUT=${SCENARIO_TIMEOUT:-120}

# ---------------------------------------------------------------- scenarios
SC_ENGINE=() SC_NAME=() SC_FN=() SC_DESC=()
scenario() { # ENGINE NAME FUNCTION DESCRIPTION
  if [ -n "$FILTER" ] && ! grep -Eq -- "$FILTER" <<<"$1:$2"; then return 0; fi
  SC_ENGINE+=("$1") SC_NAME+=("$2") SC_FN+=("$3") SC_DESC+=("$4")
}
for f in "$HERE"/scenarios-*.sh; do . "$f"; done
[ ${#SC_NAME[@]} -gt 0 ] || { echo "run.sh: no scenario matches /$FILTER/" >&2; exit 2; }

"$HERE/setup.sh" || exit 2
for tool in containerd ctr dockerd /usr/bin/docker podman conmon jq busybox script ip timeout; do
  command -v "$tool" >/dev/null || { echo "run.sh: $tool is required" >&2; exit 2; }
done

TAG=be$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
T=$(mktemp -d /tmp/berth-eng.XXXXXX) || exit 2
chmod 0755 "$T"
CG=/$TAG
IMG=berth-test:latest
LOGS=${ENGINES_LOG_DIR:-/tmp/berth-engines-logs-$RUNTIME_NAME-$TAG}
mkdir -p "$T/logs" "$T/sc"
: >"$T/pids"
export HERE RUNTIME RUNTIME_NAME TAG T CG IMG CMD_TIMEOUT="${CMD_TIMEOUT:-60}"

. "$HERE/lib.sh"

# The runtime is copied into $T: a concurrent `make build` replacing the binary mid-run would
# otherwise make some runtime calls fail with "Text file busy" or run a different build.
RUNTIME_ORIG=$RUNTIME
mkdir -p "$T/bin"
cp "$RUNTIME" "$T/bin/$(basename "$RUNTIME")" || { echo "run.sh: cannot copy $RUNTIME" >&2; rm -rf "$T"; exit 2; }
mkdir -p "$LOGS" || { rm -rf "$T"; exit 2; }
RUNTIME=$T/bin/$(basename "$RUNTIME")
export RUNTIME
if [ -n "${ENGINES_SHIM:-}" ]; then
  [ -x "$ENGINES_SHIM" ] || { echo "run.sh: ENGINES_SHIM=$ENGINES_SHIM is not executable" >&2; rm -rf "$T"; exit 2; }
  mkdir -p "$T/shim-bin"
  cp "$ENGINES_SHIM" "$T/shim-bin/containerd-shim-berth-v2"
  # containerd resolves the runtime io.containerd.runc.v2 (what ctr --runc-binary/--runc-root
  # needs: ctr sends runc's options only for that runtime) to containerd-shim-runc-v2 in its
  # PATH: here berth's shim answers to that name, so the same scenarios run through it, with
  # the options (binary_name: the logging wrapper, root) it is given. The shim runs the berth
  # next to it only without a binary_name.
  ln -s containerd-shim-berth-v2 "$T/shim-bin/containerd-shim-runc-v2"
  cp "$RUNTIME" "$T/shim-bin/berth"
fi


echo "== engine tests: runtime $RUNTIME_ORIG ($RUNTIME_NAME, sha256 $(sha256sum "$RUNTIME" | cut -c1-12), $("$RUNTIME" --version 2>/dev/null | head -n1)), tag $TAG, temp dir $T${FILTER:+, filter /$FILTER/}${ENGINES_SHIM:+, through the shim $ENGINES_SHIM}"

# ---------------------------------------------------------------- engines: set-up
BRIDGE="" BRIDGE_GW="" NET_SKIP=""
ENGINE_BROKEN_containerd="" ENGINE_BROKEN_docker="" ENGINE_BROKEN_podman=""

wait_socket() { # PATH SECONDS PID STARTTIME
  local i
  for i in $(seq 1 $(($2 * 10))); do
    [ -S "$1" ] && return 0
    pid_alive "$3" "$4" || return 1
    sleep 0.1
  done
  return 1
}

start_containerd() {
  private_containerd_config "$T/containerd" "$T/containerd.sock" info >"$T/containerd.toml"
  PATH="${ENGINES_SHIM:+$T/shim-bin:}$PATH" setsid containerd --config "$T/containerd.toml" </dev/null >"$T/logs/containerd.log" 2>&1 &
  local pid=$! st
  sleep 0.05
  st=$(proc_start "$pid") || { echo "containerd exited at once:"; tail -n 20 "$T/logs/containerd.log"; return 1; }
  record_pid "$pid" containerd
  wait_socket "$T/containerd.sock" 30 "$pid" "$st" && wait_for C version || {
    echo "containerd did not come up:"; tail -n 20 "$T/logs/containerd.log"; return 1; }
  W_containerd=$(make_wrapper containerd)
  export W_containerd
  # The runtime roots (the shim passes --root <runc-root>/<namespace>; dockerd 20.10 gives every
  # runtime the root <exec-root>/runtime-runc, + /moby from the shim) are made beforehand, so
  # that a runtime that cannot create missing parents fails one scenario (containerd:runtime-root)
  # instead of all of them.
  mkdir -p "$T/ctr-runc-root/berth-eng" "$T/dx/runtime-runc/moby"
  C images import "$T/image.tar" >"$T/logs/ctr-import.log" 2>&1 || {
    echo "ctr images import failed:"; cat "$T/logs/ctr-import.log"; return 1; }
}

make_bridge() {
  local i a b
  BRIDGE=bb${TAG#be}
  for i in 1 2 3 4 5 6 7 8; do
    a=$((200 + RANDOM % 50)) b=$((RANDOM % 256))
    ip -4 route show | grep -q "^10\.$a\.$b\." && continue
    ip -4 addr show | grep -q "inet 10\.$a\.$b\." && continue
    break
  done
  if ! ip link add name "$BRIDGE" type bridge 2>"$T/logs/bridge.err"; then
    NET_SKIP="cannot create a bridge on this host: $(head -c 200 "$T/logs/bridge.err")"; BRIDGE=""; return 0
  fi
  echo "$BRIDGE" >"$T/bridge"
  if ! ip addr add "10.$a.$b.1/24" dev "$BRIDGE" 2>"$T/logs/bridge.err" || ! ip link set "$BRIDGE" up 2>>"$T/logs/bridge.err"; then
    NET_SKIP="cannot configure bridge $BRIDGE: $(head -c 200 "$T/logs/bridge.err")"; return 0
  fi
  BRIDGE_GW=10.$a.$b.1
}

start_dockerd() {
  local d=$T/docker
  mkdir -p "$d" "$T/dx" "$T/docker-cli"
  W_docker=$(make_wrapper docker)
  export W_docker
  make_bridge
  cat >"$T/daemon.json" <<EOF
{
  "deprecated-key-path": "$T/docker/key.json",
  "debug": false,
  "log-driver": "json-file",
  "storage-driver": "overlay2"
}
EOF
  local net=(--bridge=none)
  [ -n "$BRIDGE_GW" ] && net=(--bridge="$BRIDGE")
  setsid dockerd --config-file "$T/daemon.json" --data-root "$d" --exec-root "$T/dx" \
    -H "unix://$T/docker.sock" --pidfile "$T/docker.pid" --containerd "$T/containerd.sock" \
    --exec-opt native.cgroupdriver=cgroupfs --cgroup-parent "$CG/docker" \
    --iptables=false --ip6tables=false --ip-forward=false --ip-masq=false --userland-proxy=false \
    "${net[@]}" --add-runtime "berth=$W_docker" --default-runtime berth \
    </dev/null >"$T/logs/dockerd.log" 2>&1 &
  local pid=$! st
  sleep 0.05
  st=$(proc_start "$pid") || { echo "dockerd exited at once:"; tail -n 20 "$T/logs/dockerd.log"; return 1; }
  record_pid "$pid" dockerd
  wait_socket "$T/docker.sock" 60 "$pid" "$st" && wait_for D version || {
    echo "dockerd did not come up:"; tail -n 20 "$T/logs/dockerd.log"; return 1; }
  D load -i "$T/image.tar" >"$T/logs/docker-load.log" 2>&1 || {
    echo "docker load failed:"; cat "$T/logs/docker-load.log"; return 1; }
  [ -n "$BRIDGE_GW" ] || [ -n "$NET_SKIP" ] || NET_SKIP="no bridge"
}

ulim() { local v; v=$(ulimit "$1"); [ "$v" = unlimited ] && v=-1; echo "$v"; }
min_lim() { if [ "$1" = -1 ] || [ "$1" -gt "$2" ]; then echo "$2"; else echo "$1"; fi; }
setup_podman() {
  local p=$T/podman
  mkdir -p "$p/root" "$p/runroot" "$p/tmp" "$p/net" "$p/imgtmp" "$p/volumes"
  W_podman=$(make_wrapper podman "$p/runtime-root")
  export W_podman
  cat >"$p/storage.conf" <<EOF
[storage]
driver = "overlay"
graphroot = "$p/root"
runroot = "$p/runroot"
EOF
  : >"$p/registries.conf"
  cat >"$p/containers.conf" <<EOF
[containers]
init_path = "/usr/bin/tini-static"
# podman asks for RLIMIT_NOFILE=1048576 and a large RLIMIT_NPROC for root containers, while
# podman 4.3 itself runs (and so conmon and the runtime run) with RLIMIT_NPROC 32768: raising a
# hard limit needs CAP_SYS_RESOURCE, which this machine's root does not have. Ask for no more
# than what the runtime will have.
default_ulimits = ["nofile=$(ulim -Sn):$(ulim -Hn)", "nproc=$(min_lim "$(ulim -Su)" 32768):$(min_lim "$(ulim -Hu)" 32768)"]

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$p/events.log"
tmp_dir = "$p/tmp"
volume_path = "$p/volumes"
static_dir = "$p/root/libpod"
image_copy_tmp_dir = "$p/imgtmp"
lock_type = "file"
runtime = "$RUNTIME_NAME"
runtime_supports_json = ["crun", "runc", "kata", "runsc", "krun", "berth"]
runtime_supports_nocgroups = ["crun", "krun", "berth"]

[engine.runtimes]
$RUNTIME_NAME = ["$W_podman"]

[network]
network_config_dir = "$p/net"
EOF
  P load -i "$T/image.tar" >"$T/logs/podman-load.log" 2>&1 || {
    echo "podman load failed:"; cat "$T/logs/podman-load.log"; return 1; }
}

# ---------------------------------------------------------------- engines: reset & tear-down
reset_containerd() {
  local id st
  # kill what still runs (a paused task is resumed first: a frozen task cannot die)
  C task ls 2>/dev/null | awk 'NR > 1 {print $1, $3}' | while read -r id st; do
    case "$st" in
      PAUSED|PAUSING) C task resume "$id" >/dev/null 2>&1; C task kill -s SIGKILL "$id" >/dev/null 2>&1 ;;
      RUNNING|CREATED) C task kill -s SIGKILL "$id" >/dev/null 2>&1 ;;
    esac
  done
  for id in $(C task ls -q 2>/dev/null); do
    wait_for sh -c "! ctr --address '$T/containerd.sock' --namespace berth-eng task ls | grep -Eq '^$id .*(RUNNING|PAUSED)'"
    C task delete "$id" >/dev/null 2>&1 || C task delete -f "$id" >/dev/null 2>&1
  done
  for id in $(C container ls -q 2>/dev/null); do C container delete "$id" >/dev/null 2>&1; done
}
reset_docker() {
  local ids
  ids=$(D ps -aq 2>/dev/null)
  [ -z "$ids" ] || D rm -f $ids >/dev/null 2>&1
}
reset_podman() {
  P rm -a -f -t 0 >/dev/null 2>&1
}

TEARDOWN_DONE=""
teardown() {
  [ -z "$TEARDOWN_DONE" ] || return 0
  TEARDOWN_DONE=1
  trap '' INT TERM
  echo "== teardown"
  local pid st name p m d i shim_socks=""
  # 1. containers, through the engines
  [ -d "$T/podman/root" ] && reset_podman
  [ -S "$T/docker.sock" ] && reset_docker
  [ -S "$T/containerd.sock" ] && reset_containerd
  # shim sockets containerd 1.6 puts in /run/containerd/s (one per shim; their "address" file
  # in the bundle names it): removed below if the shim did not remove it.
  shim_socks=$(cat "$T"/containerd/state/io.containerd.runtime.v2.task/*/*/address 2>/dev/null | sed 's|^unix://||')
  # 2. the daemons we started, newest first
  if [ -s "$T/pids" ]; then
    tac "$T/pids" | while read -r pid st name; do stop_pid "$pid" "$st" "$name" 20; done
  fi
  # 3. shims / conmons / containers of this run still alive
  for i in 1 2 3; do
    p=$(pids_mentioning_T)
    [ -n "$p" ] || break
    for pid in $p; do
      echo "teardown: killing leftover $(tr '\0' ' ' </proc/$pid/cmdline 2>/dev/null | head -c 150) ($pid)"
      kill -KILL "$pid" 2>/dev/null
    done
    sleep 0.3
  done
  for d in $(find /sys/fs/cgroup -mindepth 2 -maxdepth 8 -type d -path "*/$TAG*" 2>/dev/null); do
    for pid in $(cat "$d/cgroup.procs" 2>/dev/null); do
      echo "teardown: killing $pid left in cgroup $d"
      kill -KILL "$pid" 2>/dev/null
    done
  done
  # 4. mounts under $T (deepest first)
  for i in 1 2 3; do
    m=$(awk -v t="$T/" 'index($5, t) == 1 {print $5}' /proc/self/mountinfo | awk '{print length, $0}' | sort -rn | cut -d' ' -f2-)
    [ -n "$m" ] || break
    for d in $m; do umount "$d" 2>/dev/null || umount -l "$d" 2>/dev/null; done
  done
  # 5. cgroups of this run (deepest first)
  for i in $(seq 1 20); do
    d=$(find /sys/fs/cgroup -mindepth 2 -maxdepth 8 -type d -path "*/$TAG*" 2>/dev/null | awk '{print length, $0}' | sort -rn | cut -d' ' -f2-)
    [ -n "$d" ] || break
    rmdir $d 2>/dev/null
    sleep 0.1
  done
  # 6. bridge, shim sockets
  [ -f "$T/bridge" ] && ip link del "$(cat "$T/bridge")" 2>/dev/null
  for p in $shim_socks; do
    case "$p" in /run/containerd/s/*) [ -S "$p" ] && rm -f "$p" ;; esac
  done
  # /run/containerd/s holds the shim sockets whatever the config says: remove it (if empty) when
  # this run created it
  if ! grep -qxF /run/containerd "$T/preexisting"; then
    rmdir /run/containerd/s /run/containerd/fifo /run/containerd 2>/dev/null
  fi
  # podman load writes its blob-info cache to /var/lib/containers/cache whatever its root
  if ! grep -qxF /var/lib/containers "$T/preexisting"; then
    rm -f /var/lib/containers/cache/blob-info-cache-v1.boltdb
    rmdir /var/lib/containers/cache /var/lib/containers 2>/dev/null
  fi
  # dockerd creates /run/docker/plugins (plugin socket discovery) whatever its exec-root
  if ! grep -qxF /run/docker "$T/preexisting"; then
    rmdir /run/docker/plugins /run/docker 2>/dev/null
  fi
  # 7. leak check, logs, temp dir
  local leaks=()
  m=$(awk -v t="$T/" 'index($5, t) == 1 {print $5}' /proc/self/mountinfo)
  [ -z "$m" ] || leaks+=("mounts: $(echo $m)")
  d=$(find /sys/fs/cgroup -mindepth 2 -maxdepth 8 -type d -path "*/$TAG*" 2>/dev/null)
  [ -z "$d" ] || leaks+=("cgroups: $(echo $d)")
  p=$(pids_mentioning_T)
  [ -z "$p" ] || leaks+=("processes: $(echo $p)")
  [ -f "$T/bridge" ] && ip link show "$(cat "$T/bridge")" >/dev/null 2>&1 && leaks+=("bridge $(cat "$T/bridge")")
  for l in "${leaks[@]}"; do echo "LEAK $l"; done
  [ ${#leaks[@]} = 0 ] || LEAKED=1
  # berth's default root: its read-only views of the binary and seccomp cache go, state dirs leak
  run_root_restore || LEAKED=1
  # engines' system default paths that this run may have created (another run of this suite
  # going on at the same time may have made them too: then this is only a warning)
  local others
  others=$(find /tmp -maxdepth 1 -name 'berth-eng.*' ! -path "$T" 2>/dev/null | head -n 3)
  for p in $WATCH_PATHS; do
    if [ -e "$p" ] && ! grep -qxF "$p" "$T/preexisting"; then
      if [ -n "$others" ]; then echo "WARNING $p was created (by this run or by the run in $(echo $others))"
      else echo "LEAK $p created"; LEAKED=1; fi
    fi
  done
  cp -r "$T/logs" "$LOGS/daemons" 2>/dev/null
  cp "$T"/argv-*.log "$LOGS/" 2>/dev/null
  rm -rf --one-file-system "$T"
}
on_exit() {
  local rc=$?
  teardown
  if [ -n "${LEAKED:-}" ] && [ "$rc" = 0 ]; then rc=1; fi
  if [ "$rc" = 0 ] && [ -z "${KEEP_LOGS:-}" ]; then rm -rf "$LOGS"; else echo "== logs kept in $LOGS"; fi
  exit "$rc"
}
trap on_exit EXIT
trap 'echo "== interrupted"; exit 130' INT TERM

# system default paths of the engines: none of them may be left behind by a run
WATCH_PATHS="/etc/docker/key.json /var/lib/docker /var/lib/containerd /var/lib/containers /run/containers
  /run/libpod /var/lib/cni /run/docker.sock /run/docker /run/containerd /run/runc /run/berth
  /dev/shm/libpod_lock /etc/cni/net.d /var/tmp/containers /opt/containerd"
. "$HERE/../../run_root_guard.sh"
run_root_snapshot
: >"$T/preexisting"
for p in $WATCH_PATHS; do
  [ -e "$p" ] && echo "$p" >>"$T/preexisting"
done

# ---------------------------------------------------------------- image
if ! "$HERE/mkimage.sh" "$T/image.tar" "$IMG" >"$T/logs/mkimage.log" 2>&1; then
  echo "run.sh: mkimage.sh failed:"; cat "$T/logs/mkimage.log"; exit 2
fi

# ---------------------------------------------------------------- run
npass=0 nfail=0 nskip=0
failed=()
RESULTS=$LOGS/results.tsv
: >"$RESULTS"
t_start=$(date +%s)

run_scenario() { # INDEX
  local i=$1 e=${SC_ENGINE[$1]} n=${SC_NAME[$1]} fn=${SC_FN[$1]} desc=${SC_DESC[$1]} name rc t0 dur why broken
  name=$e:$n
  local log=$LOGS/$e-$n.log
  broken=ENGINE_BROKEN_$e
  if [ -n "${!broken}" ]; then
    echo "FAIL $name (engine set-up failed: ${!broken})"
    printf '%s\t%s\t%s\t%s\t%s\n' "$e" "$n" FAIL "engine set-up failed" "$desc" >>"$RESULTS"
    nfail=$((nfail + 1)); failed+=("$name"); return
  fi
  declare -A off
  local eng
  for eng in containerd docker podman; do off[$eng]=$(stat -c %s "$T/argv-$eng.log" 2>/dev/null || echo 0); done
  t0=$(date +%s%N)
  timeout -k 5 "$SCENARIO_TIMEOUT" bash "$HERE/lib.sh" __scenario "$fn" </dev/null >"$log" 2>&1
  rc=$?
  dur=$(( ($(date +%s%N) - t0) / 1000000 ))
  dur=$(printf '%d.%01ds' $((dur / 1000)) $(((dur % 1000) / 100)))
  if [ "$rc" = 0 ]; then
    echo "PASS $name  [$dur]"
    printf '%s\t%s\t%s\t%s\t%s\n' "$e" "$n" PASS "" "$desc" >>"$RESULTS"
    npass=$((npass + 1))
  elif [ "$rc" = "$SKIP_CODE" ] && [ -s "$T/sc/$fn/.skip" ]; then
    why=$(head -n1 "$T/sc/$fn/.skip")
    echo "SKIP $name: $why"
    printf '%s\t%s\t%s\t%s\t%s\n' "$e" "$n" SKIP "$why" "$desc" >>"$RESULTS"
    nskip=$((nskip + 1))
  else
    why="exit $rc"
    { [ "$rc" = 124 ] || [ "$rc" = 137 ]; } && why="timeout after ${SCENARIO_TIMEOUT}s"
    echo "FAIL $name  [$dur] ($why)"
    printf '%s\t%s\t%s\t%s\t%s\n' "$e" "$n" FAIL "$(grep -m1 '^FAIL' "$log" | cut -c1-300 | tr '\t' ' ')" "$desc" >>"$RESULTS"
    sed 's/^/    | /' "$log" | tail -n 40
    # the runtime invocations of this scenario that failed, with the runtime's log
    for eng in containerd docker podman; do
      [ -f "$T/argv-$eng.log" ] || continue
      tail -c +"$((${off[$eng]} + 1))" "$T/argv-$eng.log" >"$T/sc/$fn/.argv-$eng"
      awk '/^START /{start[$2]=$0; next}
           /^END /{cur=$2; if ($3 != "rc=0") { print "    runtime> " start[cur]; print "    runtime< " $3; show=1 } else show=0; next}
           show {print "    " $0}' "$T/sc/$fn/.argv-$eng" | head -n 40 | sed "s/^/    [$eng] /"
    done
    nfail=$((nfail + 1)); failed+=("$name")
  fi
  "reset_$e" 2>/dev/null
}

cur_engine=""
for i in "${!SC_NAME[@]}"; do
  e=${SC_ENGINE[$i]}
  if [ "$e" != "$cur_engine" ]; then
    cur_engine=$e
    case "$e" in
      containerd) start_containerd >"$T/logs/setup-containerd.log" 2>&1 || ENGINE_BROKEN_containerd="containerd: $(tail -n 3 "$T/logs/setup-containerd.log" | tr '\n' ' ')" ;;
      docker)
        if [ ! -S "$T/containerd.sock" ]; then
          start_containerd >"$T/logs/setup-containerd.log" 2>&1 || ENGINE_BROKEN_docker="containerd: $(tail -n 3 "$T/logs/setup-containerd.log" | tr '\n' ' ')"
        fi
        [ -n "$ENGINE_BROKEN_docker" ] || start_dockerd >"$T/logs/setup-docker.log" 2>&1 \
          || ENGINE_BROKEN_docker="dockerd: $(tail -n 3 "$T/logs/setup-docker.log" | tr '\n' ' ')"
        export BRIDGE BRIDGE_GW NET_SKIP ;;
      podman) setup_podman >"$T/logs/setup-podman.log" 2>&1 || ENGINE_BROKEN_podman="podman: $(tail -n 3 "$T/logs/setup-podman.log" | tr '\n' ' ')" ;;
    esac
    broken=ENGINE_BROKEN_$e; echo "-- $e${!broken:+ (set-up failed: ${!broken})}"
  fi
  run_scenario "$i"
done

echo "== runtime invocations (distinct subcommands and flags; values dropped)"
for eng in containerd docker podman; do
  [ -s "$T/argv-$eng.log" ] || continue
  echo "-- $eng ($(grep -c '^START ' "$T/argv-$eng.log") calls)"
  argv_shapes "$T/argv-$eng.log"
done | tee "$LOGS/invocations.txt"

elapsed=$(( $(date +%s) - t_start ))
echo "== $npass passed, $nfail failed, $nskip skipped in ${elapsed}s ($RUNTIME_NAME)${failed[*]:+; failed: ${failed[*]}}"
[ "$nfail" = 0 ] || exit 1
exit 0
