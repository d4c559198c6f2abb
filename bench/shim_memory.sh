#!/usr/bin/env bash
# bench/shim_memory.sh [BUILD_DIR] [N]
#
# Memory of containerd-shim-berth-v2 against containerd-shim-runc-v2 (with runc), side by side
# in one run of a private containerd 1.6 (own config, root, state and sockets in a temp dir):
#   - one idle container (`sleep`) per runtime: RSS and Pss of its shim (/proc/PID/smaps_rollup)
#   - N idle containers per runtime (default 10): the sum of RSS and of Pss of all their shims
#   - wall time of `ctr run --rm IMAGE true` and of `ctr task exec ... true`, median of 7, interleaved
# Prints a markdown table (docs/shim.md quotes it). Everything it starts is removed on exit.
# BASELINE_SHIM=PATH (another build's containerd-shim-berth-v2, with its berth next to it) adds
# a column for it, run through containerd's absolute runtime path: before/after in one run.
# SHIM_SMAPS=1 also prints where each shim's memory is (bench/shim_smaps.sh) with one container.
set -euo pipefail
BUILD=${1:-build}
N=${2:-10}
HERE=$(cd "$(dirname "$0")/.." && pwd)
SHIM=$(cd "$BUILD" && pwd)/containerd-shim-berth-v2
[ "$(id -u)" = 0 ] || { echo "needs root" >&2; exit 2; }
[ -x "$SHIM" ] || { echo "$SHIM not built" >&2; exit 2; }
command -v containerd >/dev/null && command -v containerd-shim-runc-v2 >/dev/null || { echo "containerd not installed" >&2; exit 2; }

