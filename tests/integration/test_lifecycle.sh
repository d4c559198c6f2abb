# Lifecycle: create/start/kill/delete/state/list/ps/run, exit codes, error cases.
# shellcheck shell=bash

test_create_holds_process_until_start() {
  mkbundle
  add_bind "$T/shared" /shared
  set_sh 'echo ran > /shared/started; exec sleep 100'
  create_ctr "$ID"
  local st pid
  st=$(rt state "$ID")
  assert_eq created "$(jq -r .status <<<"$st")" "status after create"
  pid=$(jq -r .pid <<<"$st")
  [ "$pid" -gt 0 ] 2>/dev/null || fail "state pid is [$pid]"
  pid_alive "$pid" || fail "init pid $pid is not alive after create"
  sleep 0.3
  assert_not_exists "$T/shared/started"   # the user process has not run yet
  start_ctr "$ID"
  wait_for_file "$T/shared/started"
  assert_eq running "$(state_of "$ID")" "status after start"
  assert_eq "$pid" "$(container_pid "$ID")" "pid after start"
  rt kill "$ID" KILL
  wait_for_status "$ID" stopped
  rt delete "$ID"
  assert_no_container "$ID"
  wait_pid_gone "$pid"
  assert_root_empty
}

test_kill_default_signal_is_sigterm() {
  mkbundle
  add_bind "$T/shared" /shared
  set_sh 'trap "echo TERM > /shared/sig; exit 0" TERM; touch /shared/ready; while :; do sleep 0.05; done'
  run_detached "$ID"
  wait_for_file "$T/shared/ready"
  rt kill "$ID"
  wait_for_status "$ID" stopped
  assert_file_contains "$T/shared/sig" TERM
  rt delete "$ID"
}

test_kill_signal_forms() {
  mkbundle
  set_args sleep 100
  local sig n=0 pid
  for sig in KILL SIGKILL 9; do
    n=$((n + 1))
    run_detached "$ID-$n"
    pid=$(container_pid "$ID-$n")
    rt kill "$ID-$n" "$sig"
    wait_for_status "$ID-$n" stopped
    wait_pid_gone "$pid"
    rt delete "$ID-$n"
  done
  # an unknown signal name is an error and does nothing
  run_detached "$ID-x"
  RC=0; rt kill "$ID-x" NOSUCHSIG 2>"$T/err" || RC=$?
  assert_rc_nonzero "kill with signal NOSUCHSIG"
  assert_eq running "$(state_of "$ID-x")"
}

