#!/usr/bin/env bash
# run.sh RUNTIME_BINARY [FILTER]
#
# Runs every test function (test_*) of tests/integration/test_*.sh against an OCI runtime
# (berth, or runc to prove the tests themselves). FILTER is an extended regex matched
# against "FILE:FUNCTION" (e.g. "lifecycle", "test_hooks.sh:", "test_run_exit_code$").
#
# Each test runs in its own bash process with `set -Eeuo pipefail`, a fresh temp dir $T and a
# private state root $ROOT=$T/root; cleanup always runs afterwards (delete --force of every
# container, kill of the pids the test recorded, unmount of everything under $T, removal of the
# run's cgroups, rm -rf $T). At the end the runner checks that nothing was left behind.
#
# Environment: RUNTIME_NAME (default: basename of the binary) selects berth_only/runc_known_diff,
#              IT_TEST_DIR (where the test_*.sh files are; default: this directory; the
#              harness' self-test uses it), TEST_TIMEOUT (seconds per test, default 60), RT_TIMEOUT (seconds per runtime call
#              made through `rt`, default 10), KEEP_LOGS=1 keeps the per-test logs.
# Output: "PASS name", "FAIL name" (+ last 30 lines of its output), "SKIP name: reason".
# Exit status: 0 if nothing failed and nothing leaked, 1 otherwise, 2 on usage errors.
set -uo pipefail

