#!/usr/bin/env bash
# demo.sh BERTH_BINARY: run one busybox container with hostname "berth-demo" and show what
# it sees (hostname, processes, mounts); then, when berth-build sits next to the runtime,
# build examples/hello/Dockerfile into a private image store and run the image with berth.
# Everything it creates lives in one temp dir and is removed on exit (trap), whatever
# happens. The first part works with any runc-compatible runtime.
set -euo pipefail

[ $# -eq 1 ] || { echo "usage: $0 BERTH_BINARY" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "demo.sh: needs root" >&2; exit 2; }
case "$1" in
  */*) RT=$(cd "$(dirname "$1")" && pwd)/$(basename "$1") ;;
  *) RT=$(command -v "$1") || { echo "demo.sh: $1 not found" >&2; exit 2; } ;;
esac
[ -x "$RT" ] || { echo "demo.sh: $RT is not executable" >&2; exit 2; }
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

DIR=$(mktemp -d /tmp/berth-demo.XXXXXX)
chmod 0755 "$DIR"
ROOT=$DIR/state
ID=demo-$$
cleanup() {
  local rc=$?
  "$RT" --root "$ROOT" delete --force "$ID" >/dev/null 2>&1 || true
  "$RT" --root "$ROOT" delete --force "$ID-hello" >/dev/null 2>&1 || true
  # unmount anything a failed run may have left under the temp dir, innermost first
  awk -v p="$DIR/" 'index($5, p) == 1 {print $5}' /proc/self/mountinfo | tac | while read -r m; do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
  done
  rm -rf --one-file-system "$DIR"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$HERE/mkbundle.sh" "$DIR/bundle" "$RT" >/dev/null
script='echo "== hostname"; hostname
echo; echo "== ps (own pid namespace: the init is pid 1, the other line is ps itself)"; ps -o pid,user,comm
echo; echo "== /proc/mounts"; cat /proc/mounts'
tmp=$DIR/config.tmp
jq --arg s "$script" '.hostname = "berth-demo" | .process.args = ["sh", "-c", $s]' \
  "$DIR/bundle/config.json" > "$tmp" && mv "$tmp" "$DIR/bundle/config.json"

mkdir -m 0700 "$ROOT"
start=$(date +%s%N)
rc=0
"$RT" --root "$ROOT" run --bundle "$DIR/bundle" "$ID" </dev/null || rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo
if [ "$rc" = 0 ]; then
  echo "demo: container $ID ran with $(basename "$RT") in ${ms}ms, exit 0"
else
  echo "demo: container $ID FAILED with exit $rc after ${ms}ms ($(basename "$RT")); cleaned up $DIR"
  exit "$rc"
fi

# Part two: an image from a Dockerfile (examples/hello), built and run.
BB=$(dirname "$RT")/berth-build
if [ ! -x "$BB" ]; then
  echo "demo: no berth-build next to $RT: image part skipped; cleaned up $DIR"
  exit 0
fi
BUSYBOX=$(command -v busybox) || { echo "demo: busybox-static is needed for the image part" >&2; exit 1; }
cp -r "$HERE/../examples/hello" "$DIR/ctx"
cp "$BUSYBOX" "$DIR/ctx/busybox"
echo
echo "== berth-build build -t hello examples/hello (context: the example + busybox-static)"
start=$(date +%s%N)
"$BB" --root "$DIR/images" --runtime "$RT" build -t hello "$DIR/ctx" </dev/null || rc=$?
cold=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$rc" = 0 ] || { echo "demo: berth-build FAILED with exit $rc; cleaned up $DIR"; exit "$rc"; }
start=$(date +%s%N)
"$BB" --root "$DIR/images" --runtime "$RT" build -q -t hello "$DIR/ctx" </dev/null >/dev/null || rc=$?
warm=$(( ($(date +%s%N) - start) / 1000000 ))
echo
echo "== berth-build images"
"$BB" --root "$DIR/images" images
echo
echo "== berth-build unpack hello BUNDLE && berth run"
"$BB" --root "$DIR/images" unpack hello "$DIR/hello-bundle" || rc=$?
[ "$rc" = 0 ] && { "$RT" --root "$ROOT" run --bundle "$DIR/hello-bundle" "$ID-hello" </dev/null || rc=$?; }
echo
if [ "$rc" = 0 ]; then
  echo "demo: image built in ${cold}ms (rebuilt from the cache in ${warm}ms) and run with $(basename "$RT"), exit 0; cleaned up $DIR"
else
  echo "demo: the image part FAILED with exit $rc; cleaned up $DIR"
fi
exit "$rc"
