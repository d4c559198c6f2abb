# Behaviours users hit (issue 17): preserved fds and socket activation, rootfs
# propagation, user namespaces without mappings, hook semantics, the state lock,
# --pid-file, CLI errors. Each test names the runtime whose behaviour it pins
# (runc 1.1.5 when it agrees; crun or a newer runc where 1.1.5 differs).
# shellcheck shell=bash

# ---------------------------------------------------------------- preserved fds

# The container's process gets the caller's fds 3..3+N-1 and nothing of the
# runtime's own (runc 1.1.5 does the same). berth used to put its state lock
# there: `run --preserve-fds` then waited for its own lock forever.
test_preserve_fds_exactly_the_callers() {
  mkbundle
  echo three > "$T/f3"; echo four > "$T/f4"; echo five > "$T/f5"
  set_sh 'ls /proc/self/fd | sort -n | tr "\n" " "; echo; cat <&3; cat <&4; cat <&5'
  RC=0
  RT_TIMEOUT=15 rt run --bundle "$BUNDLE" --preserve-fds 3 "$ID" 3<"$T/f3" 4<"$T/f4" 5<"$T/f5" \
    </dev/null >"$T/out" 2>"$T/err" || RC=$?
  cat "$T/out" "$T/err"
  assert_rc 0 "run --preserve-fds 3"
  # ls itself holds one more fd (its directory) while it lists
  assert_match "$(head -n1 "$T/out")" '^0 1 2 3 4 5 [0-9]+ $' "fds of the container process"
  assert_eq "three
four
five" "$(tail -n 3 "$T/out")" "the preserved fds' contents"
}

# With a created container the init holds nothing of the runtime's: no fd to the
# state directory (its lock), so start/state/delete do not wait for it.
test_preserve_fds_no_runtime_fd_in_init() {
  mkbundle
  set_args sleep 100
  RC=0
  exec 7<"$T" 8<"$T"
  rt create --bundle "$BUNDLE" --preserve-fds 6 "$ID" 3<&7 4<&7 5<&7 6<&7 7<&7 8<&7 </dev/null >"$T/out" 2>"$T/err" || RC=$?
  exec 7<&- 8<&-
  cat "$T/err"
  assert_rc 0 "create --preserve-fds 6"
  local pid fd target leaked=""
  pid=$(container_pid "$ID")
  for fd in /proc/"$pid"/fd/*; do
    target=$(readlink "$fd" || true)
    echo "init fd ${fd##*/} -> $target"
    # the exec fifo is the init's to wait on; the state directory (its lock) is not
    case "$target" in "$ROOT/$ID/exec.fifo") ;; "$ROOT"*) leaked="$leaked ${fd##*/}" ;; esac
  done
  [ -z "$leaked" ] || fail "the init holds fds into the state root:$leaked"
  RT_TIMEOUT=5 rt start "$ID"
  RT_TIMEOUT=5 rt delete --force "$ID"
}

# Nothing open at fds 3..: refused before anything is made (newer runc's rule;
# runc 1.1.5 hands whatever it has there to the container), never a hang.
test_preserve_fds_not_open_refused() {
  mkbundle
  set_args true
  RC=0
  RT_TIMEOUT=10 rt run --bundle "$BUNDLE" --preserve-fds 100 "$ID" </dev/null >"$T/out" 2>"$T/err" || RC=$?
  cat "$T/out" "$T/err"
  [ "$RC" != 124 ] || fail "run --preserve-fds 100 hangs"
  runc_known_diff "runc 1.1.5 does not check the preserved fds"
  assert_rc 1 "run --preserve-fds 100 without open fds"
  assert_contains "$(cat "$T/err")" "preserved-fd 0" "error"
  assert_root_empty
}

# systemd socket activation (sd_listen_fds(3)): berth started with LISTEN_FDS
# passes fds 3.. on, with LISTEN_FDS and LISTEN_PID = the process's own pid as
# it sees it (1 in its pid namespace; runc sets 1, crun 1 when unset).
test_listen_fds_socket_activation() {
  mkbundle
  echo activated > "$T/sock"
  set_sh 'echo "$LISTEN_FDS $LISTEN_PID $$"; cat <&3'
  RC=0
  # LISTEN_PID names the runtime's own pid, as systemd sets it (runc checks it).
  RT_TIMEOUT=15 bash -c 'export LISTEN_FDS=1 LISTEN_PID=$$; exec "$@"' bash \
    "$RUNTIME" --root "$ROOT" run --bundle "$BUNDLE" "$ID" 3<"$T/sock" </dev/null >"$T/out" 2>"$T/err" || RC=$?
  cat "$T/out" "$T/err"
  assert_rc 0
  assert_eq "1 1 1
activated" "$(cat "$T/out")" "LISTEN_FDS LISTEN_PID \$\$ and fd 3"
}

# `exec` is not socket-activated: runc's exec ignores LISTEN_FDS (only create, run and
# restore hand the listening fds on), so fd 3 and LISTEN_* of the caller stay out of it.
test_listen_fds_not_for_exec() {
  mkbundle
  set_args sleep 60
  run_detached "$ID" || fail "run -d: rc=$RC"
  echo activated > "$T/sock"
  RC=0
  RT_TIMEOUT=15 bash -c 'export LISTEN_FDS=1 LISTEN_PID=$$; exec "$@"' bash \
    "$RUNTIME" --root "$ROOT" exec "$ID" sh -c 'echo "[${LISTEN_FDS-}] [${LISTEN_PID-}]"; ls /proc/self/fd' \
    3<"$T/sock" </dev/null >"$T/out" 2>"$T/err" || RC=$?
  cat "$T/out" "$T/err"
  assert_rc 0 "exec"
  assert_eq "[] []" "$(head -n1 "$T/out")" "LISTEN_* in the exec'd process"
  assert_eq "0 1 2 3" "$(tail -n +2 "$T/out" | sort -n | tr '\n' ' ' | sed 's/ $//')" "fds of the exec'd process (3: ls's own)"
}

# Without a pid namespace the process's pid is a host pid: LISTEN_PID follows
# (runc and crun say 1, which sd_listen_fds() then ignores).
test_listen_fds_pid_without_pid_namespace() {
  berth_only "runc/crun set LISTEN_PID=1 whatever the pid"
  mkbundle
  cfg '.linux.namespaces |= map(select(.type != "pid"))'
  echo activated > "$T/sock"
  set_sh 'echo "$LISTEN_FDS $LISTEN_PID $$"; cat <&3'
  RC=0
  RT_TIMEOUT=15 env LISTEN_FDS=1 "$RUNTIME" --root "$ROOT" run --bundle "$BUNDLE" "$ID" 3<"$T/sock" \
    </dev/null >"$T/out" 2>"$T/err" || RC=$?
  cat "$T/out" "$T/err"
  assert_rc 0
  local fds lpid self
  read -r fds lpid self < "$T/out"
  assert_eq 1 "$fds" LISTEN_FDS
  [ "$lpid" -gt 1 ] 2>/dev/null || fail "LISTEN_PID [$lpid] is not the host pid"
  assert_eq "$self" "$lpid" "LISTEN_PID = the process's pid"
  # LISTEN_FDS meant for another process (LISTEN_PID names it) is not ours
  RC=0
  RT_TIMEOUT=15 env LISTEN_FDS=1 LISTEN_PID=1 "$RUNTIME" --root "$ROOT" run --bundle "$BUNDLE" "$ID" 3<"$T/sock" \
    </dev/null >"$T/out" 2>"$T/err" || RC=$?
  cat "$T/out" "$T/err"
  assert_match "$(head -n1 "$T/out")" '^ +[0-9]+$' "no LISTEN_* for fds of another process"
}

# ---------------------------------------------------------------- pidfd socket

