# berth and runc on the same bundle, in the same test: where runc defines the
# output (state JSON keys, list columns, exit codes), berth must match it.

# rc_of CMD...: prints the exit status of CMD (output discarded).
rc_of() { local rc=0; "$@" </dev/null >/dev/null 2>&1 || rc=$?; echo "$rc"; }

test_outputs_and_exit_codes_match_runc() {
  is_runc && skip "this test compares the runtime under test with runc"
  command -v runc >/dev/null || skip "runc is not installed"
  mkbundle
  set_args sleep 100
  local rr=$T/runc-root
  runc_() { timeout -k 2 10 runc --root "$rr" "$@"; }

  assert_eq 0 "$(rc_of rt create --bundle "$BUNDLE" "$ID-b")" "berth create"
  assert_eq 0 "$(rc_of runc_ create --bundle "$BUNDLE" "$ID-r")" "runc create"
  container_pid "$ID-b" >/dev/null
  track_pid "$(runc_ state "$ID-r" | jq -r .pid)"

  assert_eq "$(runc_ state "$ID-r" | jq -c 'keys_unsorted')" "$(rt state "$ID-b" | jq -c 'keys_unsorted')" "state JSON keys (created)"
  assert_eq "$(runc_ state "$ID-r" | jq -r .status)" "$(rt state "$ID-b" | jq -r .status)" "status after create"
  assert_eq "$(runc_ list | head -1 | tr -s ' ')" "$(rt list | head -1 | tr -s ' ')" "list header"
  assert_eq "$(runc_ list | sed -n 2p | awk '{print NF, $3, $6}')" "$(rt list | sed -n 2p | awk '{print NF, $3, $6}')" "list row: columns, status, owner"
  assert_eq "$(runc_ list -q)" "$(rt list -q | sed "s/$ID-b/$ID-r/")" "list -q"

  assert_eq "$(rc_of runc_ start "$ID-r")" "$(rc_of rt start "$ID-b")" "start"
  assert_eq "$(runc_ state "$ID-r" | jq -r .status)" "$(rt state "$ID-b" | jq -r .status)" "status after start"
  assert_eq "$(rc_of runc_ start "$ID-r")" "$(rc_of rt start "$ID-b")" "start of a running container"
  assert_eq "$(rc_of runc_ delete "$ID-r")" "$(rc_of rt delete "$ID-b")" "delete of a running container without --force"
  assert_eq "$(runc_ ps --format json "$ID-r" | jq -r 'type')" "$(rt ps --format json "$ID-b" | jq -r 'type')" "ps --format json"
  assert_eq "$(rc_of runc_ kill "$ID-r" KILL)" "$(rc_of rt kill "$ID-b" KILL)" "kill KILL"
  sleep 0.3
  assert_eq "$(runc_ state "$ID-r" | jq -c '[.status, .pid]')" "$(rt state "$ID-b" | jq -c '[.status, .pid]')" "status and pid when stopped"
  assert_eq "$(rc_of runc_ kill "$ID-r")" "$(rc_of rt kill "$ID-b")" "kill of a stopped container"
  assert_eq "$(rc_of runc_ start "$ID-r")" "$(rc_of rt start "$ID-b")" "start of a stopped container"
  assert_eq "$(rc_of runc_ delete "$ID-r")" "$(rc_of rt delete "$ID-b")" "delete of a stopped container"
  assert_eq "$(rc_of runc_ state "$ID-r")" "$(rc_of rt state "$ID-b")" "state of a deleted container"
  assert_eq "$(rc_of runc_ kill nosuch-"$ID")" "$(rc_of rt kill nosuch-"$ID")" "kill of an unknown id"
  assert_eq "$(rc_of runc_ delete nosuch-"$ID")" "$(rc_of rt delete nosuch-"$ID")" "delete of an unknown id"
  assert_eq "$(runc_ list --format json)" "$(rt list --format json)" "list --format json when empty"

  local s
  for s in 0 3 42; do
    set_sh "exit $s"
    assert_eq "$(rc_of runc_ run --bundle "$BUNDLE" "$ID-r$s")" "$(rc_of rt run --bundle "$BUNDLE" "$ID-b$s")" "run exit code $s"
  done
  set_sh 'kill -KILL $$'
  assert_eq "$(rc_of runc_ run --bundle "$BUNDLE" "$ID-rk")" "$(rc_of rt run --bundle "$BUNDLE" "$ID-bk")" "run of a process killed by SIGKILL"
  runc_ delete -f "$ID-r" >/dev/null 2>&1 || true
}
