#!/usr/bin/env bash
# bench/shim_memory.sh [BUILD_DIR] [N]
#
# Memory of containerd-shim-berth-v2 against containerd-shim-runc-v2 (with runc), side by side
# in one run of a private containerd 1.6 (own config, root, state and sockets in a temp dir):
#   - one idle container (`sleep`) per runtime: RSS and Pss of its shim (/proc/PID/smaps_rollup)
#   - N idle containers per runtime (default 10): the sum of RSS and of Pss of all their shims
#   - wall time of `ctr run --rm IMAGE true` and of `ctr task exec ... true`, median of 7, interleaved
# Prints a markdown table (docs/shim.md quotes it). Everything it starts is removed on exit.
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

mkdir -p "$T/bin" "$T/c/root" "$T/c/state" "$T/c/tmp" "$T/c/opt" "$T/fifo"
ln -s "$SHIM" "$T/bin/containerd-shim-berth-v2"
cat >"$T/containerd.toml" <<EOC
version = 2
root = "$T/c/root"
state = "$T/c/state"
temp = "$T/c/tmp"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$T/containerd.sock"
[ttrpc]
  address = "$T/containerd.sock.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "$T/c/opt"
EOC
PATH="$T/bin:$PATH" containerd --config "$T/containerd.toml" </dev/null >"$T/containerd.log" 2>&1 &
CPID=$!
for i in $(seq 100); do C version >/dev/null 2>&1 && break; sleep 0.1; done
bash "$HERE/tests/integration/engines/mkimage.sh" "$T/image.tar" berth-test:latest >/dev/null
C images import "$T/image.tar" >/dev/null
IMG=docker.io/library/berth-test:latest
declare -A RT=([berth]=io.containerd.berth.v2 [runc]=io.containerd.runc.v2)

shim_of() { # container id -> shim pid
  local p
  for p in $(pgrep -f 'containerd-shim-(berth|runc)-v2 ' || true); do
    if tr '\0' ' ' <"/proc/$p/cmdline" | grep -qF -- "-address $T/containerd.sock " &&
       tr '\0' ' ' <"/proc/$p/cmdline" | grep -qF -- "-id $1 "; then echo "$p"; fi
  done
}
kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/smaps_rollup"; }

declare -A RSS1 PSS1 RSSN PSSN WALL
for r in berth runc; do
  C run -d --runtime "${RT[$r]}" --fifo-dir "$T/fifo" "$IMG" "$r-0" sleep 3600 >/dev/null
done
sleep 2
for r in berth runc; do
  p=$(shim_of "$r-0")
  RSS1[$r]=$(kb "$p" Rss); PSS1[$r]=$(kb "$p" Pss)
done
for r in berth runc; do
  for i in $(seq 1 $((N - 1))); do
    C run -d --runtime "${RT[$r]}" --fifo-dir "$T/fifo" "$IMG" "$r-$i" sleep 3600 >/dev/null
  done
done
sleep 2
for r in berth runc; do
  rs=0 ps=0
  for i in $(seq 0 $((N - 1))); do
    p=$(shim_of "$r-$i")
    rs=$((rs + $(kb "$p" Rss))); ps=$((ps + $(kb "$p" Pss)))
  done
  RSSN[$r]=$rs; PSSN[$r]=$ps
done
for r in berth runc; do for i in $(seq 0 $((N - 1))); do C task kill -s KILL "$r-$i"; done; done >/dev/null 2>&1
sleep 1
for r in berth runc; do for i in $(seq 0 $((N - 1))); do C task delete "$r-$i" >/dev/null 2>&1; C container rm "$r-$i"; done; done

declare -A TIMES
for k in $(seq 1 7); do
  for r in berth runc; do
    s=$(date +%s%N)
    C run --rm --runtime "${RT[$r]}" --fifo-dir "$T/fifo" "$IMG" "$r-t$k" true >/dev/null
    e=$(date +%s%N)
    TIMES[$r]+="$(((e - s) / 1000000)) "
  done
done
declare -A ETIMES
for r in berth runc; do C run -d --runtime "${RT[$r]}" --fifo-dir "$T/fifo" "$IMG" "$r-x" sleep 3600 >/dev/null; done
for k in $(seq 1 7); do
  for r in berth runc; do
    s=$(date +%s%N)
    C task exec --fifo-dir "$T/fifo" --exec-id "e$k" "$r-x" true >/dev/null
    e=$(date +%s%N)
    ETIMES[$r]+="$(((e - s) / 1000000)) "
  done
done
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR + 1) / 2)]}'; }
mb() { awk -v k="$1" 'BEGIN { printf "%.2f", k / 1024 }'; }

echo "| | containerd-shim-berth-v2 | containerd-shim-runc-v2 (runc) |"
echo "|---|---|---|"
echo "| one idle container: shim RSS | $(mb "${RSS1[berth]}") MiB | $(mb "${RSS1[runc]}") MiB |"
echo "| one idle container: shim Pss | $(mb "${PSS1[berth]}") MiB | $(mb "${PSS1[runc]}") MiB |"
echo "| $N idle containers: sum of shim RSS | $(mb "${RSSN[berth]}") MiB | $(mb "${RSSN[runc]}") MiB |"
echo "| $N idle containers: sum of shim Pss | $(mb "${PSSN[berth]}") MiB | $(mb "${PSSN[runc]}") MiB |"
echo "| \`ctr run --rm\` of \`true\`, median of 7 | $(echo "${TIMES[berth]}" | median) ms | $(echo "${TIMES[runc]}" | median) ms |"
echo "| \`ctr task exec\` of \`true\`, median of 7 | $(echo "${ETIMES[berth]}" | median) ms | $(echo "${ETIMES[runc]}" | median) ms |"
