# Container escapes found by an independent probe (issue #11), each reproduced as an attack.
# Every attack that could damage the runtime binary runs against a private copy of it in $T,
# never the build output, so a failing test cannot corrupt the build.
# shellcheck shell=bash

# ------------------------------------------------------------ CVE-2019-5736 (findings 1, 2)
# _cve_setup: a private copy of the runtime as RUNTIME (so `rt` runs the copy), its sha256 in
# HASH0, and a bundle with the attack planted (cve5736_plant, lib.sh); /shared is bound from
# $T/shared for the attacker's report.
_cve_setup() {
  mkdir -p "$T/rtbin"
  cp "$RUNTIME" "$T/rtbin/$RUNTIME_NAME"
  RUNTIME=$T/rtbin/$RUNTIME_NAME
  drop_exe_view_at_cleanup "$RUNTIME"
  HASH0=$(sha256sum < "$RUNTIME")
  mkbundle --copy
  cve5736_plant "$RUNTIME" "$BUNDLE/rootfs"
  mkdir -p "$T/shared"
  chmod 0777 "$T/shared"
  add_bind "$T/shared" /shared
}

# _cve_verdict: the attack must have run (the attacker reports) and failed to write, and not
# only because the binary was busy (ETXTBSY lasts only while a runtime process runs it); the
# runtime copy's sha256 is unchanged.
_cve_verdict() {
  cve5736_verdict "$T/shared/result" "$RUNTIME" "$HASH0"
}
# Finding 2: no exec needed: the container's own process is the script (run --detach).
test_cve_2019_5736_run_detached() {
  _cve_setup
  set_args /entry
  run_detached "$ID"
  _cve_verdict
}

# The same through create + start.
test_cve_2019_5736_create_start() {
  _cve_setup
  set_args /entry
  create_ctr "$ID"
  start_ctr "$ID"
  _cve_verdict
}

# Foreground run with a terminal (the runtime relays its own pty).
test_cve_2019_5736_run_terminal() {
  command -v script >/dev/null || skip "script(1) not available to provide a terminal"
  _cve_setup
  set_args /entry
  cfg '.process.terminal = true'
  RC=0
  timeout -k 2 20 script -qec "$(printf '%q ' "$RUNTIME" --root "$ROOT" run --bundle "$BUNDLE" "$ID")" \
    /dev/null </dev/null >"$T/out" 2>"$T/err" || RC=$?
  cat "$T/out" "$T/err"
  _cve_verdict
}

# Finding 1, loader variant: `exec` of the script into a running container.
test_cve_2019_5736_exec() {
  _cve_setup
  set_args sleep 30
  run_detached "$ID"
  RC=0
  rt exec "$ID" /entry </dev/null >"$T/exec.out" 2>"$T/exec.err" || RC=$?
  cat "$T/exec.err"
  _cve_verdict
}

# exec with a terminal (foreground relay).
test_cve_2019_5736_exec_terminal() {
  command -v script >/dev/null || skip "script(1) not available to provide a terminal"
  _cve_setup
  set_args sleep 30
  run_detached "$ID"
  RC=0
  timeout -k 2 20 script -qec "$(printf '%q ' "$RUNTIME" --root "$ROOT" exec -t "$ID" /entry)" \
    /dev/null </dev/null >"$T/out" 2>"$T/err" || RC=$?
  cat "$T/out" "$T/err"
  _cve_verdict
}

# Finding 1 as reported: the container replaces /bin/sh with `#!/proc/self/exe` and watches
# for new processes, opening /proc/<pid>/exe of each, killing it, then writing through the fd.
# The host runs `exec ID sh -c true` (a few times: the watcher must catch one).
test_cve_2019_5736_exec_proc_pid_exe() {
  _cve_setup
  rootfs_rw
  # the real loader and libraries back (the runtime runs in there until it fails on its
  # arguments): only the watcher attacks here
  set_args sh -c 'cp /bin/busybox /busybox && rm /bin/sh && printf "#!/proc/self/exe\n" > /bin/sh && chmod 755 /bin/sh && touch /shared/armed && /evil-watch 40; sleep 50'
  rm -f "$BUNDLE/rootfs$CVE_INTERP"
  local f
  for f in $(ldd "$RUNTIME" | grep -o '/[^ ]*'); do cp -L --parents "$f" "$BUNDLE/rootfs/"; done
  run_detached "$ID"
  wait_for_file "$T/shared/armed" 10
  local i
  for ((i = 0; i < 15; i++)); do
    rt exec "$ID" sh -c true </dev/null >/dev/null 2>&1 || true
    grep -q '^write=' "$T/shared/result" 2>/dev/null && break
  done
  _cve_verdict
}

