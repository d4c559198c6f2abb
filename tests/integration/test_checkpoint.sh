# checkpoint / restore with CRIU (runc 1.1.5 as the reference). The tests that need criu SKIP
# with criu's own reason when it is missing or `criu check` fails on this kernel (Debian 12's
# criu 3.17 predates kernel 6.13's vvar_vclock mapping and cannot start on newer kernels); they
# run with a real criu in `make test-vm` (Debian's 6.1 kernel).
# shellcheck shell=bash

# criu_usable: skip unless criu is installed and works on this kernel.
criu_usable() {
  command -v criu >/dev/null 2>&1 || skip "criu is not installed (apt-get install criu)"
  # criu locks a network namespace's traffic with iptables during the dump
  command -v iptables-restore >/dev/null 2>&1 || skip "criu needs iptables-restore (apt-get install iptables)"
  local out
  if ! out=$(criu check 2>&1); then
    skip "criu check fails on this kernel ($(uname -r)): $(grep -m1 'Error' <<<"$out" || echo "${out:-no message}")"
  fi
}

# A container counting into /shared/c every 0.1 s; its stdio is /dev/null, which criu can
# restore (a pipe or a host file as stdio would need --inherit-fd).
counter_bundle() {
  mkbundle
  add_bind "$T/shared" /shared
  set_sh 'exec </dev/null >/dev/null 2>&1; i=${START:-0}; while :; do i=$((i+1)); echo $i > /shared/c; sleep 0.1; done'
}
# The counter's value: the loop rewrites the file (truncate, then write), so an empty read is
# read again; 0 before the first write.
counter() {
  local c i
  for ((i = 0; i < 50; i++)); do
    c=$(cat "$T/shared/c" 2>/dev/null) || { echo 0; return; }
    [[ $c =~ ^[0-9]+$ ]] && { echo "$c"; return; }
    sleep 0.02
  done
  echo 0
}
# wait_counter_above N: the counter moves past N (5 s at most).
wait_counter_above() {
  local i
  for ((i = 0; i < 100; i++)); do
    [ "$(counter)" -gt "$1" ] 2>/dev/null && return 0
    sleep 0.05
  done
  fail "counter stuck at $(counter) (expected more than $1)"
}

test_checkpoint_criu_missing() {
  counter_bundle
  run_detached "$ID"
  wait_counter_above 2
  RC=0
  rt --criu /nonexistent/criu checkpoint --image-path "$T/img" "$ID" >"$T/out" 2>&1 || RC=$?
  cat "$T/out"
  assert_rc_nonzero "checkpoint with --criu /nonexistent/criu"
  if is_berth; then assert_contains "$(cat "$T/out")" "/nonexistent/criu" "the error names the criu path"; fi
  assert_eq running "$(state_of "$ID")" "the container is untouched"
  RC=0
  rt --criu /nonexistent/criu restore --image-path "$T/img" --bundle "$BUNDLE" "$ID-b" >"$T/out" 2>&1 || RC=$?
  cat "$T/out"
  assert_rc_nonzero "restore with --criu /nonexistent/criu"
  assert_no_container "$ID-b"
  rt kill "$ID" KILL
  wait_for_status "$ID" stopped
  rt delete "$ID"
}

test_checkpoint_unknown_container() {
  command -v criu >/dev/null 2>&1 || skip "criu is not installed"
  RC=0
  rt checkpoint --image-path "$T/img" "$ID" >"$T/out" 2>&1 || RC=$?
  cat "$T/out"
  assert_rc_nonzero
  assert_contains "$(cat "$T/out")" "does not exist"
}

