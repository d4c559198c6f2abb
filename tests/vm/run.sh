#!/usr/bin/env bash
# run.sh [OPTIONS] [--] CMD [ARG...]
# run.sh --shell [OPTIONS]
#
# Boots the berth test VM (tests/vm/build-image.sh; built first if not cached) under QEMU
# (TCG, no KVM needed) with a directory (default: this repo) shared read-only over 9p, and
# runs CMD inside as root once systemd has booted: the guest copies build/berth and tests/
# (see --copy) to /root/berth on its own disk and runs CMD there (so a relative CMD such as
# tests/vm/guest-smoke.sh means the copy). CMD's output is streamed here; the VM powers
# itself off afterwards, and run.sh exits with CMD's exit status.
#
# Exit status: CMD's; 124 on timeout; 125 if the VM ended without a result (boot failure:
# the end of the serial console log is printed); 2 on usage errors.
#
# Options:
#   --dir DIR        directory to share as the repo (default: the repo holding this script)
#   --copy "P..."    paths (relative to DIR) to copy into /root/berth (default "build/berth tests")
#   --env NAME=VAL   environment variable for CMD (repeatable)
#   --timeout SEC    hard limit for the whole VM run, boot included (default 900)
#   --mem MB         guest memory (default 2048)
#   --cpus N         guest CPUs (default: 2, or 1 on a 1-core host)
#   --console        stream the whole serial console (kernel, systemd) instead of CMD's output
#   --keep           keep the run directory (console.log, output.log, exit-code)
#   --shell          interactive: root shell on the serial console (Ctrl-A X quits qemu)
# Environment: BERTH_VM_CACHE (image cache, see build-image.sh), BERTH_VM_BOOT=bzimage to
#   boot the compressed kernel with SeaBIOS instead of the vmlinux with qboot,
#   BERTH_VM_APPEND extra kernel arguments.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
DIR=$(cd "$HERE/../.." && pwd)
COPY="build/berth tests"
ENVS=()
TIMEOUT=900
MEM=2048
CPUS=$(( $(nproc) > 1 ? 2 : 1 ))
CONSOLE=0 KEEP=0 SHELL_MODE=0

usage() { sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) DIR=$(cd "$2" && pwd) || exit 2; shift 2 ;;
    --copy) COPY=$2; shift 2 ;;
    --env) [[ $2 == [A-Za-z_]*=* ]] || usage; ENVS+=("$2"); shift 2 ;;
    --timeout) TIMEOUT=$2; shift 2 ;;
    --mem) MEM=$2; shift 2 ;;
    --cpus) CPUS=$2; shift 2 ;;
    --console) CONSOLE=1; shift ;;
    --keep) KEEP=1; shift ;;
    --shell) SHELL_MODE=1; shift ;;
    -h|--help) usage ;;
    --) shift; break ;;
    -*) echo "run.sh: unknown option $1" >&2; usage ;;
    *) break ;;
  esac
done
[ $# -gt 0 ] || [ $SHELL_MODE = 1 ] || usage
[[ $TIMEOUT =~ ^[0-9]+$ ]] || usage

say() { printf '[vm %s] %s\n' "$(date +%T)" "$*" >&2; }
t0=$(date +%s)

IMG=$("$HERE/build-image.sh" --print-dir) || exit 2
if [ ! -f "$IMG/done" ]; then
  say "building the VM image (first time: several minutes)"
  IMG=$("$HERE/build-image.sh" | tail -n 1) || { say "image build failed"; exit 2; }
fi
QEMU=$(command -v qemu-system-x86_64) || { say "qemu-system-x86_64 missing (run build-image.sh)"; exit 2; }

RUN=$(mktemp -d /tmp/berth-vm-run.XXXXXX)
chmod 0755 "$RUN"
qpid="" tpid=""
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ -n "$qpid" ] && kill -0 "$qpid" 2>/dev/null; then
    kill -TERM "$qpid" 2>/dev/null
    for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$qpid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$qpid" 2>/dev/null
    wait "$qpid" 2>/dev/null
  fi
  if [ -n "$tpid" ]; then kill "$tpid" 2>/dev/null; wait "$tpid" 2>/dev/null; fi
  if [ $KEEP = 1 ]; then say "run directory kept: $RUN"; else rm -rf "$RUN"; fi
  exit $rc
}
trap cleanup EXIT
trap 'say "interrupted"; exit 130' INT TERM