# A container process with CAP_SYS_PTRACE (no user namespace) watches /proc for new processes
# and goes through /proc/<pid>/root of each. The exec process must not be visible in the
# container's pid namespace while its root is still the host's: being non-dumpable does not
# stop a holder of CAP_SYS_PTRACE (found by a later probe: berth's exec child was born in the
# pid namespace, then waited for the parent's Go in the host's mount namespace, and the
# container appended to the host's runtime binary through /proc/<child>/root). The host's
# marker file must stay out of reach and the runtime copy unchanged.
test_exec_process_root_hidden_from_ptrace() {
  mkdir -p "$T/rtbin"
  cp "$RUNTIME" "$T/rtbin/$RUNTIME_NAME"
  RUNTIME=$T/rtbin/$RUNTIME_NAME
  drop_exe_view_at_cleanup "$RUNTIME"
  local hash0 mark=$T/host-only-marker i
  hash0=$(sha256sum < "$RUNTIME")
  echo host > "$mark"
  mkbundle
  add_bind "$T/shared" /shared
  cfg '.process.capabilities |= with_entries(.value += ["CAP_SYS_PTRACE"])'
  set_args sh -c 'touch /shared/armed; while :; do for p in /proc/[0-9]*; do
      if [ -e "$p/root$0" ]; then echo "$p" >> /shared/seen; echo PWNED >> "$p/root$1"; fi
    done; done' "$mark" "$RUNTIME"
  run_detached "$ID"
  assert_rc 0 "run the watcher"
  wait_for_file "$T/shared/armed" 10 || fail "the watcher did not start"
  for ((i = 0; i < 10; i++)); do
    rt exec "$ID" true </dev/null >/dev/null 2>&1 || true
    [ -e "$T/shared/seen" ] && break
  done
  rt delete --force "$ID"
  [ ! -e "$T/shared/seen" ] || fail "the container reached the host's root through $(head -1 "$T/shared/seen")/root"
  assert_eq "$hash0" "$(sha256sum < "$RUNTIME")" "the runtime binary's sha256"
  assert_eq host "$(cat "$mark")" "the host's marker file"
}

# ------------------------------------------------------------ the binary's persistent view
# As root, berth keeps one read-only overlayfs view of its binary in /run/berth/.exe
# (linux/exe_view.hpp), made by the first create/run/exec and only verified by later ones.
# These tests use a private copy of the runtime: its own identity, so its own view.

# _view_setup: the copy as RUNTIME, VIEW its view's path (removed at cleanup), a bundle that sleeps.
_view_setup() {
  berth_only "berth's persistent read-only view of its binary"
  mkdir -p "$T/rtbin"
  cp "$RUNTIME" "$T/rtbin/berth"
  RUNTIME=$T/rtbin/berth
  VIEW=$(exe_view "$RUNTIME")
  drop_exe_view_at_cleanup "$RUNTIME"
  mkbundle
  set_args sleep 30
}
_mount_ids_at() { awk -v p="$1" '$5 == p { printf "%s ", $1 }' /proc/self/mountinfo; }
_init_exe() { # ID: the binary the created container's init (still berth) runs from
  local pid
  pid=$(container_pid "$1")
  readlink "/proc/$pid/exe"
}

