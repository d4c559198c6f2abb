# Escape classes of #16 item 1 not covered elsewhere (docs/security.md lists all of them):
# CVE-2024-21626 for exec and for every fd a runtime may hold; mount points of the image
# pre-made as symlinks to host paths; a rootfs that is a file or a symlink to /.
# runc (Debian's 1.1.5 has the CVE-2024-21626 fix) is the control for each.
# shellcheck shell=bash

# The container's root listing, from inside.
_root_listing() {
  set_sh 'ls -a / | tr "\n" " "'
  run_ctr "$ID-ls"
  assert_rc 0
  echo "$OUT"
}

# CVE-2024-21626: cwd /proc/self/fd/N for every N a runtime may hold (3..20) in the init.
test_cve_2024_21626_init_cwd_any_fd() {
  mkbundle
  local root_ls n
  root_ls=$(_root_listing)
  for n in $(seq 3 20); do
    cfg --arg c "/proc/self/fd/$n" '.process.cwd = $c'
    set_sh 'ls -a ../../../../../../.. | tr "\n" " "'
    run_ctr "$ID-$n"
    if [ "$RC" = 0 ]; then
      assert_eq "$root_ls" "$OUT" "root reached from cwd /proc/self/fd/$n"
    fi
  done
  assert_root_empty
}

# The same for `exec --cwd`, into a running container.
test_cve_2024_21626_exec_cwd_any_fd() {
  mkbundle
  local root_ls n
  root_ls=$(_root_listing)
  set_args sleep 100
  run_detached "$ID"
  assert_rc 0
  for n in $(seq 3 20); do
    RC=0
    rt exec --cwd "/proc/self/fd/$n" "$ID" sh -c 'ls -a ../../../../../../.. | tr "\n" " "' \
      </dev/null >"$T/out" 2>"$T/err" || RC=$?
    if [ "$RC" = 0 ]; then
      assert_eq "$root_ls" "$(cat "$T/out")" "root reached from exec --cwd /proc/self/fd/$n"
    else
      echo "# exec --cwd /proc/self/fd/$n refused: $(head -c 200 "$T/err")"
    fi
  done
}

# While a container is created, its pid 1 is still the runtime's init: a process that
# joins the container (or the init's own process later) must find no host directory
# among its fds, and an exec'd process only 0 1 2.
test_cve_2024_21626_no_host_dir_fd_in_init_or_exec() {
  mkbundle
  set_args sleep 100
  create_ctr "$ID"
  assert_rc 0
  local pid fd target
  pid=$(container_pid "$ID")
  for fd in /proc/"$pid"/fd/*; do
    target=$(readlink "$fd" || true)
    echo "# init fd ${fd##*/} -> $target"
    [ -d "$fd" ] && fail "the created init holds a directory fd ${fd##*/} -> $target"
    # berth's: above stdio only the exec fifo it blocks on: no unused mount of the host's
    # /dev/null (masked paths the rootfs lacks), nothing else of the set-up. (runc's Go init
    # also holds its epoll fd and a pipe.)
    if is_berth && [ "${fd##*/}" -gt 2 ] && [ "${target##*/}" != exec.fifo ]; then
      fail "the created init holds fd ${fd##*/} -> $target"
    fi
  done
  start_ctr "$ID"
  assert_rc 0
  RC=0
  rt exec "$ID" sh -c 'for f in /proc/self/fd/*; do [ -d "$f" ] && echo "dir:${f##*/}"; done; ls /proc/self/fd | sort -n | tr "\n" " "' \
    </dev/null >"$T/out" 2>"$T/err" || RC=$?
  assert_rc 0
  cat "$T/out"
  # the ls itself holds one more (its directory fd of /proc/self/fd), never a host dir
  assert_not_contains "$(cat "$T/out")" "dir:" "directory fds in an exec'd process"
}

# An image whose mount points are symlinks to host paths: the runtime's devpts, tmpfs,
# mqueue and cgroup mounts must land inside the rootfs (or be refused), never on the host.
# Without a /dev tmpfs and a /sys mount, these paths are the image's own.
_premade_symlink() { # DEST
  local dest=$1 host
  host=$T/host$(tr / _ <<<"$dest")
  mkbundle
  mkdir -p "$host"
  echo host-file > "$host/marker"
  cfg 'del(.mounts[] | select(.destination == "/dev" or .destination == "/sys"))'
  mkdir -p "$BUNDLE/rootfs$(dirname "$dest")"
  rm -rf "${BUNDLE:?}/rootfs$dest"
  ln -s "/../../../../..$host" "$BUNDLE/rootfs$dest"
  # The same path inside the rootfs exists, so that a runtime that resolves the link in
  # the root mounts there (and the container sees it) rather than refusing the bundle.
  mkdir -p "$BUNDLE/rootfs$host"
  set_sh "ls -A $dest/ | tr '\n' ' '; grep -c '$host' /proc/self/mountinfo || true"
  run_ctr "$ID"
  if [ "$RC" != 0 ]; then echo "# runtime refused the bundle (acceptable)"; fi
  assert_not_contains "$OUT" marker "the host dir seen from inside"
  assert_eq marker "$(ls -A "$host" | tr '\n' ' ' | sed 's/ $//')" "host dir content"
  assert_eq host-file "$(cat "$host/marker")" "host file"
  assert_eq "" "$(_it_mounts_under "$host")" "mounts on the host dir"
  assert_root_empty
}
test_premade_symlink_dev_pts() { _premade_symlink /dev/pts; }
test_premade_symlink_dev_shm() { _premade_symlink /dev/shm; }
test_premade_symlink_dev_mqueue() { _premade_symlink /dev/mqueue; }
test_premade_symlink_sys_fs_cgroup() { _premade_symlink /sys/fs/cgroup; }

