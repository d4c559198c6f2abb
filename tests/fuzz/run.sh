#!/bin/bash
# Runs every fuzz target of a fuzz build for a bounded time each.
#   tests/fuzz/run.sh BUILD_DIR SECONDS_PER_TARGET [TARGET...]
# Exit status 1 if any target found a crash, a leak, an uncaught exception or a
# timeout; the reproducer is in BUILD_DIR/artifacts/ (replay: BUILD_DIR/fuzz_<name> FILE).
set -u
build=${1:?usage: run.sh BUILD_DIR SECONDS [TARGET...]}
seconds=${2:?usage: run.sh BUILD_DIR SECONDS [TARGET...]}
shift 2
here=$(cd "$(dirname "$0")" && pwd)
if [ $# -gt 0 ]; then targets=("$@"); else mapfile -t targets < "$build/fuzz_targets.txt"; fi
mkdir -p "$build/artifacts"
rc=0
for t in "${targets[@]}"; do
  [ -n "$t" ] || continue
  seeds="$here/corpus/$t"
  work="$build/corpus/$t"
  mkdir -p "$work"
  [ -d "$seeds" ] || { echo "fuzz $t: no seed corpus $seeds" >&2; rc=1; continue; }
  log="$build/fuzz_$t.log"
  # -rss_limit_mb: a parser that grows without bound on a small input is a bug too.
  # -timeout: one input taking seconds is a hang. New inputs go to $work only.
  if "$build/fuzz_$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=1024 -max_len=65536 \
       -print_final_stats=1 -artifact_prefix="$build/artifacts/$t-" "$work" "$seeds" >"$log" 2>&1; then
    echo "fuzz $t: ok ($(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$') runs in ${seconds}s, corpus $(ls "$work" | wc -l))"
  else
    rc=1
    echo "fuzz $t: FAILED (log $log)" >&2
    grep -E 'ERROR|SUMMARY|runtime error|terminate|Test unit written' "$log" | head -20 >&2
  fi
done
exit $rc