# The first create mounts the view (read-only overlayfs), the second finds it: no new mount.
test_exe_view_made_once_and_reused() {
  _view_setup
  assert_not_exists "$VIEW"
  create_ctr "$ID"
  assert_eq "$VIEW/berth" "$(_init_exe "$ID")" "the binary the init runs from"
  local ids
  ids=$(_mount_ids_at "$VIEW")
  assert_match "$ids" '^[0-9]+ $' "mounts at $VIEW"
  assert_eq overlayfs "$(stat -fc %T "$VIEW")" "file system of the view"
  assert_match "$(awk -v p="$VIEW" '$5 == p { print $6 }' /proc/self/mountinfo)" '^ro,' "mount options of the view"
  assert_match "$(stat -c '%U %a' /run/berth/.exe)" '^root 700$' "owner and mode of /run/berth/.exe"
  create_ctr "$ID-b"
  assert_eq "$VIEW/berth" "$(_init_exe "$ID-b")" "the binary the second init runs from"
  rt exec "$ID-b" true
  assert_eq "$ids" "$(_mount_ids_at "$VIEW")" "mounts at the view after a second create and an exec"
}

# What is in the view's place is not used unless it is a read-only overlayfs of the very
# binary in a root-only directory: a writable tmpfs with a fake binary, a writable bind of
# the real one, a directory of views others may write. berth falls back to a detached
# overlay of its own for that call, and the CVE-2019-5736 attack still fails.
test_exe_view_tampered_not_used() {
  berth_only "berth's persistent read-only view of its binary"
  _cve_setup
  VIEW=$(exe_view "$RUNTIME")
  if [ ! -d /run/berth/.exe ]; then mkdir -p -m 0711 /run/berth; mkdir -m 0700 /run/berth/.exe; fi
  # 1. a writable tmpfs holding a fake binary
  mkdir "$VIEW"
  mount -t tmpfs -o mode=0755 tmpfs "$VIEW"
  printf '#!/bin/sh\ntouch %q\n' "$T/fake-ran" > "$VIEW/$RUNTIME_NAME"
  chmod 0755 "$VIEW/$RUNTIME_NAME"
  set_args /entry
  run_detached "$ID"
  assert_rc 0 "run --detach with a tmpfs in the view's place"
  _cve_verdict
  assert_not_exists "$T/fake-ran"
  assert_eq tmpfs "$(stat -fc %T "$VIEW")" "the tmpfs is left alone"
  umount "$VIEW"
  # 2. a writable bind of the binary's directory (the same file: only the file system tells)
  mount --bind "$T/rtbin" "$VIEW"
  set_args sleep 30
  create_ctr "$ID-b"
  assert_not_contains "$(_init_exe "$ID-b")" /run/berth/.exe "the binary the init runs from"
  umount "$VIEW"
  rmdir "$VIEW"
  # 3. /run/berth/.exe open to others: not used, nothing made in it
  at_cleanup 'chmod 0700 /run/berth/.exe'
  chmod 0755 /run/berth/.exe
  create_ctr "$ID-c"
  chmod 0700 /run/berth/.exe
  assert_not_contains "$(_init_exe "$ID-c")" /run/berth/.exe "the binary the init runs from"
  assert_not_exists "$VIEW"
  # the control: with nothing wrong the view is made and used
  create_ctr "$ID-d"
  assert_eq "$VIEW/$RUNTIME_NAME" "$(_init_exe "$ID-d")" "the binary the init runs from, nothing tampered"
}

# A new binary (replaced by a rename, or changed in place) gets a view of its own; making it
# removes the views whose binary is gone or changed.
test_exe_view_upgraded_binary_new_view() {
  _view_setup
  create_ctr "$ID"
  local v1=$VIEW v2 v3
  assert_eq "$v1/berth" "$(_init_exe "$ID")" "the binary the init runs from"
  rt delete --force "$ID"
  cp "$RUNTIME" "$T/rtbin/berth.new"
  mv "$T/rtbin/berth.new" "$RUNTIME"
  v2=$(exe_view "$RUNTIME")
  drop_exe_view_at_cleanup "$RUNTIME"
  assert_ne "$v1" "$v2" "the view of the new binary"
  create_ctr "$ID-b"
  assert_eq "$v2/berth" "$(_init_exe "$ID-b")" "the binary the init runs from after the upgrade"
  assert_not_exists "$v1"
  rt delete --force "$ID-b"
  # in place: bytes appended after the ELF data (still runs), same inode, new size and mtime
  printf 'x' >> "$RUNTIME"
  v3=$(exe_view "$RUNTIME")
  drop_exe_view_at_cleanup "$RUNTIME"
  create_ctr "$ID-c"
  assert_eq "$v3/berth" "$(_init_exe "$ID-c")" "the binary the init runs from after a change in place"
  assert_not_exists "$v2"
}

