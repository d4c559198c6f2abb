#!/usr/bin/env bash
# build-image.sh [--force] [--print-dir]
#
# Builds (once, then cached) a throw-away test VM for berth: Debian's own kernel
# (linux-image-amd64, unpacked with `apt-get download` + `dpkg -x`, never installed on the
# host), a tiny initramfs (busybox + virtio/ext4 modules) and a Debian bookworm guest root
# (mmdebstrap, minbase + systemd) as a raw ext4 image. The guest boots with cgroup v2 only
# and systemd as PID 1; tests/vm/run.sh boots it.
#
# Cache: $BERTH_VM_CACHE (default /var/tmp/berth-vm)/<key>/, where <key> is a hash of this
# script, of guest/ (the runner service put into the image),
# the guest package list and the kernel package version, so a change of any of them
# builds a new image. Files there: vmlinuz, vmlinux (uncompressed, for qboot/PVH),
# initrd.cpio, root.img, info.txt. Older keys are removed after a successful build.
#
# Needs root (mmdebstrap in root mode, chroot). Installs the host packages it needs with
# apt-get if missing: qemu-system-x86 (+ qemu-system-data with qboot.rom), mmdebstrap,
# e2fsprogs, cpio, xz-utils.
#
# --force       rebuild even if the cached image exists
# --print-dir   only print the cache directory of the current key (build nothing)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${BERTH_VM_CACHE:-/var/tmp/berth-vm}
SUITE=${BERTH_VM_SUITE:-bookworm}
IMG_SIZE=${BERTH_VM_IMG_SIZE:-}   # e.g. 2G; default: used size + 30 % + 1 GiB (sparse)

# What berth needs at run time, what the tests use, a booting systemd, and runc + crun as
# reference runtimes (tests/integration/run.sh runc ... proves a test itself in the VM).
GUEST_PACKAGES=(
  systemd systemd-sysv udev dbus kmod
  libseccomp2 libcap2 busybox-static jq procps util-linux iproute2 coreutils
  findutils grep sed gawk file bash
  runc crun criu iptables
)
HOST_PACKAGES=(qemu-system-x86 qemu-system-data mmdebstrap e2fsprogs cpio xz-utils)

force=0 print_dir=0
for a in "$@"; do
  case "$a" in
    --force) force=1 ;;
    --print-dir) print_dir=1 ;;
    -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "build-image.sh: unknown argument $a" >&2; exit 2 ;;
  esac
done

