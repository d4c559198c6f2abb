#!/usr/bin/env bash
# Where berth's `run` of /bin/true spends its time, by syscall (wall time inside
# each call, all processes: berth, its init, the container): `strace -f -c -w`
# after warm-up runs. strace slows every call, so read shares, not absolute times.
# Usage: bench/startup-profile.sh [BERTH] [RUNS]   (root; installs strace if missing)
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
BERTH=$(readlink -f "${1:-$REPO/build/berth}")
RUNS=${2:-5}
command -v strace >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq strace >/dev/null; }
T=$(mktemp -d /tmp/berth-profile.XXXXXX)
trap 'rm -rf "$T"' EXIT
"$REPO/tests/mkbundle.sh" "$T/b" "$BERTH" >/dev/null
cd "$T/b"
for i in 1 2 3; do "$BERTH" --root "$T/root" run "warm$i"; done
for i in $(seq "$RUNS"); do
  strace -f -c -w -o "$T/s.$i" "$BERTH" --root "$T/root" run "p$i"
done
# Sum the per-run tables: syscall -> seconds, calls.
awk '$1 ~ /^[0-9.]+$/ && NF >= 5 && $NF != "total" { name = $NF; sec[name] += $2; calls[name] += $4; total += $2 }
     END { for (n in sec) printf "%6.1f%%  %8.2f ms/run  %6.0f calls/run  %s\n", 100 * sec[n] / total, 1000 * sec[n] / '"$RUNS"', calls[n] / '"$RUNS"', n }' \
  "$T"/s.* | sort -rn | head -15