# ------------------------------------------------------------ /dev from the bundle (findings 3-5)
# _bound_dev DIR: /dev is a bind of the host directory DIR (replacing the /dev tmpfs; /dev/pts
# etc. stay mounted on top of it), holding ptmx -> pts/ptmx like a real /dev.
_bound_dev() {
  mkdir -p "$1"
  ln -s pts/ptmx "$1/ptmx"
  cfg --arg s "$1" '.mounts |= map(if .destination == "/dev" then {destination: "/dev", type: "bind", source: $s, options: ["rbind", "rw"]} else . end)'
}

# Finding 3: with terminal=true and a bound /dev whose `console` is a symlink to
# /proc/sys/kernel/core_pattern, the pty must not be mounted on core_pattern (CVE-2025-52565
# class): the runtime refuses, and nothing in the container is mounted on core_pattern.
test_console_symlink_not_followed() {
  command -v python3 >/dev/null || skip "python3 needed for the console socket"
  local cp0
  cp0=$(cat /proc/sys/kernel/core_pattern)
  mkbundle
  _bound_dev "$T/devdir"
  ln -s /proc/sys/kernel/core_pattern "$T/devdir/console"
  mknod -m 0666 "$T/devdir/null" c 1 3  # the masks need one (finding 4 is the next test)
  cfg '.process.terminal = true'
  set_sh 'grep core_pattern /proc/self/mountinfo; echo done'
  python3 "$REPO/tests/integration/console-recv.py" "$T/console.sock" "$T/console.out" 10 &
  track_pid $!
  wait_for_file "$T/console.sock"
  run_detached "$ID" --console-socket "$T/console.sock" || true
  sleep 0.5
  echo "# console output:"; tr -d '\r' < "$T/console.out" 2>/dev/null || true
  assert_eq "$cp0" "$(cat /proc/sys/kernel/core_pattern)" "host core_pattern"
  if [ "$RC" = 0 ]; then
    assert_not_contains "$(cat "$T/console.out" 2>/dev/null)" "core_pattern" "mounts on core_pattern inside"
    fail "run succeeded with /dev/console a symlink to core_pattern"
  fi
  assert_file_contains "$T/$ID.err" "symlink"
  assert_not_exists "$ROOT/$ID"
}

# Finding 4: a bound /dev whose `null` points at core_pattern must not become the source of
# the masks (CVE-2025-31133 class): masked files are binds of the real null device.
test_masked_paths_use_real_null() {
  mkbundle
  _bound_dev "$T/devdir"
  ln -s /proc/sys/kernel/core_pattern "$T/devdir/null"
  cfg '.linux.maskedPaths = ["/proc/keys", "/proc/timer_list"]'
  set_sh 'grep -E " /proc/(keys|timer_list) " /proc/self/mountinfo; echo "keys=[$(head -c 50 /proc/keys)]"; echo "timer=[$(head -c 50 /proc/timer_list)]"'
  run_ctr "$ID"
  assert_rc 0 "run"
  assert_not_contains "$OUT" "core_pattern" "mount source of the masks"
  assert_contains "$OUT" "keys=[]"
  assert_contains "$OUT" "timer=[]"
  assert_match "$(grep ' /proc/keys ' <<<"$OUT")" '/null ' "/proc/keys is a bind of a null device"
  # the bundle's /dev is as it was
  [ -L "$T/devdir/null" ] || fail "the bound /dev's null was replaced"
}