# --pidfd-socket (runc 1.2's pidfd.bats): create, run -d and exec send a pidfd of the
# container's process (init, or the exec'd one) to the socket; a signal sent through it
# reaches that process.
test_pidfd_socket_create_run_exec() {
  berth_only "runc 1.1.5 has no --pidfd-socket (runc 1.2 added it)"
  local recv="$REPO/tests/integration/helpers/pidfd_recv.py" bg pid
  mkbundle
  set_args sleep 60
  # create: the pidfd names the init; SIGTERM through it stops the created container (runc
  # 1.2's pidfd-socket.bats: the init ends on a terminating signal before it execs)
  python3 "$recv" "$T/c.sock" "$T/c.got" 15 & bg=$!; track_pid "$bg"
  wait_for_file "$T/c.sock"
  create_ctr "$ID-c" --pid-file "$T/c.pid" --pidfd-socket "$T/c.sock" || fail "create --pidfd-socket: rc=$RC"
  wait_bg "$bg"; assert_rc 0 "pidfd receiver (create)"
  pid=$(cat "$T/c.pid")
  assert_eq "pidfd $pid" "$(cat "$T/c.got")" "message and pid of the pidfd (create)"
  wait_for_status "$ID-c" stopped
  # run -d, relative socket path (the caller's directory, as --pid-file)
  python3 "$recv" "$T/r.sock" "$T/r.got" & bg=$!; track_pid "$bg"
  wait_for_file "$T/r.sock"
  (cd "$T" && run_detached "$ID-r" --pidfd-socket r.sock) || fail "run -d --pidfd-socket: rc=$RC"
  wait_bg "$bg"; assert_rc 0 "pidfd receiver (run)"
  assert_eq "pidfd $(container_pid "$ID-r")" "$(cat "$T/r.got")" "pidfd of run -d"
  # exec -d: the pidfd names the exec'd process (--pid-file says which)
  python3 "$recv" "$T/e.sock" "$T/e.got" 15 & bg=$!; track_pid "$bg"
  wait_for_file "$T/e.sock"
  RC=0
  rt exec -d --pid-file "$T/e.pid" --pidfd-socket "$T/e.sock" "$ID-r" sleep 50 </dev/null >"$T/out" 2>"$T/err" || RC=$?
  cat "$T/err"
  assert_rc 0 "exec -d --pidfd-socket"
  wait_bg "$bg"; assert_rc 0 "pidfd receiver (exec)"
  assert_eq "pidfd $(cat "$T/e.pid")" "$(cat "$T/e.got")" "pidfd of the exec'd process"
  wait_pid_gone "$(cat "$T/e.pid")" 10 || fail "SIGTERM through the exec pidfd did not end the process"
  # nobody listening: an error naming the socket, before anything is made
  RC=0
  rt create --bundle "$BUNDLE" --pidfd-socket "$T/none.sock" "$ID-n" </dev/null >"$T/out" 2>"$T/err" || RC=$?
  assert_rc 1 "create with no listener"
  assert_contains "$(cat "$T/err")" "connect to pidfd socket $T/none.sock" "error"
  assert_no_container "$ID-n"
}

# `kill ID TERM` stops a created container (runc 1.1.5: its Go init ends on SIGTERM). The init
# of a new PID namespace is spared by the kernel from every signal it has no handler for: berth's
# init handles the terminating ones until it execs.
test_kill_created_container_term() {
  mkbundle
  set_args sleep 60
  create_ctr "$ID" || fail "create: rc=$RC"
  local pid
  pid=$(container_pid "$ID")
  RC=0
  rt kill "$ID" TERM </dev/null >"$T/out" 2>"$T/err" || RC=$?
  cat "$T/err"
  assert_rc 0 "kill TERM"
  wait_for_status "$ID" stopped
  wait_pid_gone "$pid" 5 || fail "the created container's init $pid outlived SIGTERM"
  # Once the process runs, the handlers are gone (execve resets them): as pid 1 of its
  # namespace, sleep ignores SIGTERM, as under runc.
  run_detached "$ID-r" || fail "run -d: rc=$RC"
  assert_eq 0000000000000000 "$(awk '/^SigCgt:/ {print $2}' "/proc/$(container_pid "$ID-r")/status")" "caught signals after execve"
}

# `kill ID KILL` on a container without a PID namespace of its own kills every process of it,
# also once its init is gone: killing the init alone would leave the rest running (runc 1.2's
# kill.bats "kill KILL [host pidns]" and "[host pidns + init gone]"; runc 1.1.5 kills the init).
test_kill_sigkill_without_pid_namespace_kills_all() {
  runc_known_diff "runc 1.1.5 sends KILL to the init only"
  mkbundle
  cfg '.linux.namespaces |= map(select(.type != "pid"))'
  set_args sleep 600
  local round init pids p
  for round in alive gone; do
    run_detached "$ID-$round" || fail "run -d: rc=$RC"
    init=$(container_pid "$ID-$round")
    pids=""
    for _ in 1 2 3; do
      rt exec -d --pid-file "$T/e.pid" "$ID-$round" sleep 600 </dev/null >/dev/null 2>&1 || fail "exec -d"
      pids="$pids $(cat "$T/e.pid")"
    done
    if [ "$round" = gone ]; then kill -9 "$init"; wait_pid_gone "$init" 5 || fail "init $init survived"; fi
    RC=0
    rt kill "$ID-$round" KILL </dev/null >"$T/out" 2>"$T/err" || RC=$?
    cat "$T/err"
    assert_rc 0 "kill KILL (init $round)"
    for p in $init $pids; do
      wait_pid_gone "$p" 5 || fail "process $p of the container outlived kill KILL (init $round)"
    done
    wait_for_status "$ID-$round" stopped
  done
  # Nothing left: "container not running", as before.
  RC=0
  rt kill "$ID-gone" KILL </dev/null >"$T/out" 2>"$T/err" || RC=$?
  assert_rc_nonzero "kill KILL of a container with nothing left"
  assert_contains "$(cat "$T/err")" "container not running"
}

# A foreground `run` with a terminal relays the pty with ONLCR cleared: the process's "\n"
# reaches a pipe on the caller's side as "\n", not "\r\n" (runc 1.1.5 clears it too; newer
# runc's tests compare lines of such output).
test_foreground_terminal_output_has_no_cr() {
  command -v script >/dev/null || skip "needs script(1)"
  mkbundle
  cfg '.process.terminal = true'
  set_args echo hi
  RC=0
  timeout 10 script -qec "$RUNTIME --root $ROOT run --bundle $BUNDLE $ID | od -An -c" /dev/null </dev/null >"$T/out" 2>"$T/err" || RC=$?
  cat "$T/out" "$T/err"
  assert_rc 0 "run under script(1)"
  assert_match "$(cat "$T/out")" 'h +i +\\n' "the relayed output"
  assert_not_contains "$(cat "$T/out")" '\r' "a carriage return in the relayed output"
}

# Capability names that grant nothing here (unknown, malformed) are skipped with runc's warning,
# not refused: runc 1.1.5 and newer (its capabilities.bats "runc run with unknown capability")
# and crun run such a container. Skipping grants less, never more; the known names still apply.
test_unknown_capabilities_skipped_with_warning() {
  mkbundle
  set_args grep CapBnd /proc/self/status
  cfg '.process.capabilities.bounding = ["CAP_KILL", "CAP_UNKNOWN", "UNKNOWN_CAP"]'
  run_ctr "$ID"
  assert_rc 0 "run with unknown capabilities"
  assert_eq "CapBnd:	0000000000000020" "$OUT" "the bounding set: CAP_KILL only"
  assert_contains "$(cat "$T/err")" "ignoring unknown or unavailable capabilities" "warning"
  assert_contains "$(cat "$T/err")" "CAP_UNKNOWN UNKNOWN_CAP" "the names warned about"
  # exec --cap with an unknown name: the same (runc adds it to the sets; nothing is granted).
  set_args sleep 60
  run_detached "$ID-x" || fail "run -d: rc=$RC"
  RC=0
  rt exec --cap CAP_UNKNOWN "$ID-x" true </dev/null >"$T/out" 2>"$T/err" || RC=$?
  cat "$T/err"
  assert_rc 0 "exec --cap CAP_UNKNOWN"
}

# run --keep: the stopped container stays (runc's run.bats "runc run --keep"), deletable.
test_run_keep() {
  mkbundle
  set_sh 'exit 3'
  run_ctr "$ID" --keep
  assert_rc 3 "run --keep exit code"
  assert_eq stopped "$(state_of "$ID")" "state after run --keep"
  RC=0
  rt delete "$ID" >/dev/null 2>"$T/err" || RC=$?
  assert_rc 0 "delete after run --keep"
  assert_no_container "$ID"
  run_ctr "$ID"
  assert_rc 3 "run without --keep"
  assert_eq "" "$(state_of "$ID")" "state after run without --keep"
}

# ---------------------------------------------------------------- CLI

# A missing or extra argument: exit 1, runc's wording on stderr (the log), the
# usage on stdout (runc 1.1.5's urfave/cli), never CLI11's exit 106.
test_cli_argument_count_errors() {
  local cmd want prog
  prog=$(basename "$RUNTIME")
  for cmd in create run start state delete pause resume events update checkpoint restore kill ps exec; do
    case "$cmd" in
      kill | ps | exec) want="\"$cmd\" requires a minimum of 1 argument(s)" ;;
      *) want="\"$cmd\" requires exactly 1 argument(s)" ;;
    esac
    RC=0
    rt "$cmd" </dev/null >"$T/out" 2>"$T/err" || RC=$?
    echo "# $cmd -> $RC: $(cat "$T/err")"
    assert_rc 1 "$cmd without arguments"
    # logrus' text format escapes the quotes
    assert_contains "$(tr -d '\\' < "$T/err")" "$prog: $want" "$cmd stderr"
    assert_eq "Incorrect Usage." "$(head -n1 "$T/out")" "$cmd stdout"
  done
  for cmd in "state a b" "list x" "spec x" "features x"; do
    RC=0
    # shellcheck disable=SC2086
    rt $cmd </dev/null >"$T/out" 2>"$T/err" || RC=$?
    echo "# $cmd -> $RC: $(cat "$T/err")"
    assert_rc 1 "$cmd"
    assert_contains "$(cat "$T/err")" "requires exactly" "$cmd stderr"
  done
  RC=0
  rt start --bogus x </dev/null >"$T/out" 2>"$T/err" || RC=$?
  assert_rc 1 "unknown flag"
  assert_contains "$(cat "$T/err")" "flag provided but not defined: -bogus" "unknown flag"
}