test_kill_all() {
  mkbundle
  # sh as pid 1 has no TERM handler: a TERM sent to the init alone is ignored by the kernel,
  # the two sleeps die only if the signal goes to every process (--all).
  set_sh 'sleep 100 & sleep 100 & wait'
  run_detached "$ID"
  local pid kids="" i
  pid=$(container_pid "$ID")
  for ((i = 0; i < 100; i++)); do
    if [ -e "/proc/$pid/task/$pid/children" ]; then
      kids=$(cat /proc/"$pid"/task/*/children 2>/dev/null || true)
    else
      kids=$(pgrep -P "$pid" || true)
    fi
    [ "$(wc -w <<<"$kids")" -ge 2 ] && break
    sleep 0.05
  done
  [ "$(wc -w <<<"$kids")" -ge 2 ] || fail "container children not found: [$kids]"
  for i in $kids; do track_pid "$i"; done
  rt kill "$ID" TERM
  sleep 0.3
  assert_eq running "$(state_of "$ID")" "status after TERM to init only"
  for i in $kids; do pid_alive "$i" || fail "child $i died from a signal sent to the init only"; done
  rt kill --all "$ID" TERM
  for i in $kids; do wait_pid_gone "$i"; done
  wait_for_status "$ID" stopped
  rt delete "$ID"
}

test_kill_stopped_container_fails() {
  mkbundle
  set_args true
  create_ctr "$ID"
  start_ctr "$ID"
  wait_for_status "$ID" stopped
  RC=0; rt kill "$ID" KILL 2>"$T/err" || RC=$?
  assert_rc_nonzero "kill of a stopped container"
  rt delete "$ID"
}

test_run_returns_exit_code() {
  mkbundle
  set_sh 'echo hello; exit 3'
  run_ctr "$ID"
  assert_rc 3
  assert_eq hello "$OUT"
  assert_root_empty   # foreground run deletes the container when it exits
  set_args true
  run_ctr "$ID"
  assert_rc 0
}

test_run_detach() {
  mkbundle
  set_args sleep 100
  local t0 t1
  t0=$(date +%s)
  run_detached "$ID"
  t1=$(date +%s)
  [ $((t1 - t0)) -lt 10 ] || fail "run --detach did not return promptly"
  assert_eq running "$(state_of "$ID")"
  pid_alive "$(container_pid "$ID")" || fail "detached container process not alive"
  rt kill "$ID" KILL
  wait_for_status "$ID" stopped
  rt delete "$ID"
  assert_root_empty
}

test_delete_running_needs_force() {
  mkbundle
  set_args sleep 100
  run_detached "$ID"
  local pid
  pid=$(container_pid "$ID")
  RC=0; rt delete "$ID" 2>"$T/err" || RC=$?
  assert_rc_nonzero "delete of a running container without --force"
  assert_eq running "$(state_of "$ID")" "status after refused delete"
  pid_alive "$pid" || fail "refused delete killed the process"
  rt delete --force "$ID"
  assert_no_container "$ID"
  wait_pid_gone "$pid"
  assert_root_empty
}

test_start_only_from_created() {
  mkbundle
  set_args true
  create_ctr "$ID"
  start_ctr "$ID"
  wait_for_status "$ID" stopped
  RC=0; rt start "$ID" 2>"$T/err" || RC=$?
  assert_rc_nonzero "start of a stopped container"
  assert_eq stopped "$(state_of "$ID")"
  rt delete "$ID"
  # start of a running container fails too
  set_args sleep 100
  run_detached "$ID-r"
  RC=0; rt start "$ID-r" 2>"$T/err" || RC=$?
  assert_rc_nonzero "start of a running container"
  assert_eq running "$(state_of "$ID-r")"
}

test_unknown_id_errors() {
  local cmd
  for cmd in state kill delete start; do
    RC=0; rt "$cmd" "$ID-nope" >"$T/out" 2>"$T/err" || RC=$?
    assert_rc 1 "$cmd of an unknown id"
    assert_contains "$(cat "$T/err")" "does not exist" "stderr of $cmd"
  done
  assert_root_empty
}

test_duplicate_id_rejected() {
  mkbundle
  set_args sleep 100
  create_ctr "$ID"
  local pid
  pid=$(container_pid "$ID")
  RC=0; create_ctr "$ID" || true
  assert_rc_nonzero "second create with the same id"
  assert_eq created "$(state_of "$ID")" "first container status"
  assert_eq "$pid" "$(container_pid "$ID")" "first container pid"
  pid_alive "$pid" || fail "first container's init died"
  assert_eq "$ID" "$(rt list -q)" "list -q"
}

test_create_pid_file() {
  mkbundle
  set_args sleep 100
  create_ctr "$ID" --pid-file "$T/init.pid"
  assert_file_exists "$T/init.pid"
  local want got
  want=$(container_pid "$ID")
  got=$(tr -d ' \n' < "$T/init.pid")
  assert_eq "$want" "$got" "pid file content"
}

test_state_json_keys() {
  mkbundle
  set_args sleep 100
  create_ctr "$ID"
  local st k keys
  st=$(rt state "$ID")
  echo "$st"
  jq -e 'type == "object"' <<<"$st" >/dev/null || fail "state is not a JSON object"
  keys=" $(jq -r 'keys[]' <<<"$st" | tr '\n' ' ') "
  for k in ociVersion id status pid bundle; do
    assert_contains "$keys" " $k " "state keys"
  done
  assert_eq "$ID" "$(jq -r .id <<<"$st")" id
  assert_eq created "$(jq -r .status <<<"$st")" status
  assert_eq number "$(jq -r '.pid | type' <<<"$st")" "pid type"
  assert_eq "$(readlink -f "$BUNDLE")" "$(jq -r .bundle <<<"$st")" bundle
  assert_match "$(jq -r .ociVersion <<<"$st")" '^1\.[0-9]+\.[0-9]+' ociVersion
  # stopped: status "stopped" (runc reports pid 0)
  rt kill "$ID" KILL
  wait_for_status "$ID" stopped
  st=$(rt state "$ID")
  assert_eq stopped "$(jq -r .status <<<"$st")" "status after kill"
}

# Keys beyond the OCI minimum that runc writes and containerd's go-runc reads.
test_state_runc_compat_keys() {
  mkbundle
  set_args sleep 100
  create_ctr "$ID"
  local st
  st=$(rt state "$ID")
  assert_eq "$(readlink -f "$BUNDLE")/rootfs" "$(jq -r .rootfs <<<"$st")" rootfs
  assert_match "$(jq -r .created <<<"$st")" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$' created
}

test_state_annotations() {
  mkbundle
  set_args sleep 100
  cfg '.annotations = {"org.example.key": "val1", "com.example.other": "two words"}'
  create_ctr "$ID"
  local got
  got=$(rt state "$ID" | jq -cS '.annotations')
  assert_eq '{"com.example.other":"two words","org.example.key":"val1"}' "$got" annotations
}

test_list_formats() {
  mkbundle
  set_args sleep 100
  # empty root first
  local out
  out=$(rt list --format json)
  echo "empty list json: [$out]"
  jq -e '. == null or . == []' <<<"$out" >/dev/null || fail "empty list --format json is [$out], want null or []"
  assert_eq "" "$(rt list -q)" "empty list -q"
  create_ctr "$ID-a"
  create_ctr "$ID-b"
  local pida pidb
  pida=$(container_pid "$ID-a")
  pidb=$(container_pid "$ID-b")
  out=$(rt list)
  echo "$out"
  assert_eq "ID PID STATUS BUNDLE CREATED OWNER" "$(head -n1 <<<"$out" | awk '{$1=$1; print}')" "list header"
  local row
  row=$(awk -v id="$ID-a" '$1 == id' <<<"$out")
  [ -n "$row" ] || fail "no list row for $ID-a"
  assert_eq "$pida created $(readlink -f "$BUNDLE")" "$(awk '{print $2, $3, $4}' <<<"$row")" "list row of $ID-a"
  assert_eq 3 "$(wc -l <<<"$out")" "list line count"
  assert_eq "$(printf '%s\n' "$ID-a" "$ID-b")" "$(rt list -q | sort)" "list -q"
  out=$(rt list --format json)
  jq -e 'type == "array" and length == 2' <<<"$out" >/dev/null || fail "list --format json: [$out]"
  assert_eq "$ID-a $pida created|$ID-b $pidb created" \
    "$(jq -r 'sort_by(.id) | map("\(.id) \(.pid) \(.status)") | join("|")' <<<"$out")" "list json entries"
  rt delete --force "$ID-a"
  rt delete --force "$ID-b"
  out=$(rt list --format json)
  jq -e '. == null or . == []' <<<"$out" >/dev/null || fail "list --format json after delete: [$out]"
  assert_eq 1 "$(rt list | wc -l)" "list after delete prints only the header"
}

test_ps_json() {
  mkbundle
  set_sh 'sleep 100 & wait'
  run_detached "$ID"
  local pid out
  pid=$(container_pid "$ID")
  sleep 0.2
  out=$(rt ps --format json "$ID")
  echo "ps json: $out"
  jq -e 'type == "array"' <<<"$out" >/dev/null || fail "ps --format json is not an array: [$out]"
  jq -e --argjson p "$pid" 'index($p) != null' <<<"$out" >/dev/null || fail "init pid $pid not in ps output [$out]"
  [ "$(jq length <<<"$out")" -ge 2 ] || fail "ps should list the init and its sleep child: [$out]"
}

test_run_forwards_signals() {
  mkbundle
  add_bind "$T/shared" /shared
  set_sh 'trap "exit 42" TERM; touch /shared/ready; while :; do sleep 0.05; done'
  rt_bg "$T/fg.out" run --bundle "$BUNDLE" "$ID"
  wait_for_file "$T/shared/ready"
  kill -TERM "$BG_PID"
  wait_bg "$BG_PID"
  cat "$T/fg.out.err" || true
  assert_rc 42 "exit code of foreground run after TERM to the runtime"
  assert_root_empty
}

test_run_exit_code_of_signalled_process() {
  mkbundle
  set_args sleep 100
  rt_bg "$T/fg.out" run --bundle "$BUNDLE" "$ID"
  wait_for_status "$ID" running
  rt kill "$ID" KILL
  wait_bg "$BG_PID"
  assert_rc 137 "exit code of foreground run whose process died of SIGKILL"
  assert_root_empty
}

test_run_missing_binary() {
  mkbundle
  set_args /nonexistent/bin/prog
  run_ctr "$ID"
  assert_rc_nonzero "run of a missing binary"
  if is_berth; then assert_rc 127 "berth exit code for a missing binary"; fi
  assert_contains "$(cat "$T/err")" "/nonexistent/bin/prog" "error message"
  assert_root_empty
}

test_malformed_config_rejected() {
  mkbundle
  echo '{ "ociVersion": "1.0.2", bad json' > "$BUNDLE/config.json"
  run_ctr "$ID"
  assert_rc_nonzero "run with malformed config.json"
  [ -s "$T/err" ] || fail "no error message for malformed config.json"
  assert_root_empty
  RC=0; create_ctr "$ID" || true
  assert_rc_nonzero "create with malformed config.json"
  assert_root_empty
}

test_missing_rootfs_rejected() {
  mkbundle
  rm -rf "$BUNDLE/rootfs"
  run_ctr "$ID"
  assert_rc_nonzero "run without rootfs"
  assert_contains "$(cat "$T/err")" "rootfs" "error message"
  assert_root_empty
  RC=0; create_ctr "$ID" || true
  assert_rc_nonzero "create without rootfs"
  assert_root_empty
}

test_invalid_ids_rejected() {
  mkbundle
  set_args true
  local id
  for id in "../escape" "a/b" ""; do
    RC=0; rt create --bundle "$BUNDLE" "$id" </dev/null >"$T/out" 2>"$T/err" || RC=$?
    echo "# create [$id] -> $RC: $(cat "$T/err")"
    assert_rc_nonzero "create with id [$id]"
  done
  assert_not_exists "$T/escape"
  assert_not_exists "$ROOT/a"
  assert_root_empty
}

test_invalid_id_leading_dot_rejected() {
  runc_known_diff "runc 1.1.5 accepts ids such as .x"
  mkbundle
  set_args true
  local id
  for id in ".x" "." ".."; do
    RC=0; rt create --bundle "$BUNDLE" "$id" </dev/null >"$T/out" 2>"$T/err" || RC=$?
    echo "# create [$id] -> $RC: $(cat "$T/err")"
    assert_rc_nonzero "create with id [$id]"
  done
  assert_root_empty
}

# The wording of exec failures matters beyond humans: engines match runc's text (moby maps
# "executable file not found" / "no such file or directory" to exit 127 and
# "permission denied" to 126, case-sensitively).
test_exec_error_messages() {
  mkbundle
  set_args /nonexistent/bin/prog
  run_ctr "$ID"
  assert_rc_nonzero "missing absolute path"
  assert_contains "$(cat "$T/err")" "no such file or directory" "error for a missing absolute path"
  set_args no-such-command
  run_ctr "$ID"
  assert_rc_nonzero "command not in PATH"
  assert_contains "$(cat "$T/err")" "executable file not found in \$PATH" "error for a command not in PATH"
  assert_contains "$(cat "$T/err")" "no-such-command" "error for a command not in PATH"
  set_args /etc/passwd
  run_ctr "$ID"
  assert_rc_nonzero "non-executable file"
  assert_contains "$(cat "$T/err")" "permission denied" "error for a non-executable file"
  assert_root_empty
}

test_berth_exec_exit_codes() {
  berth_only "exit codes 127/126 of a failed exec (runc exits 1)"
  mkbundle
  set_args /nonexistent/bin/prog
  run_ctr "$ID"
  assert_rc 127 "missing absolute path"
  set_args no-such-command
  run_ctr "$ID"
  assert_rc 127 "command not in PATH"
  set_args /etc/passwd
  run_ctr "$ID"
  assert_rc 126 "non-executable file"
  assert_root_empty
}

test_berth_invalid_id_message() {
  berth_only "wording of the invalid-id error"
  mkbundle
  set_args true
  RC=0; rt create --bundle "$BUNDLE" "a/b" </dev/null >"$T/out" 2>"$T/err" || RC=$?
  assert_rc 1 "create with id a/b"
  assert_contains "$(cat "$T/err")" 'invalid container id \"a/b\"' "error message"
  assert_root_empty
}