# Finding 5: without a /dev mount, the image's /dev/null a symlink: the runtime must not
# replace it in the bundle's rootfs (the host's image); a symlink in the way is an error.
# A dangling /dev/console symlink: refused before anything is created through it (its target,
# resolved in the rootfs, would be made in the bundle). runc creates the target and mounts the
# console there.
test_console_dangling_symlink_creates_nothing() {
  runc_known_diff "runc creates the symlink's target in the bundle's rootfs"
  command -v python3 >/dev/null || skip "python3 needed for the console socket"
  mkbundle --copy
  _bound_dev "$T/devdir"
  ln -s /etc/created-by-console "$T/devdir/console"
  mknod -m 0666 "$T/devdir/null" c 1 3
  cfg '.process.terminal = true'
  set_sh 'echo done'
  python3 "$REPO/tests/integration/console-recv.py" "$T/console.sock" "$T/console.out" 10 &
  track_pid $!
  wait_for_file "$T/console.sock"
  run_detached "$ID" --console-socket "$T/console.sock" || true
  assert_rc_nonzero "run with a dangling /dev/console symlink"
  assert_file_contains "$T/$ID.err" "/dev/console is a symlink"
  assert_not_exists "$BUNDLE/rootfs/etc/created-by-console"
  assert_not_exists "$ROOT/$ID"
}

# linux.devices may name any path, but a node never replaces a file it finds there: not in the
# image (the default /dev tmpfs is the container's, /etc is the bundle's), not in a bound host
# directory. runc leaves such files alone too (and skips the device).
test_device_outside_dev_replaces_nothing() {
  mkbundle --copy
  mkdir -p "$T/vol"
  echo host-file > "$T/vol/data"
  add_bind "$T/vol" /vol
  local p hash
  for p in /etc/passwd /dev/../etc/group /vol/data; do
    hash=$(sha256sum < "$BUNDLE/rootfs/etc/passwd")
    cfg --arg p "$p" '.linux.devices = [{"path": $p, "type": "c", "major": 1, "minor": 7, "fileMode": 438}]'
    set_sh 'echo ran'
    run_ctr "$ID" || true
    if is_berth; then
      assert_rc_nonzero "a device on the existing file $p"
      assert_file_contains "$T/err" "device $p: another file is in the way"
    fi
    [ -f "$BUNDLE/rootfs/etc/passwd" ] && [ ! -c "$BUNDLE/rootfs/etc/passwd" ] || fail "/etc/passwd was replaced ($p)"
    assert_eq "$hash" "$(sha256sum < "$BUNDLE/rootfs/etc/passwd")" "the image's /etc/passwd ($p)"
    [ -f "$BUNDLE/rootfs/etc/group" ] && [ ! -c "$BUNDLE/rootfs/etc/group" ] || fail "/etc/group was replaced ($p)"
    [ -f "$T/vol/data" ] && [ ! -c "$T/vol/data" ] || fail "the host's volume file was replaced ($p)"
    assert_eq host-file "$(cat "$T/vol/data")" "the host's volume file ($p)"
    rt delete --force "$ID" >/dev/null 2>&1 || true
  done
}

# A namespace "joined" by path that is berth's own is none of the container's: with it, the
# rootfs set-up would pivot_root berth's (the host's) mount namespace, and sysctls, hostname
# or domainname would change the host's network, IPC or UTS namespace. Refused before
# anything is made. Each runtime runs in throwaway namespaces of its own (unshare), so that a
# failure changes nothing of the host's. runc refuses only the network case.
test_own_namespace_by_path_refused() {
  berth_only "runc refuses only net.* sysctls in its own network namespace"
  command -v unshare >/dev/null || skip "unshare(1) needed"
  mkbundle
  set_sh 'echo in-container'
  local case type key
  for case in mnt: net:net.ipv4.tcp_keepalive_time ipc:kernel.shm_rmid_forced uts:kernel.domainname uts:hostname; do
    type=${case%%:*} key=${case#*:}
    local jtype=$type
    case $type in mnt) jtype=mount ;; net) jtype=network ;; esac
    cfg --arg t "$jtype" --arg p "/proc/self/ns/$type" \
      '.linux.namespaces |= (map(select(.type != $t)) + [{type: $t, path: $p}]) | del(.hostname) | .linux.sysctl = {}'
    case $key in
      hostname) cfg '.hostname = "own-uts"' ;;
      net.*|kernel.*) cfg --arg k "$key" '.linux.sysctl[$k] = "1"' ;;
    esac
    RC=0
    timeout -k 2 20 unshare -m --propagation slave -n -i -u "$RUNTIME" --root "$ROOT" run --bundle "$BUNDLE" "$ID" \
      </dev/null >"$T/out" 2>"$T/err" || RC=$?
    echo "# $case -> rc=$RC: $(cat "$T/err")"
    assert_rc_nonzero "run with the $type namespace path /proc/self/ns/$type ($key)"
    assert_file_contains "$T/err" "the $jtype namespace /proc/self/ns/$type is berth's own"
    assert_not_contains "$(cat "$T/out")" in-container "the container's output"
    assert_root_empty
    cfg --arg t "$jtype" '.linux.namespaces |= map(if .type == $t then del(.path) else . end)'
  done
}