# -h/--help and -v/--version as runc's help.bats and version.bats check them.
test_cli_help_and_version() {
  local prog cmd
  prog=$(basename "$RUNTIME")
  for cmd in -h --help; do
    RC=0
    rt $cmd >"$T/out" 2>"$T/err" || RC=$?
    assert_rc 0 "$prog $cmd"
    assert_eq "NAME:" "$(sed -n 1p "$T/out")" "$cmd line 1"
    assert_match "$(sed -n 2p "$T/out")" "^ +$prog - Open Container Initiative runtime" "$cmd line 2"
    assert_contains "$(cat "$T/out")" "COMMANDS:" "$cmd"
  done
  for cmd in checkpoint create delete events exec kill list pause ps restore resume run spec start state update; do
    RC=0
    rt "$cmd" -h >"$T/out" 2>"$T/err" || RC=$?
    assert_rc 0 "$cmd -h"
    assert_eq "NAME:" "$(sed -n 1p "$T/out")" "$cmd -h line 1"
    assert_match "$(sed -n 2p "$T/out")" "^ +$prog $cmd - " "$cmd -h line 2"
  done
  RC=0
  rt help start >"$T/out" 2>"$T/err" || RC=$?
  assert_rc 0 "help start"
  assert_match "$(sed -n 2p "$T/out")" "^ +$prog start - " "help start line 2"
  RC=0
  rt foo -h >"$T/out" 2>"$T/err" || RC=$?
  assert_rc_nonzero "foo -h"
  assert_contains "$(cat "$T/out" "$T/err")" "No help topic for 'foo'" "foo -h"
  for cmd in -v --version; do
    RC=0
    rt $cmd >"$T/out" 2>"$T/err" || RC=$?
    assert_rc 0 "$cmd"
    assert_match "$(sed -n 1p "$T/out")" "^$prog version [0-9]+\.[0-9]+\.[0-9]+" "$cmd line 1"
    assert_match "$(sed -n 2p "$T/out")" "^commit:" "$cmd line 2"
    assert_match "$(sed -n 3p "$T/out")" "^spec: [0-9]+\.[0-9]+\.[0-9]+" "$cmd line 3"
  done
  # The spec version named is the one `features` gives as ociVersionMax and `state` reports.
  if rt features >"$T/features" 2>/dev/null; then
    assert_eq "spec: $(jq -r .ociVersionMax "$T/features")" "$(sed -n 3p "$T/out")" "--version vs features"
  fi
}

# crun's command line as crun's users and crun's own tests (tests_utils.py) pass it:
# --cgroup-manager (cgroupfs: the default; systemd: --systemd-cgroup; disabled: refused),
# run/create --config FILE relative to the bundle, --version's +FEATURE line.
test_crun_cli_cgroup_manager_config_version() {
  berth_only "crun's options; runc 1.1.5 has none of them"
  mkbundle
  set_sh 'echo from-other-config'
  mkdir "$BUNDLE/cfg"
  mv "$BUNDLE/config.json" "$BUNDLE/cfg/other.json"
  RC=0
  rt --cgroup-manager cgroupfs run --bundle "$BUNDLE" --config cfg/other.json "$ID" </dev/null >"$T/out" 2>"$T/err" || RC=$?
  assert_rc 0 "--cgroup-manager cgroupfs run --config cfg/other.json"
  assert_eq from-other-config "$(cat "$T/out")" "the container of cfg/other.json"
  RC=0
  rt create --bundle "$BUNDLE" -f cfg/missing.json "$ID" </dev/null >"$T/out" 2>"$T/err" || RC=$?
  assert_rc 1 "create -f cfg/missing.json"
  assert_contains "$(cat "$T/err")" "cfg/missing.json" "the missing config named"
  RC=0
  rt --cgroup-manager disabled run --bundle "$BUNDLE" --config cfg/other.json "$ID" </dev/null >"$T/out" 2>"$T/err" || RC=$?
  assert_rc 1 "--cgroup-manager disabled"
  assert_contains "$(cat "$T/err")" "--cgroup-manager disabled: not supported" "disabled refused"
  RC=0
  rt --cgroup-manager bogus list >"$T/out" 2>"$T/err" || RC=$?
  assert_rc 1 "--cgroup-manager bogus"
  RC=0
  rt --cgroup-manager cgroupfs --systemd-cgroup list >"$T/out" 2>"$T/err" || RC=$?
  assert_rc 1 "--cgroup-manager cgroupfs with --systemd-cgroup"
  assert_contains "$(cat "$T/err")" "contradicts --systemd-cgroup"
  # systemd is --systemd-cgroup: the same outcome for the same container
  local a b
  RC=0
  rt --systemd-cgroup run --bundle "$BUNDLE" --config cfg/other.json "$ID-a" </dev/null >"$T/out" 2>"$T/err" || RC=$?
  a="$RC $(sed 's/^time="[^"]*" //' "$T/err" "$T/out")"
  RC=0
  rt --cgroup-manager systemd run --bundle "$BUNDLE" --config cfg/other.json "$ID-a" </dev/null >"$T/out" 2>"$T/err" || RC=$?
  b="$RC $(sed 's/^time="[^"]*" //' "$T/err" "$T/out")"
  assert_eq "$a" "$b" "--cgroup-manager systemd as --systemd-cgroup"
  assert_root_empty
  rt --version >"$T/out"
  assert_match "$(tail -n1 "$T/out")" '^(\+[A-Z]+ )*\+[A-Z]+$' "--version's last line: crun's +FEATURE list"
  assert_contains "$(tail -n1 "$T/out")" "+SECCOMP" "--version features"
  assert_contains "$(tail -n1 "$T/out")" "+CRIU" "--version features"
}

# crun's `delete --regex`: every container whose id the (unanchored, extended) regex matches.
test_crun_delete_regex() {
  berth_only "crun's option; runc 1.1.5 has none"
  mkbundle
  set_args sleep 100
  local c
  for c in a b other; do
    create_ctr "$ID-$c"
    assert_rc 0 "create $ID-$c"
  done
  RC=0
  rt delete --regex "$ID-(a|b)$" >"$T/out" 2>"$T/err" || RC=$?
  assert_rc 0 "delete --regex"
  assert_eq "$ID-other" "$(rt list -q)" "only the unmatched container is left"
  RC=0
  rt delete -r "(" >"$T/out" 2>"$T/err" || RC=$?
  assert_rc 1 "an invalid regex"
  assert_contains "$(cat "$T/err")" 'delete --regex' "invalid regex named"
  rt start "$ID-other"
  RC=0
  rt delete --regex "other" >"$T/out" 2>"$T/err" || RC=$?
  assert_rc 1 "delete --regex of a running container without --force"
  assert_eq "$ID-other" "$(rt list -q)" "the running container is kept"
  rt delete --force --regex "^$ID-oth"
  assert_root_empty
}

# ---------------------------------------------------------------- rootfs propagation

# Every linux.rootfsPropagation value starts a container whose / has it (runc 1.3
# and crun pass all eight; "shared" failed in berth with "mount .../. on .../.:
# Invalid argument"). The root's propagation is read back from mountinfo.
test_rootfs_propagation_every_value() {
  mkbundle
  # a shared rootfs mount, as under an engine's shared /var/lib
  mount --bind "$BUNDLE/rootfs" "$BUNDLE/rootfs"
  mount --make-shared "$BUNDLE/rootfs"
  set_sh "awk '\$5 == \"/\" {o=\"\"; for (i = 7; \$i != \"-\"; i++) o = o \" \" \$i; print \"tags:\" o}' /proc/self/mountinfo"
  local p tags
  for p in shared slave private unbindable rshared rslave rprivate runbindable; do
    # runc 1.1.5 fails (un)bindable with "mount rootfs:rootfs, flags: 0x5000: invalid argument"
    if is_runc && [[ $p == *unbindable ]]; then continue; fi
    cfg --arg p "$p" '.linux.rootfsPropagation = $p'
    run_ctr "$ID-$p"
    assert_rc 0 "rootfsPropagation $p"
    # runc 1.1.5 starts them all but applies none to the new root (runc 1.2 does)
    is_runc && continue
    tags=$(grep '^tags:' <<<"$OUT" | tail -n1)
    case "$p" in
      *shared) assert_contains "$tags" "shared:" "/ of rootfsPropagation $p" ;;
      *unbindable) assert_contains "$tags" "unbindable" "/ of rootfsPropagation $p" ;;
      *) assert_not_contains "$tags" "shared:" "/ of rootfsPropagation $p" ;;
    esac
  done
}

