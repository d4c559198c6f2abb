# Hostile bundle files and ids (#16 item 4): a config.json that is a FIFO, /dev/zero or
# 100 MB; container ids longer than a file name. Clear error, bounded memory, no hang,
# nothing left behind. (Hooks and tmpcopyup: tests/unit/test_hardening.cpp.)
# shellcheck shell=bash

# berth run blocks the signals it forwards before it reads config.json: a FIFO that no
# one writes used to hold SIGTERM back for ever.
test_config_fifo_sigterm_ends_run() {
  mkbundle
  mv "$BUNDLE/config.json" "$T/config.real"
  mkfifo "$BUNDLE/config.json"
  rt_bg "$T/run.out" run --bundle "$BUNDLE" "$ID"
  sleep 0.5
  pid_alive "$BG_PID" || fail "run ended before it was signalled: $(cat "$T/run.out.err")"
  kill -TERM "$BG_PID"
  wait_bg "$BG_PID" 5
  assert_ne 0 "$RC" "run exit status after SIGTERM"
  assert_root_empty
}

# A FIFO that is written is read like a file (as runc does).
test_config_fifo_written_is_read() {
  mkbundle
  set_args true
  mv "$BUNDLE/config.json" "$T/config.real"
  mkfifo "$BUNDLE/config.json"
  (cat "$T/config.real" > "$BUNDLE/config.json") &
  track_pid $!
  run_ctr "$ID"
  assert_rc 0
}

test_config_dev_zero_refused() {
  runc_known_diff "runc reads /dev/zero until it runs out of memory"
  mkbundle
  ln -sf /dev/zero "$BUNDLE/config.json"
  local t0 t1
  t0=$(date +%s%N)
  RT_TIMEOUT=5 run_ctr "$ID"
  t1=$(date +%s%N)
  assert_rc 1
  assert_contains "$(cat "$T/err")" "config.json: not a regular file or a FIFO (a character device)"
  [ $(((t1 - t0) / 1000000)) -lt 2000 ] || fail "took $(((t1 - t0) / 1000000)) ms"
  assert_root_empty
}

test_config_100mb_refused() {
  mkbundle
  rm "$BUNDLE/config.json"
  truncate -s 100M "$BUNDLE/config.json"
  local rss
  RC=0
  /usr/bin/env time -f '%M' -o "$T/rss" timeout 5 "$RUNTIME" --root "$ROOT" run --bundle "$BUNDLE" "$ID" \
    </dev/null >"$T/out" 2>"$T/err" || RC=$?
  cat "$T/err"
  assert_rc 1
  rss=$(tail -n1 "$T/rss")
  echo "# max RSS ${rss} KiB"
  assert_root_empty
  berth_only "the size-limit message and the RSS bound"
  assert_contains "$(cat "$T/err")" "config.json: 104857600 bytes, more than the limit of 16 MiB"
  [ "$rss" -lt 20000 ] || fail "max RSS ${rss} KiB reading a 100 MB config.json"
}

test_id_longer_than_a_file_name() {
  local id
  id=$(printf 'a%.0s' $(seq 300))
  RC=0
  rt state "$id" >"$T/out" 2>"$T/err" || RC=$?
  assert_rc 1
  mkbundle
  set_args true
  run_ctr "$id"
  assert_rc 1
  assert_root_empty
  berth_only "the id-length message"
  assert_contains "$(cat "$T/err")" "300 characters, at most 255"
  RC=0
  rt state "$id" >"$T/out" 2>"$T/err" || RC=$?
  assert_rc 1
  assert_contains "$(cat "$T/err")" "300 characters, at most 255" "state's message"
}

# tmpcopyup: the image's files on the tmpfs keep their owner and exact mode (set-id bits
# included: chown clears them, the umask cut them).
test_tmpcopyup_keeps_owner_and_mode() {
  mkbundle
  mkdir -p "$BUNDLE/rootfs/data/sub"
  echo image-file > "$BUNDLE/rootfs/data/sub/f"
  chown 1234:1235 "$BUNDLE/rootfs/data/sub/f"
  chmod 4755 "$BUNDLE/rootfs/data/sub/f"
  chmod 0555 "$BUNDLE/rootfs/data/sub"
  add_mount /data tmpfs tmpfs tmpcopyup
  set_sh 'cat /data/sub/f; stat -c "%u %g %a" /data/sub/f; stat -c "%a" /data/sub; grep " /data " /proc/mounts | cut -d" " -f3'
  run_ctr "$ID"
  assert_rc 0
  assert_eq "image-file
1234 1235 4755
555
tmpfs" "$OUT" "content, owner, mode on the tmpfs"
}