test_rootfs_is_a_file() {
  mkbundle
  echo not-a-dir > "$T/rootfs-file"
  cfg --arg r "$T/rootfs-file" '.root.path = $r'
  set_args true
  run_ctr "$ID"
  assert_rc_nonzero "run with a file as rootfs"
  assert_eq not-a-dir "$(cat "$T/rootfs-file")" "the file is unchanged"
  assert_eq "" "$(_it_mounts_under "$T/rootfs-file")" "mounts on the file"
  assert_root_empty
  berth_only "the message"
  assert_contains "$(cat "$T/err")" "not a directory"
}

# The host's mount points outside the places other tests (and engines) mount and unmount
# while this one runs.
_host_mount_points() {
  awk '{print $5}' /proc/self/mountinfo | grep -Ev '^/(tmp|run|var/lib|sys/fs/cgroup)(/|$)' | sort -u
}

# A rootfs that is a symlink to the host's /: refused up front (runc: "invalid rootfs"),
# the host's root directory and mount table unchanged.
test_rootfs_symlink_to_host_root() {
  mkbundle
  rm -rf "${BUNDLE:?}/rootfs"
  ln -s / "$BUNDLE/rootfs"
  set_args true
  local before_ls before_mounts
  before_ls=$(ls -A /)
  before_mounts=$(_host_mount_points)
  run_ctr "$ID"
  assert_rc_nonzero "run with a rootfs that is a symlink to /"
  assert_eq "$before_ls" "$(ls -A /)" "host / content"
  assert_eq "$before_mounts" "$(_host_mount_points)" "host mount points"
  assert_root_empty
  berth_only "the message"
  assert_contains "$(cat "$T/err")" "rootfs $BUNDLE/rootfs (a symlink to /): is the host's root directory; refused"
}

# ------------------------------------------------------------ CVE-2021-30465 (race)
# A mount destination swapped between a directory and a symlink out of the rootfs while the
# runtime makes its mounts (the racer stands for a container that shares the volume and
# renames entries in it, as in the original attack). The swap is atomic (renameat2
# RENAME_EXCHANGE, helpers/swap_loop.py). Each run: the mounts land inside the rootfs (or the
# run fails), the container never sees the host dir; afterwards the host dir keeps its content
# and got no mount. Bounded by time (<= 40 s of runs, at least 5 runs).
# (The static cases, a destination that is a symlink out of the rootfs: test_mounts.sh
# test_mount_destination_symlink_escape and the test_premade_symlink_* tests above.)
test_cve_2021_30465_mount_destination_swap_race() {
  command -v python3 >/dev/null || skip "python3 not installed"
  mkbundle
  local victim=$T/victim vol=$T/vol
  mkdir -p "$victim" "$vol/t"
  echo host > "$victim/host-marker"
  echo volume > "$vol/vol-marker"
  local rootfs=$BUNDLE/rootfs
  mkdir -p "$rootfs/mnt/a/t" "$rootfs$victim/t"
  echo in-root > "$rootfs$victim/in-root-marker"
  ln -s "/../../../../../../..$victim" "$rootfs/mnt/b"
  # A tmpfs where the link leads inside the rootfs (a mount point that a second resolution of
  # the swapped destination can land on), then a read-only bind mount on the swapped entry.
  add_mount "$victim" tmpfs tmpfs size=1m
  add_bind "$vol" /mnt/a rbind ro
  # The volume is mounted read-only: wherever the container sees it, a write must fail (a
  # remount of the wrong mount would leave it writable).
  set_sh "ls -A /mnt/a $victim 2>&1 | tr '\n' ' '; for d in /mnt/a $victim; do [ -e \$d/vol-marker ] && touch \$d/written 2>/dev/null && echo WROTE-\$d; done; true"
  python3 "$REPO/tests/integration/helpers/swap_loop.py" "$rootfs/mnt/a" "$rootfs/mnt/b" 45 >"$T/swaps" 2>"$T/swaps.err" &
  local racer=$! runs=0 ok=0 bad="" out rc t0=$SECONDS
  track_pid "$racer"
  while [ $((SECONDS - t0)) -lt 40 ]; do
    runs=$((runs + 1))
    rc=0
    out=$(timeout -k 2 10 "$RUNTIME" --root "$ROOT" run --bundle "$BUNDLE" "$ID-$runs" </dev/null 2>"$T/err.$runs") || rc=$?
    if [ "$rc" = 0 ]; then
      ok=$((ok + 1))
      case "$out" in *host-marker*) bad+=" run $runs saw the host dir: [$out];" ;; esac
      # (a WROTE inside may be the other tmpfs, reached through the link a moment later: the
      # host's view of the volume decides)
      [ ! -e "$vol/written" ] || bad+=" run $runs wrote into the read-only volume: [$out];"
      rm -f "$vol/written"
    elif [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
      bad+=" run $runs timed out;"
    fi
    [ -z "$(_it_mounts_under "$victim")" ] || bad+=" run $runs: a mount on the host dir: $(_it_mounts_under "$victim");"
    timeout 10 "$RUNTIME" --root "$ROOT" delete --force "$ID-$runs" >/dev/null 2>&1 || true
    [ "$runs" -lt 400 ] || break
  done
  kill -TERM "$racer" 2>/dev/null || true
  wait "$racer" 2>/dev/null || true
  echo "# $runs runs ($ok succeeded) in $((SECONDS - t0)) s against $(cat "$T/swaps" 2>/dev/null || echo '?') exchanges"
  echo "# failures, most frequent first:"
  cat "$T"/err.* 2>/dev/null | sed 's/time="[^"]*" //' | sort | uniq -c | sort -rn | head -5
  [ "$runs" -ge 5 ] || fail "only $runs runs in 40 s"
  [ "$ok" -ge 1 ] || fail "no run succeeded (stderr: $(cat "$T/err.1"))"
  [ -z "$bad" ] || fail "escaped:$bad"
  assert_eq "t vol-marker" "$(ls -A "$vol" | sort | tr '\n' ' ' | sed 's/ $//')" "the read-only volume's content"
  assert_eq host-marker "$(ls -A "$victim" | tr '\n' ' ' | sed 's/ $//')" "host dir content"
  assert_eq host "$(cat "$victim/host-marker")" "host file"
  assert_eq "" "$(_it_mounts_under "$victim")" "mounts on the host dir"
  assert_root_empty
}