# ---------------------------------------------------------------- user namespaces

# A new user namespace without uidMappings/gidMappings: crun accepts it with
# default maps (root: container root is the caller's root; berth maps the first
# 65536 ids to themselves, so the usual devpts gid=5 mounts); mounts, binds and
# tmpfs work inside. runc refuses it.
test_userns_without_mappings() {
  runc_known_diff "runc refuses a user namespace without mappings (crun accepts it)"
  mkbundle
  add_namespace user
  mkdir -p "$T/data"
  echo bound > "$T/data/f"
  add_bind "$T/data" /data
  add_mount /scratch tmpfs tmpfs mode=1777
  # CAP_SYS_ADMIN of the container's own user namespace, for a mount from inside
  cfg '.process.capabilities.bounding += ["CAP_SYS_ADMIN"] | .process.capabilities.effective += ["CAP_SYS_ADMIN"]
     | .process.capabilities.permitted += ["CAP_SYS_ADMIN"]'
  set_sh 'cat /proc/self/uid_map /proc/self/gid_map; id -u; readlink /proc/self/ns/user; cat /data/f;
          mount -t tmpfs t /tmp && touch /tmp/x && echo tmpfs-ok; touch /scratch/y && echo scratch-ok'
  run_ctr "$ID"
  assert_rc 0
  assert_eq "0 0 65536" "$(sed -n 1p <<<"$OUT" | awk '{print $1, $2, $3}')" "uid_map"
  assert_eq "0 0 65536" "$(sed -n 2p <<<"$OUT" | awk '{print $1, $2, $3}')" "gid_map"
  assert_eq 0 "$(sed -n 3p <<<"$OUT")" "uid inside"
  assert_ne "$(readlink /proc/self/ns/user)" "$(sed -n 4p <<<"$OUT")" "a user namespace of its own"
  assert_eq "bound
tmpfs-ok
scratch-ok" "$(sed -n '5,$p' <<<"$OUT")" "bind, tmpfs mount and config tmpfs"
}

# ---------------------------------------------------------------- hooks

# _bh_hook NAME [EXIT]: a host hook that records its stdin (the state) and its
# env, says hello on stdout and stderr, and exits EXIT.
_bh_hook() {
  mkdir -p "$T/hk"
  printf '%s\n' '#!/bin/sh' \
    "cat > '$T/hk/$1.json'" \
    "env | sort > '$T/hk/$1.env'" \
    "echo '$1' >> '$T/hk/order'" \
    "echo '$1 says hello on stdout'" \
    "echo '$1 says hello on stderr' >&2" \
    "exit ${2:-0}" > "$T/hk/$1.sh"
  chmod 0755 "$T/hk/$1.sh"
}

# _bh_waiting_hook: a hook that signals $T/in-hook and waits (10 s at most) for $T/go.
_bh_waiting_hook() {
  printf '%s\n' '#!/bin/sh' 'cat > /dev/null' "touch '$T/in-hook'" \
    "i=0; while [ ! -e '$T/go' ] && [ \$i -lt 200 ]; do sleep 0.05; i=\$((i+1)); done" > "$T/wait.sh"
  chmod 0755 "$T/wait.sh"
}

# prestart/createRuntime get the state with status "creating" and the host pid;
# the pid is the one `state` reports afterwards (runc 1.1.5 and crun).
test_hooks_runtime_state_status() {
  mkbundle
  _bh_hook prestart
  _bh_hook createRuntime
  cfg --arg a "$T/hk/prestart.sh" --arg b "$T/hk/createRuntime.sh" \
    '.hooks = {"prestart": [{"path": $a}], "createRuntime": [{"path": $b}]}'
  set_args sleep 100
  create_ctr "$ID"
  local pid h
  pid=$(container_pid "$ID")
  for h in prestart createRuntime; do
    echo "$h: $(cat "$T/hk/$h.json")"
    assert_eq creating "$(jq -r .status "$T/hk/$h.json")" "$h status"
    assert_eq "$pid" "$(jq -r .pid "$T/hk/$h.json")" "$h pid"
    assert_eq "$ID" "$(jq -r .id "$T/hk/$h.json")" "$h id"
  done
}

# A failing poststart hook: the command fails, the container is stopped and
# deleted (runtime-spec 1.1+, crun; runc 1.1.5 only logs it).
test_hooks_poststart_failure_stops_and_deletes() {
  runc_known_diff "runc 1.1.5 only logs a failed poststart hook"
  mkbundle
  _bh_hook poststart 3
  _bh_hook poststop
  cfg --arg a "$T/hk/poststart.sh" --arg b "$T/hk/poststop.sh" \
    '.hooks = {"poststart": [{"path": $a}], "poststop": [{"path": $b}]}'
  set_args sleep 100
  create_ctr "$ID"
  local pid
  pid=$(container_pid "$ID")
  start_ctr "$ID" || true
  assert_rc 1 "start with a failing poststart hook"
  assert_contains "$(cat "$T/err")" "poststart" "start's error"
  wait_pid_gone "$pid"
  assert_eq "" "$(state_of "$ID")" "state after the failed start"
  assert_file_exists "$T/hk/poststop.json"
  # run: the same, and run's exit code is 1
  rm -f "$T/hk/poststop.json"
  run_ctr "$ID-r"
  assert_rc 1 "run with a failing poststart hook"
  assert_eq "" "$(state_of "$ID-r")" "state after the failed run"
  assert_file_exists "$T/hk/poststop.json"
}

# Poststop hooks: a failure is a warning, the hooks after it still run, delete
# succeeds (runtime-spec; runc 1.1.5 stops at the first failure).
test_hooks_poststop_failure_warns_rest_run() {
  mkbundle
  _bh_hook first 5
  _bh_hook second
  cfg --arg a "$T/hk/first.sh" --arg b "$T/hk/second.sh" '.hooks = {"poststop": [{"path": $a}, {"path": $b}]}'
  set_args true
  run_ctr "$ID"
  assert_rc 0 "run with a failing poststop hook"
  assert_file_exists "$T/hk/first.json"
  runc_known_diff "runc 1.1.5 skips the poststop hooks after a failed one"
  assert_file_exists "$T/hk/second.json"
  assert_contains "$(cat "$T/err")" "first" "warning names the failed hook"
}

# Hooks get exactly their env, and the runtime's environment when they have none (runc 1.1.5:
# Go's nil Cmd.Env; crun 1.8.1: environ unless hooks[i]->env; crun's test_hooks.py
# test-hook-env-inherit); their stdout/stderr go to the files named by the
# run.oci.hooks.stdout/stderr annotations (crun), else nowhere (not the runtime's stdout/stderr).
test_hooks_env_and_output() {
  runc_known_diff "runc 1.1.5: no hook output annotations"
  mkbundle
  _bh_hook withenv
  _bh_hook noenv
  cfg --arg a "$T/hk/withenv.sh" --arg b "$T/hk/noenv.sh" --arg o "$T/hooks.out" --arg e "$T/hooks.err" \
    '.hooks = {"prestart": [{"path": $a, "env": ["ONE=1", "TWO=2"]}], "poststop": [{"path": $b}]}
     | .annotations = {"run.oci.hooks.stdout": $o, "run.oci.hooks.stderr": $e}'
  set_args true
  BERTH_IT_LEAK=host run_ctr "$ID"
  assert_rc 0
  assert_eq "ONE=1
TWO=2" "$(grep -v '^SHLVL=\|^_=\|^PWD=' "$T/hk/withenv.env")" "env of a hook with env"
  assert_contains "$(cat "$T/hk/noenv.env")" BERTH_IT_LEAK=host "env of a hook without env (inherited)"
  assert_eq "withenv says hello on stdout
noenv says hello on stdout" "$(cat "$T/hooks.out")" "hooks' stdout"
  assert_eq "withenv says hello on stderr
noenv says hello on stderr" "$(cat "$T/hooks.err")" "hooks' stderr"
  assert_not_contains "$(cat "$T/out" "$T/err")" "says hello" "runtime's own output"
}

# ---------------------------------------------------------------- the state lock