# The parent-death signal is cleared by the kernel at every credential change; in a remapped
# user namespace the init changes its ids (root of the namespace) after it armed the signal.
# `create` SIGKILLed while the init runs a createContainer hook (long past that change, and not
# reading the sync socket, whose EOF would end it anyway) must take the half-made init with it.
test_create_killed_userns_init_dies_with_it() {
  runc_known_diff "runc 1.1.5's init outlives a runc SIGKILLed during a createContainer hook"
  userns_bundle
  set_args true
  # A duration no other process has: how the hook is found from the host.
  local mark="30.$RANDOM$RANDOM"
  mkdir -m 0777 "$T/hk"  # the hook runs as the container's root, host uid 100000
  cfg --arg s "$T/hk/hook.state" --arg m "$mark" \
    '.hooks.createContainer = [{path: "/bin/sh", args: ["sh", "-c", "cat > \($s).tmp; mv \($s).tmp \($s); exec sleep \($m)"]}]'
  rt_bg "$T/create.out" create --bundle "$BUNDLE" "$ID"
  local berth_pid=$BG_PID hook="" init c i
  wait_for_file "$T/hk/hook.state" 10
  for ((i = 0; i < 100; i++)); do
    for c in /proc/[0-9]*/cmdline; do
      if [ "$(tr '\0' ' ' < "$c" 2>/dev/null)" = "sleep $mark " ]; then hook=${c#/proc/}; hook=${hook%/cmdline}; fi
    done
    [ -z "$hook" ] || break
    sleep 0.05
  done
  [ -n "$hook" ] || fail "the createContainer hook (sleep $mark) was not found"
  track_pid "$hook"
  init=$(awk '/^PPid:/ {print $2}' "/proc/$hook/status")
  track_pid "$init"
  echo "# berth $berth_pid, init $init, hook $hook"
  pid_alive "$init" || fail "the init $init is not alive while its hook runs"
  assert_ne "$(host_ns user)" "$(readlink "/proc/$init/ns/user")" "the init's user namespace"
  assert_eq "0 100000 65536" "$(awk '{print $1, $2, $3}' "/proc/$init/uid_map")" "the init's uid_map"
  # root of its user namespace by now: its ids changed after the signal was armed
  assert_eq 100000 "$(awk '/^Uid:/ {print $3}' "/proc/$init/status")" "the init's effective uid (host view)"
  kill -KILL "$berth_pid"
  wait_pid_gone "$init" 5
  kill -KILL "$hook" 2>/dev/null || true
  rt delete --force "$ID" >/dev/null 2>&1 || true
  assert_root_empty
}

# The parent/init sync socket carried each message in one 64 KiB packet: more than 64 KiB of
# annotations gave createContainer hooks a cut state and the startContainer step an uncaught
# parse error. 300 KiB (above a packet and the default socket buffer): both hooks get the
# whole state.
test_hook_state_larger_than_a_packet() {
  mkbundle
  mkdir -m 0777 "$T/shared"
  add_bind "$T/shared" /shared
  set_args true
  local big
  big=$(head -c $((300 * 1024)) /dev/zero | tr '\0' x)
  cfg --rawfile b <(printf '%s' "$big") --arg p "$T/shared/cc.json" \
    '.annotations = {"big": $b, "small": "y"}
     | .hooks.createContainer = [{path: "/bin/sh", args: ["sh", "-c", "cat > \($p)"]}]
     | .hooks.startContainer = [{path: "/bin/sh", args: ["sh", "-c", "cat > /shared/sc.json"]}]'
  run_ctr "$ID"
  assert_rc 0
  local f
  for f in cc sc; do
    assert_eq "307200 y" "$(jq -r '"\(.annotations.big | length) \(.annotations.small)"' "$T/shared/$f.json")" \
      "annotations in the $f hook's state"
  done
  assert_eq creating "$(jq -r .status "$T/shared/cc.json")" "createContainer's status"
  assert_eq created "$(jq -r .status "$T/shared/sc.json")" "startContainer's status"
}

# An error from the init longer than a packet (a mount destination of 1 MiB) was lost
# ("receive sync message: Connection reset by peer"): now it arrives, cut to 64 KiB with a
# note, its head (what failed) and its end (why) kept.
test_init_error_of_a_1mib_mount_field() {
  mkbundle
  set_args true
  { printf /; head -c $((1024 * 1024)) /dev/zero | tr '\0' a; } > "$T/dest"
  cfg --rawfile d "$T/dest" '.mounts += [{destination: $d, type: "tmpfs", source: "tmpfs", options: ["size=1m"]}]'
  RC=0
  rt run --bundle "$BUNDLE" "$ID" </dev/null >"$T/out" 2>"$T/err" || RC=$?
  local err
  err=$(cat "$T/err")
  echo "# rc=$RC; stderr: ${#err} bytes: $(head -c 200 <<<"$err") ... $(tail -c 300 <<<"$err")"
  assert_rc 1
  # (checked without printing the 64 KiB on failure)
  grep -q "Connection reset by peer" <<<"$err" && fail "the error is 'Connection reset by peer'"
  grep -q "exited unexpectedly" <<<"$err" && fail "the init's error was lost ('exited unexpectedly')"
  assert_root_empty
  berth_only "the message"
  grep -Eq 'mkdir /a{100}' <<<"$err" || fail "the error does not start with the failed mkdir and its path"
  grep -qF "[error message cut to 64 KiB: " <<<"$err" || fail "the error does not say it was cut"
  grep -qF "File name too long" <<<"$err" || fail "the error does not end with the reason"
  [ "${#err}" -lt 70000 ] || fail "the error is ${#err} bytes"
}