# ------------------------------------------------------------ CVE-2025-52881
# The runtime's own writes into the container's procfs (sysctl, LSM labels) redirected by a
# config mount whose target the image made a symlink into /proc: the target is resolved inside
# the rootfs, whose /proc is by then the container's procfs, so the bind mount covers the very
# file the runtime writes next. The write must reach procfs's file or be refused; the decoy
# (a host file) must not receive it. runc is the control: 1.1.5 refuses this mount earlier
# ("cannot be mounted because it is inside /proc"); berth refuses the write.
test_cve_2025_52881_sysctl_redirected_by_bind_over_procfs() {
  mkbundle
  echo decoy > "$T/decoy"
  ln -s /proc/sys/net/ipv4/ip_forward "$BUNDLE/rootfs/data"
  add_mount /data bind "$T/decoy" bind rw
  cfg '.linux.sysctl = {"net.ipv4.ip_forward": "1"}'
  set_args sleep 100
  create_ctr "$ID" || true
  assert_eq decoy "$(cat "$T/decoy")" "the decoy host file after create"
  if [ "$RC" = 0 ]; then
    local pid
    pid=$(container_pid "$ID")
    assert_eq 1 "$(nsenter --net="/proc/$pid/ns/net" cat /proc/sys/net/ipv4/ip_forward)" \
      "net.ipv4.ip_forward in the container's network namespace"
  else
    echo "# refused: $(cat "$T/$ID.err")"
    berth_only "the message"
    assert_contains "$(cat "$T/$ID.err")" "sysctl net.ipv4.ip_forward=1: open /proc/sys/net/ipv4/ip_forward: a mount covers it"
  fi
  rt delete --force "$ID" >/dev/null 2>&1 || true
  assert_root_empty
}

# The same for the LSM label write (/proc/self/attr/.../exec): needs AppArmor or SELinux on
# the host (otherwise a label is refused before anything is made, and there is no write).
test_cve_2025_52881_lsm_label_redirected_by_bind_over_procfs() {
  local attr label field
  if [ -d /sys/kernel/security/apparmor ] && grep -q '^Y' /sys/module/apparmor/parameters/enabled 2>/dev/null; then
    attr=/proc/self/attr/apparmor/exec; [ -e "$attr" ] || attr=/proc/self/attr/exec
    label=unconfined field=apparmorProfile
  elif [ -e /sys/fs/selinux/enforce ]; then
    attr=/proc/thread-self/attr/exec label=$(cat /proc/self/attr/current) field=selinuxLabel
  else
    skip "neither AppArmor nor SELinux is enabled on this host (the label write is covered by the unit test \"procfs writes reach procfs's own file\")"
  fi
  mkbundle
  echo decoy > "$T/decoy"
  ln -s "$attr" "$BUNDLE/rootfs/data"
  add_mount /data bind "$T/decoy" bind rw
  cfg --arg f "$field" --arg l "$label" '.process[$f] = $l'
  set_args true
  run_ctr "$ID"
  assert_eq decoy "$(cat "$T/decoy")" "the decoy host file"
  if [ "$RC" != 0 ]; then
    berth_only "the message"
    assert_contains "$(cat "$T/err")" "a mount covers it"
  fi
  assert_root_empty
}
