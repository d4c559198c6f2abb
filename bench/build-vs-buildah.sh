#!/usr/bin/env bash
# build-vs-buildah.sh [RUNS]: berth-build against Debian's buildah (vfs and overlay storage),
# side by side in one run, on bench/build/Dockerfile (10 steps: COPY of 1,000 small files,
# five RUNs, ENV/WORKDIR/CMD). Per tool: cold builds (empty store every time) and warm ones
# (the same build again on the store the cold build left, --layers for buildah). Runs are
# interleaved tool by tool; medians and the ratios berth-build / buildah are printed as a
# markdown table (docs/build.md quotes it). Root; installs buildah if missing.
# buildah's RUN uses runc (Debian's crun refuses this host's hybrid cgroups); berth-build's RUN
# uses libberth in-process (its default), and a second berth-build row runs RUN through the
# berth binary (--runtime build/berth: the path before RUN went in-process).
set -euo pipefail
RUNS=${1:-5}
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
BB=${BERTH_BUILD:-$REPO/build/berth-build}
[ "$(id -u)" = 0 ] || { echo "needs root" >&2; exit 2; }
[ -x "$BB" ] || { echo "no $BB: make build first" >&2; exit 2; }
command -v buildah >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends buildah; }
BUSYBOX=$(command -v busybox)

DIR=$(mktemp -d /tmp/berth-build-bench.XXXXXX)
cleanup() {
  awk -v p="$DIR/" 'index($5, p) == 1 {print $5}' /proc/self/mountinfo | tac | while read -r m; do umount -l "$m" 2>/dev/null || true; done
  rm -rf --one-file-system "$DIR"
}
trap cleanup EXIT
CTX=$DIR/ctx
mkdir -p "$CTX/files"
cp "$HERE/build/Dockerfile" "$CTX/Dockerfile"
cp "$BUSYBOX" "$CTX/busybox"
for i in $(seq 1 1000); do echo "file $i" >"$CTX/files/f$i.txt"; done

now() { date +%s%N; }
ms_since() { echo $(( ($(now) - $1) / 1000000 )); }

BERTH=${BERTH:-$REPO/build/berth}
bb_build() { "$BB" --root "$1" build -q -t bench "$CTX" >/dev/null; }
bb_bin_build() { "$BB" --root "$1" --runtime "$BERTH" build -q -t bench "$CTX" >/dev/null; }
bah_build() { # DRIVER ROOT
  buildah --root "$2/root" --runroot "$2/run" --storage-driver "$1" bud --runtime /usr/bin/runc --layers \
    --network none -q -t bench -f "$CTX/Dockerfile" "$CTX" >/dev/null 2>"$2.err" || { cat "$2.err" >&2; return 1; }
}
bah_clean() { # DRIVER ROOT
  buildah --root "$2/root" --runroot "$2/run" --storage-driver "$1" rmi -a -f >/dev/null 2>&1 || true
  awk -v p="$2/" 'index($5, p) == 1 {print $5}' /proc/self/mountinfo | tac | while read -r m; do umount -l "$m" 2>/dev/null || true; done
  rm -rf --one-file-system "$2"
}

declare -A cold warm
tools=(berth-build berth-build-bin buildah-vfs buildah-overlay)
[ -x "$BERTH" ] || tools=(berth-build buildah-vfs buildah-overlay)
for r in $(seq 1 "$RUNS"); do
  order=("${tools[@]}")
  # the two berth-build rows swap places every other round: neither always follows buildah's
  # clean-up (unmounting and removing its trees)
  if [ $((r % 2)) = 0 ] && [ "${order[1]}" = berth-build-bin ]; then order[0]=berth-build-bin; order[1]=berth-build; fi
  for t in "${order[@]}"; do
    S=$DIR/store-$t-$r
    case $t in
      berth-build)
        s=$(now); bb_build "$S"; c=$(ms_since "$s")
        s=$(now); bb_build "$S"; w=$(ms_since "$s")
        rm -rf "$S" ;;
      berth-build-bin)
        s=$(now); bb_bin_build "$S"; c=$(ms_since "$s")
        s=$(now); bb_bin_build "$S"; w=$(ms_since "$s")
        rm -rf "$S" ;;
      buildah-*)
        drv=${t#buildah-}
        s=$(now); bah_build "$drv" "$S"; c=$(ms_since "$s")
        s=$(now); bah_build "$drv" "$S"; w=$(ms_since "$s")
        bah_clean "$drv" "$S" ;;
    esac
    cold[$t]+="$c "; warm[$t]+="$w "
    echo "run $r $t: cold ${c} ms, warm ${w} ms" >&2
  done
done
median() { tr ' ' '\n' <<<"$1" | grep . | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : int((a[NR/2] + a[NR/2+1]) / 2)}'; }
bc_=$(median "${cold[berth-build]}"); bw=$(median "${warm[berth-build]}")
echo "| tool | cold build (median of $RUNS) | warm rebuild | cold ratio berth-build/tool | warm ratio |"
echo "|---|---|---|---|---|"
echo "| berth-build (RUN: libberth in-process) | ${bc_} ms | ${bw} ms | | |"
if [ -n "${cold[berth-build-bin]:-}" ]; then
  c=$(median "${cold[berth-build-bin]}"); w=$(median "${warm[berth-build-bin]}")
  echo "| berth-build --runtime berth (RUN: the berth binary) | ${c} ms | ${w} ms | $(awk -v a="$bc_" -v b="$c" 'BEGIN {printf "%.3f", a/b}') | $(awk -v a="$bw" -v b="$w" 'BEGIN {printf "%.3f", a/b}') |"
fi
for t in buildah-vfs buildah-overlay; do
  c=$(median "${cold[$t]}"); w=$(median "${warm[$t]}")
  echo "| $t (RUN: runc) | ${c} ms | ${w} ms | $(awk -v a="$bc_" -v b="$c" 'BEGIN {printf "%.3f", a/b}') | $(awk -v a="$bw" -v b="$w" 'BEGIN {printf "%.3f", a/b}') |"
done
