# SCMP_ACT_NOTIFY through real containers: the runtime sends the notify fd with the container
# process state to linux.seccomp.listenerPath; a seccomp agent (helpers/seccomp_listener.cpp,
# built by `make build`) answers mkdir with an errno or lets it continue.
#
# runc 1.1.5 as the control: same message shape (its ociVersion is its spec version,
# "1.0.2-dev"; berth's is "1.3.0"), same status "creating", and it keeps the connection open
# until it exits (the agent reads up to the end of the JSON, not to EOF).

LISTENER=${SECCOMP_LISTENER:-$REPO/build/seccomp_listener}
AGENT_ERRNO=122  # EDQUOT "Disk quota exceeded": only the agent can have answered with it

# start_agent ARGS...: the agent on $T/agent.sock logging to $T/agent.log (LPID = its pid).
start_agent() {
  [ -x "$LISTENER" ] || fail "seccomp agent $LISTENER missing: build it with 'make build'"
  "$LISTENER" "$T/agent.sock" "$T/agent.log" --timeout 50 "$@" </dev/null >"$T/agent.out" 2>&1 &
  LPID=$!
  track_pid "$LPID"
  wait_for_file "$T/agent.sock"
}

# notify_profile [FLAG...]: mkdir and mkdirat go to the agent; everything else is allowed.
notify_profile() {
  cfg --arg p "$T/agent.sock" --argjson f "$(json_array "$@")" '.linux.seccomp = {
      "defaultAction": "SCMP_ACT_ALLOW", "listenerPath": $p, "listenerMetadata": "berth-it-meta",
      "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_NOTIFY"}]}
    | if ($f | length) > 0 then .linux.seccomp.flags = $f else . end'
}

# The agent exits once every process using the filter is gone; its log is then complete.
agent_log() {
  wait_pid_gone "$LPID" 10
  echo "# agent log:"; sed 's/^/  agent| /' "$T/agent.log"
  AGENT_LOG=$(cat "$T/agent.log")
}

assert_nothing_left() {
  assert_root_empty
  # find fails when another run's cgroup vanishes mid-walk; only the output matters
  local cg
  cg=$(find /sys/fs/cgroup -maxdepth 8 -mindepth 2 -type d -name "*$ID*" 2>/dev/null || true)
  [ -z "$cg" ] || fail "cgroups left: $cg"
}

# SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV came with Linux 5.19.
need_wait_killable_kernel() {
  local kv
  kv=$(uname -r | awk -F'[.-]' '{ print $1 * 1000 + $2 }')
  [ "$kv" -ge 5019 ] || skip "the kernel lacks SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (Linux < 5.19)"
}

test_seccomp_notify_errno_from_agent() {
  mkbundle
  rootfs_rw
  notify_profile
  set_sh 'mkdir /tmp/a 2>&1; echo rc=$?; touch /tmp/b && echo touch-ok'
  start_agent --errno mkdir=$AGENT_ERRNO --errno mkdirat=$AGENT_ERRNO
  run_ctr "$ID"
  assert_rc 0
  assert_contains "$OUT" "Disk quota exceeded" "mkdir fails with the agent's errno"
  assert_contains "$OUT" "rc=1" "mkdir exit status"
  assert_contains "$OUT" "touch-ok" "syscalls outside the rule are not notified"
  agent_log
  assert_contains "$AGENT_LOG" "check ok" "the container process state is well-formed"
  assert_match "$AGENT_LOG" 'state ociVersion=1\.[0-9]+\.[0-9]+(-dev)? status=creating ' "ociVersion and status"
  assert_contains "$AGENT_LOG" " id=$ID " "state.id"
  assert_contains "$AGENT_LOG" 'fds=["seccompFd"]' "fds"
  assert_contains "$AGENT_LOG" "metadata=berth-it-meta" "listenerMetadata"
  local pid spid
  pid=$(sed -n 's/^state .* pid=\([0-9]*\) .*/\1/p' "$T/agent.log")
  spid=$(sed -n 's/^state .* state\.pid=\([0-9]*\) .*/\1/p' "$T/agent.log")
  [ -n "$pid" ] && [ "$pid" -gt 0 ] || fail "pid in the message: [$pid]"
  assert_eq "$pid" "$spid" "pid = state.pid (the container's init)"
  if [ "$(uname -m)" = x86_64 ]; then
    assert_contains "$AGENT_LOG" "nr=83 syscall=mkdir -> errno $AGENT_ERRNO" "syscall number of mkdir (x86_64)"
  else
    assert_match "$AGENT_LOG" "nr=[0-9]+ syscall=mkdir(at)? -> errno $AGENT_ERRNO" "notified syscall"
  fi
  assert_not_contains "$AGENT_LOG" "error:" "agent errors"
  assert_nothing_left
}

