# `exec`: a new process in a running container. It joins every namespace and the cgroup
# of the init, gets the process from config.json (or --process) with the flags' overrides,
# and reports exit codes and failures like runc 1.1.
# shellcheck shell=bash

# exec_setup: a detached container whose init writes /tmp/from-init on a tmpfs (so only
# its mount namespace can see the file) and sleeps. Sets INIT_PID.
exec_setup() {
  mkbundle
  add_mount /tmp tmpfs tmpfs nosuid nodev mode=1777
  cfg '.hostname = "exec-host"'
  set_sh 'echo init-was-here > /tmp/from-init; exec sleep 1000'
  run_detached "$ID" || fail "run -d: rc=$RC"
  INIT_PID=$(container_pid "$ID")
  local i
  for ((i = 0; i < 100; i++)); do
    rt exec "$ID" test -e /tmp/from-init </dev/null >/dev/null 2>&1 && return 0
    sleep 0.05
  done
  fail "the init did not write /tmp/from-init"
}

# ex ARGS...: foreground `exec ARGS`; stdout -> $T/out (OUT), stderr -> $T/err (ERR), exit code -> RC.
ex() {
  RC=0
  rt exec "$@" </dev/null >"$T/out" 2>"$T/err" || RC=$?
  echo "# exec $* -> rc=$RC"
  _it_show out "$T/out"; _it_show err "$T/err"
  OUT=$(cat "$T/out"); ERR=$(cat "$T/err")
  return 0
}

# status_field PID FIELD: the value of FIELD in /proc/PID/status
status_field() { awk -v f="$2:" '$1 == f { $1 = ""; sub(/^[ \t]+/, ""); print }' "/proc/$1/status"; }

# freezer_set PID 1|0: freeze or thaw the cgroup of PID (v1 freezer or v2 cgroup.freeze)
freezer_set() {
  local pid=$1 on=$2 rel want i f
  rel=$(sed -n 's/^[0-9]*:freezer:\(.*\)$/\1/p' "/proc/$pid/cgroup")
  if [ -n "$rel" ] && [ -e "/sys/fs/cgroup/freezer$rel/freezer.state" ]; then
    f=/sys/fs/cgroup/freezer$rel/freezer.state
    want=$([ "$on" = 1 ] && echo FROZEN || echo THAWED)
    echo "$want" > "$f"
    for ((i = 0; i < 100; i++)); do
      [ "$(cat "$f")" = "$want" ] && return 0
      sleep 0.05
    done
    fail "freezer of $pid: $(cat "$f"), wanted $want"
  fi
  rel=$(sed -n 's/^0::\(.*\)$/\1/p' "/proc/$pid/cgroup")
  [ -n "$rel" ] && [ -e "/sys/fs/cgroup$rel/cgroup.freeze" ] || skip "no freezer for the container's cgroup"
  echo "$on" > "/sys/fs/cgroup$rel/cgroup.freeze"
  for ((i = 0; i < 100; i++)); do
    grep -qx "frozen $on" "/sys/fs/cgroup$rel/cgroup.events" && return 0
    sleep 0.05
  done
  fail "cgroup.freeze of $pid did not settle"
}

test_exec_exit_codes() {
  exec_setup
  ex "$ID" true
  assert_rc 0 "exec true"
  ex "$ID" sh -c 'exit 7'
  assert_rc 7 "exec sh -c 'exit 7'"
  ex "$ID" sh -c 'kill -TERM $$'
  assert_rc 143 "exec of a process killed by SIGTERM (128+15)"
  assert_eq running "$(state_of "$ID")" "container after the execs"
}

test_exec_command_args_are_not_runtime_flags() {
  exec_setup
  # everything after the container id belongs to the command, even what looks like a flag
  ex "$ID" sh -c 'echo "$0|$*"' -t --cwd /nonexistent -e FOO=bar -d --help
  assert_rc 0
  assert_eq "-t|--cwd /nonexistent -e FOO=bar -d --help" "$OUT" "arguments of the command"
  ex "$ID" sh -c "ls -d /tmp/from-init"
  assert_rc 0
  assert_eq /tmp/from-init "$OUT" "sh -c with a quoted command line"
  # a command named like a runtime subcommand is still the command
  ex "$ID" ps -o pid,args
  assert_rc 0
  assert_contains "$OUT" "sleep 1000" "ps output"
}