# With a user namespace a device is a bind of the host's node at the same path (no mknod
# there): it must be that very device, never whatever the host has at the path. /dev/null
# named as 1:5 (zero) is refused; as 1:3 it is bound. (runc binds whatever the path is.)
test_userns_device_bind_checks_the_host_node() {
  berth_only "runc binds the host's file at the path without checking it"
  userns_bundle
  cfg '.linux.devices = [{"path": "/dev/null", "type": "c", "major": 1, "minor": 5, "fileMode": 438}]'
  set_sh 'echo ran'
  run_ctr "$ID"
  assert_rc_nonzero "a device whose host node is another one"
  assert_file_contains "$T/err" "device /dev/null: the host's /dev/null is not the device the config names (c 1:5)"
  assert_root_empty
  cfg '.linux.devices = [{"path": "/dev/null", "type": "c", "major": 1, "minor": 3, "fileMode": 438}]'
  run_ctr "$ID"
  assert_rc 0 "the host's own /dev/null as 1:3"
  assert_eq ran "$OUT"
}

test_image_dev_symlink_not_replaced() {
  mkbundle --copy
  cfg '.mounts |= map(select(.destination != "/dev"))'
  mkdir -p "$BUNDLE/rootfs/dev"
  ln -sf ../etc/passwd "$BUNDLE/rootfs/dev/null"
  set_sh 'ls -l /dev/null'
  run_ctr "$ID"
  [ -L "$BUNDLE/rootfs/dev/null" ] || fail "the image's /dev/null symlink was replaced on the host: $(ls -l "$BUNDLE/rootfs/dev/null")"
  assert_rc_nonzero "run with a symlink in the way of /dev/null"
  assert_contains "$(cat "$T/err")" "/dev/null"
  assert_contains "$(cat "$T/err")" "symlink"
  assert_eq "root:x:0:0:root:/root:/bin/sh" "$(head -1 "$BUNDLE/rootfs/etc/passwd")" "the symlink's target"
}

# Without a /dev mount an image /dev that already has the right nodes is used as it is.
test_image_dev_existing_nodes_kept() {
  mkbundle --copy
  cfg '.mounts |= map(select(.destination != "/dev"))'
  mkdir -p "$BUNDLE/rootfs/dev"
  mknod -m 0666 "$BUNDLE/rootfs/dev/null" c 1 3
  local ino0
  ino0=$(stat -c %i "$BUNDLE/rootfs/dev/null")
  set_sh 'echo x > /dev/null && echo ok'
  run_ctr "$ID"
  assert_rc 0 "run"
  assert_contains "$OUT" ok
  assert_eq "$ino0" "$(stat -c %i "$BUNDLE/rootfs/dev/null")" "the image's /dev/null (same inode)"
}