T=$(mktemp -d /tmp/berth-shim-mem.XXXXXX)
NS=shimmem$$
CPID=
C() { timeout -k 5 60 ctr --address "$T/containerd.sock" --namespace "$NS" "$@"; }
cleanup() {
  set +e
  if [ -S "$T/containerd.sock" ]; then
    for t in $(C task ls -q); do C task kill -s KILL "$t"; done >/dev/null 2>&1
    sleep 0.5
    for t in $(C task ls -q); do C task delete -f "$t"; done >/dev/null 2>&1
    for c in $(C container ls -q); do C container rm "$c"; done >/dev/null 2>&1
  fi
  socks=$(for f in "$T"/c/state/io.containerd.runtime.v2.task/*/*/address; do [ -f "$f" ] && sed 's|^unix://||' "$f" && echo; done)
  [ -n "$CPID" ] && kill "$CPID" 2>/dev/null && wait "$CPID" 2>/dev/null
  for s in $socks; do case "$s" in /run/containerd/s/*) rm -f "$s" ;; esac; done
  rmdir "/run/containerd/berth/$NS" "/run/containerd/runc/$NS" /run/containerd/berth 2>/dev/null
  grep -F " $T/" /proc/self/mountinfo | awk '{print $5}' | sort -r | xargs -r -n1 umount -l 2>/dev/null
  rm -rf --one-file-system "$T"
}
trap cleanup EXIT

mkdir -p "$T/bin" "$T/fifo"
ln -s "$SHIM" "$T/bin/containerd-shim-berth-v2"
bash "$HERE/tests/integration/engines/lib.sh" __containerd_config "$T/c" "$T/containerd.sock" >"$T/containerd.toml"
PATH="$T/bin:$PATH" containerd --config "$T/containerd.toml" </dev/null >"$T/containerd.log" 2>&1 &
CPID=$!
for i in $(seq 100); do C version >/dev/null 2>&1 && break; sleep 0.1; done
bash "$HERE/tests/integration/engines/mkimage.sh" "$T/image.tar" berth-test:latest >/dev/null
C images import "$T/image.tar" >/dev/null
IMG=docker.io/library/berth-test:latest
declare -A RT=([berth]=io.containerd.berth.v2 [runc]=io.containerd.runc.v2)
RUNTIMES=(berth runc)
if [ -n "${BASELINE_SHIM:-}" ]; then
  RT[base]=$(cd "$(dirname "$BASELINE_SHIM")" && pwd)/$(basename "$BASELINE_SHIM")
  RUNTIMES=(berth base runc)
fi

shim_of() { # container id -> shim pid
  local p
  for p in $(pgrep -f 'containerd-shim-(berth|runc)-v2 ' || true); do
    [ "$p" = "$$" ] && continue
    if tr '\0' ' ' <"/proc/$p/cmdline" | grep -qF -- "-address $T/containerd.sock " &&
       tr '\0' ' ' <"/proc/$p/cmdline" | grep -qF -- "-id $1 "; then echo "$p"; fi
  done
}
kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/smaps_rollup"; }

declare -A RSS1 PSS1 RSSN PSSN WALL
for r in "${RUNTIMES[@]}"; do
  C run -d --runtime "${RT[$r]}" --fifo-dir "$T/fifo" "$IMG" "$r-0" sleep 3600 >/dev/null
done
sleep 2
for r in "${RUNTIMES[@]}"; do
  p=$(shim_of "$r-0")
  RSS1[$r]=$(kb "$p" Rss); PSS1[$r]=$(kb "$p" Pss)
  if [ -n "${SHIM_SMAPS:-}" ]; then
    echo "== $r: /proc/$p/smaps by mapping (KiB), one idle container" >&2
    bash "$HERE/bench/shim_smaps.sh" "$p" | head -n 16 >&2
  fi
done
for r in "${RUNTIMES[@]}"; do
  for i in $(seq 1 $((N - 1))); do
    C run -d --runtime "${RT[$r]}" --fifo-dir "$T/fifo" "$IMG" "$r-$i" sleep 3600 >/dev/null
  done
done
sleep 2
for r in "${RUNTIMES[@]}"; do
  rs=0 ps=0
  for i in $(seq 0 $((N - 1))); do
    p=$(shim_of "$r-$i")
    rs=$((rs + $(kb "$p" Rss))); ps=$((ps + $(kb "$p" Pss)))
  done
  RSSN[$r]=$rs; PSSN[$r]=$ps
done
for r in "${RUNTIMES[@]}"; do for i in $(seq 0 $((N - 1))); do C task kill -s KILL "$r-$i"; done; done >/dev/null 2>&1
sleep 1
for r in "${RUNTIMES[@]}"; do for i in $(seq 0 $((N - 1))); do C task delete "$r-$i" >/dev/null 2>&1; C container rm "$r-$i"; done; done

declare -A TIMES
for k in $(seq 1 7); do
  for r in "${RUNTIMES[@]}"; do
    s=$(date +%s%N)
    C run --rm --runtime "${RT[$r]}" --fifo-dir "$T/fifo" "$IMG" "$r-t$k" true >/dev/null
    e=$(date +%s%N)
    TIMES[$r]+="$(((e - s) / 1000000)) "
  done
done
declare -A ETIMES
for r in "${RUNTIMES[@]}"; do C run -d --runtime "${RT[$r]}" --fifo-dir "$T/fifo" "$IMG" "$r-x" sleep 3600 >/dev/null; done
for k in $(seq 1 7); do
  for r in "${RUNTIMES[@]}"; do
    s=$(date +%s%N)
    C task exec --fifo-dir "$T/fifo" --exec-id "e$k" "$r-x" true >/dev/null
    e=$(date +%s%N)
    ETIMES[$r]+="$(((e - s) / 1000000)) "
  done
done
# The same after 1.5 s of idleness each time: berth's shim has dropped its code pages then
# (idle trim, docs/shim.md), so this is the exec that pays for mapping them back.
declare -A ITIMES
for k in $(seq 1 7); do
  sleep 1.5
  for r in "${RUNTIMES[@]}"; do
    s=$(date +%s%N)
    C task exec --fifo-dir "$T/fifo" --exec-id "i$k" "$r-x" true >/dev/null
    e=$(date +%s%N)
    ITIMES[$r]+="$(((e - s) / 1000000)) "
  done
done
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR + 1) / 2)]}'; }
mb() { awk -v k="$1" 'BEGIN { printf "%.2f", k / 1024 }'; }
_rss1() { echo "$(mb "${RSS1[$1]}") MiB"; }
_pss1() { echo "$(mb "${PSS1[$1]}") MiB"; }
_rssn() { echo "$(mb "${RSSN[$1]}") MiB"; }
_pssn() { echo "$(mb "${PSSN[$1]}") MiB"; }
_run() { echo "$(echo "${TIMES[$1]}" | median) ms"; }
_exec() { echo "$(echo "${ETIMES[$1]}" | median) ms"; }
_iexec() { echo "$(echo "${ITIMES[$1]}" | median) ms"; }

declare -A TITLE=([berth]=containerd-shim-berth-v2 [base]="containerd-shim-berth-v2 (baseline)" [runc]="containerd-shim-runc-v2 (runc)")
row() { # LABEL ARRAY-NAME FORMAT
  local line="| $1 |" r
  for r in "${RUNTIMES[@]}"; do line+=" $($3 "$r") |"; done
  echo "$line"
}
line="| |"; sep="|---|"
for r in "${RUNTIMES[@]}"; do line+=" ${TITLE[$r]} |"; sep+="---|"; done
echo "$line"; echo "$sep"
row "one idle container: shim RSS" RSS1 _rss1
row "one idle container: shim Pss" PSS1 _pss1
row "$N idle containers: sum of shim RSS" RSSN _rssn
row "$N idle containers: sum of shim Pss" PSSN _pssn
row "\`ctr run --rm\` of \`true\`, median of 7" TIMES _run
row "\`ctr task exec\` of \`true\`, median of 7" ETIMES _exec
row "\`ctr task exec\` after 1.5 s idle, median of 7" ITIMES _iexec