test_exec_env() {
  mkbundle
  cfg '.process.env = ["PATH=/bin:/usr/bin", "FOO=config", "KEEP=kept", "TERM=xterm"]'
  set_args sleep 1000
  run_detached "$ID"
  ex "$ID" env
  assert_rc 0
  grep -qx 'PATH=/bin:/usr/bin' <<<"$OUT" || fail "PATH of config.json not in the default environment"
  grep -qx 'FOO=config' <<<"$OUT" || fail "FOO of config.json not in the default environment"
  grep -qx 'HOME=/root' <<<"$OUT" || fail "HOME of root (from the container's /etc/passwd) not set"
  ex -u 1000 "$ID" env
  grep -qx 'HOME=/' <<<"$OUT" || fail "HOME of a uid without a passwd entry is not /"
  ex -e HOME=/home/x "$ID" env
  assert_eq "HOME=/home/x" "$(grep '^HOME=' <<<"$OUT")" "HOME given with -e"
  RC=0
  BERTH_IT_HOSTVAR=leak rt exec -e FOO=bar -e NEW=1 -e TERM=dumb "$ID" env </dev/null >"$T/out" 2>"$T/err" || RC=$?
  OUT=$(cat "$T/out"); cat "$T/out" "$T/err"
  assert_rc 0
  grep -qx 'FOO=bar' <<<"$OUT" || fail "-e FOO=bar does not override the config's FOO"
  grep -qx 'NEW=1' <<<"$OUT" || fail "-e NEW=1 not set"
  grep -qx 'KEEP=kept' <<<"$OUT" || fail "KEEP of config.json lost"
  grep -qx 'TERM=dumb' <<<"$OUT" || fail "-e TERM=dumb does not override the config's TERM"
  assert_eq 1 "$(grep -c '^TERM=' <<<"$OUT")" "TERM entries"
  assert_eq 1 "$(grep -c '^FOO=' <<<"$OUT")" "FOO entries"
  assert_not_contains "$OUT" BERTH_IT_HOSTVAR "environment (the caller's env must not leak)"
}

test_exec_cwd() {
  mkbundle
  add_mount /tmp tmpfs tmpfs nosuid nodev mode=1777
  cfg '.process.cwd = "/etc"'
  set_args sleep 1000
  run_detached "$ID"
  ex "$ID" pwd
  assert_rc 0
  assert_eq /etc "$OUT" "cwd from config.json"
  ex --cwd /tmp "$ID" pwd
  assert_rc 0
  assert_eq /tmp "$OUT" "--cwd /tmp"
  ex --cwd /does/not/exist "$ID" pwd
  assert_rc_nonzero "exec with a cwd that does not exist"
  assert_contains "$ERR" /does/not/exist "error message"
}

test_exec_user_and_groups() {
  exec_setup
  ex "$ID" id -u
  assert_eq 0 "$OUT" "default user (config.json)"
  ex -u 1000:1000 "$ID" sh -c 'id -u; id -g'
  assert_rc 0
  assert_eq "1000
1000" "$OUT" "-u 1000:1000"
  ex -u 1234 "$ID" sh -c 'id -u; id -g'
  assert_rc 0
  assert_eq "1234
0" "$OUT" "-u 1234 keeps the config's gid"
  ex -u 1000:1000 -g 10 -g 20 "$ID" grep ^Groups: /proc/self/status
  assert_rc 0
  assert_eq "10 20" "$(awk '{$1=""; sub(/^ /, ""); sub(/ +$/, ""); print}' <<<"$OUT")" "supplementary groups"
  # uid 1000 without ambient capabilities has none
  ex -u 1000:1000 "$ID" grep ^CapEff: /proc/self/status
  assert_eq 0000000000000000 "$(awk '{print $2}' <<<"$OUT")" "CapEff of uid 1000"
}

