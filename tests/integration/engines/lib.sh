#!/usr/bin/env bash
# lib.sh: helpers of the engine suite (tests/integration/engines/run.sh).
#
# Sourced by run.sh (engine set-up and tear-down) and executed as
#   bash lib.sh __scenario FUNCTION
# to run one scenario in its own process (run.sh wraps that in `timeout`, which kills the whole
# process group on expiry). Everything lives under $T (the run's temp dir); the variables below
# are exported by run.sh:
#   HERE RUNTIME RUNTIME_NAME TAG T CG   suite dir, runtime under test, run tag, temp dir,
#                                        cgroup parent of every container of the run (/$TAG)
#   W_containerd W_docker W_podman       argv-logging wrappers of the runtime, one per engine
#   IMG                                  image reference (berth-test:latest)
#   BRIDGE BRIDGE_GW NET_SKIP            docker's bridge (or empty + the reason in NET_SKIP)

SKIP_CODE=77
CMD_TIMEOUT=${CMD_TIMEOUT:-60}

# ---------------------------------------------------------------- engine clients
# Each call is bounded; the clients only ever talk to this run's private daemons/stores.
C() { timeout -k 5 "$CMD_TIMEOUT" ctr --address "$T/containerd.sock" --namespace berth-eng "$@"; }
D() { DOCKER_CONFIG=$T/docker-cli timeout -k 5 "$CMD_TIMEOUT" /usr/bin/docker -H "unix://$T/docker.sock" "$@"; }
P() {
  CONTAINERS_CONF=$T/podman/containers.conf CONTAINERS_STORAGE_CONF=$T/podman/storage.conf \
  CONTAINERS_REGISTRIES_CONF=$T/podman/registries.conf TMPDIR=$T/podman/imgtmp \
  timeout -k 5 "$CMD_TIMEOUT" podman --root "$T/podman/root" --runroot "$T/podman/runroot" \
    --runtime "$W_podman" --cgroup-manager cgroupfs --events-backend file \
    --tmpdir "$T/podman/tmp" --network-config-dir "$T/podman/net" --storage-driver overlay "$@"
}
# ctr run with the runtime under test: ctr_run ID [ctr run flags...] -- CMD [ARGS...]
ctr_run() {
  local id=$1; shift
  local flags=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do flags+=("$1"); shift; done
  [ "${1:-}" = -- ] && shift
  C run --runc-binary "$W_containerd" --runc-root "$T/ctr-runc-root" --cgroup "$CG/ctr/$id" --fifo-dir "$T/ctr-fifo" \
    "${flags[@]}" "docker.io/library/$IMG" "$id" "$@"
}
# ctr task exec with its FIFOs in $T (ctr's default is /run/containerd/fifo)
C_exec() { C task exec --fifo-dir "$T/ctr-fifo" "$@"; }

