#!/usr/bin/env bash
# bench/shim_inprocess.sh [BUILD_DIR] [N]: builds and runs bench/shim_inprocess.cpp (the
# in-process libberth prototype against the berth binary; docs/architecture.md quotes it).
set -euo pipefail
BUILD=$(cd "${1:-build}" && pwd)
N=${2:-15}
HERE=$(cd "$(dirname "$0")/.." && pwd)
[ "$(id -u)" = 0 ] || { echo "needs root" >&2; exit 2; }
cmake --build "$BUILD" --target shim_inprocess >/dev/null
T=$(mktemp -d /tmp/berth-shim-inproc.XXXXXX)
trap 'for d in "$T"/state/*/; do [ -d "$d" ] && "$BUILD/berth" --root "$T/state" delete --force "$(basename "$d")"; done 2>/dev/null; rm -rf --one-file-system "$T"' EXIT
"$HERE/tests/mkbundle.sh" "$T/bundle" "$BUILD/berth" >/dev/null
jq '.process.args = ["/bin/true"] | .process.terminal = false' "$T/bundle/config.json" >"$T/c.json"
mv "$T/c.json" "$T/bundle/config.json"
mkdir -p "$T/state"
"$BUILD/shim_inprocess" "$BUILD/berth" "$T/bundle" "$N"
echo "shim binary: $(size -A "$BUILD/containerd-shim-berth-v2" | awk '$1 == ".text" {printf "%.0f KiB", $2/1024}') of text; the prototype (libberth's container/ linked in): $(size -A "$BUILD/shim_inprocess" | awk '$1 == ".text" {printf "%.0f KiB", $2/1024}')"