test_seccomp_notify_continue() {
  mkbundle
  rootfs_rw
  notify_profile
  set_sh 'mkdir /tmp/made && [ -d /tmp/made ] && echo made-ok'
  start_agent --continue mkdir --continue mkdirat
  run_ctr "$ID"
  assert_rc 0
  assert_contains "$OUT" "made-ok" "the continued mkdir ran in the kernel"
  agent_log
  assert_contains "$AGENT_LOG" "check ok"
  assert_match "$AGENT_LOG" "syscall=mkdir(at)? -> continue" "the agent saw and continued mkdir"
  assert_nothing_left
}

# Notify rules on syscalls the runtime's own set-up makes after loading the filter (runc's
# seccomp-notify.bats "important syscalls"): the notify fd must reach the agent before any of
# them, with and without no_new_privs (the filter loaded early or last), for run and exec —
# berth hung in both until the fd was sent right after the load.
test_seccomp_notify_setup_syscalls() {
  mkbundle
  local nnp cont=(--continue execve --continue openat --continue open --continue read --continue close)
  for nnp in false true; do
    cfg --arg p "$T/agent.sock" --argjson nnp "$nnp" '.process.noNewPrivileges = $nnp | .linux.seccomp = {
        "defaultAction": "SCMP_ACT_ALLOW", "listenerPath": $p,
        "syscalls": [{"names": ["execve", "openat", "open", "read", "close"], "action": "SCMP_ACT_NOTIFY"}]}'
    set_sh 'cat /etc/passwd >/dev/null && echo ran-ok'
    rm -f "$T/agent.sock" "$T/agent.log"
    start_agent "${cont[@]}"
    run_ctr "$ID-$nnp"
    assert_rc 0 "run with notify rules on the set-up's syscalls (noNewPrivileges $nnp)"
    assert_contains "$OUT" ran-ok "the process ran (noNewPrivileges $nnp)"
    agent_log
    assert_match "$AGENT_LOG" "syscall=(close|read|openat|execve) -> continue" "the agent saw the set-up's syscalls"
  done
  # exec: the same rules, in a container whose process does not use them
  rm -f "$T/agent.sock" "$T/agent.log"
  cfg '.process.noNewPrivileges = false'
  set_args sleep 100
  start_agent "${cont[@]}"
  run_detached "$ID-x" || fail "run -d: rc=$RC"
  RC=0
  rt exec "$ID-x" cat /etc/passwd </dev/null >"$T/exec.out" 2>"$T/exec.err" || RC=$?
  cat "$T/exec.err"
  assert_rc 0 "exec with notify rules on the set-up's syscalls"
  rt kill "$ID-x" KILL
  wait_for_status "$ID-x" stopped
  rt delete "$ID-x"
  agent_log
  assert_nothing_left
}

test_seccomp_notify_create_start() {
  # The fd goes to the agent during create, before the process runs; notifications come after start.
  mkbundle
  rootfs_rw
  notify_profile
  set_sh 'mkdir /tmp/a 2>/dev/null || echo denied > /tmp/result; sleep 100'
  start_agent --errno mkdir=$AGENT_ERRNO --errno mkdirat=$AGENT_ERRNO
  create_ctr "$ID" || fail "create: rc=$RC"
  wait_for_file "$T/agent.log"
  local i
  for ((i = 0; i < 200; i++)); do grep -q "check ok" "$T/agent.log" && break; sleep 0.05; done
  assert_file_contains "$T/agent.log" "status=creating"
  assert_not_contains "$(cat "$T/agent.log")" "syscall=" "no notification before start"
  start_ctr "$ID" || fail "start: rc=$RC"
  for ((i = 0; i < 200; i++)); do grep -q "syscall=mkdir" "$T/agent.log" && break; sleep 0.05; done
  assert_file_contains "$T/agent.log" "-> errno $AGENT_ERRNO"
  rt kill "$ID" KILL
  wait_for_status "$ID" stopped
  rt delete "$ID"
  agent_log
  assert_nothing_left
}