# ---------------------------------------------------------------- scenario helpers
# S: this scenario's scratch dir. R runs a command and records OUT, ERR and RC without failing.
log() { echo "# $*"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { printf '%s\n' "$*" >"$S/.skip"; echo "SKIP: $*"; exit $SKIP_CODE; }
R() {
  echo "+ $*"
  if "$@" >"$S/.out" 2>"$S/.err"; then RC=0; else RC=$?; fi
  OUT=$(cat "$S/.out"); ERR=$(cat "$S/.err")
  [ -z "$OUT" ] || printf '%s\n' "$OUT" | head -n 40 | sed 's/^/  out| /'
  [ -z "$ERR" ] || printf '%s\n' "$ERR" | head -n 40 | sed 's/^/  err| /'
  [ "$RC" = 0 ] || echo "  rc=$RC"
  return 0
}
# ok CMD...: R, and fail (with the engine's error) unless it exited 0
ok() {
  R "$@"
  [ "$RC" = 0 ] || fail "'$*' exited $RC: $(printf '%s' "$ERR" | tail -n 5 | tr '\n' ' ')"
}
# R with stdin from a file/string: Rin STRING CMD...
Rin() {
  local input=$1; shift
  echo "+ $* <<< $input"
  if printf '%s\n' "$input" | "$@" >"$S/.out" 2>"$S/.err"; then RC=0; else RC=$?; fi
  OUT=$(cat "$S/.out"); ERR=$(cat "$S/.err")
  [ -z "$OUT" ] || printf '%s\n' "$OUT" | head -n 40 | sed 's/^/  out| /'
  [ -z "$ERR" ] || printf '%s\n' "$ERR" | head -n 40 | sed 's/^/  err| /'
  [ "$RC" = 0 ] || echo "  rc=$RC"
  return 0
}
# Rtty CMD...: R under a pseudo-terminal (script(1)), for clients that insist on a tty stdin
Rtty() {
  local q; q=$(printf '%q ' "$@")
  R timeout -k 5 "$CMD_TIMEOUT" script -qefc "$q" /dev/null </dev/null
  OUT=$(printf '%s' "$OUT" | tr -d '\r')
}
expect_eq() { [ "$1" = "$2" ] || fail "${3:-value}: expected [$1], got [$2]"; }
expect_contains() { case "$1" in *"$2"*) ;; *) fail "${3:-output} does not contain [$2]; got [$1]" ;; esac; }
expect_not_contains() { case "$1" in *"$2"*) fail "${3:-output} unexpectedly contains [$2]; got [$1]" ;; *) ;; esac; }
expect_match() { grep -Eq -- "$2" <<<"$1" || fail "${3:-output} does not match /$2/; got [$1]"; }
expect_rc() { [ "$RC" = "$1" ] || fail "${2:-exit code}: expected $1, got $RC; stderr: [$(printf '%s' "$ERR" | tail -n 5 | tr '\n' ' ')]"; }
# poll CMD... until it succeeds (10 s)
wait_for() {
  local i
  for i in $(seq 1 100); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  return 1
}
# wait_sig PID SigCgt|SigIgn SIGNUM: wait until the process catches / ignores the signal (so a
# signal sent next cannot race the shell's `trap`)
wait_sig() {
  local i mask
  for i in $(seq 1 100); do
    mask=$(sed -n "s/^$2:[[:space:]]*//p" "/proc/$1/status" 2>/dev/null)
    if [ -n "$mask" ] && (( (0x$mask >> ($3 - 1)) & 1 )); then return 0; fi
    sleep 0.1
  done
  fail "process $1 has no $2 bit for signal $3: [$(grep -E '^Sig(Cgt|Ign)' "/proc/$1/status" 2>/dev/null | tr '\n' ' ')]"
}
ctr_pid() { C task ls | awk -v id="$1" '$1 == id {print $2}'; }
# cgroup v1 file of a container whose cgroup path (relative to the hierarchy root) is $2
cgfile() { echo "/sys/fs/cgroup/$1$2/$3"; }
# the capability masks of a process, from /proc/PID/status of a shell in the container
capeff() { sed -n 's/^CapEff:[[:space:]]*//p' <<<"$1"; }