# --lazy-pages, --page-server and --status-fd as berth hands them to criu (a stand-in criu),
# and runc's checks of them before criu runs.
test_berth_checkpoint_lazy_pages_criu_args() {
  berth_only "the criu arguments berth builds, seen by a stand-in criu"
  fake_criu
  counter_bundle
  run_detached "$ID"
  RC=0
  rt --criu "$T/fake-criu" checkpoint --lazy-pages --page-server nocolon --image-path "$T/img" "$ID" >"$T/out" 2>&1 || RC=$?
  cat "$T/out"
  assert_rc 1 "a page server without a port"
  assert_contains "$(cat "$T/out")" "use --page-server ADDRESS:PORT"
  RC=0
  rt --criu "$T/fake-criu" checkpoint --lazy-pages --status-fd 63 --image-path "$T/img" "$ID" >"$T/out" 2>&1 63<&- || RC=$?
  cat "$T/out"
  assert_rc 1 "a status fd that is not open"
  assert_contains "$(cat "$T/out")" "invalid --status-fd argument 63"
  RC=0
  rt --criu "$T/fake-criu" checkpoint --lazy-pages --status-fd 63 --image-path "$T/img" "$ID" >"$T/out" 2>&1 63</dev/null || RC=$?
  cat "$T/out"
  assert_rc 1 "a status fd open for reading only"
  assert_contains "$(cat "$T/out")" "invalid --status-fd argument 63: not writable"
  assert_eq running "$(state_of "$ID")"
  FAKE_DUMP=1 FAKE_ARGS="$T/dump-args" rt --criu "$T/fake-criu" checkpoint --lazy-pages --page-server 127.0.0.1:27277 \
    --status-fd 63 --image-path "$T/img" "$ID" 63>"$T/status"
  cat "$T/dump-args"
  assert_contains "$(cat "$T/dump-args")" "--lazy-pages"
  assert_contains "$(cat "$T/dump-args")" "--address 127.0.0.1 --port 27277"
  assert_contains "$(cat "$T/dump-args")" "--status-fd 63"
  assert_no_container "$ID"
  FAKE_RESTORE=1 FAKE_ARGS="$T/restore-args" rt --criu "$T/fake-criu" restore -d --lazy-pages --image-path "$T/img" \
    --bundle "$BUNDLE" "$ID"
  assert_contains "$(cat "$T/restore-args")" "--lazy-pages"
  rt kill "$ID" KILL
  wait_for_status "$ID" stopped
  rt delete "$ID"
}

# runc's "checkpoint and restore with container specific CRIU config": the annotation
# org.criu.config names a criu configuration file for the container; its log-file replaces
# berth's (runc's RPC lets the file override runc's options). A stand-in criu shows the command
# line; with a real criu (make test-vm) the log lands where the file says.
test_berth_checkpoint_criu_config_args() {
  berth_only "the criu arguments berth builds, seen by a stand-in criu"
  fake_criu
  counter_bundle
  echo "log-file=ann.log" >"$T/criu.conf"
  cfg --arg f "$T/criu.conf" '.annotations["org.criu.config"] = $f'
  run_detached "$ID"
  # a failed dump leaves no terminal record in the image dir, and the container running
  RC=0
  rt --criu "$T/fake-criu" checkpoint --image-path "$T/img0" "$ID" >"$T/out" 2>&1 || RC=$?
  assert_rc 1 "checkpoint with a failing criu"
  assert_not_exists "$T/img0/berth-terminal"
  assert_eq running "$(rt state "$ID" | jq -r .status)" "status after the failed dump"
  FAKE_DUMP=1 FAKE_ARGS="$T/dump-args" rt --criu "$T/fake-criu" checkpoint --image-path "$T/img" "$ID"
  cat "$T/dump-args"
  assert_contains "$(cat "$T/dump-args")" "--config $T/criu.conf"
  assert_not_contains "$(cat "$T/dump-args")" "--log-file"
  assert_no_container "$ID"
  # an empty annotation: no configuration file at all
  cfg '.annotations["org.criu.config"] = ""'
  FAKE_RESTORE=1 FAKE_ARGS="$T/restore-args" rt --criu "$T/fake-criu" restore -d --image-path "$T/img" \
    --bundle "$BUNDLE" "$ID"
  assert_not_contains "$(cat "$T/restore-args")" "--config"
  assert_contains "$(cat "$T/restore-args")" "--log-file restore.log"
  rt kill "$ID" KILL
  wait_for_status "$ID" stopped
  rt delete "$ID"
}

