#!/usr/bin/env bash
# table.sh RESULTS_A.tsv [RESULTS_B.tsv]: the Markdown scenario table of docs/engines.md from
# the results.tsv files that run.sh writes to its logs dir (columns: engine, scenario, result,
# reason, description). The column headers are the runtimes' names, taken from the file names
# (.../berth-engines-logs-NAME-TAG/results.tsv) unless NAMES="a b" says otherwise.
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 RESULTS_A.tsv [RESULTS_B.tsv]" >&2; exit 2; }
name_of() { basename "$(dirname "$1")" | sed -E 's/^berth-engines-logs-//; s/-be[0-9a-f]{6}$//; s/-ref$//'; }
read -r -a names <<<"${NAMES:-$(for f in "$@"; do name_of "$f"; done | tr '\n' ' ')}"
cell() { # FILE ENGINE SCENARIO
  awk -F'\t' -v e="$2" -v n="$3" '$1 == e && $2 == n {
      r = $3; if (r == "SKIP") r = "SKIP: " $4; gsub(/\|/, "\\|", r); print r; found = 1 }
    END { if (!found) print "–" }' "$1"
}
hdr="| engine | scenario | what is checked |"; sep="|---|---|---|"
for n in "${names[@]}"; do hdr+=" $n |"; sep+="---|"; done
echo "$hdr"; echo "$sep"
cut -f1,2,5 "$1" | while IFS=$'\t' read -r e n d; do
  row="| $e | $n | ${d//|/\\|} |"
  for f in "$@"; do row+=" $(cell "$f" "$e" "$n") |"; done
  echo "$row"
done