test_exec_joins_namespaces_and_cgroup() {
  exec_setup
  ex "$ID" hostname
  assert_rc 0
  assert_eq exec-host "$OUT" "hostname (uts namespace)"
  ex "$ID" cat /tmp/from-init
  assert_rc 0
  assert_eq init-was-here "$OUT" "file the init wrote on its tmpfs (mount namespace)"
  ex "$ID" ps -o pid,args
  assert_rc 0
  assert_eq "1 sleep 1000" "$(awk '$1 == 1 {print $1, $2, $3}' <<<"$OUT")" "pid 1 in the exec's pid namespace is the init"
  assert_not_contains "$OUT" "$RUNTIME" "ps (the runtime is not in the container's pid namespace)"
  # from the host: a detached exec'd process shares every namespace and the cgroup of the init
  rt exec -d --pid-file "$T/exec.pid" "$ID" sleep 100 </dev/null >"$T/d.out" 2>"$T/d.err" || fail "exec -d: $(cat "$T/d.err")"
  local pid ns
  pid=$(cat "$T/exec.pid")
  track_pid "$pid"
  for ns in pid mnt uts ipc net; do
    assert_eq "$(readlink "/proc/$INIT_PID/ns/$ns")" "$(readlink "/proc/$pid/ns/$ns")" "$ns namespace of the exec'd process"
  done
  assert_ne "$(host_ns pid)" "$(readlink "/proc/$pid/ns/pid")" "pid namespace (not the host's)"
  assert_eq 2 "$(status_field "$pid" NSpid | wc -w)" "NSpid levels (host + container)"
  assert_eq "$(cat "/proc/$INIT_PID/cgroup")" "$(cat "/proc/$pid/cgroup")" "cgroup of the exec'd process"
  kill -KILL "$pid"
}

test_exec_user_namespace() {
  mkbundle --copy
  rootfs_rw
  add_namespace user
  add_namespace cgroup
  cfg '.linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
     | .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
  chown -R 100000:100000 "$BUNDLE/rootfs"
  set_args sleep 1000
  run_detached "$ID" || fail "run -d with a user namespace: rc=$RC"
  local init
  init=$(container_pid "$ID")
  ex "$ID" sh -c 'id -u; cat /proc/self/uid_map; touch /probe && stat -c %u /probe'
  assert_rc 0
  assert_eq 0 "$(sed -n 1p <<<"$OUT")" "uid inside"
  assert_eq "0 100000 65536" "$(sed -n 2p <<<"$OUT" | awk '{print $1, $2, $3}')" "uid_map of the exec'd process"
  assert_eq 0 "$(sed -n 3p <<<"$OUT")" "owner of a file it created (container uid)"
  assert_eq 100000 "$(stat -c %u "$BUNDLE/rootfs/probe")" "owner seen from the host"
  rt exec -d --pid-file "$T/exec.pid" "$ID" sleep 100 </dev/null >/dev/null 2>"$T/d.err" || fail "exec -d: $(cat "$T/d.err")"
  local pid ns
  pid=$(cat "$T/exec.pid")
  track_pid "$pid"
  for ns in user cgroup pid mnt; do
    assert_eq "$(readlink "/proc/$init/ns/$ns")" "$(readlink "/proc/$pid/ns/$ns")" "$ns namespace of the exec'd process"
  done
  kill -KILL "$pid"
}

test_exec_capabilities() {
  exec_setup
  local init_eff
  init_eff=$(status_field "$INIT_PID" CapEff)
  ex "$ID" grep ^Cap /proc/self/status
  assert_rc 0
  local want
  want=$(cap_hex CAP_AUDIT_WRITE CAP_KILL CAP_NET_BIND_SERVICE)
  assert_eq "$want" "$(awk '$1 == "CapEff:" {print $2}' <<<"$OUT")" "CapEff (config.json's set)"
  assert_eq "$want" "$(awk '$1 == "CapBnd:" {print $2}' <<<"$OUT")" "CapBnd (config.json's set)"
  ex --cap CAP_SYS_ADMIN "$ID" grep ^Cap /proc/self/status
  assert_rc 0
  want=$(cap_hex CAP_AUDIT_WRITE CAP_KILL CAP_NET_BIND_SERVICE CAP_SYS_ADMIN)
  assert_eq "$want" "$(awk '$1 == "CapEff:" {print $2}' <<<"$OUT")" "CapEff with --cap CAP_SYS_ADMIN"
  assert_eq "$want" "$(awk '$1 == "CapBnd:" {print $2}' <<<"$OUT")" "CapBnd with --cap CAP_SYS_ADMIN"
  ex -c CAP_SYS_ADMIN -c CAP_CHOWN "$ID" grep ^CapEff: /proc/self/status
  want=$(cap_hex CAP_AUDIT_WRITE CAP_KILL CAP_NET_BIND_SERVICE CAP_SYS_ADMIN CAP_CHOWN)
  assert_eq "$want" "$(awk '{print $2}' <<<"$OUT")" "CapEff with -c twice"
  assert_eq "$init_eff" "$(status_field "$INIT_PID" CapEff)" "the init's capabilities are unchanged"
}

