#!/usr/bin/env bash
# bench/shim_smaps.sh PID
#
# Where a process's memory is, per mapping of /proc/PID/smaps: Rss, Pss, Private_Clean,
# Private_Dirty, Shared_Clean+Shared_Dirty (KiB), largest Pss first, then the totals.
# Used for containerd-shim-berth-v2 (docs/shim.md, "Memory"): which pages are its own.
set -euo pipefail
pid=${1:?usage: shim_smaps.sh PID}
[ -r "/proc/$pid/smaps" ] || { echo "no /proc/$pid/smaps" >&2; exit 2; }
awk '
  /^[0-9a-f]+-[0-9a-f]+ / {
    if (name != "") flush()
    perm = $2; name = ($6 == "" ? "[anon]" : $6); size = 0
    rss = pss = pc = pd = sh = 0
    next
  }
  $1 == "Rss:" { rss = $2 } $1 == "Pss:" { pss = $2 }
  $1 == "Private_Clean:" { pc = $2 } $1 == "Private_Dirty:" { pd = $2 }
  $1 == "Shared_Clean:" || $1 == "Shared_Dirty:" { sh += $2 }
  function flush() {
    n = name; sub(/.*\//, "", n); key = n " " perm
    R[key] += rss; P[key] += pss; PC[key] += pc; PD[key] += pd; S[key] += sh
    TR += rss; TP += pss; TPC += pc; TPD += pd; TS += sh
  }
  END {
    if (name != "") flush()
    printf "%-40s %7s %7s %7s %7s %7s\n", "mapping", "Rss", "Pss", "PrivCl", "PrivDi", "Shared"
    for (k in R) if (R[k] > 0) printf "%-40s %7d %7d %7d %7d %7d\n", k, R[k], P[k], PC[k], PD[k], S[k] | "sort -k3,3nr"
    close("sort -k3,3nr")
    printf "%-40s %7d %7d %7d %7d %7d\n", "total (KiB)", TR, TP, TPC, TPD, TS
  }' "/proc/$pid/smaps"
