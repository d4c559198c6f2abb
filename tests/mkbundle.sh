#!/usr/bin/env bash
# mkbundle.sh DIR [RUNTIME]: make an OCI bundle at DIR with a busybox-static
# rootfs and a default config.json (from `RUNTIME spec`, default: runc's
# layout written by jq if no runtime given). The process is `sh`, terminal false.
set -euo pipefail
dir=$1
runtime=${2:-}
bb=/bin/busybox
[ -x "$bb" ] || { echo "mkbundle: $bb missing (apt-get install busybox-static)" >&2; exit 1; }
file "$bb" 2>/dev/null | grep -q dynamic && { echo "mkbundle: $bb is not static" >&2; exit 1; }
mkdir -p "$dir/rootfs"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,root,home}
cp "$bb" "$dir/rootfs/bin/busybox"
for applet in $("$bb" --list); do
  [ "$applet" = busybox ] && continue
  ln -sf busybox "$dir/rootfs/bin/$applet"
done
echo 'root:x:0:0:root:/root:/bin/sh' > "$dir/rootfs/etc/passwd"
echo 'nobody:x:65534:65534:nobody:/home:/bin/false' >> "$dir/rootfs/etc/passwd"
echo 'root:x:0:' > "$dir/rootfs/etc/group"
echo 'nogroup:x:65534:' >> "$dir/rootfs/etc/group"
chmod 1777 "$dir/rootfs/tmp"
if [ -n "$runtime" ]; then
  (cd "$dir" && rm -f config.json && "$runtime" spec)
  tmp=$(mktemp)
  jq '.process.terminal=false | .process.args=["sh"]' "$dir/config.json" > "$tmp" && mv "$tmp" "$dir/config.json"
fi