test_exec_no_new_privs_rlimits_oom() {
  mkbundle
  cfg '.process.noNewPrivileges = false
     | .process.oomScoreAdj = 123
     | .process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 321, "hard": 654}]'
  set_args sleep 1000
  run_detached "$ID"
  ex "$ID" sh -c 'grep ^NoNewPrivs /proc/self/status; cat /proc/self/oom_score_adj; ulimit -n; ulimit -Hn'
  assert_rc 0
  assert_match "$(sed -n 1p <<<"$OUT")" '^NoNewPrivs:[[:space:]]+0$' "noNewPrivileges=false"
  assert_eq "123
321
654" "$(sed -n '2,4p' <<<"$OUT")" "oom_score_adj and RLIMIT_NOFILE from config.json"
  ex --no-new-privs "$ID" grep ^NoNewPrivs /proc/self/status
  assert_match "$OUT" '^NoNewPrivs:[[:space:]]+1$' "--no-new-privs"
}

test_exec_seccomp_applies() {
  mkbundle
  add_mount /tmp tmpfs tmpfs nosuid nodev mode=1777
  cfg '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
                         "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]}'
  set_args sleep 1000
  run_detached "$ID"
  ex "$ID" sh -c 'grep ^Seccomp: /proc/self/status; mkdir /tmp/d && echo made'
  assert_rc_nonzero "mkdir under the container's seccomp profile"
  assert_match "$OUT" '^Seccomp:[[:space:]]+2$' "seccomp mode of the exec'd process"
  assert_not_contains "$OUT" made
  assert_contains "$ERR" "Operation not permitted" "mkdir error"
}

test_exec_process_json() {
  exec_setup
  cat > "$T/process.json" <<'EOF'
{
  "args": ["sh", "-c", "echo \"X=$X\"; pwd; id -u; id -g; [ -t 0 ] || echo no-tty"],
  "env": ["PATH=/bin", "X=from-json"],
  "cwd": "/etc",
  "user": {"uid": 65534, "gid": 65534},
  "terminal": false
}
EOF
  ex --process "$T/process.json" "$ID"
  assert_rc 0
  assert_eq "X=from-json
/etc
65534
65534
no-tty" "$OUT" "process from process.json"
  ex -p "$T/process.json" "$ID"
  assert_rc 0
  assert_contains "$OUT" X=from-json "-p process.json"
}

test_exec_empty_command() {
  exec_setup
  ex "$ID"
  assert_rc_nonzero "exec without a command"
  assert_contains "$ERR" "process args cannot be empty"
}

test_exec_tty_console_socket() {
  command -v python3 >/dev/null || skip "python3 not available for the console-socket receiver"
  exec_setup
  python3 "$REPO/tests/integration/console-recv.py" "$T/console.sock" "$T/console.out" 10 &
  local rpid=$!
  track_pid "$rpid"
  wait_for_file "$T/console.sock"
  ex -t -d --console-socket "$T/console.sock" "$ID" \
    sh -c 't=$(tty); echo "$t"; [ -e "$t" ] && echo exists; [ -t 0 ] && [ -t 1 ] && [ -t 2 ] && echo all-ttys'
  assert_rc 0 "exec -t -d --console-socket"
  wait_bg "$rpid"
  assert_rc 0 "console receiver"
  local out
  out=$(tr -d '\r' < "$T/console.out")
  echo "$out"
  assert_match "$(cat "$T/console.out.fdinfo")" 'ptmx$' "fd received over the socket (a pty master)"
  # made in the container's devpts: its slave is a path that exists inside the container
  assert_match "$(sed -n 1p <<<"$out")" '^/dev/pts/[0-9]+$' "tty inside"
  assert_contains "$out" exists "the pty slave exists in the container's /dev/pts"
  assert_contains "$out" all-ttys
  # a terminal needs somewhere to go
  ex -t -d "$ID" true
  assert_rc_nonzero "exec -t -d without --console-socket"
  ex --console-socket "$T/console.sock" -d "$ID" true
  assert_rc_nonzero "exec --console-socket without -t"
}

test_exec_tty_foreground_relay() {
  command -v script >/dev/null || skip "script(1) not available to provide a terminal"
  exec_setup
  RC=0
  # script gives the runtime a controlling terminal; the runtime relays its own pty
  script -qec "$(printf '%q ' "$RUNTIME" --root "$ROOT" exec -t "$ID" sh -c 'tty; [ -t 1 ] && echo stdout-tty; exit 3')" \
    /dev/null </dev/null >"$T/out" 2>"$T/err" || RC=$?
  cat "$T/out" "$T/err"
  assert_rc 3 "exit code through the relay"
  local out
  out=$(tr -d '\r\000' < "$T/out")
  assert_match "$out" '/dev/pts/[0-9]+' "tty inside"
  assert_contains "$out" stdout-tty
}