test_checkpoint_criu_config_annotation() {
  criu_usable
  counter_bundle
  echo "log-file=ann.log" >"$T/criu.conf"
  cfg --arg f "$T/criu.conf" '.annotations["org.criu.config"] = $f'
  run_detached "$ID"
  wait_counter_above 3
  rt checkpoint --image-path "$T/img" --work-path "$T/work" "$ID"
  assert_file_exists "$T/work/ann.log"
  [ ! -e "$T/work/dump.log" ] || fail "criu logged to dump.log, not to the config file's log-file"
  rm "$T/work/ann.log"
  rt restore -d --image-path "$T/img" --work-path "$T/work" --bundle "$BUNDLE" "$ID"
  assert_eq running "$(state_of "$ID")"
  assert_file_exists "$T/work/ann.log"
  [ ! -e "$T/work/restore.log" ] || fail "criu logged to restore.log, not to the config file's log-file"
  rt kill "$ID" KILL
  wait_for_status "$ID" stopped
  rt delete "$ID"
}

# runc's "checkpoint --lazy-pages and restore": the dump serves the pages from its page server
# (criu's status fd says when) until criu's lazy-pages daemon has fetched them all for the
# restore, which runs under another id meanwhile; the counter goes on in the restored container.
test_checkpoint_lazy_pages_and_restore() {
  criu_usable
  criu check --feature uffd-noncoop >/dev/null 2>&1 || skip "criu check --feature uffd-noncoop: no userfaultfd for lazy pages here"
  counter_bundle
  run_detached "$ID"
  wait_counter_above 3
  local port=27277 cpt lp st
  mkfifo "$T/status"
  rt checkpoint --lazy-pages --page-server "127.0.0.1:$port" --status-fd 63 --image-path "$T/img" \
    --work-path "$T/work" "$ID" 63>"$T/status" >"$T/cpt.out" 2>&1 &
  cpt=$!
  track_pid "$cpt"
  # one byte (\0) once criu's page server is ready
  st=$(timeout 30 head -c1 "$T/status" | od -An -tx1 | tr -d ' ') || true
  cat "$T/cpt.out"
  assert_eq 00 "$st" "the status fd said ready"
  criu lazy-pages --page-server --address 127.0.0.1 --port "$port" -D "$T/img" -W "$T/img" >"$T/lp.out" 2>&1 &
  lp=$!
  track_pid "$lp"
  local before
  before=$(counter)
  rt restore -d --lazy-pages --image-path "$T/img" --work-path "$T/img" --bundle "$BUNDLE" "$ID-lazy"
  assert_eq running "$(state_of "$ID-lazy")"
  wait_bg "$cpt" 120
  assert_rc 0 "the lazy checkpoint ended once its pages were taken: $(cat "$T/cpt.out")"
  wait_bg "$lp" 60
  assert_rc 0 "criu lazy-pages: $(cat "$T/lp.out")"
  assert_no_container "$ID"
  wait_counter_above "$((before + 3))"
  rt kill "$ID-lazy" KILL
  wait_for_status "$ID-lazy" stopped
  rt delete "$ID-lazy"
}

test_checkpoint_restore_counter_continues() {
  criu_usable
  counter_bundle
  run_detached "$ID"
  wait_counter_above 5
  RT_TIMEOUT=60 rt checkpoint --image-path "$T/img" --work-path "$T/work" "$ID"
  assert_no_container "$ID"   # runc: a checkpointed container is gone unless --leave-running
  local at
  at=$(counter)
  sleep 0.5
  assert_eq "$at" "$(counter)" "nothing counts while checkpointed"
  RT_TIMEOUT=60 rt restore --detach --image-path "$T/img" --work-path "$T/work" --bundle "$BUNDLE" "$ID"
  container_pid "$ID" >/dev/null
  assert_eq running "$(state_of "$ID")"
  wait_counter_above $((at + 3))
  local now
  now=$(counter)
  [ "$now" -lt $((at + 100)) ] || fail "counter jumped from $at to $now"
  rt kill "$ID" KILL
  wait_for_status "$ID" stopped
  rt delete "$ID"
}

