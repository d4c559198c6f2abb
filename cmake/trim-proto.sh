#!/bin/sh
# Writes a copy of a .proto that protoc 3.21 compiles for the lite runtime: the gogo and
# containerd fieldpath options (Go code generation only; `import weak` aborts protoc) are
# removed, and optimize_for = LITE_RUNTIME is added. Runs at build time into the build
# tree; the copies are never committed.   usage: trim-proto.sh IN OUT
set -eu
in=$1 out=$2
mkdir -p "$(dirname "$out")"
sed -E \
  -e '/^[[:space:]]*import (weak )?"(gogoproto\/gogo|github\.com\/containerd\/containerd\/protobuf\/plugin\/fieldpath)\.proto";/d' \
  -e '/^[[:space:]]*option \((gogoproto|containerd\.plugin)\.[a-z_]+\)/d' \
  -e 's/[[:space:]]*\[\(gogoproto\.[^]]*\]//' \
  -e '/^[[:space:]]*option optimize_for/d' \
  -e '/^package /a option optimize_for = LITE_RUNTIME;' \
  "$in" > "$out.tmp"
grep -q 'optimize_for = LITE_RUNTIME' "$out.tmp" || { echo "trim-proto: no package line in $in" >&2; exit 1; }
mv "$out.tmp" "$out"