test_exec_detach_pid_file() {
  exec_setup
  local t0 t1 pid
  t0=$(date +%s%N)
  ex -d --pid-file "$T/exec.pid" "$ID" sh -c 'echo detached > /tmp/detached; exec sleep 100'
  t1=$(date +%s%N)
  assert_rc 0 "exec -d"
  [ $(((t1 - t0) / 1000000)) -lt 5000 ] || fail "exec -d did not return promptly"
  assert_file_exists "$T/exec.pid"
  pid=$(cat "$T/exec.pid")
  track_pid "$pid"
  pid_alive "$pid" || fail "pid $pid from the pid file is not alive"
  ex "$ID" sh -c 'for i in $(seq 100); do [ -e /tmp/detached ] && break; sleep 0.05; done; cat /tmp/detached; ps -o pid,args'
  assert_rc 0
  assert_eq detached "$(sed -n 1p <<<"$OUT")" "the detached process ran"
  # the host pid in the pid file is the process ps shows inside as "sleep 100"
  local nspid
  nspid=$(status_field "$pid" NSpid | awk '{print $NF}')
  assert_eq "$nspid sleep 100" "$(awk -v p="$nspid" '$1 == p {print $1, $2, $3}' <<<"$OUT")" "process of the pid file, inside"
  kill -KILL "$pid"
  wait_pid_gone "$pid"
  assert_eq running "$(state_of "$ID")" "container after its exec'd process died"
}

test_exec_preserve_fds_and_no_leaks() {
  exec_setup
  echo passed-through > "$T/fdfile"
  exec 7<"$T/fdfile" 8>"$T/fd8"
  ex "$ID" sh -c 'ls -l /proc/self/fd | grep -- "->" | awk "{print \$9}" | sort -n | tr "\n" " "'
  assert_rc 0
  assert_eq "0 1 2 " "$OUT" "fds of the exec'd process (the runtime's own fds do not leak)"
  RC=0
  rt exec --preserve-fds 1 "$ID" cat /proc/self/fd/3 3<"$T/fdfile" </dev/null >"$T/out" 2>"$T/err" || RC=$?
  assert_rc 0
  assert_eq passed-through "$(cat "$T/out")" "fd 3 with --preserve-fds 1"
  RC=0
  rt exec "$ID" sh -c 'cat <&3 || echo no-fd-3' 3<"$T/fdfile" </dev/null >"$T/out" 2>"$T/err" || RC=$?
  assert_contains "$(cat "$T/out")" no-fd-3 "fd 3 without --preserve-fds"
  exec 7<&- 8>&-
}

test_exec_forwards_signals() {
  exec_setup
  rt_bg "$T/fg.out" exec "$ID" sh -c 'trap "echo got-term; exit 42" TERM; touch /tmp/ready; while :; do sleep 0.05; done'
  local i
  for ((i = 0; i < 100; i++)); do
    rt exec "$ID" test -e /tmp/ready </dev/null >/dev/null 2>&1 && break
    sleep 0.05
  done
  kill -TERM "$BG_PID"
  wait_bg "$BG_PID"
  cat "$T/fg.out" "$T/fg.out.err"
  assert_rc 42 "exit code of the exec'd process after SIGTERM to the runtime"
  assert_contains "$(cat "$T/fg.out")" got-term "signal forwarded to the process"
}

test_exec_in_created_container() {
  mkbundle
  cfg '.hostname = "created-host"'
  set_args sleep 1000
  create_ctr "$ID"
  ex "$ID" hostname
  assert_rc 0
  assert_eq created-host "$OUT" "hostname in a created container"
  assert_eq created "$(state_of "$ID")" "status after exec"
}