# While a create is under way (a createRuntime hook waits), `state` and `list`
# answer at once with status "creating" (runtime-spec), not after the create.
test_state_during_create_is_creating() {
  runc_known_diff "runc 1.1.5's state waits for or fails during a create"
  mkbundle
  _bh_waiting_hook
  cfg --arg h "$T/wait.sh" '.hooks = {"createRuntime": [{"path": $h}]}'
  set_args sleep 100
  rt_bg "$T/create.out" create --bundle "$BUNDLE" "$ID"
  local bg=$BG_PID t0
  wait_for_file "$T/in-hook" 10
  t0=$(date +%s%N)
  assert_eq creating "$(RT_TIMEOUT=3 rt state "$ID" | jq -r .status)" "status during create"
  assert_eq creating "$(RT_TIMEOUT=3 rt list --format json | jq -r '.[0].status')" "list during create"
  [ $((($(date +%s%N) - t0) / 1000000)) -lt 2000 ] || fail "state/list waited for the create"
  touch "$T/go"
  wait_bg "$bg" 20
  assert_rc 0 "create"
  container_pid "$ID" >/dev/null
  assert_eq created "$(state_of "$ID")" "status after create"
}

# start does not hold the lock while poststart hooks run: state and kill work
# meanwhile (crun; runc 1.1.5 runs poststart in create).
test_start_unlocked_during_poststart() {
  runc_known_diff "runc 1.1.5 runs poststart hooks at create"
  mkbundle
  _bh_waiting_hook
  cfg --arg h "$T/wait.sh" '.hooks = {"poststart": [{"path": $h}]}'
  set_args sleep 100
  create_ctr "$ID"
  rt_bg "$T/start.out" start "$ID"
  local bg=$BG_PID
  wait_for_file "$T/in-hook" 10
  assert_eq running "$(RT_TIMEOUT=3 rt state "$ID" | jq -r .status)" "status while poststart runs"
  RT_TIMEOUT=3 rt kill "$ID" USR1 || fail "kill waited for start's poststart hook"
  touch "$T/go"
  wait_bg "$bg" 20
  assert_rc 0 "start"
}

# ---------------------------------------------------------------- files and dirs

# A relative --pid-file is relative to the caller's directory (runc), not the bundle.
test_pid_file_relative_to_cwd() {
  mkbundle
  set_args sleep 100
  mkdir -p "$T/here"
  RC=0
  (cd "$T/here" && "$RUNTIME" --root "$ROOT" create --bundle "$BUNDLE" --pid-file pidf "$ID" \
    </dev/null >/dev/null 2>"$T/err") || RC=$?
  cat "$T/err"
  assert_rc 0
  assert_file_exists "$T/here/pidf"
  assert_not_exists "$BUNDLE/pidf"
  assert_eq "$(container_pid "$ID")" "$(cat "$T/here/pidf")" "pid file"
}

# A state directory that cannot be opened for another reason than ENOENT is
# reported with that reason, not as "does not exist".
test_state_dir_error_not_missing() {
  berth_only "runc says 'container does not exist' for any error"
  mkdir -p "$ROOT"
  ln -s "$ID" "$ROOT/$ID" # a symlink loop: ELOOP
  RC=0
  rt state "$ID" >"$T/out" 2>"$T/err" || RC=$?
  cat "$T/err"
  rm -f "$ROOT/$ID"
  assert_rc 1
  assert_not_contains "$(cat "$T/err")" "does not exist" "error"
  assert_contains "$(cat "$T/err")" "symbolic links" "error (ELOOP)"
}

# ---------------------------------------------------------------- the process

# The executable is looked up and checked as the container's user, after the
# user switch: one the user may not run fails create with "permission denied"
# (126), not start (crun; runc 1.1.5 only looks at the mode's x bits).
test_executable_checked_as_user() {
  runc_known_diff "runc 1.1.5 checks only that some x bit is set (exec.LookPath)"
  mkbundle
  printf '#!/bin/sh\necho should-not-run\n' > "$BUNDLE/rootfs/secret.sh"
  chmod 0700 "$BUNDLE/rootfs/secret.sh"
  cfg '.process.user = {"uid": 1000, "gid": 1000}'
  set_args /secret.sh
  RC=0
  rt create --bundle "$BUNDLE" "$ID" </dev/null >"$T/out" 2>"$T/err" || RC=$?
  cat "$T/err"
  assert_rc_nonzero "create of a process its user may not execute"
  assert_contains "$(cat "$T/err")" "permission denied" "create's error"
  assert_root_empty
  # as root it runs
  cfg '.process.user = {"uid": 0, "gid": 0}'
  run_ctr "$ID"
  assert_rc 0
  assert_eq should-not-run "$OUT" "root runs it"
}

# A user with CAP_DAC_OVERRIDE runs a file any x bit of which is set, as execve allows (runc's
# start_hello.bats "runc run as user with no exec bit but CAP_DAC_OVERRIDE set"): the check
# before execve counts the effective capabilities (faccessat AT_EACCESS, not access()).
test_executable_with_dac_override() {
  mkbundle --copy  # /bin's files are hard links to the shared template's otherwise
  chown 0 "$BUNDLE/rootfs/bin/echo"
  chmod 0744 "$BUNDLE/rootfs/bin/echo"
  cfg '.process.user = {"uid": 1000, "gid": 100}'
  set_args /bin/echo hello
  run_ctr "$ID"
  assert_rc_nonzero "run of a root-only executable as uid 1000"
  local all='["CAP_DAC_OVERRIDE"]'
  cfg --argjson c "$all" '.process.capabilities = {"bounding": $c, "effective": $c, "inheritable": $c, "permitted": $c, "ambient": $c}'
  run_ctr "$ID"
  assert_rc 0 "the same with CAP_DAC_OVERRIDE"
  assert_eq hello "$OUT" "output"
}

# A cwd only root can reach: entered as root before the user switch (runc's
# "runc create can chdir if runc has access"); one nobody can reach fails.
test_cwd_only_root_can_reach() {
  mkbundle
  mkdir -p "$BUNDLE/rootfs/private"
  chmod 0700 "$BUNDLE/rootfs/private"
  cfg '.process.user = {"uid": 42, "gid": 42} | .process.cwd = "/private"'
  set_args ls /tmp
  run_ctr "$ID"
  assert_rc 0 "cwd only root can reach"
  # exec --user 0 into a container whose cwd belongs to another user (runc's
  # "runc exec --user with no access to cwd")
  chown 42 "$BUNDLE/rootfs/private"
  set_args sleep 100
  run_detached "$ID-b"
  RC=0
  rt exec --user 0 "$ID-b" true </dev/null >"$T/out" 2>"$T/err" || RC=$?
  cat "$T/err"
  assert_rc 0 "exec --user 0 with a cwd owned by uid 42 (0700)"
}

# process.env: HOME from /etc/passwd when unset or empty, a variable given twice
# set once to its last value (runc's env.bats).
test_env_home_and_overrides() {
  mkbundle
  cfg '.process.env = ["HOME=", "PATH=/usr/bin:/bin", "ONE=two", "ONE=", "TWO=a", "TWO=b"]'
  set_args env
  run_ctr "$ID"
  assert_rc 0
  assert_eq "HOME=/root
ONE=
PATH=/usr/bin:/bin
TWO=b" "$(sort <<<"$OUT")" "environment"
  cfg '.process.env = ["PATH=/usr/bin:/bin", "HOME=/override", "HOME="]'
  set_sh 'echo $HOME'
  run_ctr "$ID"
  assert_eq /root "$OUT" "HOME=/override then HOME="
  cfg '.process.env = ["PATH=/usr/bin:/bin", "HOME=/override"] | .process.user.uid = 2000'
  run_ctr "$ID"
  assert_eq /override "$OUT" "a HOME that is set"
  printf 'tempuser:x:2000:2000:tempuser:/home/tempuser:/bin/sh\n' >> "$BUNDLE/rootfs/etc/passwd"
  cfg '.process.env = ["PATH=/usr/bin:/bin"] | .process.cwd = "/"'
  run_ctr "$ID"
  assert_eq /home/tempuser "$OUT" "HOME of uid 2000 from /etc/passwd"
}