test_checkpoint_leave_running() {
  criu_usable
  counter_bundle
  run_detached "$ID"
  wait_counter_above 3
  local pid
  pid=$(container_pid "$ID")
  RT_TIMEOUT=60 rt checkpoint --leave-running --image-path "$T/img" "$ID"
  assert_eq running "$(state_of "$ID")" "--leave-running keeps the container"
  assert_eq "$pid" "$(container_pid "$ID")"
  local at
  at=$(counter)
  wait_counter_above "$at"
  assert_file_exists "$T/img/inventory.img"
  rt kill "$ID" KILL
  wait_for_status "$ID" stopped
  rt delete "$ID"
}

test_checkpoint_pre_dump_then_dump() {
  criu_usable
  counter_bundle
  run_detached "$ID"
  wait_counter_above 3
  mkdir -p "$T/img"
  RT_TIMEOUT=60 rt checkpoint --pre-dump --image-path "$T/img/1" "$ID"
  assert_eq running "$(state_of "$ID")" "a pre-dump leaves the container running"
  wait_counter_above "$(counter)"
  RT_TIMEOUT=60 rt checkpoint --parent-path ../1 --image-path "$T/img/2" "$ID"
  assert_no_container "$ID"
  local at
  at=$(counter)
  RT_TIMEOUT=60 rt restore --detach --image-path "$T/img/2" --bundle "$BUNDLE" "$ID"
  container_pid "$ID" >/dev/null
  wait_counter_above "$at"
  rt kill "$ID" KILL
  wait_for_status "$ID" stopped
  rt delete "$ID"
}

test_restore_under_another_id() {
  criu_usable
  counter_bundle
  run_detached "$ID-a"
  wait_counter_above 3
  RT_TIMEOUT=60 rt checkpoint --image-path "$T/img" "$ID-a"
  local at pid
  at=$(counter)
  RT_TIMEOUT=60 rt restore --detach --pid-file "$T/pid" --image-path "$T/img" --bundle "$BUNDLE" "$ID-b"
  pid=$(container_pid "$ID-b")
  assert_eq "$pid" "$(cat "$T/pid")" "--pid-file holds the restored init"
  assert_eq running "$(state_of "$ID-b")"
  assert_no_container "$ID-a"
  wait_counter_above "$at"
  # A first-class container: exec, kill, delete.
  local out
  out=$(rt exec "$ID-b" cat /shared/c)
  [ "$out" -gt "$at" ] || fail "exec in the restored container read [$out]"
  rt kill "$ID-b" KILL
  wait_for_status "$ID-b" stopped
  rt delete "$ID-b"
  assert_no_container "$ID-b"
}

# fake_criu: a criu that fails like a real one (an Error line in its log, exit 1), or, for
# restore with FAKE_RESTORE=1, starts a stand-in for the restored init and writes its pid to
# --pidfile (what criu --restore-detached does): berth's own bookkeeping around criu is
# tested without a criu that works on this kernel.
fake_criu() {
  cat > "$T/fake-criu" <<'SH'
#!/bin/sh
[ -z "${FAKE_ARGS:-}" ] || echo "$*" > "$FAKE_ARGS"
work=. log=criu.log pidfile= images=.
while [ $# -gt 0 ]; do
  case $1 in
    --images-dir) images=$2; shift ;;
    --work-dir) work=$2; shift ;;
    --log-file) log=$2; shift ;;
    --pidfile) pidfile=$2; shift ;;
  esac
  shift
done
if [ -n "$pidfile" ] && [ "${FAKE_RESTORE:-}" = 1 ]; then
  setsid sh -c "${FAKE_INIT:-exec sleep 100}" </dev/null >/dev/null 2>&1 &
  echo $! > "$pidfile"
  exit 0
fi
if [ "${FAKE_DUMP:-}" = 1 ]; then
  touch "$images/inventory.img"
  exit 0
fi
echo "(00.000001) Error (fake-criu): no dump today" > "$work/$log"
exit 1
SH
  chmod +x "$T/fake-criu"
}