usage() { echo "usage: $0 RUNTIME_BINARY [FILTER]" >&2; exit 2; }
[ $# -ge 1 ] && [ $# -le 2 ] || usage
[ "$(id -u)" = 0 ] || { echo "run.sh: the integration tests need root" >&2; exit 2; }
for tool in jq timeout nsenter busybox; do
  command -v "$tool" >/dev/null || { echo "run.sh: $tool is required" >&2; exit 2; }
done

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
case "$1" in
  */*) RUNTIME=$(cd "$(dirname "$1")" && pwd)/$(basename "$1") ;;
  *) RUNTIME=$(command -v "$1") || { echo "run.sh: $1 not found" >&2; exit 2; } ;;
esac
[ -x "$RUNTIME" ] && [ -f "$RUNTIME" ] || { echo "run.sh: $RUNTIME is not an executable file" >&2; exit 2; }
FILTER=${2:-}
RUNTIME_NAME=${RUNTIME_NAME:-$(basename "$RUNTIME")}
TEST_TIMEOUT=${TEST_TIMEOUT:-60}
RT_TIMEOUT=${RT_TIMEOUT:-10}
RUN_ID=it$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
IT_BASE=/tmp/berth-$RUN_ID
mkdir -m 0755 "$IT_BASE" "$IT_BASE/logs" || exit 2
# The host's /dev/null as the run found it: lib.sh's cleanup reports a test that changed it.
stat -c '%a %u:%g %t:%T' /dev/null >"$IT_BASE/devnull.state"
export RUNTIME RUNTIME_NAME REPO RUN_ID IT_BASE RT_TIMEOUT

echo "== integration tests: runtime $RUNTIME ($RUNTIME_NAME), run $RUN_ID${FILTER:+, filter /$FILTER/}"

# What the run adds to the default state root /run/berth (the binary's read-only views, a
# .seccomp-cache) is removed at the end; a container state dir left there is a leak.
. "$REPO/tests/run_root_guard.sh"
run_root_snapshot

# The bundle template (tests/mkbundle.sh with `RUNTIME spec`), copied by each test's mkbundle.
if ! "$REPO/tests/mkbundle.sh" "$IT_BASE/template.tmp" "$RUNTIME" >"$IT_BASE/logs/template.log" 2>&1; then
  echo "== warning: tests/mkbundle.sh failed (tests that need a bundle will fail):"
  sed 's/^/    | /' "$IT_BASE/logs/template.log"
  rm -rf "$IT_BASE/template.tmp"
else
  mv "$IT_BASE/template.tmp" "$IT_BASE/template"
fi

# List test functions of a file in definition order.
list_tests() {
  grep -oE '^(function[[:space:]]+)?test_[A-Za-z0-9_]+[[:space:]]*\(\)' "$1" \
    | sed -E 's/^function[[:space:]]+//; s/[[:space:]]*\(\)$//'
}

npass=0 nfail=0 nskip=0 idx=0
failed=() current_pid=""
t_start=$(date +%s.%N)

on_signal() {
  echo "== interrupted"
  if [ -n "$current_pid" ]; then kill -TERM "$current_pid" 2>/dev/null; wait "$current_pid" 2>/dev/null; fi
  [ -n "${T:-}" ] && bash "$HERE/lib.sh" __cleanup >/dev/null 2>&1
  exit 130
}
trap on_signal INT TERM

seen_names=" "
for file in "${IT_TEST_DIR:-$HERE}"/test_*.sh; do
  [ -f "$file" ] || continue
  fbase=$(basename "$file")
  for fn in $(list_tests "$file"); do
    if [ -n "$FILTER" ] && ! grep -Eq -- "$FILTER" <<<"$fbase:$fn"; then continue; fi
    case "$seen_names" in *" $fn "*) echo "run.sh: duplicate test name $fn" >&2; exit 2 ;; esac
    seen_names+="$fn "
    idx=$((idx + 1))
    n=$(printf '%03d' "$idx")
    T=$IT_BASE/$n-$fn
    ROOT=$T/root
    ID=$RUN_ID-$n
    META=$IT_BASE/logs/$n-$fn
    TEST_NAME=$fn
    mkdir -m 0755 "$T"
    mkdir -m 0700 "$ROOT"
    export T ROOT ID META TEST_NAME
    t0=$(date +%s%N)
    timeout -k 5 "$TEST_TIMEOUT" bash "$HERE/lib.sh" __run "$file" "$fn" </dev/null >"$META.log" 2>&1 &
    current_pid=$!
    { wait "$current_pid"; } 2>/dev/null
    rc=$?
    current_pid=""
    # safety net: the test's own EXIT trap normally did this already
    bash "$HERE/lib.sh" __cleanup >>"$META.log" 2>&1
    ms=$(( ($(date +%s%N) - t0) / 1000000 ))
    dur=$(printf '%d.%02ds' $((ms / 1000)) $(((ms % 1000) / 10)))
    leak="" notfound=""
    [ -s "$META.leak" ] && leak=$(tr '\n' ';' < "$META.leak")
    [ -s "$META.notfound" ] && notfound=$(sort -u "$META.notfound" | tr '\n' ' ')
    if [ -n "$notfound" ]; then
      # whatever its exit status: see command_not_found_handle in lib.sh
      echo "FAIL $fn  [$dur] (command not found: ${notfound% })"
      tail -n 30 "$META.log" | sed 's/^/    | /'
      nfail=$((nfail + 1)); failed+=("$fn")
    elif [ -n "$leak" ]; then
      echo "FAIL $fn  [$dur] (left behind: $leak)"
      tail -n 30 "$META.log" | sed 's/^/    | /'
      nfail=$((nfail + 1)); failed+=("$fn")
    elif [ "$rc" = 0 ]; then
      echo "PASS $fn  [$dur]"
      npass=$((npass + 1))
    elif [ "$rc" = 77 ] && [ -s "$META.skip" ]; then
      echo "SKIP $fn: $(head -n1 "$META.skip")"
      nskip=$((nskip + 1))
    else
      why="exit $rc"
      [ "$rc" = 124 ] || [ "$rc" = 137 ] && why="timeout after ${TEST_TIMEOUT}s"
      echo "FAIL $fn  [$dur] ($why)"
      tail -n 30 "$META.log" | sed 's/^/    | /'
      nfail=$((nfail + 1)); failed+=("$fn")
    fi
  done
done
T=""

# ---------------------------------------------------------------- final leak check
leaks=()
if grep -qF "$IT_BASE" /proc/self/mountinfo; then
  leaks+=("mounts: $(grep -F "$IT_BASE" /proc/self/mountinfo | awk '{print $5}' | tr '\n' ' ')")
fi
for d in "$IT_BASE"/*/root; do
  [ -d "$d" ] || continue
  s=$(find "$d" -mindepth 1 -maxdepth 1 -type d ! -name .seccomp-cache 2>/dev/null | tr '\n' ' ')
  [ -z "$s" ] || leaks+=("state dirs: $s")
done
left_tests=$(find "$IT_BASE" -mindepth 1 -maxdepth 1 -type d ! -name logs ! -name template 2>/dev/null | tr '\n' ' ')
[ -z "$left_tests" ] || leaks+=("test dirs: $left_tests")
cg=$(find /sys/fs/cgroup -maxdepth 8 -mindepth 2 -type d -name "*${RUN_ID}*" 2>/dev/null | tr '\n' ' ')
[ -z "$cg" ] || leaks+=("cgroups: $cg")
if [ -f "$IT_BASE/pids" ]; then
  while read -r pid st; do
    s=$(cat "/proc/$pid/stat" 2>/dev/null) || continue
    s=${s##*) }; set -- $s
    [ "${20}" = "$st" ] && [ "$1" != Z ] && leaks+=("process $pid still running")
  done < "$IT_BASE/pids"
fi
run_root_restore || leaks+=("(the default root, above)")
for l in "${leaks[@]}"; do echo "LEAK $l"; done

elapsed=$(awk -v a="$t_start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
echo "== $npass passed, $nfail failed, $nskip skipped in ${elapsed}s ($RUNTIME_NAME)${failed[*]:+; failed: ${failed[*]}}"
status=0
[ "$nfail" = 0 ] && [ "${#leaks[@]}" = 0 ] || status=1
if [ "$status" = 0 ] && [ -z "${KEEP_LOGS:-}" ]; then
  rm -rf --one-file-system "$IT_BASE"
else
  echo "== logs kept in $IT_BASE/logs"
fi
exit "$status"
