# The container process: env, cwd, user, umask, capabilities, no_new_privs, rlimits,
# oom_score_adj, sysctl, terminal, inherited fds, cwd escapes (CVE-2024-21626 class).
# shellcheck shell=bash

test_env() {
  mkbundle
  cfg '.process.env = ["PATH=/bin:/usr/bin", "FOO=bar baz", "EMPTY="]'
  set_args env
  RC=0
  BERTH_IT_HOSTVAR=leak rt run --bundle "$BUNDLE" "$ID" </dev/null >"$T/out" 2>"$T/err" || RC=$?
  cat "$T/out" "$T/err"
  assert_rc 0
  local out
  out=$(cat "$T/out")
  grep -qx 'PATH=/bin:/usr/bin' <<<"$out" || fail "PATH not set as configured"
  grep -qx 'FOO=bar baz' <<<"$out" || fail "FOO not set as configured"
  grep -qx 'EMPTY=' <<<"$out" || fail "EMPTY not set as configured"
  assert_not_contains "$out" BERTH_IT_HOSTVAR "container environment (runtime's env must not leak)"
}

test_cwd() {
  mkbundle
  cfg '.process.cwd = "/etc"'
  set_sh 'pwd; ls passwd'
  run_ctr "$ID"
  assert_rc 0
  assert_eq "/etc
passwd" "$OUT" "cwd /etc"
  # a cwd that does not exist in the rootfs is created (as runc does), even with a ro root
  cfg '.process.cwd = "/does/not/exist"'
  set_args pwd
  run_ctr "$ID"
  assert_rc 0
  assert_eq /does/not/exist "$OUT" "created cwd"
  [ -d "$BUNDLE/rootfs/does/not/exist" ] || fail "cwd not created in the rootfs"
}

test_user_uid_gid_groups() {
  mkbundle
  cfg '.process.user = {"uid": 1000, "gid": 1001, "additionalGids": [5, 6]}'
  set_sh 'grep -E "^(Uid|Gid|Groups):" /proc/self/status; id -u; id -g'
  run_ctr "$ID"
  assert_rc 0
  assert_eq "1000 1000 1000 1000" "$(awk '/^Uid:/ {print $2, $3, $4, $5}' <<<"$OUT")" "Uid (real effective saved fs)"
  assert_eq "1001 1001 1001 1001" "$(awk '/^Gid:/ {print $2, $3, $4, $5}' <<<"$OUT")" "Gid"
  assert_eq "5 6" "$(awk '/^Groups:/ {$1=""; sub(/^ /, ""); sub(/ +$/, ""); print}' <<<"$OUT")" "supplementary groups"
  assert_eq "1000
1001" "$(tail -n 2 <<<"$OUT")" "id -u / id -g"
}

test_umask() {
  mkbundle
  set_sh 'umask; touch /dev/shm/f; stat -c %a /dev/shm/f'
  cfg '.process.user.umask = 63'   # 0077
  run_ctr "$ID"
  assert_rc 0
  assert_eq "0077
600" "$OUT" "umask 0077 and the mode of a new file"
  cfg 'del(.process.user.umask)'
  run_ctr "$ID"
  assert_rc 0
  assert_eq "0022
644" "$OUT" "default umask"
}

test_capabilities_configured_set() {
  mkbundle
  cfg '.process.capabilities = {
         "bounding":    ["CAP_CHOWN", "CAP_NET_BIND_SERVICE"],
         "effective":   ["CAP_CHOWN", "CAP_NET_BIND_SERVICE"],
         "permitted":   ["CAP_CHOWN", "CAP_NET_BIND_SERVICE"],
         "inheritable": ["CAP_CHOWN", "CAP_NET_BIND_SERVICE"],
         "ambient":     ["CAP_CHOWN", "CAP_NET_BIND_SERVICE"]}'
  set_args grep ^Cap /proc/self/status
  run_ctr "$ID"
  assert_rc 0
  local want set
  want=$(cap_hex CAP_CHOWN CAP_NET_BIND_SERVICE)
  assert_eq 0000000000000401 "$want" "cap_hex self-check"
  for set in CapInh CapPrm CapEff CapBnd CapAmb; do
    assert_eq "$want" "$(awk -v s="$set:" '$1 == s {print $2}' <<<"$OUT")" "$set"
  done
}