# --debug: debug entries on stderr, or in the --log file (text or json) and not
# on stderr, with the phases runc's debug.bats looks for.
test_debug_output() {
  mkbundle
  set_args true
  RC=0
  rt --debug run --bundle "$BUNDLE" "$ID" </dev/null >"$T/out" 2>"$T/err" || RC=$?
  assert_rc 0
  assert_contains "$(cat "$T/err")" "level=debug" "stderr with --debug"
  assert_contains "$(cat "$T/err")" "nsexec container setup" "stderr with --debug (runc 1.1's phase)"
  assert_contains "$(cat "$T/err")" "child process in init()" "stderr with --debug"
  assert_contains "$(cat "$T/err")" "init: closing the pipe to signal completion" "stderr with --debug (runc 1.1.5 debug.bats)"
  local fmt
  for fmt in text json; do
    RC=0
    rt --log "$T/log.$fmt" --log-format "$fmt" --debug run --bundle "$BUNDLE" "$ID" </dev/null >"$T/out" 2>"$T/err" || RC=$?
    assert_rc 0
    assert_not_contains "$(cat "$T/err")" "level=debug" "stderr with --log ($fmt)"
    assert_contains "$(cat "$T/log.$fmt")" "child process in init()" "--log $fmt"
    assert_contains "$(cat "$T/log.$fmt")" "nsexec container setup" "--log $fmt"
    assert_contains "$(cat "$T/log.$fmt")" "init: closing the pipe to signal completion" "--log $fmt"
  done
  assert_contains "$(cat "$T/log.text")" "level=debug" "--log text"
  assert_contains "$(cat "$T/log.json")" '"level":"debug"' "--log json"
  # newer runc's debug.bats looks for "nsexec started"
  is_runc || assert_contains "$(cat "$T/log.text")" "nsexec started" "--log text"
  # exec (runc's exec.bats: "runc --debug exec")
  set_args sleep 100
  run_detached "$ID-x"
  RC=0
  rt --debug exec "$ID-x" true </dev/null >"$T/out" 2>"$T/err" || RC=$?
  assert_rc 0 "--debug exec"
  local phase
  for phase in "level=debug" "nsexec container setup" "child process in init()" "setns_init: about to exec"; do
    assert_contains "$(cat "$T/err")" "$phase" "--debug exec stderr"
  done
  # --log for exec too (the lines of the whole exec, up to its execve)
  RC=0
  rt --log "$T/log.exec" --debug exec "$ID-x" true </dev/null >"$T/out" 2>"$T/err" || RC=$?
  assert_rc 0 "--log --debug exec"
  assert_contains "$(cat "$T/log.exec")" "setns_init: about to exec" "--log of exec"
}

# kill --all KILL and delete --force against a process that forks as fast as it
# can: nothing of the container survives (cgroup.kill, else the freezer).
test_kill_all_fast_forker() {
  mkbundle
  cfg '.linux.resources.pids = {"limit": 300}'
  set_sh 'while :; do (sleep 1000 &) 2>/dev/null; done'
  run_detached "$ID"
  local pid i
  pid=$(container_pid "$ID")
  sleep 0.5
  rt kill --all "$ID" KILL
  wait_pid_gone "$pid" 10
  for ((i = 0; i < 40; i++)); do
    [ -z "$(rt ps --format json "$ID" | jq -r '.[]' 2>/dev/null)" ] && break
    sleep 0.05
  done
  assert_eq "" "$(rt ps --format json "$ID" | jq -r '.[]')" "processes left after kill --all KILL"
  rt delete --force "$ID"
  # delete --force alone, on a running forker
  run_detached "$ID-b"
  pid=$(container_pid "$ID-b")
  sleep 0.5
  rt delete --force "$ID-b"
  wait_pid_gone "$pid" 10
  assert_eq "" "$(state_of "$ID-b")" "state after delete --force"
  # another signal than KILL goes through the freezer (no cgroup.kill for it);
  # pid 1 of the pid namespace takes TERM only with a handler
  set_sh 'trap "exit 0" TERM; while :; do (sleep 1000 &) 2>/dev/null; done'
  run_detached "$ID-c"
  pid=$(container_pid "$ID-c")
  sleep 0.5
  rt kill --all "$ID-c" TERM
  wait_pid_gone "$pid" 10
  for ((i = 0; i < 40; i++)); do
    [ -z "$(rt ps --format json "$ID-c" | jq -r '.[]' 2>/dev/null)" ] && break
    sleep 0.05
  done
  assert_eq "" "$(rt ps --format json "$ID-c" | jq -r '.[]')" "processes left after kill --all TERM"
  rt delete --force "$ID-c"
}

# The terminal belongs to the process's user and the tty group (runc's tty.bats).
test_tty_owner_non_root() {
  mkbundle
  cfg '.process.terminal = true | .process.user = {"uid": 1000, "gid": 100}'
  set_sh 'stat -c %u:%g $(tty)'
  RC=0
  RT_TIMEOUT=15 script -qec "$RUNTIME --root $ROOT run --bundle $BUNDLE $ID" /dev/null </dev/null >"$T/out" 2>"$T/err" || RC=$?
  cat "$T/out" "$T/err"
  assert_rc 0
  assert_contains "$(tr -d '\r' < "$T/out")" "1000:5" "owner of the tty"
}

# --no-pivot must not leave the host's full /proc reachable: it would let the
# container mount a fresh proc from a user namespace of its own (runc's
# no_pivot.bats; the kernel allows it only while a full proc mount is visible).
test_no_pivot_hides_host_proc() {
  mkbundle
  cfg '.process.capabilities.bounding += ["CAP_SETFCAP"] | .process.capabilities.permitted += ["CAP_SETFCAP"]'
  set_args unshare -mrpf sh -c 'mount -t proc none /proc && echo mounted-proc'
  run_ctr "$ID" --no-pivot
  assert_not_contains "$OUT" mounted-proc "a fresh proc mount with --no-pivot"
  assert_contains "$(cat "$T/err")" "ermission denied" "the mount's error"
  # and a --no-pivot container still runs, with its own /proc
  set_sh 'cat /proc/self/comm; ls /proc/1/exe >/dev/null && echo proc-ok'
  run_ctr "$ID" --no-pivot
  assert_rc 0
  assert_contains "$OUT" proc-ok "the container's /proc"
}

