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
  # 0..60 ms in 1 ms steps, twice, for at most 40 s; at least 30 tries must have run.
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
  [ "$i" -ge 30 ] || fail "only $i tries ran in 40 s"
  [ -z "$left" ] || fail "left behind after delete --force:$left"
}