test_capabilities_split_sets() {
  mkbundle
  cfg '.process.capabilities = {
         "bounding":  ["CAP_KILL", "CAP_SETUID", "CAP_AUDIT_WRITE"],
         "permitted": ["CAP_KILL", "CAP_SETUID"],
         "effective": ["CAP_KILL"]}'
  set_args grep ^Cap /proc/self/status
  run_ctr "$ID"
  assert_rc 0
  assert_eq "$(cap_hex CAP_KILL CAP_SETUID CAP_AUDIT_WRITE)" "$(awk '$1 == "CapBnd:" {print $2}' <<<"$OUT")" CapBnd
  assert_eq "$(cap_hex CAP_KILL CAP_SETUID)" "$(awk '$1 == "CapPrm:" {print $2}' <<<"$OUT")" CapPrm
  # uid 0 gets effective = permitted at execve (kernel rule for root without SECBIT_NOROOT),
  # whatever the effective list says: runc shows the same.
  assert_eq "$(cap_hex CAP_KILL CAP_SETUID)" "$(awk '$1 == "CapEff:" {print $2}' <<<"$OUT")" CapEff
  assert_eq 0000000000000000 "$(awk '$1 == "CapInh:" {print $2}' <<<"$OUT")" CapInh
  assert_eq 0000000000000000 "$(awk '$1 == "CapAmb:" {print $2}' <<<"$OUT")" CapAmb
}

test_capabilities_none() {
  mkbundle
  cfg '.process.capabilities = {}'
  set_args grep ^Cap /proc/self/status
  run_ctr "$ID"
  assert_rc 0
  local set
  for set in CapInh CapPrm CapEff CapBnd CapAmb; do
    assert_eq 0000000000000000 "$(awk -v s="$set:" '$1 == s {print $2}' <<<"$OUT")" "$set"
  done
}

test_no_new_privileges() {
  mkbundle
  set_args grep ^NoNewPrivs /proc/self/status
  cfg '.process.noNewPrivileges = true'
  run_ctr "$ID"
  assert_rc 0
  assert_match "$OUT" '^NoNewPrivs:[[:space:]]+1$' "noNewPrivileges=true"
  cfg '.process.noNewPrivileges = false'
  run_ctr "$ID"
  assert_rc 0
  assert_match "$OUT" '^NoNewPrivs:[[:space:]]+0$' "noNewPrivileges=false"
}

test_rlimits() {
  mkbundle
  cfg '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 100, "hard": 200},
                           {"type": "RLIMIT_CORE", "soft": 4096, "hard": 8192}]'
  set_sh 'ulimit -n; ulimit -Hn; grep -E "^Max (open files|core file size)" /proc/self/limits'
  run_ctr "$ID"
  assert_rc 0
  assert_eq 100 "$(sed -n 1p <<<"$OUT")" "ulimit -n"
  assert_eq 200 "$(sed -n 2p <<<"$OUT")" "ulimit -Hn"
  assert_eq "100 200" "$(awk '/^Max open files/ {print $4, $5}' <<<"$OUT")" "/proc/self/limits open files"
  assert_eq "4096 8192" "$(awk '/^Max core file size/ {print $5, $6}' <<<"$OUT")" "/proc/self/limits core"
}

test_rlimit_above_host_hard_limit_fails() {
  local hard
  hard=$(ulimit -Hn)
  [ "$hard" != unlimited ] || skip "host hard RLIMIT_NOFILE is unlimited"
  if host_has_cap 24; then skip "host has CAP_SYS_RESOURCE: raising the hard limit would succeed"; fi
  mkbundle
  cfg --argjson h $((hard * 2)) '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 100, "hard": $h}]'
  set_args true
  run_ctr "$ID"
  assert_rc_nonzero "run with hard RLIMIT_NOFILE above the host's ($hard)"
  assert_match "$(cat "$T/err")" '[Rr][Ll][Ii][Mm][Ii][Tt]' "error message"
  assert_root_empty
}

test_oom_score_adj() {
  mkbundle
  cfg '.process.oomScoreAdj = 123'
  set_args cat /proc/self/oom_score_adj
  local before
  before=$(cat /proc/self/oom_score_adj)
  run_ctr "$ID"
  assert_rc 0
  assert_eq 123 "$OUT" oom_score_adj
  assert_eq "$before" "$(cat /proc/self/oom_score_adj)" "caller's oom_score_adj unchanged"
}

test_sysctl() {
  mkbundle
  cfg '.linux.sysctl = {"net.ipv4.ip_forward": "1", "kernel.shmmax": "123456789", "kernel.shmmni": "1234"}'
  set_sh 'cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmax /proc/sys/kernel/shmmni'
  local h1 h2 h3
  h1=$(cat /proc/sys/net/ipv4/ip_forward); h2=$(cat /proc/sys/kernel/shmmax); h3=$(cat /proc/sys/kernel/shmmni)
  run_ctr "$ID"
  assert_rc 0
  assert_eq "1
123456789
1234" "$OUT" "sysctl values inside"
  assert_eq "$h1 $h2 $h3" "$(cat /proc/sys/net/ipv4/ip_forward) $(cat /proc/sys/kernel/shmmax) $(cat /proc/sys/kernel/shmmni)" "host values unchanged"
}

