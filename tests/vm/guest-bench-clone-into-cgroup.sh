#!/usr/bin/env bash
# guest-bench-clone-into-cgroup.sh OLD NEW [N]: in the VM (cgroup v2), the wall time of
# `run` of /bin/true with two berth binaries, interleaved N times each (default 15), and
# the median of each. Made to measure clone3(CLONE_INTO_CGROUP) (NEW) against clone3 +
# the cgroup.procs write (OLD); NEW with --debug must say the init was born in its cgroup.
#   tests/vm/run.sh --copy "build/berth build/berth-old tests" \
#     tests/vm/guest-bench-clone-into-cgroup.sh build/berth-old build/berth
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
OLD=$(realpath "$1") NEW=$(realpath "$2") N=${3:-15}
T=$(mktemp -d /tmp/berth-bench.XXXXXX)
trap 'rm -rf "$T"' EXIT
tests/mkbundle.sh "$T/b" "$NEW" >/dev/null
jq '.process.args = ["/bin/true"] | .process.terminal = false' "$T/b/config.json" > "$T/c" && mv "$T/c" "$T/b/config.json"
"$NEW" --root "$T/root" --debug run -b "$T/b" probe 2>&1 | grep -E "born in its cgroup|CLONE_INTO_CGROUP refused" \
  || echo "NEW did not report how its init joined the cgroup"
ms() { # BINARY ID
  local t0 t1
  t0=$(date +%s%N)
  "$1" --root "$T/root" run -b "$T/b" "$2" >/dev/null 2>&1
  t1=$(date +%s%N)
  echo $(((t1 - t0) / 1000000))
}
median() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
: > "$T/old"; : > "$T/new"
for ((i = 0; i < N; i++)); do
  ms "$OLD" "o$i" >> "$T/old"
  ms "$NEW" "n$i" >> "$T/new"
done
echo "run /bin/true, $N runs each, median ms: old (cgroup.procs write) $(median < "$T/old")," \
     "new (CLONE_INTO_CGROUP) $(median < "$T/new")"
echo "old: $(tr '\n' ' ' < "$T/old")"
echo "new: $(tr '\n' ' ' < "$T/new")"
