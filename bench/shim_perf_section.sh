#!/usr/bin/env bash
# bench/shim_perf_section.sh BUILD_DIR N MARKDOWN
#
# `make bench`'s shim part: bench/shim_memory.sh (containerd-shim-berth-v2 against
# containerd-shim-runc-v2 with runc, one private containerd, N idle containers) printed, and
# written as the section "containerd shims" at the end of MARKDOWN (docs/performance.md, which
# bench/bench.py has just rewritten), replacing that section if it is there already.
set -euo pipefail
BUILD=${1:?usage: shim_perf_section.sh BUILD_DIR N MARKDOWN}
N=${2:?}
MD=${3:?}
HERE=$(cd "$(dirname "$0")/.." && pwd)
table=$("$HERE/bench/shim_memory.sh" "$BUILD" "$N")
# berth/runc ratio of a row's medians: the number before " ms" in the 2nd and last columns
ratio() {
  grep -F "$1" <<<"$table" | awk -F'|' '{ b = $3; r = $(NF - 1); sub(/ ms.*/, "", b); sub(/ ms.*/, "", r);
    if (r + 0 > 0) printf "%.2f", b / r; else printf "n/a" }'
}
section="## containerd shims: containerd-shim-berth-v2 against containerd-shim-runc-v2

\`bench/shim_memory.sh $BUILD $N\` (run by \`make bench\` after the runtime benchmark): one private
containerd 1.6, both shims side by side in one run, idle containers (\`sleep\`); RSS and Pss from
/proc/PID/smaps_rollup of the shim processes. See docs/shim.md for the breakdown and the method.

$table

Ratios berth/Go shim (medians): \`ctr run --rm\` $(ratio 'ctr run --rm'), \`ctr task exec\` $(ratio 'ctr task exec') (issue #13: at most 0.8)."
echo "$section"
tmp=$(mktemp "$MD.XXXXXX")
awk '/^## containerd shims: /{skip = 1; next} /^## /{skip = 0} !skip' "$MD" >"$tmp"
printf '\n%s\n' "$section" >>"$tmp"
mv "$tmp" "$MD"