test_checkpoint_criu_failure_is_reported() {
  berth_only "criu's failure and log named in the error"
  fake_criu
  counter_bundle
  run_detached "$ID"
  RC=0
  rt --criu "$T/fake-criu" checkpoint --image-path "$T/img" "$ID" >"$T/out" 2>&1 || RC=$?
  cat "$T/out"
  assert_rc_nonzero
  assert_contains "$(cat "$T/out")" "criu dump failed (exit status 1), see $T/img/dump.log"
  assert_contains "$(cat "$T/out")" "no dump today"
  assert_eq running "$(state_of "$ID")" "a failed dump leaves the container running"
  RC=0
  rt --criu "$T/fake-criu" restore -d --image-path "$T/img" --bundle "$BUNDLE" "$ID-b" >"$T/out" 2>&1 || RC=$?
  cat "$T/out"
  assert_rc_nonzero
  assert_contains "$(cat "$T/out")" "inventory.img"
  assert_no_container "$ID-b"
  touch "$T/img/inventory.img"
  RC=0
  rt --criu "$T/fake-criu" restore -d --image-path "$T/img" --bundle "$BUNDLE" "$ID-b" >"$T/out" 2>&1 || RC=$?
  cat "$T/out"
  assert_rc_nonzero
  assert_contains "$(cat "$T/out")" "criu restore failed"
  assert_no_container "$ID-b"
  rt kill "$ID" KILL
  wait_for_status "$ID" stopped
  rt delete "$ID"
}

# runc checkpoints a paused container: criu is given its (frozen) freezer cgroup, and a failed
# dump leaves it paused.
test_checkpoint_paused_container() {
  berth_only "a stand-in criu: the arguments berth gives criu for a paused container"
  fake_criu
  counter_bundle
  run_detached "$ID"
  rt pause "$ID"
  assert_eq paused "$(state_of "$ID")"
  RC=0
  FAKE_ARGS="$T/criu.args" rt --criu "$T/fake-criu" checkpoint --image-path "$T/img" "$ID" >"$T/out" 2>&1 || RC=$?
  cat "$T/out"
  assert_rc 1 "checkpoint (the stand-in criu fails the dump)"
  assert_contains "$(cat "$T/out")" "criu dump failed" "criu ran for the paused container"
  local pid freezer
  pid=$(container_pid "$ID")
  if cgroup_v2; then
    freezer=/sys/fs/cgroup$(awk -F: '$1 == 0 {print $3}' "/proc/$pid/cgroup")
  else
    freezer=/sys/fs/cgroup/freezer$(awk -F: '$2 ~ /(^|,)freezer(,|$)/ {print $3}' "/proc/$pid/cgroup")
  fi
  assert_contains "$(cat "$T/criu.args")" "--freeze-cgroup $freezer " "criu's freezer"
  assert_eq paused "$(state_of "$ID")" "a failed dump leaves the container paused"
  rt resume "$ID"
  rt kill "$ID" KILL
  wait_for_status "$ID" stopped
  rt delete "$ID"
}

test_berth_restore_records_the_restored_init() {
  berth_only "a stand-in criu: berth's state.json, pid file, kill and delete around it"
  fake_criu
  counter_bundle
  mkdir -p "$T/img"
  touch "$T/img/inventory.img"
  FAKE_RESTORE=1 rt --criu "$T/fake-criu" restore -d --pid-file "$T/pid" --image-path "$T/img" \
    --bundle "$BUNDLE" "$ID"
  local pid
  pid=$(container_pid "$ID")
  assert_eq "$pid" "$(cat "$T/pid")" "--pid-file holds the restored init"
  assert_eq sleep "$(cat "/proc/$pid/comm")"
  assert_eq running "$(state_of "$ID")"
  assert_eq "$BUNDLE" "$(rt state "$ID" | jq -r .bundle)"
  rt ps "$ID" | grep -qw "$pid" || fail "ps does not list the restored init (not in the container's cgroup)"
  rt kill "$ID" KILL
  wait_for_status "$ID" stopped
  rt delete "$ID"
  assert_no_container "$ID"
}

