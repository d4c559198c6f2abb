#!/usr/bin/env bash
# runtime_tools.sh BIN_DIR RUNTIME_BINARY OUT_DIR
#
# The OCI runtime-tools validation suite (opencontainers/runtime-tools: validation/*, with
# cmd/runtimetest) against one runtime. BIN_DIR holds what a build of that suite makes:
# validation/<name>.t programs, a static `runtimetest` and rootfs-<GOARCH>.tar.gz (the suite
# unpacks it into every bundle). Debian 12 packages only the suite's library, not validation/
# (see docs/peer-suites.md for how it was built here); nothing of it is kept in this repository.
#
# Each program runs with RUNTIME=RUNTIME_BINARY and a private TMPDIR (its bundles); its TAP goes
# to OUT_DIR/<name>.tap, stderr to <name>.err, exit codes to OUT_DIR/rc.txt, and the ok / not ok
# counts per program to OUT_DIR/summary.tsv. Afterwards everything a run may leave is removed:
# mounts under the private TMPDIR (a runtime that mounts in the host's mount namespace, as runc
# does for a config without one, leaves /proc, /dev, /sys mounts on the host) and cgroup
# directories below a controller's root that were not there before (the tests' "testdir").
set -uo pipefail
[ $# -eq 3 ] || { echo "usage: $0 BIN_DIR RUNTIME_BINARY OUT_DIR" >&2; exit 2; }
bin=$(cd "$1" && pwd) || exit 2
runtime=$2
out=$3
[ "$(id -u)" = 0 ] || { echo "runtime_tools.sh: needs root (it runs containers)" >&2; exit 2; }
[ -x "$bin/runtimetest" ] && ls "$bin"/validation/*.t >/dev/null 2>&1 \
  || { echo "runtime_tools.sh: $bin has no runtimetest and validation/*.t" >&2; exit 2; }
mkdir -p "$out" && out=$(cd "$out" && pwd)
rm -f "$out"/*.tap "$out"/*.err "$out/rc.txt" "$out/summary.tsv"
tmp=$(mktemp -d /tmp/berth-rtval.XXXXXX)

cgroup_dirs() { find /sys/fs/cgroup/*/ -mindepth 1 -maxdepth 1 -type d 2>/dev/null | sort; }
cgroup_dirs >"$tmp/cgroups.before"

cleanup() {
  local m
  for m in $(awk -v t="$tmp/" 'index($5, t) == 1 { print $5 }' /proc/self/mountinfo | sort -r); do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null
  done
  cgroup_dirs | comm -13 "$tmp/cgroups.before" - | while read -r d; do
    find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null \
      || echo "runtime_tools.sh: could not remove cgroup $d" >&2
  done
  rm -rf "$tmp"
}
trap cleanup EXIT

cd "$bin" || exit 2
for t in validation/*.t; do
  name=$(basename "$t" .t)
  mkdir -p "$tmp/$name"
  TMPDIR=$tmp/$name RUNTIME=$runtime timeout -k 5 120 "./$t" >"$out/$name.tap" 2>"$out/$name.err" </dev/null
  echo "$name $?" >>"$out/rc.txt"
  printf '%s\t%s\t%s\n' "$name" "$(grep -c '^ok' "$out/$name.tap")" "$(grep -c '^not ok' "$out/$name.tap")" >>"$out/summary.tsv"
done
awk -F'\t' '{ ok += $2; nok += $3 } END { printf "runtime-tools validation: %d ok, %d not ok (%d programs)\n", ok, nok, NR }' \
  "$out/summary.tsv"
