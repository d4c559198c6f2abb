#!/usr/bin/env bash
# mkimage.sh OUT.tar [NAME:TAG]
#
# Writes a one-layer busybox image as a tar that is both a docker-archive (manifest.json +
# repositories, for `docker load` / `podman load`) and an OCI image layout (oci-layout +
# index.json + blobs/sha256, for `ctr images import`). No registry, no network: the layer is
# /usr/bin/busybox (Debian's busybox-static, statically linked) plus one symlink per applet.
set -euo pipefail
out=${1:?usage: mkimage.sh OUT.tar [NAME:TAG]}
ref=${2:-berth-test:latest}
BUSYBOX=${BUSYBOX:-$(command -v busybox)}
file -L "$BUSYBOX" 2>/dev/null | grep -q 'statically linked' || {
  echo "mkimage.sh: $BUSYBOX is not statically linked (install busybox-static)" >&2; exit 1; }

w=$(mktemp -d "${TMPDIR:-/tmp}/berth-mkimage.XXXXXX")
trap 'rm -rf "$w"' EXIT
r=$w/rootfs
mkdir -p "$r"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,root,home/user,var/tmp,run,mnt,data}
chmod 1777 "$r/tmp" "$r/var/tmp"
install -m 0755 "$BUSYBOX" "$r/bin/busybox"
for a in $("$BUSYBOX" --list); do
  [ "$a" = busybox ] || ln -s busybox "$r/bin/$a"
done
cat >"$r/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
user:x:1000:1000:user:/home/user:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
cat >"$r/etc/group" <<'EOF'
root:x:0:
user:x:1000:
nogroup:x:65534:
EOF
chown 1000:1000 "$r/home/user"
echo berth-test >"$r/etc/hostname"
: >"$r/etc/hosts"
: >"$r/etc/resolv.conf"

b=$w/img
mkdir -p "$b/blobs/sha256"
# files keep their real owners (root, home/user 1000:1000): we run as root
tar --sort=name --numeric-owner --mtime=@0 --format=gnu -C "$r" -cf "$w/layer.tar" .
layer_sha=$(sha256sum "$w/layer.tar" | cut -d' ' -f1)
layer_size=$(stat -c %s "$w/layer.tar")
mv "$w/layer.tar" "$b/blobs/sha256/$layer_sha"

jq -cn --arg diff "sha256:$layer_sha" '{
  architecture: "amd64", os: "linux", created: "1970-01-01T00:00:00Z",
  config: { Env: ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"], Cmd: ["sh"], WorkingDir: "/" },
  rootfs: { type: "layers", diff_ids: [$diff] },
  history: [ { created: "1970-01-01T00:00:00Z", created_by: "tests/integration/engines/mkimage.sh" } ]
}' | tr -d '\n' >"$w/config.json"
config_sha=$(sha256sum "$w/config.json" | cut -d' ' -f1)
config_size=$(stat -c %s "$w/config.json")
mv "$w/config.json" "$b/blobs/sha256/$config_sha"

jq -cn --arg c "sha256:$config_sha" --argjson cs "$config_size" \
       --arg l "sha256:$layer_sha" --argjson ls "$layer_size" '{
  schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json",
  config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: $c, size: $cs },
  layers: [ { mediaType: "application/vnd.oci.image.layer.v1.tar", digest: $l, size: $ls } ]
}' | tr -d '\n' >"$w/manifest.json"
manifest_sha=$(sha256sum "$w/manifest.json" | cut -d' ' -f1)
manifest_size=$(stat -c %s "$w/manifest.json")
mv "$w/manifest.json" "$b/blobs/sha256/$manifest_sha"

name=${ref%:*} tag=${ref##*:}
# OCI layout
echo '{"imageLayoutVersion":"1.0.0"}' >"$b/oci-layout"
jq -cn --arg m "sha256:$manifest_sha" --argjson ms "$manifest_size" --arg ref "$ref" '{
  schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json",
  manifests: [ { mediaType: "application/vnd.oci.image.manifest.v1+json", digest: $m, size: $ms,
                 annotations: { "io.containerd.image.name": ("docker.io/library/" + $ref),
                                "org.opencontainers.image.ref.name": ($ref | split(":")[1]) },
                 platform: { architecture: "amd64", os: "linux" } } ]
}' >"$b/index.json"
# docker-archive (docker load / podman load read manifest.json; blobs are shared)
jq -cn --arg c "blobs/sha256/$config_sha" --arg l "blobs/sha256/$layer_sha" --arg ref "$ref" \
  '[ { Config: $c, RepoTags: [$ref], Layers: [$l] } ]' >"$b/manifest.json"
jq -cn --arg n "$name" --arg t "$tag" --arg id "$layer_sha" '{ ($n): { ($t): $id } }' >"$b/repositories"

tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$b" -cf "$out.tmp" .
mv "$out.tmp" "$out"
echo "image $ref: config sha256:$config_sha, layer sha256:$layer_sha ($layer_size bytes)"