# exec --cgroup [controllers:]path: the process joins an existing sub-cgroup of
# the container's (runc 1.1's exec.bats "runc exec --cgroup sub-cgroups [v1]").
test_exec_cgroup_sub_cgroup() {
  cgroup_v2 && skip "the v1 form of the test (this host's controllers are v1)"
  [ -d /sys/fs/cgroup/memory ] || skip "no v1 memory hierarchy"
  mkbundle
  set_args sleep 100
  run_detached "$ID"
  local pid rel sub
  pid=$(container_pid "$ID")
  rel=$(awk -F: '$2 ~ /(^|,)memory(,|$)/ {print $3}' "/proc/$pid/cgroup")
  sub="sub-$ID"
  mkdir "/sys/fs/cgroup/memory$rel/$sub"
  at_cleanup "rmdir '/sys/fs/cgroup/memory$rel/$sub' 2>/dev/null || true"
  RC=0
  rt exec --cgroup "memory:$sub" "$ID" cat /proc/self/cgroup </dev/null >"$T/out" 2>"$T/err" || RC=$?
  cat "$T/out" "$T/err"
  assert_rc 0 "exec --cgroup memory:$sub"
  assert_eq "$rel/$sub" "$(awk -F: '$2 ~ /(^|,)memory(,|$)/ {print $3}' "$T/out")" "memory cgroup of the exec'd process"
  assert_eq "$(awk -F: '$2 ~ /(^|,)pids(,|$)/ {print $3}' "/proc/$pid/cgroup")" \
    "$(awk -F: '$2 ~ /(^|,)pids(,|$)/ {print $3}' "$T/out")" "pids cgroup (the container's)"
  local bad want
  for bad in "..: .. is not a sub cgroup path" "cpu:../x:is not a sub cgroup path" "nonexistent:o such file or directory" \
    "whaaat:/:unknown controller" "$sub:o such file or directory"; do
    want=${bad##*:}
    RC=0
    rt exec --cgroup "${bad%:*}" "$ID" true </dev/null >"$T/out" 2>"$T/err" || RC=$?
    echo "# --cgroup ${bad%:*} -> $RC: $(cat "$T/err")"
    assert_rc_nonzero "exec --cgroup ${bad%:*}"
    assert_contains "$(cat "$T/err")" "$want" "exec --cgroup ${bad%:*}"
  done
  # runc's exec.bats matches its words (Go's lowercase errno text)
  RC=0
  rt exec --cgroup nonexistent "$ID" true </dev/null >"$T/out" 2>"$T/err" || RC=$?
  assert_match "$(cat "$T/err")" " adding pid .*/nonexistent/cgroup\.procs: no such file " "exec --cgroup nonexistent"
  rt kill "$ID" KILL
  wait_pid_gone "$pid"
  rmdir "/sys/fs/cgroup/memory$rel/$sub"
}

# crun's annotation run.oci.keep_original_groups (podman's --group-add keep-groups): the
# container's processes keep the supplementary groups of the runtime's caller (run and exec;
# crun's test_uid_gid.py keep-groups); with additionalGids too it is refused (crun would drop
# them silently).
test_keep_original_groups_annotation() {
  runc_known_diff "runc 1.1.5 has no run.oci.keep_original_groups"
  command -v setpriv >/dev/null || skip "setpriv (util-linux) missing"
  mkbundle
  set_sh 'grep ^Groups: /proc/self/status'
  cfg '.annotations["run.oci.keep_original_groups"] = "1"'
  RC=0
  timeout 10 setpriv --groups 11,12 "$RUNTIME" --root "$ROOT" run --bundle "$BUNDLE" "$ID" </dev/null >"$T/out" 2>"$T/err" || RC=$?
  assert_rc 0 "run with the caller's groups 11,12"
  assert_eq "Groups: 11 12" "$(tr -s ' \t' ' ' < "$T/out" | sed 's/ $//')" "the init's groups"
  set_args sleep 100
  run_detached "$ID-x"
  assert_rc 0 "run -d"
  RC=0
  timeout 10 setpriv --groups 13 "$RUNTIME" --root "$ROOT" exec "$ID-x" grep ^Groups: /proc/self/status </dev/null >"$T/out" 2>"$T/err" || RC=$?
  assert_rc 0 "exec with the caller's group 13"
  assert_eq "Groups: 13" "$(tr -s ' \t' ' ' < "$T/out" | sed 's/ $//')" "the exec'd process's groups"
  RC=0
  rt exec --additional-gids 5 "$ID-x" true </dev/null >"$T/out" 2>"$T/err" || RC=$?
  assert_rc 255 "exec --additional-gids with the annotation (exec's own failures exit 255, as runc's)"
  assert_contains "$(cat "$T/err")" "run.oci.keep_original_groups" "exec refusal"
  rt delete --force "$ID-x"
  cfg '.process.user.additionalGids = [5]'
  create_ctr "$ID-y" || true
  assert_rc 1 "create with additionalGids and the annotation"
  assert_contains "$(cat "$T/$ID-y.err")" "additionalGids cannot apply" "create refusal"
  assert_root_empty
}

# systemd's sd_notify through the container (runc's notify_socket.go; crun's test_start.py
# sd-notify-proxy): with NOTIFY_SOCKET set, the container gets NOTIFY_SOCKET=/run/notify/notify.sock,
# and the datagram with a READY=1 line reaches the caller's socket, followed by MAINPID; those
# before it (a status, READY=0) do not.
test_notify_socket_ready_forwarded() {
  command -v gcc >/dev/null || skip "gcc missing (builds the container's sd_notify sender)"
  command -v python3 >/dev/null || skip "python3 missing (the host's notify socket)"
  mkbundle
  cat > "$T/ready.c" <<'EOF'
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
int main(int argc, char **argv) {
  const char *path = getenv("NOTIFY_SOCKET");
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
  if (!path || fd < 0) return 2;
  strncpy(a.sun_path, path, sizeof a.sun_path - 1);
  for (int i = 1; i < argc; i++) /* one datagram each */
    if (sendto(fd, argv[i], strlen(argv[i]), 0, (struct sockaddr *)&a, sizeof a) < 0) return 1;
  return 0;
}
EOF
  gcc -static -O2 -o "$BUNDLE/rootfs/sd-ready" "$T/ready.c" || skip "gcc -static failed"
  python3 -c '
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(10)
with open(sys.argv[2] + ".tmp", "w") as out:
    for _ in range(2):
        out.write(s.recv(4096).decode().strip().replace("\n", "|") + "\n")
os.rename(sys.argv[2] + ".tmp", sys.argv[2])
' "$T/host.sock" "$T/got" &
  track_pid $!
  wait_for_file "$T/host.sock"
  # not ready yet, then readiness with a status in the same datagram (what sd_notify sends)
  set_sh 'echo "$NOTIFY_SOCKET"; /sd-ready STATUS=starting READY=0 "STATUS=up
READY=1" && echo sent'
  NOTIFY_SOCKET="$T/host.sock" run_ctr "$ID"
  assert_rc 0
  assert_eq "/run/notify/notify.sock
sent" "$OUT" "NOTIFY_SOCKET inside, READY sent"
  wait_for_file "$T/got" 10
  assert_eq "STATUS=up|READY=1" "$(sed -n 1p "$T/got")" "first datagram (the ready one, as sent)"
  assert_match "$(sed -n 2p "$T/got")" '^MAINPID=[0-9]+$' "second datagram"
}

# ---------------------------------------------------------------- mounts (runc's run.bats)

# A tmpfs over an existing directory takes the directory's mode (every bit,
# sticky and set-id ones too) unless the mount says mode= (runc #3952, #3911).
test_tmpfs_mode_and_permissions() {
  mkbundle --copy
  chmod 'a=rwx,ug+s,+t' "$BUNDLE/rootfs/tmp"
  local mode
  mode=$(stat -c %A "$BUNDLE/rootfs/tmp")
  add_mount /tmp tmpfs tmpfs noexec nosuid nodev rprivate
  set_sh 'stat -c %A /tmp'
  run_ctr "$ID"
  assert_rc 0
  assert_eq "$mode" "$OUT" "mode of a tmpfs over /tmp"
  runc_known_diff "runc 1.1.5 gives a tmpfs with mode= over an existing directory that directory's mode (runc #3911)"
  cfg '.mounts |= map(select(.destination != "/tmp"))'
  chmod ug-s "$BUNDLE/rootfs/tmp"  # no set-gid bit for the directory made next
  add_mount /tmp/test tmpfs tmpfs mode=0444
  set_sh 'stat -c %a /tmp/test'
  run_ctr "$ID"
  assert_eq 444 "$OUT" "mode=0444, directory made by the runtime"
  run_ctr "$ID"
  assert_eq 444 "$OUT" "mode=0444, directory already there"
  cfg '.mounts[-1].options = []'
  chmod 0710 "$BUNDLE/rootfs/tmp/test"
  run_ctr "$ID"
  assert_eq 710 "$OUT" "no mode=: the directory's"
  cfg '.mounts[-1].options = ["mode=0410"]'
  run_ctr "$ID"
  assert_eq 410 "$OUT" "mode=0410"
}

# An execve failure: exit status and message as runc gives them, for run and exec.
test_execve_failure_reported() {
  mkbundle --copy
  printf '#!/mmnnttbb foo bar\nsh\n' > "$BUNDLE/rootfs/run.sh"
  chmod +x "$BUNDLE/rootfs/run.sh"
  set_args /run.sh
  run_ctr "$ID"
  assert_rc_nonzero "run of a script whose interpreter is missing"
  assert_eq 1 "$(grep -c . "$T/err")" "one line of error (runc: no second error after the sync socket closed)"
  assert_match "$(cat "$T/err")" 'exec .*/run\.sh.*[Nn]o such file or directory' "run's error"
  set_args sleep 100
  run_detached "$ID-b"
  RC=0
  rt exec "$ID-b" /run.sh </dev/null >"$T/out" 2>"$T/err" || RC=$?
  cat "$T/err"
  assert_rc_nonzero "exec of the same"
  assert_match "$(cat "$T/err")" 'exec .*/run\.sh.*[Nn]o such file or directory' "exec's error"
}

# A read-only /dev (tmpfs) still gets its device nodes: mounted read-write, the
# nodes made, then remounted read-only (runc's finalizeRootfs); a read-only
# tmpfs elsewhere keeps its mode= (runc's mounts.bats "ro tmpfs mount").
test_readonly_dev_and_tmpfs() {
  mkbundle
  cfg '.mounts |= map(if .destination == "/dev" then .options += ["ro"] else . end)'
  add_mount /scratch tmpfs tmpfs ro nodev nosuid mode=755
  set_sh 'ls -l /dev/null /dev/zero | cut -c1; grep -E " /dev | /scratch " /proc/mounts | cut -d" " -f2,4 | cut -d, -f1;
          stat -c %a /scratch; touch /dev/x 2>/dev/null || echo dev-read-only'
  run_ctr "$ID"
  assert_rc 0
  assert_eq "c
c
/dev ro
/scratch ro
755
dev-read-only" "$OUT" "read-only /dev and tmpfs"
}

# A container that joins every namespace of another (user with its maps, time
# with its offsets, pid, net, ipc, uts, cgroup) but the mount namespace, by
# path (runc's run.bats "runc run [joining existing container namespaces]").
test_join_all_namespaces_of_a_container() {
  runc_known_diff "runc 1.1.5 has no time namespace"
  mkbundle --copy
  chown -R 100000:200000 "$BUNDLE/rootfs"
  add_namespace user
  add_namespace time
  cfg '.linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 100}]
     | .linux.gidMappings = [{"containerID": 0, "hostID": 200000, "size": 200}]
     | .linux.timeOffsets = {"monotonic": {"secs": 7881, "nanosecs": 2718281}, "boottime": {"secs": 1337, "nanosecs": 3141519}}'
  set_args sleep 1000
  run_detached "$ID-target"
  local tpid
  tpid=$(container_pid "$ID-target")
  cfg --arg p "$tpid" '.linux.namespaces |= map(.path = if .type == "mount" then "" else "/proc/" + $p + "/ns/" + ({"network": "net", "mount": "mnt"}[.type] // .type) end)
     | .linux |= (del(.uidMappings) | del(.gidMappings) | del(.timeOffsets))'
  run_detached "$ID-attached"
  RC=0
  rt exec "$ID-attached" sh -c 'ps -o args | grep -c "^sleep 1000"; cat /proc/self/uid_map /proc/self/gid_map /proc/self/timens_offsets' \
    </dev/null >"$T/out" 2>"$T/err" || RC=$?
  cat "$T/out" "$T/err"
  assert_rc 0 "exec in the attached container"
  assert_eq 2 "$(sed -n 1p "$T/out")" "sleep processes seen (one pid namespace)"
  grep -Eq '^ +0 +100000 +100$' "$T/out" || fail "uid_map of the attached container"
  grep -Eq '^ +0 +200000 +200$' "$T/out" || fail "gid_map of the attached container"
  grep -Eq '^monotonic +7881 +2718281$' "$T/out" || fail "monotonic offset"
  grep -Eq '^boottime +1337 +3141519$' "$T/out" || fail "boottime offset"
}

# A failing hook of any kind but poststop fails run (not only the process's
# output, runc's check), and the error starts in runc 1.1.5's words ("error running hook #1:",
# what its seccomp.bats matches) and then names the hook's kind (newer runc puts the kind first).
test_hooks_failure_wording() {
  mkbundle
  set_args /bin/echo "Hello World"
  local hook
  for hook in prestart createRuntime createContainer startContainer poststart; do
    cfg --arg k "$hook" '.hooks = {($k): [{"path": "/bin/true"}, {"path": "/bin/false"}]}'
    run_ctr "$ID-$hook"
    assert_rc_nonzero "run with a failing $hook hook"
    # (a poststart hook runs after the process started: its output may be there)
    assert_ne "Hello World" "$(cat "$T/out" "$T/err")" "the whole output with a failing $hook hook"
    assert_contains "$(cat "$T/err")" "error running hook #1:" "$hook error (runc 1.1.5's words)"
    is_runc || assert_contains "$(cat "$T/err")" "error running hook #1: $hook hook /bin/false: exit status 1" "$hook error"
    assert_eq "" "$(state_of "$ID-$hook")" "container after a failed run"
  done
}

# ---------------------------------------------------------------- runc 1.1.5's bats suite
# Behaviours found by running runc's own integration tests (tests/peers/runc_bats.sh,
# docs/peer-suites.md) where berth differed from runc.

# A cgroup that exists before the container: processes in it only warn, a frozen one is
# refused instead of a create that waits for ever (cgroups.bats "should warn about a
# non-empty cgroup", "should refuse pre-existing frozen cgroup").
test_cgroup_preexisting_nonempty_and_frozen() {
  local fz=/sys/fs/cgroup/freezer
  cgroup_v2 && fz=/sys/fs/cgroup
  [ -d "$fz" ] || skip "no freezer hierarchy"
  mkbundle
  set_args sleep 100
  local rel="/berth-it-$ID"
  cfg --arg p "$rel" '.linux.cgroupsPath = $p'
  at_cleanup "for d in /sys/fs/cgroup/*$rel /sys/fs/cgroup$rel; do [ -d \"\$d\" ] && rmdir \"\$d\" 2>/dev/null; done; true"
  run_detached "$ID-a" || fail "run -d: rc=$RC"
  run_detached "$ID-b" || fail "run -d of a second container in the same cgroup: rc=$RC"
  assert_contains "$(cat "$T/$ID-b.err")" "container's cgroup is not empty" "warning of the second create"
  rt kill "$ID-a" KILL; rt kill "$ID-b" KILL
  wait_for_status "$ID-a" stopped; wait_for_status "$ID-b" stopped
  rt delete "$ID-a"; rt delete "$ID-b"
  # the same cgroup, frozen beforehand
  mkdir -p "$fz$rel"
  if cgroup_v2; then echo 1 >"$fz$rel/cgroup.freeze"; else echo FROZEN >"$fz$rel/freezer.state"; fi
  RC=0
  RT_TIMEOUT=15 rt run --detach --bundle "$BUNDLE" "$ID-c" </dev/null >"$T/out" 2>"$T/err" || RC=$?
  cat "$T/err"
  if cgroup_v2; then echo 0 >"$fz$rel/cgroup.freeze"; else echo THAWED >"$fz$rel/freezer.state"; fi
  [ "$RC" != 124 ] || fail "create into a frozen cgroup hung"
  assert_rc 1 "create into a frozen cgroup"
  assert_contains "$(cat "$T/err")" "container's cgroup unexpectedly frozen" "runc's error"
  assert_eq "" "$(state_of "$ID-c")" "no container left"
}

# kill with signal 0 (kill(2)'s "only check"), also --all after the container stopped
# (kill.bats "kill detached busybox").
test_kill_signal_zero() {
  mkbundle
  set_args sleep 100
  run_detached "$ID" || fail "run -d: rc=$RC"
  rt kill "$ID" 0 || fail "kill ID 0 of a running container"
  rt kill "$ID" KILL
  wait_for_status "$ID" stopped
  rt kill -a "$ID" 0 || fail "kill -a ID 0 after the container stopped"
  rt delete "$ID"
}

# `ps ID -e -x`: what follows the container id is ps's, dashes included (ps.bats "ps -e -x").
test_ps_options_after_id() {
  mkbundle
  set_args sleep 100
  run_detached "$ID" || fail "run -d: rc=$RC"
  RC=0
  rt ps "$ID" -e -x >"$T/out" 2>"$T/err" || RC=$?
  cat "$T/out" "$T/err"
  assert_rc 0 "ps ID -e -x"
  assert_match "$(head -1 "$T/out")" ' +PID +TTY +STAT +TIME +COMMAND' "ps -x's header"
  assert_contains "$(cat "$T/out")" "sleep 100" "the container's process"
  rt kill "$ID" KILL
  wait_for_status "$ID" stopped
  rt delete "$ID"
}

# An image whose /proc is a symlink: refused with runc's words (mask.bats "prohibit symlink /proc").
test_proc_symlink_refused() {
  mkbundle --copy
  rm -rf "$BUNDLE/rootfs/proc"
  ln -s /symlink "$BUNDLE/rootfs/proc"
  set_args true
  run_ctr "$ID"
  assert_rc 1 "run with /proc a symlink"
  assert_contains "$(cat "$T/err")" "must be mounted on ordinary directory" "runc's error"
}

# A read-only tmpfs whose destination goes through an absolute symlink of the image
# (mounts.bats "tmpfs mount with absolute symlink", runc #2683).
test_ro_tmpfs_under_absolute_symlink() {
  mkbundle --copy
  mkdir -p "$BUNDLE/rootfs/real/conf"
  ln -s /real/conf "$BUNDLE/rootfs/conf"
  add_mount /conf/stack tmpfs tmpfs ro nodev nosuid
  set_sh 'grep " /real/conf/stack " /proc/self/mounts'
  run_ctr "$ID"
  assert_rc 0 "run with a ro tmpfs on /conf/stack"
  assert_match "$OUT" 'tmpfs /real/conf/stack tmpfs ro' "the tmpfs, read-only, where the symlink leads"
}

# createContainer hooks run in the container's rootfs (hooks.bats: "touch ./lib/...").
test_create_container_hook_cwd() {
  mkbundle --copy
  rootfs_rw
  mkdir -p "$BUNDLE/rootfs/lib"
  cfg '.hooks = {"createContainer": [{"path": "/bin/sh", "args": ["sh", "-c", "pwd > ./lib/hook-cwd"]}]}'
  set_sh 'cat /lib/hook-cwd'
  run_ctr "$ID"
  assert_rc 0
  assert_eq "$BUNDLE/rootfs" "$OUT" "createContainer hook's working directory"
}

# On v1, a parent cgroup someone else made (a pod's) has an empty cpuset: berth fills it from
# its own parent, as runc does, instead of failing to join (update.bats "pod cgroup").
test_cpuset_of_empty_parent_v1() {
  cgroup_v2 && skip "cgroup v1 only (this host is v2)"
  [ -d /sys/fs/cgroup/cpuset ] || skip "no v1 cpuset hierarchy"
  mkbundle
  set_args cat /proc/self/cgroup
  local pod="/berth-it-pod-$ID"
  at_cleanup "find /sys/fs/cgroup -depth -type d -path '*$pod*' -exec rmdir {} + 2>/dev/null; true"
  mkdir "/sys/fs/cgroup/cpuset$pod"
  [ -z "$(tr -d '\n' <"/sys/fs/cgroup/cpuset$pod/cpuset.cpus")" ] || skip "this kernel fills new cpusets (cgroup.clone_children)"
  cfg --arg p "$pod/ctr" '.linux.cgroupsPath = $p'
  run_ctr "$ID"
  assert_rc 0 "run in a cgroup below an empty cpuset parent"
  assert_contains "$OUT" ":cpuset:$pod/ctr" "the container's cpuset cgroup"
  assert_eq "$(cat /sys/fs/cgroup/cpuset/cpuset.cpus)" "$(cat "/sys/fs/cgroup/cpuset$pod/cpuset.cpus")" "the parent's cpus, filled"
}