test_seccomp_notify_exec() {
  # An exec'd process gets the container's filter, a new notify fd, and its own message:
  # status "running", pid = the exec'd process, state.pid = the container's init.
  mkbundle
  rootfs_rw
  notify_profile
  set_args sleep 100
  start_agent --errno mkdir=$AGENT_ERRNO --errno mkdirat=$AGENT_ERRNO
  run_detached "$ID" || fail "run -d: rc=$RC"
  local init_pid i
  init_pid=$(container_pid "$ID")
  RC=0
  rt exec "$ID" sh -c 'mkdir /tmp/x 2>&1; echo rc=$?' </dev/null >"$T/exec.out" 2>"$T/exec.err" || RC=$?
  assert_rc 0 "exec"
  assert_contains "$(cat "$T/exec.out")" "Disk quota exceeded" "the exec'd mkdir got the agent's errno"
  for ((i = 0; i < 200; i++)); do grep -q "status=running" "$T/agent.log" && break; sleep 0.05; done
  local line
  line=$(grep '^state .*status=running' "$T/agent.log") || fail "no state message for the exec: $(cat "$T/agent.log")"
  assert_contains "$line" " state.pid=$init_pid " "state.pid is the init"
  assert_not_contains "$line" " pid=$init_pid " "pid is the exec'd process, not the init"
  assert_eq 2 "$(grep -c '^check ok' "$T/agent.log")" "two well-formed messages (create, exec)"
  rt kill "$ID" KILL
  wait_for_status "$ID" stopped
  rt delete "$ID"
  agent_log
  assert_nothing_left
}

test_seccomp_notify_missing_listener() {
  mkbundle
  notify_profile
  cfg --arg p "$T/no-such-agent.sock" '.linux.seccomp.listenerPath = $p'
  set_args true
  run_ctr "$ID"
  assert_rc_nonzero "run with a listenerPath nobody listens on"
  local err
  err=$(cat "$T/err")
  assert_contains "$err" "$T/no-such-agent.sock" "error names the listener path"
  assert_match "$err" '[Nn]o such file or directory' "error says why"
  # runc 1.1.5's words (seccomp-notify.bats "no seccompagent")
  assert_contains "$err" "failed to connect with seccomp agent specified in the seccomp profile" "runc's wording"
  if is_berth; then
    assert_contains "$err" "connect $T/no-such-agent.sock: No such file or directory"
  fi
  assert_nothing_left
}

test_seccomp_notify_wait_killable_recv() {
  runc_known_diff "it refuses every linux.seccomp.flags entry: 'seccomp flags are not yet supported by runc'"
  need_wait_killable_kernel
  rt features | jq -e '.linux.seccomp.supportedFlags | index("SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV")' >/dev/null \
    || fail "berth features does not list SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV on Linux $(uname -r)"
  mkbundle
  rootfs_rw
  notify_profile SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
  set_sh 'mkdir /tmp/a 2>&1; echo rc=$?'
  start_agent --errno mkdir=$AGENT_ERRNO --errno mkdirat=$AGENT_ERRNO
  run_ctr "$ID"
  assert_rc 0
  assert_contains "$OUT" "Disk quota exceeded" "notify works with WAIT_KILLABLE_RECV (libseccomp 2.5 lacks it; berth passes it to seccomp(2))"
  agent_log
  assert_contains "$AGENT_LOG" "check ok"
  assert_nothing_left
}

test_seccomp_wait_killable_recv_needs_notify() {
  runc_known_diff "it refuses every linux.seccomp.flags entry ('seccomp flags are not yet supported by runc')"
  need_wait_killable_kernel
  mkbundle
  cfg '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"],
        "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO"}]}'
  set_args true
  run_ctr "$ID"
  assert_rc 1
  assert_contains "$(cat "$T/err")" "linux.seccomp.flags: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV needs a rule with SCMP_ACT_NOTIFY"
  assert_nothing_left
}

# linux.seccomp.listenerPath without any SCMP_ACT_NOTIFY rule: as crun, the
# filter gets a listener anyway and the agent receives its fd (which never
# fires) with the container process state; the container runs normally.
# (runc 1.1.5 ignores listenerPath then: the agent hears nothing.)
test_seccomp_listener_without_notify_rules() {
  runc_known_diff "runc 1.1.5 does not contact the agent without SCMP_ACT_NOTIFY rules"
  mkbundle
  rootfs_rw
  cfg --arg p "$T/agent.sock" '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": $p,
      "listenerMetadata": "berth-it-meta", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO"}]}'
  set_sh 'mkdir /tmp/a 2>/dev/null || echo mkdir-refused; echo ran'
  start_agent
  run_ctr "$ID"
  assert_rc 0
  assert_eq "mkdir-refused
ran" "$OUT" "the container's output"
  agent_log
  assert_contains "$AGENT_LOG" "check ok" "the container process state is well-formed"
  assert_match "$AGENT_LOG" 'status=creating ' "state status"
  assert_contains "$AGENT_LOG" 'fds=["seccompFd"]' "fds"
  assert_not_contains "$AGENT_LOG" "error:" "agent errors"
  assert_nothing_left
}