# The command, quoted for bash, run in /root/berth of the guest.
{
  echo '#!/bin/bash'
  echo 'cd /root/berth || exit 125'
  printf '%q ' "$@"; echo
} > "$RUN/cmd.sh"
echo "$COPY" > "$RUN/copy"
: > "$RUN/env"
for e in "${ENVS[@]}"; do printf '%s=%q\n' "${e%%=*}" "${e#*=}" >> "$RUN/env"; done

KVER=$(cat "$IMG/kver")
APPEND="console=ttyS0 cgroup_no_v1=all systemd.unified_cgroup_hierarchy=1 panic=-1 mitigations=off"
APPEND+=" tsc=reliable no_timer_check 8250.nr_uarts=1 random.trust_cpu=on"
boot=()
if [ "${BERTH_VM_BOOT:-}" != bzimage ] && [ -f "$IMG/vmlinux" ] && [ -f /usr/share/qemu/qboot.rom ]; then
  boot=(-bios /usr/share/qemu/qboot.rom -kernel "$IMG/vmlinux")
else
  boot=(-kernel "$IMG/vmlinuz")
fi
# shellcheck disable=SC2054  # qemu options are comma-separated
args=(
  -name berth-vm -nodefaults -no-user-config -display none -vga none -nic none
  -accel tcg,thread=multi -cpu max -smp "$CPUS" -m "$MEM" -M pc
  "${boot[@]}" -initrd "$IMG/initrd.cpio"
  -drive "file=$IMG/root.img,format=raw,if=virtio,snapshot=on,cache=unsafe"
  -virtfs "local,path=$DIR,mount_tag=repo,security_model=passthrough,readonly=on,id=repo"
  -device virtio-rng-pci
)

if [ $SHELL_MODE = 1 ]; then
  say "kernel $KVER; interactive shell on the serial console (Ctrl-A X quits)"
  args+=(-virtfs "local,path=$RUN,mount_tag=results,security_model=passthrough,id=results")
  "$QEMU" "${args[@]}" -serial mon:stdio -append "$APPEND loglevel=4 ${BERTH_VM_APPEND:-}"
  exit $?
fi

args+=(
  -virtfs "local,path=$RUN,mount_tag=results,security_model=passthrough,id=results"
  -serial "file:$RUN/console.log" -monitor none -no-reboot
)
APPEND+=" quiet loglevel=3 systemd.show_status=0 berth.run=1 systemd.mask=serial-getty@ttyS0.service"
say "booting (kernel $KVER, $CPUS cpu, ${MEM} MiB, timeout ${TIMEOUT} s): $*"
"$QEMU" "${args[@]}" -append "$APPEND ${BERTH_VM_APPEND:-}" </dev/null >"$RUN/qemu.log" 2>&1 &
qpid=$!

if [ $CONSOLE = 1 ]; then stream=$RUN/console.log; else stream=$RUN/output.log; fi
tail -n +1 -F -s 0.5 --pid="$qpid" "$stream" 2>/dev/null &
tpid=$!

deadline=$((t0 + TIMEOUT))
timed_out=0
while kill -0 "$qpid" 2>/dev/null; do
  if [ "$(date +%s)" -ge "$deadline" ]; then timed_out=1; break; fi
  sleep 0.5
done
if [ $timed_out = 1 ]; then
  kill -KILL "$qpid" 2>/dev/null
fi
wait "$qpid" 2>/dev/null
qrc=$?
qpid=""
wait "$tpid" 2>/dev/null; tpid=""

if [ -s "$RUN/exit-code" ]; then
  rc=$(cat "$RUN/exit-code")
elif [ $timed_out = 1 ]; then
  say "TIMEOUT after ${TIMEOUT} s; the VM was killed. End of the serial console:"
  tail -n 40 "$RUN/console.log" | sed 's/^/    | /' >&2
  rc=124
else
  say "the VM ended (qemu exit $qrc) without a result. End of the serial console and qemu's output:"
  tail -n 40 "$RUN/console.log" | sed 's/^/    | /' >&2
  sed 's/^/    q /' "$RUN/qemu.log" >&2
  rc=125
fi
say "exit $rc after $(( $(date +%s) - t0 )) s"
exit "$rc"