# check_runtime_calls ENGINE: fails listing the runtime calls of ENGINE that exited non-zero,
# except the failures the scenarios provoke on purpose (create of /no/such/binary or of
# /etc/passwd, the fresh root of containerd:runtime-root). The engines mostly swallow such
# errors (a shim logs them), so a runtime that exits non-zero where runc exits 0 shows up here.
check_runtime_calls() {
  local f=$T/argv-$1.log bad
  [ -f "$f" ] || skip "no runtime call recorded for $1"
  bad=$(awk '
    /^START / { id=$2; line=$0; sub(/^START [^ ]+ [^ ]+ /, "", line); start[id]=line; next }
    /^END /   { cur=$2; rc[cur]=$3; order[++n]=cur; next }
    /^  log\| / { logs[cur]=logs[cur] " " substr($0, 8); next }
    END {
      for (i = 1; i <= n; i++) {
        id=order[i]
        if (rc[id] == "rc=0") continue
        if (start[id] ~ / create / && logs[id] ~ /(\/no\/such\/binary|\/etc\/passwd)/) continue
        if (start[id] ~ /ctr_runtime_root\/fresh/) continue
        print rc[id] " :: " start[id] " ::" logs[id]
      }
    }' "$f")
  [ -n "$bad" ] || { echo "all $(grep -c '^START ' "$f") runtime calls as expected"; return 0; }
  printf '%s\n' "$bad" | cut -c1-600
  fail "$(printf '%s\n' "$bad" | wc -l) runtime call(s) exited non-zero (first: $(printf '%s\n' "$bad" | head -n1 | cut -c1-400))"
}

# ---------------------------------------------------------------- processes we started
# $T/pids: "PID STARTTIME NAME" of every daemon this run started; killed only if still the same
# process (start time from /proc/PID/stat field 22).
proc_start() { local s; s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1; s=${s##*) }; set -- $s; echo "${20}"; }
record_pid() { # PID NAME
  local st; st=$(proc_start "$1") || return 0
  echo "$1 $st $2" >>"$T/pids"
}
pid_alive() { # PID STARTTIME
  local st; st=$(proc_start "$1") || return 1
  [ "$st" = "$2" ] || return 1
  [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]
}
stop_pid() { # PID STARTTIME NAME [GRACE_SECONDS]
  local pid=$1 st=$2 name=$3 grace=${4:-15} i
  pid_alive "$pid" "$st" || return 0
  kill -TERM "$pid" 2>/dev/null
  for i in $(seq 1 $((grace * 10))); do pid_alive "$pid" "$st" || return 0; sleep 0.1; done
  echo "teardown: $name ($pid) ignored SIGTERM for ${grace}s: SIGKILL"
  kill -KILL "$pid" 2>/dev/null
  for i in $(seq 1 50); do pid_alive "$pid" "$st" || return 0; sleep 0.1; done
}
# processes whose command line mentions this run's temp dir (shims started by our containerd,
# conmon started by our podman): they are children of the daemons we started.
pids_mentioning_T() {
  local p
  for p in /proc/[0-9]*; do
    p=${p#/proc/}
    [ "$p" = $$ ] || [ "$p" = "$BASHPID" ] && continue
    { tr '\0' ' ' <"/proc/$p/cmdline"; } 2>/dev/null | grep -qF -- "$T/" && echo "$p"
  done
}

# ---------------------------------------------------------------- runtime wrapper
# The engines run the runtime through a wrapper that logs "START|END id ppid(comm) rc argv" to
# $T/argv-ENGINE.log, and on failure the tail of the runtime's --log file (containerd's shim
# and conmon pass --log <bundle>/log.json). The wrapper keeps the runtime's name (podman
# chooses per-runtime behaviour by basename) and runs it as a child so it can see the exit code.
#
# make_wrapper ENGINE [DEFAULT_ROOT]: with DEFAULT_ROOT, a call without --root gets
# "--root DEFAULT_ROOT" put in front (podman 4.3 passes no --root at all, so the runtime would
# keep its state in its system default, /run/runc or /run/berth; podman's --runtime-flag root=
# is not passed on to the cleanup process, so it cannot be used). The log shows podman's argv.
make_wrapper() { # ENGINE [DEFAULT_ROOT]
  local dir=$T/rt/$1 name
  name=$(basename "$RUNTIME")
  mkdir -p "$dir"
  cat >"$dir/$name" <<EOF
#!/bin/bash
real=$(printf '%q' "$RUNTIME")
log=$(printf '%q' "$T/argv-$1.log")
default_root=$(printf '%q' "${2:-}")
EOF
  cat >>"$dir/$name" <<'EOF'
id=$$.$(date +%s%N)
pcomm=$(cat /proc/$PPID/comm 2>/dev/null)
args=$(printf ' %q' "$@")
printf 'START %s %s(%s)%s\n' "$id" "$PPID" "$pcomm" "$args" >>"$log"
prev="" logf=""
for a in "$@"; do
  case "$prev" in --log) logf=$a ;; esac
  case "$a" in --log=*) logf=${a#--log=} ;; esac
  prev=$a
done
logsize=0
[ -n "$logf" ] && [ -f "$logf" ] && logsize=$(stat -c %s "$logf" 2>/dev/null || echo 0)
if [ -n "$default_root" ]; then
  case " $* " in *" --root "*|*" --root="*) ;; *) set -- --root "$default_root" "$@" ;; esac
fi
"$real" "$@"
rc=$?
line="END $id rc=$rc"
# on failure: what this call added to the runtime's --log file
if [ "$rc" != 0 ] && [ -n "$logf" ] && [ -f "$logf" ]; then
  line+=$'\n'$(tail -c +"$((logsize + 1))" "$logf" | tail -c 1500 | sed 's/^/  log| /')
fi
printf '%s\n' "$line" >>"$log"
exit $rc
EOF
  chmod 0755 "$dir/$name"
  : >"$T/argv-$1.log"
  echo "$dir/$name"
}

# Distinct "global-flags subcommand flags" shapes of the recorded invocations (values dropped).
argv_shapes() { # LOGFILE
  grep '^START ' "$1" 2>/dev/null | cut -d' ' -f4- | while read -r line; do
    eval "set -- $line"
    local out=() sub="" skipnext=""
    for a in "$@"; do
      if [ -n "$skipnext" ]; then skipnext=""; continue; fi
      case "$a" in
        --root|--log|--log-format|--criu|--rootless) out+=("$a"); skipnext=1 ;;
        --*=*) out+=("${a%%=*}") ;;
        -) ;;
        -*) out+=("$a") ;;
        *) if [ -z "$sub" ]; then sub=$a; out+=("$a"); fi ;;
      esac
    done
    echo "${out[*]}"
  done | sort | uniq -c | sort -k2 | awk '{c=$1; $1=""; printf "  %4d x%s\n", c, $0}'
}