# terminal: true, detached, no --console-socket: refused before anything is made, in runc's
# words plus what to do (crun's test_tty.py test-detach-tty looks for "use --console-socket").
test_terminal_detached_needs_console_socket() {
  mkbundle
  cfg '.process.terminal = true'
  set_args true
  run_detached "$ID" || true
  assert_rc 1 "run -d with a terminal and no console socket"
  assert_contains "$(cat "$T/$ID.err")" "cannot allocate tty if" "error"
  is_runc || assert_contains "$(cat "$T/$ID.err")" "use --console-socket" "what to do"
  assert_root_empty
}

test_terminal_console_socket() {
  command -v python3 >/dev/null || skip "python3 not available for the console-socket receiver"
  mkbundle
  cfg '.process.terminal = true'
  set_sh 'tty; [ -t 0 ] && [ -t 1 ] && [ -t 2 ] && echo all-ttys; stat -c "console %t" /dev/console'
  python3 "$REPO/tests/integration/console-recv.py" "$T/console.sock" "$T/console.out" 10 &
  local rpid=$!
  track_pid "$rpid"
  wait_for_file "$T/console.sock"
  run_detached "$ID" --console-socket "$T/console.sock"
  wait_bg "$rpid"
  assert_rc 0 "console receiver"
  local out
  out=$(tr -d '\r' < "$T/console.out")
  echo "$out"
  assert_match "$(cat "$T/console.out.fdinfo")" 'ptmx$' "fd received over the socket (a pty master)"
  assert_eq /dev/pts/0 "$(sed -n 1p <<<"$out")" "tty inside"
  assert_contains "$out" all-ttys
  assert_contains "$out" "console 88" "/dev/console is a pty (major 136)"
  wait_for_status "$ID" stopped
}

test_no_leaked_fds() {
  mkbundle
  set_sh 'ls -l /proc/self/fd | grep -- "->" | awk "{print \$9}" | sort -n | tr "\n" " "'
  exec 7</etc/hostname 8>"$T/fd8"
  run_ctr "$ID"
  assert_rc 0
  assert_eq "0 1 2 " "$OUT" "fds with a target inside the container (foreground run)"
  # the same from the host, for a detached container's process
  set_args sleep 100
  run_detached "$ID-d"
  local pid
  pid=$(container_pid "$ID-d")
  assert_eq "0 1 2" "$(ls "/proc/$pid/fd" | sort -n | tr '\n' ' ' | sed 's/ $//')" "fds of the detached container process"
  exec 7<&- 8>&-
}

test_preserve_fds() {
  mkbundle
  echo "passed-through" > "$T/fdfile"
  set_sh 'cat <&3 || echo no-fd-3'
  run_ctr "$ID" --preserve-fds 1 3<"$T/fdfile"
  assert_rc 0
  assert_eq passed-through "$OUT" "fd 3 with --preserve-fds 1"
  run_ctr "$ID" 3<"$T/fdfile"
  assert_contains "$OUT" no-fd-3 "fd 3 without --preserve-fds"
}

# CVE-2024-21626 class: the process must not start with a cwd outside the container,
# whatever the runtime had open (cwd /proc/self/fd/N naming a runtime fd).
test_cwd_cannot_escape() {
  mkbundle
  local root_ls n
  set_sh 'readlink /proc/self/cwd; ls -a ../../../../../../.. | tr "\n" " "; echo; ls -a / | tr "\n" " "'
  run_ctr "$ID"
  assert_rc 0
  assert_eq / "$(sed -n 1p <<<"$OUT")" "cwd"
  root_ls=$(sed -n 3p <<<"$OUT")
  assert_eq "$root_ls" "$(sed -n 2p <<<"$OUT")" "../.. from cwd stays in the container"
  for n in 3 4 5 6 7 8 9 10; do
    cfg --arg c "/proc/self/fd/$n" '.process.cwd = $c'
    set_sh 'ls -a ../../../../../../.. | tr "\n" " "; echo'
    run_ctr "$ID-$n"
    if [ "$RC" = 0 ]; then
      assert_eq "$root_ls" "$(sed -n 1p <<<"$OUT")" "root reached from cwd /proc/self/fd/$n"
    fi
  done
  assert_root_empty
}