# A terminal's restore needs a console socket for the new pty master, and a console socket
# needs a terminal (create's rules): both refused before criu runs, nothing left.
test_restore_terminal_needs_console_socket() {
  berth_only "berth's checks around a stand-in criu"
  fake_criu
  counter_bundle
  mkdir -p "$T/img"
  touch "$T/img/inventory.img"
  RC=0
  FAKE_RESTORE=1 rt --criu "$T/fake-criu" restore -d --console-socket "$T/console.sock" --image-path "$T/img" \
    --bundle "$BUNDLE" "$ID" >"$T/out" 2>&1 || RC=$?
  cat "$T/out"
  assert_rc 1 "restore --console-socket without a terminal"
  assert_contains "$(cat "$T/out")" "--console-socket: config.json has no process.terminal"
  assert_no_container "$ID"
  cfg '.process.terminal = true'
  RC=0
  FAKE_RESTORE=1 rt --criu "$T/fake-criu" restore -d --image-path "$T/img" --bundle "$BUNDLE" "$ID" \
    >"$T/out" 2>&1 || RC=$?
  cat "$T/out"
  assert_rc 1 "restore of a terminal config without --console-socket"
  assert_contains "$(cat "$T/out")" "a terminal needs --console-socket"
  assert_no_container "$ID"
}

# What berth tells criu about a terminal (checkpoint_terminal.hpp), seen by a stand-in criu:
# the dump declares the pty slave an external tty and the /dev/console bind an external mount;
# the restore hands criu a new slave under the same tty name, binds it on /dev/console, and
# sends the new master to the console socket. A damaged record is refused before criu runs.
test_berth_checkpoint_terminal_criu_args() {
  berth_only "the criu arguments berth builds, seen by a stand-in criu"
  fake_criu
  mkbundle
  cfg '.process.terminal = true'
  set_args sleep 100
  python3 "$REPO/tests/integration/console-recv.py" "$T/c1.sock" "$T/c1.out" 30 & track_pid $!
  wait_for_file "$T/c1.sock"
  run_detached "$ID" --console-socket "$T/c1.sock" || fail "run -d with a terminal: rc=$RC"
  local pid tty
  pid=$(rt state "$ID" | jq -r .pid)
  tty=$(python3 -c 'import os,sys; s=os.stat(sys.argv[1]); print("tty[%x:%x]" % (s.st_rdev, s.st_dev))' "/proc/$pid/fd/0")
  # a failed dump leaves no terminal record in the image dir, and the container running
  RC=0
  rt --criu "$T/fake-criu" checkpoint --image-path "$T/img0" "$ID" >"$T/out" 2>&1 || RC=$?
  assert_rc 1 "checkpoint with a failing criu"
  assert_not_exists "$T/img0/berth-terminal"
  assert_eq running "$(rt state "$ID" | jq -r .status)" "status after the failed dump"
  FAKE_DUMP=1 FAKE_ARGS="$T/dump-args" rt --criu "$T/fake-criu" checkpoint --image-path "$T/img" "$ID"
  cat "$T/dump-args"
  assert_contains "$(cat "$T/dump-args")" "--external $tty"
  assert_contains "$(cat "$T/dump-args")" "--external mnt[/dev/console]:berth-console"
  assert_no_container "$ID"
  python3 "$REPO/tests/integration/console-recv.py" "$T/c2.sock" "$T/c2.out" 2 & local recv=$!
  track_pid "$recv"
  wait_for_file "$T/c2.sock"
  FAKE_RESTORE=1 FAKE_ARGS="$T/restore-args" rt --criu "$T/fake-criu" restore -d --image-path "$T/img" \
    --console-socket "$T/c2.sock" --bundle "$BUNDLE" "$ID"
  cat "$T/restore-args"
  assert_match "$(cat "$T/restore-args")" "--inherit-fd fd\[[0-9]+\]:${tty//[/\\[}( |$)" "the new slave under the old name"
  assert_match "$(cat "$T/restore-args")" "--external mnt\[berth-console\]:/dev/pts/[0-9]+( |$)" "the new slave on /dev/console"
  wait_bg "$recv" 10
  assert_rc 0 "the console socket got the new master"
  assert_match "$(cat "$T/c2.out.fdinfo")" "^/dev/ptmx|^/dev/pts/ptmx" "what the socket got"
  rt kill "$ID" KILL
  wait_for_status "$ID" stopped
  rt delete "$ID"
  # a damaged record: refused before criu runs, nothing made
  echo "tty tty[../x]" > "$T/img/berth-terminal"
  python3 "$REPO/tests/integration/console-recv.py" "$T/c3.sock" "$T/c3.out" 3 & track_pid $!
  wait_for_file "$T/c3.sock"
  RC=0
  FAKE_RESTORE=1 FAKE_ARGS="$T/restore-args3" rt --criu "$T/fake-criu" restore -d --image-path "$T/img" \
    --console-socket "$T/c3.sock" --bundle "$BUNDLE" "$ID" >"$T/out" 2>&1 || RC=$?
  cat "$T/out"
  assert_rc 1 "restore with a damaged terminal record"
  assert_contains "$(cat "$T/out")" "berth-terminal: unexpected line"
  [ ! -e "$T/restore-args3" ] || fail "criu ran with a damaged terminal record"
  assert_no_container "$ID"
  rm "$T/img/berth-terminal"
  RC=0
  FAKE_RESTORE=1 rt --criu "$T/fake-criu" restore -d --image-path "$T/img" \
    --console-socket "$T/c3.sock" --bundle "$BUNDLE" "$ID" >"$T/out" 2>&1 || RC=$?
  cat "$T/out"
  assert_rc 1 "restore of a terminal config from a checkpoint without a terminal"
  assert_contains "$(cat "$T/out")" "holds no berth-terminal"
  assert_no_container "$ID"
}

