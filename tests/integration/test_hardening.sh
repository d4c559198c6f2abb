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