test_exec_paused_container() {
  exec_setup
  # thaw whatever happens (the cleanup must be able to kill the container); never fails
  local v1 v2
  v1=/sys/fs/cgroup/freezer$(sed -n 's/^[0-9]*:freezer:\(.*\)$/\1/p' "/proc/$INIT_PID/cgroup")/freezer.state
  v2=/sys/fs/cgroup$(sed -n 's/^0::\(.*\)$/\1/p' "/proc/$INIT_PID/cgroup")/cgroup.freeze
  trap "{ [ ! -f '$v1' ] || echo THAWED > '$v1'; [ ! -f '$v2' ] || echo 0 > '$v2'; } 2>/dev/null || true" EXIT
  freezer_set "$INIT_PID" 1
  assert_eq paused "$(state_of "$ID")" "status after freezing the cgroup"
  ex "$ID" echo hi
  assert_rc_nonzero "exec in a paused container"
  assert_contains "$ERR" "cannot exec in a paused container (use --ignore-paused to override)"
  # with --ignore-paused the process starts frozen and completes once the cgroup is thawed
  rt_bg "$T/ip.out" exec --ignore-paused "$ID" echo ran-after-thaw
  sleep 0.5
  pid_alive "$BG_PID" || { cat "$T/ip.out.err"; fail "exec --ignore-paused finished while the container was frozen"; }
  assert_eq paused "$(state_of "$ID")" "status while the exec waits"
  freezer_set "$INIT_PID" 0
  wait_bg "$BG_PID"
  cat "$T/ip.out" "$T/ip.out.err"
  assert_rc 0 "exec --ignore-paused after thaw"
  assert_eq ran-after-thaw "$(cat "$T/ip.out")"
  assert_eq running "$(state_of "$ID")"
}

test_exec_stopped_container() {
  mkbundle
  set_args true
  run_detached "$ID"
  wait_for_status "$ID" stopped
  ex "$ID" true
  assert_rc_nonzero "exec in a stopped container"
  assert_contains "$ERR" "cannot exec in a stopped container"
  # the init killed behind the runtime's back
  set_args sleep 1000
  run_detached "$ID-b"
  local pid
  pid=$(container_pid "$ID-b")
  kill -KILL "$pid"
  wait_pid_gone "$pid"
  ex "$ID-b" echo hi
  assert_rc_nonzero "exec after the init died"
  assert_contains "$ERR" "cannot exec in a stopped container"
  assert_not_contains "$OUT" hi
}

test_exec_missing_binary() {
  exec_setup
  ex "$ID" no-such-binary arg
  assert_rc_nonzero "exec of a missing command"
  assert_contains "$ERR" no-such-binary "error message names the command"
  ex "$ID" /bin/no-such-file
  assert_rc_nonzero "exec of a missing path"
  assert_contains "$ERR" /bin/no-such-file "error message names the path"
  assert_eq running "$(state_of "$ID")" "container after the failed execs"
  ex "$ID" ps -o pid,args
  assert_eq 1 "$(grep -vc 'PID\|ps -o' <<<"$OUT")" "processes left in the container (only the init)"
}

# runc's contract (exec.bats "runc exec [exit codes]"): every failure of exec itself exits 255
# ("exec failed: ..."), any other status is the process's own; the message keeps the words
# engines map to 127/126.
test_exec_missing_binary_status() {
  exec_setup
  ex "$ID" no-such-binary
  assert_rc 255 "exec of a missing command"
  assert_contains "$ERR" 'no-such-binary\": executable file not found in $PATH' "message (logfmt-quoted)"
  ex "$ID" /etc/passwd
  assert_rc 255 "exec of a file that is not executable"
  assert_contains "$ERR" /etc/passwd
  ex "$ID" sh -c 'exit 127'
  assert_rc 127 "the process's own status"
  ex --pid-file "$T/no/such/dir/pid" "$ID" true
  assert_rc 255 "exec with a pid file that cannot be written"
  ex "$ID-none" true
  assert_rc 255 "exec in a container that does not exist"
  assert_contains "$ERR" "does not exist"
}

test_exec_lsm_unavailable() {
  exec_setup
  if [ ! -e /sys/fs/selinux/enforce ]; then
    ex --process-label system_u:system_r:container_t:s0 "$ID" true
    assert_rc_nonzero "--process-label without SELinux"
    assert_match "$ERR" '[Ss][Ee][Ll]inux' "error message"
    if is_berth; then
      assert_contains "$ERR" 'exec --process-label \"system_u:system_r:container_t:s0\": SELinux is not enabled on this host'
    fi
  fi
  if [ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" != Y ]; then
    ex --apparmor berth-it-no-such-profile "$ID" true
    assert_rc_nonzero "--apparmor without AppArmor"
    assert_match "$ERR" '[Aa]pp[Aa]rmor' "error message"
    if is_berth; then
      assert_contains "$ERR" 'exec --apparmor \"berth-it-no-such-profile\": AppArmor is not enabled on this host'
    fi
  fi
  assert_eq running "$(state_of "$ID")" "container after the refused execs"
  ex "$ID" ps -o pid,args
  assert_eq 1 "$(grep -vc 'PID\|ps -o' <<<"$OUT")" "processes left in the container (only the init)"
}