# A container with a terminal, checkpointed and restored with a new pty (runc's "checkpoint
# and restore" with a console socket): the counter goes on and writes to the new terminal.
test_checkpoint_restore_terminal() {
  criu_usable
  mkbundle
  add_bind "$T/shared" /shared
  cfg '.process.terminal = true'
  set_sh 'i=0; while :; do i=$((i+1)); echo $i > /shared/c; echo "tick $i"; sleep 0.1; done'
  python3 "$REPO/tests/integration/console-recv.py" "$T/c1.sock" "$T/c1.out" 30 & track_pid $!
  wait_for_file "$T/c1.sock"
  run_detached "$ID" --console-socket "$T/c1.sock" || fail "run -d with a terminal: rc=$RC"
  wait_counter_above 3
  rt checkpoint --image-path "$T/img" "$ID"
  assert_no_container "$ID"
  local before
  before=$(counter)
  python3 "$REPO/tests/integration/console-recv.py" "$T/c2.sock" "$T/c2.out" 3 & local recv=$!
  track_pid "$recv"
  wait_for_file "$T/c2.sock"
  rt restore -d --image-path "$T/img" --console-socket "$T/c2.sock" --bundle "$BUNDLE" "$ID"
  assert_eq running "$(state_of "$ID")"
  wait_counter_above "$((before + 3))"
  wait_bg "$recv" 10
  assert_rc 0 "the console socket got the new master"
  assert_match "$(cat "$T/c2.out")" "tick [0-9]+" "output through the new terminal"
  rt kill "$ID" KILL
  wait_for_status "$ID" stopped
  rt delete "$ID"
}

test_berth_restore_foreground_waits() {
  berth_only "a stand-in criu: the foreground restore waits for the restored init and deletes the container"
  fake_criu
  counter_bundle
  mkdir -p "$T/img"
  touch "$T/img/inventory.img"
  RC=0
  FAKE_RESTORE=1 FAKE_INIT='sleep 0.5; exit 3' rt --criu "$T/fake-criu" restore --image-path "$T/img" \
    --bundle "$BUNDLE" "$ID" >"$T/out" 2>&1 || RC=$?
  cat "$T/out"
  assert_rc 3 "restore returns the restored init's exit status"
  assert_no_container "$ID"
}