# ------------------------------------------------------------ no mount namespace (finding 6)
# runc refuses masked/readonly paths without a mount namespace; so does berth (and mounts,
# root.readonly: docs/architecture.md).
test_no_mount_namespace_refused() {
  mkbundle
  cfg '.linux.namespaces |= map(select(.type != "mount"))'
  set_sh 'cat /proc/keys >/dev/null 2>&1 && echo unmasked; true'
  run_ctr "$ID"
  assert_rc_nonzero "run without a mount namespace, with masked paths"
  assert_contains "$(cat "$T/err")" "unable to restrict sys entries without a private MNT namespace"
  assert_not_exists "$ROOT/$ID"
  # without masks and mounts it runs (chroot into the rootfs), as runc
  cfg '.linux.maskedPaths = [] | .linux.readonlyPaths = [] | .mounts = [] | .root.readonly = false'
  set_sh 'echo ran'
  run_ctr "$ID-b"
  assert_rc 0 "run without a mount namespace, nothing to mount"
  assert_eq ran "$OUT"
  # mounts alone: refused (runc would make them in the host's mount namespace)
  add_mount /tmp tmpfs tmpfs
  run_ctr "$ID-c"
  if is_berth; then
    assert_rc_nonzero "run without a mount namespace, with mounts"
    assert_contains "$(cat "$T/err")" "mount namespace"
  fi
}

# ------------------------------------------------------------ create killed at any moment (finding 7)
# _leftovers ID: what a container ID left on the host: its processes (any process whose
# command line names this test's state root and the id), its state dir, its cgroup dirs.
_leftovers() {
  local id=$1 p c out=""
  for c in /proc/[0-9]*/cmdline; do
    p=${c#/proc/}; p=${p%/cmdline}
    if { tr '\0' ' ' < "$c"; } 2>/dev/null | grep -qF -- "$ROOT create --bundle $BUNDLE $id "; then
      out+=" process $p ($( { tr '\0' ' ' < "$c"; } 2>/dev/null));"
    fi
  done
  [ -e "$ROOT/$id" ] && out+=" state dir $ROOT/$id ($(ls -A "$ROOT/$id" | tr '\n' ' '));"
  local dirs
  dirs=$(find /sys/fs/cgroup -type d -name "$id" 2>/dev/null | head -5 | tr '\n' ' ')
  [ -n "$dirs" ] && out+=" cgroups $dirs;"
  echo "$out"
}

# `create` killed with SIGKILL at 0..60 ms (1 ms steps, twice): afterwards `state` and `list`
# answer, and `delete --force` leaves nothing: no init, no state dir, no cgroup.
test_create_killed_any_moment_then_delete_force() {
  mkbundle
  set_args sleep 30
  local d i=0 pid left="" st
  # Bounded by time, not by count (a loaded machine gets fewer tries, never a timeout):
  # 0..60 ms in 1 ms steps, twice, for at most 40 s; at least 5 tries must have run (a quiet machine runs all 122).
  local t0=$SECONDS
  for round in 1 2; do
    for ((d = 0; d <= 60; d++)); do
      [ $((SECONDS - t0)) -lt 40 ] || break 2
      i=$((i + 1))
      local id=$ID-$i
      "$RUNTIME" --root "$ROOT" create --bundle "$BUNDLE" "$id" </dev/null >/dev/null 2>&1 &
      pid=$!
      sleep "$(printf '0.%03d' "$d")"
      kill -KILL "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
      # state/list must answer (not hang, not crash) whatever the state dir holds
      st=0; timeout 5 "$RUNTIME" --root "$ROOT" state "$id" >/dev/null 2>&1 || st=$?
      [ "$st" -le 1 ] || left+=" [$d ms] state exited $st;"
      timeout 5 "$RUNTIME" --root "$ROOT" list >/dev/null 2>&1 || left+=" [$d ms] list failed;"
      timeout 10 "$RUNTIME" --root "$ROOT" delete --force "$id" >/dev/null 2>&1 || true
      sleep 0.02
      local l
      l=$(_leftovers "$id")
      if [ -n "$l" ]; then
        left+=" [$d ms] $id:$l"
        # clean up by hand so that the next rounds start clean
        for p in $(grep -l -- "$id" /proc/[0-9]*/cmdline 2>/dev/null | cut -d/ -f3); do kill -KILL "$p" 2>/dev/null || true; done
      fi
    done
  done
  echo "# $i kills of create in $((SECONDS - t0)) s"
  [ "$i" -ge 5 ] || fail "only $i tries ran in 40 s"
  [ -z "$left" ] || fail "left behind after delete --force:$left"
}
