#!/usr/bin/env bash
# tests/soak/soak.sh BERTH: berth's soak and crash-recovery run (`make soak`; not part of
# `make test`: it takes minutes). Everything runs under a private state root and bundle in a
# temp dir; container ids carry a random prefix. Three parts:
#   1. SOAK_SEQ (1000) sequential lifecycles: create, state (created), start, state until
#      stopped, delete; the container lists its own fds (only 0 1 2 and ls's own may be open).
#   2. SOAK_ROUNDS (10) rounds of SOAK_PAR (50) parallel create/start/delete.
#   3. SOAK_KILLS (50) `berth create` SIGKILLed after a random 0..SOAK_KILL_MS ms (default:
#      the median of 5 timed creates, so the kills fall anywhere in a create):
#      `state` and `list` must answer (exit 0, or 1 with a message; never hang or crash),
#      `delete --force` must leave nothing: no init, no state dir, no cgroup, no mount.
# After each part (and every 100 sequential lifecycles): no mount, cgroup, state dir or
# process of the run may be left. Prints a summary; exits 1 on any failure or leak.
set -uo pipefail

[ $# -ge 1 ] || { echo "usage: $0 BERTH" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "soak: needs root" >&2; exit 2; }
BERTH=$(readlink -f "$1")
REPO=$(cd "$(dirname "$0")/../.." && pwd)
SEQ=${SOAK_SEQ:-1000} PAR=${SOAK_PAR:-50} ROUNDS=${SOAK_ROUNDS:-10} KILLS=${SOAK_KILLS:-50}
KILL_MS=${SOAK_KILL_MS:-}  # default: the median of 5 timed creates (kills spread over a whole create)
W=$(mktemp -d /tmp/berth-soak-XXXXXX)
ROOT=$W/root
PREFIX=soak$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
FAILURES=0

say() { echo "soak: $*"; }
problem() { echo "soak: FAIL: $*"; FAILURES=$((FAILURES + 1)); }
b() { timeout -k 2 "${B_TIMEOUT:-20}" "$BERTH" --root "$ROOT" "$@"; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# ---------------------------------------------------------------- what a run may leave
procs_of_run() { # pids whose command line names this run's dir or prefix (not us)
  local c p
  for c in /proc/[0-9]*/cmdline; do
    p=${c#/proc/}; p=${p%/cmdline}
    [ "$p" = $$ ] || [ "$p" = "$BASHPID" ] && continue
    if { tr '\0' ' ' < "$c"; } 2>/dev/null | grep -qE -- "$W|$PREFIX"; then echo "$p"; fi
  done
}
cgroups_of_run() { find /sys/fs/cgroup -mindepth 2 -maxdepth 8 -type d -name "*$PREFIX*" 2>/dev/null; }
mounts_of_run() { grep -E -- "$W|$PREFIX" /proc/self/mountinfo | awk '{print $5}'; }
state_dirs() { find "$ROOT" -mindepth 1 -maxdepth 1 -type d ! -name .seccomp-cache -printf '%f\n' 2>/dev/null; }
# check_clean WHERE: every kind of leftover, each reported
check_clean() {
  local where=$1 p c m d
  p=$(procs_of_run | tr '\n' ' ')
  c=$(cgroups_of_run | tr '\n' ' ')
  m=$(mounts_of_run | tr '\n' ' ')
  d=$(state_dirs | tr '\n' ' ')
  [ -z "$p" ] || problem "$where: processes left: $p ($(for x in $p; do tr '\0' ' ' < /proc/$x/cmdline 2>/dev/null; echo ';'; done))"
  [ -z "$c" ] || problem "$where: cgroups left: $c"
  [ -z "$m" ] || problem "$where: mounts left: $m"
  [ -z "$d" ] || problem "$where: state dirs left: $d"
  [ -z "$p$c$m$d" ]
}

cleanup() {
  local id p c
  for id in $(state_dirs); do b delete --force "$id" >/dev/null 2>&1; done
  for p in $(procs_of_run); do kill -KILL "$p" 2>/dev/null; done
  sleep 0.2
  for c in $(cgroups_of_run | awk -F/ '{print NF "\t" $0}' | sort -rn | cut -f2-); do rmdir "$c" 2>/dev/null; done
  for m in $(mounts_of_run | tac); do umount -l "$m" 2>/dev/null; done
  rm -rf --one-file-system "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- the bundle
"$REPO/tests/mkbundle.sh" "$W/bundle" "$BERTH" >/dev/null || { echo "soak: mkbundle failed" >&2; exit 2; }
tmp=$(mktemp)
jq '.process.args = ["sh", "-c", "ls /proc/self/fd | tr \"\\n\" \" \""]' "$W/bundle/config.json" > "$tmp" &&
  mv "$tmp" "$W/bundle/config.json"
mkdir -p "$W/out" "$ROOT"
say "berth $("$BERTH" --version | head -1); kernel $(uname -r); $(nproc) CPUs; load $(cut -d' ' -f1-3 /proc/loadavg)"
say "cgroup: $(stat -fc %T /sys/fs/cgroup) at /sys/fs/cgroup; state root $ROOT; id prefix $PREFIX"
FILE_NR0=$(cut -f1 /proc/sys/fs/file-nr)
EXE_VIEWS0=$(grep -c ' /run/berth/.exe/' /proc/self/mountinfo || true)

# lifecycle ID OUTFILE: create, state, start, wait for stopped, delete; prints the reason on failure
lifecycle() {
  local id=$1 out=$2 st i
  b create --bundle "$W/bundle" "$id" </dev/null >"$out" 2>"$out.err" || { echo "create: $(head -c 300 "$out.err")"; return 1; }
  st=$(b state "$id" 2>&1 | jq -r .status 2>/dev/null)
  [ "$st" = created ] || { echo "state after create: [$st]"; return 1; }
  b start "$id" </dev/null >/dev/null 2>"$out.err" || { echo "start: $(head -c 300 "$out.err")"; return 1; }
  for ((i = 0; i < 400; i++)); do
    st=$(b state "$id" 2>/dev/null | jq -r .status 2>/dev/null)
    [ "$st" = stopped ] && break
    sleep 0.025
  done
  [ "$st" = stopped ] || { echo "not stopped after 10 s: [$st]"; return 1; }
  b delete "$id" >/dev/null 2>"$out.err" || { echo "delete: $(head -c 300 "$out.err")"; return 1; }
  return 0
}
# The container saw only its stdio (and ls's own directory fd, the lowest free one: 3).
fds_ok() { [ "$(cat "$1")" = "0 1 2 3 " ]; }

# ---------------------------------------------------------------- 1. sequential
t0=$(now_ms)
seq_ok=0 seq_fd_bad=0
for ((i = 1; i <= SEQ; i++)); do
  id=$PREFIX-s$i
  if r=$(lifecycle "$id" "$W/out/seq"); then
    seq_ok=$((seq_ok + 1))
    fds_ok "$W/out/seq" || { seq_fd_bad=$((seq_fd_bad + 1)); problem "lifecycle $i: the container's fds: [$(cat "$W/out/seq")]"; }
  else
    problem "lifecycle $i: $r"
    b delete --force "$id" >/dev/null 2>&1
  fi
  if ((i % 100 == 0)); then
    check_clean "after $i sequential lifecycles" || true
    say "  $i lifecycles, $(( ($(now_ms) - t0) / i )) ms each"
  fi
done
t_seq=$(( $(now_ms) - t0 ))
check_clean "after the sequential part" || true
say "1. sequential: $seq_ok/$SEQ lifecycles ok in $((t_seq / 1000)) s ($((t_seq / (SEQ > 0 ? SEQ : 1))) ms each); fds other than stdio seen in $seq_fd_bad"

# ---------------------------------------------------------------- 2. parallel
t0=$(now_ms)
par_ok=0 par_total=0
for ((r = 1; r <= ROUNDS; r++)); do
  for ((j = 1; j <= PAR; j++)); do
    ( id=$PREFIX-p$r-$j
      if res=$(B_TIMEOUT=60 lifecycle "$id" "$W/out/p$j"); then
        if fds_ok "$W/out/p$j"; then echo ok > "$W/out/p$j.res"; else echo "fds: $(cat "$W/out/p$j")" > "$W/out/p$j.res"; fi
      else
        echo "$res" > "$W/out/p$j.res"
        b delete --force "$id" >/dev/null 2>&1
      fi ) &
  done
  wait
  for ((j = 1; j <= PAR; j++)); do
    par_total=$((par_total + 1))
    res=$(cat "$W/out/p$j.res" 2>/dev/null || echo "no result")
    if [ "$res" = ok ]; then par_ok=$((par_ok + 1)); else problem "parallel round $r #$j: $res"; fi
    rm -f "$W/out/p$j" "$W/out/p$j".*
  done
  check_clean "after parallel round $r" || true
done
t_par=$(( $(now_ms) - t0 ))
say "2. parallel: $par_ok/$par_total create/start/delete ok in $ROUNDS rounds of $PAR at once, $((t_par / 1000)) s"

# ---------------------------------------------------------------- 3. create killed
if [ -z "$KILL_MS" ]; then
  times=()
  for k in 1 2 3 4 5; do
    t=$(now_ms)
    b create --bundle "$W/bundle" "$PREFIX-t$k" </dev/null >/dev/null 2>&1
    times+=($(( $(now_ms) - t )))
    b delete --force "$PREFIX-t$k" >/dev/null 2>&1
  done
  KILL_MS=$(printf '%s\n' "${times[@]}" | sort -n | sed -n 3p)
  say "   5 creates took ${times[*]} ms here: kills spread over 1..$KILL_MS ms (the median)"
fi
declare -A answers=()
t0=$(now_ms)
kill_clean=0 list_ok=0 init_seen=0
for ((k = 1; k <= KILLS; k++)); do
  id=$PREFIX-k$k
  delay=$((RANDOM % KILL_MS + 1))
  # timeout(1) starts berth and SIGKILLs it `delay` ms later by its own timer (a `sleep`
  # process would add its own start-up to the delay).
  timeout --foreground -s KILL "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))" \
    "$BERTH" --root "$ROOT" create --bundle "$W/bundle" "$id" </dev/null >/dev/null 2>&1
  # The init, if create got that far (its pid and start time are recorded right after clone3).
  init=$(jq -r '.pid // empty' "$ROOT/$id/state.json" 2>/dev/null || jq -r '.pid // empty' "$ROOT/$id/creating.json" 2>/dev/null)
  [ -n "$init" ] && [ "$init" != 0 ] && init_seen=$((init_seen + 1))
  rc=0; out=$(timeout 5 "$BERTH" --root "$ROOT" state "$id" 2>&1) || rc=$?
  if [ "$rc" = 0 ]; then
    a="status $(jq -r .status <<<"$out" 2>/dev/null)"
  elif [ "$rc" = 1 ]; then
    a="exit 1: $(sed 's/.*msg="\([^"]*\)".*/\1/' <<<"$out" | head -1)"
  else
    a="exit $rc"; problem "kill $k ($delay ms): state exited $rc: $out"
  fi
  answers[$a]=$(( ${answers[$a]:-0} + 1 ))
  rc=0; out=$(timeout 5 "$BERTH" --root "$ROOT" list 2>&1) || rc=$?
  if [ "$rc" = 0 ]; then list_ok=$((list_ok + 1)); else problem "kill $k ($delay ms): list exited $rc: $out"; fi
  timeout 10 "$BERTH" --root "$ROOT" delete --force "$id" >/dev/null 2>&1
  left=""
  [ -e "$ROOT/$id" ] && left+=" state dir;"
  [ -n "$init" ] && [ "$init" != 0 ] && [ -d "/proc/$init" ] && grep -qF -- "$id" "/proc/$init/cmdline" 2>/dev/null && left+=" init $init;"
  for p in $(procs_of_run); do grep -qF -- "$id" "/proc/$p/cmdline" 2>/dev/null && left+=" process $p;"; done
  c=$(find /sys/fs/cgroup -mindepth 2 -maxdepth 8 -type d -name "$id" 2>/dev/null | tr '\n' ' ')
  [ -n "$c" ] && left+=" cgroups $c;"
  if [ -z "$left" ]; then kill_clean=$((kill_clean + 1)); else problem "kill $k ($delay ms): delete --force left:$left"; fi
done
t_kill=$(( $(now_ms) - t0 ))
check_clean "after the create kills" || true
say "3. create killed: $KILLS kills at 1..$KILL_MS ms ($init_seen with an init already made); delete --force left nothing in $kill_clean/$KILLS; list answered $list_ok/$KILLS"
for a in "${!answers[@]}"; do say "   state answered [$a] ${answers[$a]} times"; done

# ---------------------------------------------------------------- the end
EXE_VIEWS1=$(grep -c ' /run/berth/.exe/' /proc/self/mountinfo || true)
say "host: berth's persistent binary views /run/berth/.exe: $EXE_VIEWS0 -> $EXE_VIEWS1 (one per binary, kept on purpose); allocated file handles (whole host, other work included): $FILE_NR0 -> $(cut -f1 /proc/sys/fs/file-nr)"
if check_clean "at the end"; then say "leaks at the end: none (mounts, cgroups, state dirs, processes of the run)"; fi
say "total $(( (t_seq + t_par + t_kill) / 1000 )) s; $FAILURES failure(s)"
[ "$FAILURES" = 0 ]