# ---------------------------------------------------------------- private containerd
# private_containerd_config DIR SOCKET [LEVEL]: prints the config of a containerd 1.6 private
# to a test: root, state, temp and the opt dir under DIR (made here), the gRPC socket SOCKET
# and the ttrpc socket SOCKET.ttrpc, the CRI plugin off, log level LEVEL (default info).
# One copy for the engine suite (run.sh), tests/integration/test_shim.sh, test_build.sh and
# bench/shim_memory.sh; those that do not source this file run
#   bash tests/integration/engines/lib.sh __containerd_config DIR SOCKET [LEVEL] >FILE
private_containerd_config() {
  local dir=$1 sock=$2 level=${3:-info}
  mkdir -p "$dir/root" "$dir/state" "$dir/tmp" "$dir/opt"
  cat <<EOF
version = 2
root = "$dir/root"
state = "$dir/state"
temp = "$dir/tmp"
disabled_plugins = ["io.containerd.grpc.v1.cri"]

[grpc]
  address = "$sock"

[ttrpc]
  address = "$sock.ttrpc"

[debug]
  level = "$level"

[plugins."io.containerd.internal.v1.opt"]
  path = "$dir/opt"
EOF
}

if [ "${1:-}" = __containerd_config ]; then
  shift
  private_containerd_config "$@"
  exit $?
fi

# ---------------------------------------------------------------- scenario process
if [ "${1:-}" = __scenario ]; then
  fn=$2
  S=$T/sc/$fn
  mkdir -p "$S"
  cd "$S" || exit 1
  scenario() { :; }
  for f in "$HERE"/scenarios-*.sh; do . "$f"; done
  set -Eeuo pipefail
  trap 'echo "FAIL: line $LINENO: $BASH_COMMAND (exit $?)" >&2' ERR
  "$fn"
  exit 0
fi