log() { printf '[build-image %s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "error: $*"; exit 1; }
[ "$(id -u)" = 0 ] || die "must run as root (mmdebstrap root mode, chroot)"

apt_updated=0
apt_update_once() { [ $apt_updated = 1 ] || { apt-get update -qq; apt_updated=1; }; }

ensure_host_packages() {
  local missing=() p
  for p in "${HOST_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} = 0 ] && return 0
  log "installing host packages: ${missing[*]}"
  apt_update_once
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# The kernel package that linux-image-amd64 points at now, e.g. linux-image-6.1.0-56-amd64.
kernel_package() {
  local pkg
  pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
  if [ -z "$pkg" ]; then
    apt_update_once
    pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
  fi
  [ -n "$pkg" ] || die "cannot resolve linux-image-amd64 (apt-get update?)"
  echo "$pkg"
}

# The host's enabled apt sources (mmdebstrap pastes a given file into the guest's sources).
write_sources() { # DIR -> prints mirror arguments, one per line
  local dir=$1 f
  : > "$dir/host.list"; : > "$dir/host.sources"
  if [ -n "${BERTH_VM_MIRROR:-}" ]; then echo "$BERTH_VM_MIRROR"; return; fi
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] && grep -E '^[[:space:]]*deb[[:space:]]' "$f" >> "$dir/host.list" || true
  done
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    { cat "$f"; echo; } >> "$dir/host.sources"
  done
  [ -s "$dir/host.list" ] && echo "$dir/host.list"
  [ -s "$dir/host.sources" ] && echo "$dir/host.sources"
  return 0
}

# Uncompressed vmlinux out of a bzImage, as the kernel's scripts/extract-vmlinux does (xz
# only: that is what Debian's amd64 kernels use; gzip/zstd tried too for other kernels).
extract_vmlinux() { # BZIMAGE OUT
  local img=$1 out=$2 pos magic cmd spec
  for spec in '\xfd7zXZ\x00|xz -dc' '\x1f\x8b\x08\x00|gzip -dc' '\x28\xb5\x2f\xfd|zstd -dc'; do
    magic=${spec%%|*}; cmd=${spec#*|}
    command -v "${cmd%% *}" >/dev/null || continue
    for pos in $(LC_ALL=C grep -obUaP "$magic" "$img" | cut -d: -f1); do
      tail -c +$((pos + 1)) "$img" | $cmd > "$out" 2>/dev/null || true
      if [ "$(head -c 4 "$out" | od -An -tx1 | tr -d ' \n')" = 7f454c46 ]; then return 0; fi
    done
  done
  rm -f "$out"
  return 1
}

ensure_host_packages
KPKG=$(kernel_package)
KPKG_VERSION=$(apt-cache policy "$KPKG" | awk '/Candidate:/ {print $2}')
KEY=$( { cat "$0" "$HERE"/guest/*; echo "${GUEST_PACKAGES[*]}"; echo "$SUITE $KPKG $KPKG_VERSION ${BERTH_VM_MIRROR:-}"; } \
       | sha256sum | cut -c1-16)
OUT=$CACHE/$KEY
if [ $print_dir = 1 ]; then echo "$OUT"; exit 0; fi

mkdir -p "$CACHE"
exec 9>"$CACHE/.lock"
flock 9   # one build at a time; a second caller waits and then finds the image ready

if [ $force = 0 ] && [ -f "$OUT/done" ]; then
  log "cached: $OUT"
  echo "$OUT"
  exit 0
fi

t0=$(date +%s)
WORK=$CACHE/.work-$KEY
rm -rf "$WORK" "$OUT"
mkdir -p "$WORK/dl" "$WORK/kernel"
cleanup() {
  local rc=$?
  if [ -d "$WORK/root/proc" ]; then umount -R "$WORK/root/proc" 2>/dev/null || true; fi
  rm -rf "$WORK"
  [ $rc = 0 ] || log "failed (exit $rc)"
}
trap cleanup EXIT

# 1. the kernel: downloaded and unpacked, not installed
log "kernel: $KPKG $KPKG_VERSION"
(cd "$WORK/dl" && apt-get download -q -o APT::Sandbox::User=root "$KPKG=$KPKG_VERSION" >/dev/null)
dpkg-deb -x "$WORK"/dl/"$KPKG"_*.deb "$WORK/kernel"
KVER=${KPKG#linux-image-}
[ -f "$WORK/kernel/boot/vmlinuz-$KVER" ] || die "no /boot/vmlinuz-$KVER in $KPKG"

# 2. the guest root
ROOT=$WORK/root
mapfile -t mirrors < <(write_sources "$WORK")
inc=$(IFS=,; echo "${GUEST_PACKAGES[*]}")
log "mmdebstrap $SUITE (minbase + $inc)"
mmdebstrap --quiet --mode=root --variant=minbase --include="$inc" \
  --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
  --dpkgopt='path-include=/usr/share/doc/*/copyright' --dpkgopt='path-exclude=/usr/share/locale/*' \
  --dpkgopt='path-exclude=/usr/share/info/*' \
  "$SUITE" "$ROOT" "${mirrors[@]}"

# 3. kernel modules in the guest: everything that a container runtime's tests may load
#    (fs, net, crypto, lib, virtio, block, char, virtual net devices), with dependencies;
#    no hardware drivers, sound, wireless.
log "kernel modules"
MODSRC=$WORK/kernel/lib/modules/$KVER
[ -d "$MODSRC" ] || MODSRC=$WORK/kernel/usr/lib/modules/$KVER
MODDST=$ROOT/usr/lib/modules/$KVER
mkdir -p "$MODDST"
cp -a "$MODSRC/." "$MODDST/"
chroot "$ROOT" depmod -a "$KVER"
(
  cd "$MODDST"
  find kernel -name '*.ko*' | grep -E '^kernel/(arch|crypto|lib|mm|block|virt|fs|net)/|^kernel/drivers/(virtio|block|char|md)/|^kernel/drivers/net/[^/]+\.ko|^kernel/drivers/net/(ipvlan|vxlan|netdevsim)/' \
    | grep -vE '^kernel/net/(wireless|mac80211|bluetooth|nfc|ieee802154|mac802154|6lowpan|rfkill|can|atm|appletalk|x25|lapb|phonet|caif|rxrpc|9p/9pnet_(rdma|xen)|ceph|sunrpc|wimax)/' \
    | grep -vE '^kernel/fs/(nfs|nfsd|ceph|cifs|smb|ocfs2|gfs2|orangefs|afs|coda|lockd|nfs_common|dlm)/' \
    > "$WORK/want"
  # dependencies of what is wanted (modules.dep lists them transitively)
  awk -F': *' 'NR == FNR { want[$1] = 1; next }
               ($1 in want) { print $1; n = split($2, d, " "); for (i = 1; i <= n; i++) print d[i] }' \
    "$WORK/want" modules.dep | sort -u > "$WORK/keep"
  find kernel -name '*.ko*' | sort > "$WORK/all"
  comm -23 "$WORK/all" "$WORK/keep" | xargs -r rm -f
  find kernel -type d -empty -delete
)
chroot "$ROOT" depmod -a "$KVER"

# 4. the initramfs: busybox, the modules needed to reach the root disk, an /init that
#    mounts /dev/vda and switches to the guest's systemd. Uncompressed (TCG is slow).
log "initramfs"
IRD=$WORK/initrd
mkdir -p "$IRD"/{bin,dev,proc,sys,newroot,lib/modules}
cp "$ROOT/bin/busybox" "$IRD/bin/busybox"
for a in sh mount umount insmod switch_root sleep mkdir cat echo ls; do ln -s busybox "$IRD/bin/$a"; done
(
  cd "$MODDST"
  for m in virtio_pci virtio_blk crc32c_generic ext4; do
    line=$(grep -E "/$m\.ko(\.[a-z]+)?:" modules.dep) || { echo "module $m not found" >&2; exit 1; }
    self=${line%%:*}
    read -r -a deps <<<"${line#*:}"
    for ((i = ${#deps[@]} - 1; i >= 0; i--)); do echo "${deps[i]}"; done
    echo "$self"
  done | awk '!seen[$0]++' > "$IRD/modules.order"
  while read -r m; do cp "$m" "$IRD/lib/modules/"; done < "$IRD/modules.order"
)
sed -i 's|.*/||' "$IRD/modules.order"
cat > "$IRD/init" <<'EOF'
#!/bin/sh
# berth test VM initramfs: load virtio + ext4, mount /dev/vda, hand over to systemd.
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
for m in $(cat /modules.order); do insmod /lib/modules/$m 2>/dev/null; done
i=0
while [ ! -b /dev/vda ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
if ! mount -t ext4 -o rw /dev/vda /newroot; then
  echo "initramfs: cannot mount /dev/vda"; ls /dev; sleep 2; echo o > /proc/sysrq-trigger
fi
umount /sys /proc
mount --move /dev /newroot/dev
exec switch_root /newroot /sbin/init
EOF
chmod 0755 "$IRD/init"

# 5. guest configuration
log "guest configuration"
echo berth-vm > "$ROOT/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 berth-vm\n' > "$ROOT/etc/hosts"
: > "$ROOT/etc/machine-id"
: > "$ROOT/etc/fstab"
chroot "$ROOT" passwd -d root >/dev/null
mkdir -p "$ROOT/mnt/repo" "$ROOT/mnt/results" "$ROOT/root/berth"
install -m 0755 "$HERE/guest/berth-vm-runner" "$ROOT/usr/local/sbin/berth-vm-runner"
install -m 0644 "$HERE/guest/berth-vm-runner.service" "$ROOT/etc/systemd/system/berth-vm-runner.service"
mkdir -p "$ROOT/etc/systemd/system/serial-getty@ttyS0.service.d"
cat > "$ROOT/etc/systemd/system/serial-getty@ttyS0.service.d/autologin.conf" <<'EOF'
[Service]
ExecStart=
ExecStart=-/sbin/agetty --autologin root --keep-baud 115200,57600,38400,9600 - $TERM
EOF
mkdir -p "$ROOT/etc/systemd/journald.conf.d"
printf '[Journal]\nStorage=volatile\nForwardToConsole=no\n' > "$ROOT/etc/systemd/journald.conf.d/vm.conf"
chroot "$ROOT" systemctl enable berth-vm-runner.service >/dev/null 2>&1
chroot "$ROOT" systemctl set-default multi-user.target >/dev/null 2>&1
# nothing periodic or slow in a throw-away VM
for u in apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer e2scrub_all.timer \
         e2scrub_reap.service fstrim.timer systemd-timesyncd.service \
         systemd-networkd-wait-online.service getty@tty1.service; do
  ln -sf /dev/null "$ROOT/etc/systemd/system/$u"
done
rm -rf "$ROOT"/var/cache/apt/archives/*.deb "$ROOT"/var/lib/apt/lists/* "$ROOT"/var/log/*.log

# 6. the image: ext4 from the directory, no loop mount needed
log "root.img"
used_kb=$(du -sk "$ROOT" | cut -f1)
size=${IMG_SIZE:-$(( (used_kb * 13 / 10) / 1024 + 1024 ))M}
mkdir -p "$WORK/out"
mke2fs -q -t ext4 -L berth-vm -d "$ROOT" -E root_owner=0:0 "$WORK/out/root.img" "$size" >/dev/null
cp "$WORK/kernel/boot/vmlinuz-$KVER" "$WORK/out/vmlinuz"
extract_vmlinux "$WORK/out/vmlinuz" "$WORK/out/vmlinux" || log "warning: no vmlinux extracted (boots the bzImage)"
(cd "$IRD" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) > "$WORK/out/initrd.cpio"
{
  echo "key: $KEY"
  echo "built: $(date -u +%FT%TZ) in $(( $(date +%s) - t0 )) s"
  echo "suite: $SUITE"
  echo "kernel: $KPKG $KPKG_VERSION ($KVER)"
  echo "packages: ${GUEST_PACKAGES[*]}"
  echo "root.img: $size (sparse: $(du -k "$WORK/out/root.img" | cut -f1 | awk '{print int($1/1024)}') MiB on disk), $(( used_kb / 1024 )) MiB of files"
  echo "modules: $(find "$MODDST" -name '*.ko*' | wc -l)"
  echo "systemd: $(chroot "$ROOT" dpkg-query -W -f='${Version}' systemd)"
} > "$WORK/out/info.txt"
echo "$KVER" > "$WORK/out/kver"
touch "$WORK/out/done"
mv "$WORK/out" "$OUT"

# older images
for d in "$CACHE"/*/; do
  d=${d%/}
  [ "$d" = "$OUT" ] || { log "removing old image $d"; rm -rf "$d"; }
done
log "done in $(( $(date +%s) - t0 )) s: $OUT"
sed 's/^/    /' "$OUT/info.txt" >&2
echo "$OUT"
