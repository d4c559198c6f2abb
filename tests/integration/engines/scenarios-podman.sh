# podman 4.3 (conmon) with --runtime WRAPPER, cgroupfs, file events, its own root/runroot/tmpdir.
# Every container gets --cgroup-parent $CG/podman and --network none (podman's default network
# would need CNI plugins writing /var/lib/cni and iptables rules: not exercised, see network-default).
# Helper: P (podman with the private stores), prun ARGS (podman run with those flags).

prun() { P run --cgroup-parent "$CG/podman" --network none "$@"; }
p_state() { P inspect -f "{{.State.$2}}" "$1"; }
p_cgroup() { echo "$CG/podman/libpod-$(P inspect -f '{{.Id}}' "$1")"; }

scenario podman run-stdout p_run_stdout "podman run: stdout/stderr of a container run to completion; podman logs"
p_run_stdout() {
  ok prun --rm "$IMG" sh -c 'echo hello-from-podman; echo to-stderr >&2'
  expect_eq hello-from-podman "$OUT" stdout
  expect_contains "$ERR" to-stderr stderr
  ok prun --name p-logs "$IMG" sh -c 'echo line1; echo line2 >&2'
  ok P logs p-logs
  expect_contains "$OUT$ERR" line1 "podman logs"
  expect_contains "$OUT$ERR" line2 "podman logs"
  ok P rm p-logs
}

scenario podman run-stdin p_run_stdin "podman run -i: stdin piped to the container"
p_run_stdin() {
  Rin piped-data prun --rm -i "$IMG" sh -c 'read l; echo "got $l"'
  expect_rc 0
  expect_eq "got piped-data" "$OUT"
}

scenario podman run-tty p_run_tty "podman run -t: the process has a terminal"
p_run_tty() {
  ok prun --rm -t "$IMG" tty
  expect_match "$OUT" '^/dev/pts/[0-9]+' "tty output"
}

scenario podman exit-code p_exit_code "podman run: exit code propagation (7), 127 for a missing binary, 126 for a non-executable"
p_exit_code() {
  R prun --rm "$IMG" sh -c 'exit 7'
  expect_rc 7 "exit code of sh -c 'exit 7'"
  R prun --rm "$IMG" /no/such/binary
  expect_rc 127 "exit code for a missing executable"
  R prun --rm "$IMG" /etc/passwd
  expect_rc 126 "exit code for a non-executable file"
}

scenario podman exec p_exec "detached container + exec (no tty, tty, -u/-w/-e, exit code) + stop + rm"
p_exec() {
  ok prun -d --name p-exec "$IMG" sh -c 'trap "exit 0" TERM; while :; do sleep 0.2; done'
  wait_sig "$(p_state p-exec Pid)" SigCgt 15
  ok P exec p-exec sh -c 'echo exec-ok; cat /proc/1/cmdline | tr "\0" " "'
  expect_contains "$OUT" exec-ok
  expect_contains "$OUT" "trap" "pid 1 seen from the exec"
  R P exec p-exec sh -c 'exit 3'
  expect_rc 3 "exit code of podman exec"
  ok P exec -t p-exec tty
  expect_match "$OUT" '^/dev/pts/[0-9]+' "tty of podman exec -t"
  Rin exec-stdin P exec -i p-exec sh -c 'read l; echo "got $l"'
  expect_eq "got exec-stdin" "$OUT" "podman exec -i"
  ok P exec -u 1000:1000 -w /tmp -e XV=42 p-exec sh -c 'echo "$(id -u):$(id -g) $(pwd) $XV"'
  expect_eq "1000:1000 /tmp 42" "$OUT" "podman exec -u -w -e"
  ok P stop -t 5 p-exec
  expect_eq exited "$(p_state p-exec Status)" status
  expect_eq 0 "$(p_state p-exec ExitCode)" "exit code after stop (SIGTERM trapped)"
  ok P rm p-exec
  R P inspect p-exec
  [ "$RC" != 0 ] || fail "p-exec still exists after podman rm"
}

scenario podman kill-signal p_kill_signal "podman kill -s USR1 (trapped: exit 42) and podman kill (SIGKILL: 137)"
p_kill_signal() {
  ok prun -d --name p-kill "$IMG" sh -c 'trap "exit 42" USR1; while :; do sleep 0.1; done'
  wait_sig "$(p_state p-kill Pid)" SigCgt 10
  ok P kill -s USR1 p-kill
  ok P wait p-kill
  expect_eq 42 "$OUT" "podman wait after SIGUSR1"
  ok prun -d --name p-kill2 "$IMG" sleep 600
  ok P kill -s KILL p-kill2
  ok P wait p-kill2
  expect_eq 137 "$OUT" "podman wait after SIGKILL"
}

scenario podman pause-unpause p_pause "podman pause/unpause (runtime pause/resume)"
p_pause() {
  ok prun -d --name p-pause "$IMG" sleep 600
  ok P pause p-pause
  expect_eq paused "$(p_state p-pause Status)" status
  expect_eq FROZEN "$(cat "$(cgfile freezer "$(p_cgroup p-pause)" freezer.state)")" freezer.state
  ok P unpause p-pause
  expect_eq running "$(p_state p-pause Status)" status
  expect_eq THAWED "$(cat "$(cgfile freezer "$(p_cgroup p-pause)" freezer.state)")" freezer.state
  ok P exec p-pause true
}

scenario podman top p_top "podman top"
p_top() {
  ok prun -d --name p-top "$IMG" sleep 600
  ok P top p-top
  expect_contains "$OUT" "sleep 600"
}

scenario podman limits p_limits "podman run --memory 64m --pids-limit 50: limits visible inside"
p_limits() {
  ok prun --rm --memory 64m --pids-limit 50 "$IMG" \
    cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max
  expect_eq "67108864
50" "$OUT" "memory.limit_in_bytes and pids.max inside"
}

scenario podman update p_update "podman update --memory of a running container (runtime update)"
p_update() {
  # podman 4.3's update has no --pids-limit
  ok prun -d --name p-upd --memory 64m --memory-swap 64m "$IMG" sleep 600
  ok P update --memory 128m --memory-swap 128m p-upd
  ok P exec p-upd cat /sys/fs/cgroup/memory/memory.limit_in_bytes
  expect_eq 134217728 "$OUT" "memory limit after podman update"
}

scenario podman read-only p_read_only "podman run --read-only (/tmp stays a writable tmpfs)"
p_read_only() {
  R prun --rm --read-only "$IMG" touch /x
  [ "$RC" != 0 ] || fail "touch /x succeeded in a --read-only container"
  expect_contains "$ERR" "Read-only file system"
  ok prun --rm --read-only "$IMG" sh -c 'touch /tmp/x && echo tmp-ok'
  expect_eq tmp-ok "$OUT"
}

scenario podman caps p_caps "podman run --cap-drop ALL / --cap-add NET_ADMIN"
p_caps() {
  ok prun --rm --cap-drop ALL "$IMG" sh -c 'grep ^Cap /proc/self/status'
  expect_eq 0000000000000000 "$(capeff "$OUT")" "CapEff with --cap-drop ALL"
  R prun --rm --cap-drop ALL "$IMG" sh -c 'touch /tmp/f && chown 1000 /tmp/f'
  [ "$RC" != 0 ] || fail "chown worked without CAP_CHOWN"
  expect_contains "$ERR" "Operation not permitted"
  ok prun --rm --cap-drop ALL --cap-add NET_ADMIN "$IMG" sh -c 'grep ^CapEff /proc/self/status'
  expect_eq 0000000000001000 "$(capeff "$OUT")" "CapEff with only NET_ADMIN"
}

scenario podman user p_user "podman run --user 1000:1000"
p_user() {
  ok prun --rm --user 1000:1000 "$IMG" sh -c 'echo "$(id -u):$(id -g)"; grep -E "^(Uid|Gid):" /proc/self/status'
  expect_eq "1000:1000" "$(head -n1 <<<"$OUT")" "id"
  expect_match "$OUT" 'Uid:[[:space:]]+1000[[:space:]]+1000[[:space:]]+1000[[:space:]]+1000' Uid
  R prun --rm --user 1000:1000 "$IMG" touch /root/x
  [ "$RC" != 0 ] || fail "uid 1000 could write to /root"
}

scenario podman bind-mount p_bind_mount "podman run -v HOSTDIR:/data: written inside, read on the host; :ro"
p_bind_mount() {
  mkdir -p "$S/share"
  ok prun --rm -v "$S/share:/data" "$IMG" sh -c 'echo written-inside > /data/f'
  expect_eq written-inside "$(cat "$S/share/f")" "file on the host"
  R prun --rm -v "$S/share:/data:ro" "$IMG" sh -c 'cat /data/f; echo x > /data/g'
  [ "$RC" != 0 ] || fail "write to a :ro bind mount succeeded"
  expect_eq written-inside "$OUT" "read through the :ro mount"
}

scenario podman userns p_userns "podman run --uidmap/--gidmap: ids mapped, -v binds writable and :ro as asked"
p_userns() {
  local map=(--uidmap 0:100000:65536 --gidmap 0:100000:65536)
  mkdir -p "$S/ushare"
  chown 100000:100000 "$S/ushare"
  ok prun --rm "${map[@]}" -v "$S/ushare:/data" "$IMG" sh -c 'cat /proc/self/uid_map; echo in-userns > /data/f'
  expect_match "$OUT" '^ *0 +100000 +65536' "uid_map inside"
  expect_eq 100000 "$(stat -c %u "$S/ushare/f")" "owner on the host of a file written inside"
  R prun --rm "${map[@]}" -v "$S/ushare:/data:ro" "$IMG" sh -c 'cat /data/f; echo x > /data/g'
  [ "$RC" != 0 ] || fail "write to a :ro bind mount in a user namespace succeeded"
  expect_eq in-userns "$OUT" "read through the :ro mount"
}

scenario podman tmpfs p_tmpfs "podman run --tmpfs /scratch:size=1m"
p_tmpfs() {
  ok prun --rm --tmpfs /scratch:rw,size=1m "$IMG" sh -c 'grep " /scratch " /proc/mounts; echo x > /scratch/f && cat /scratch/f'
  expect_match "$OUT" '^tmpfs /scratch tmpfs ' "/proc/mounts"
  expect_contains "$OUT" "size=1024k"
}

scenario podman env-workdir p_env_workdir "podman run -e -w"
p_env_workdir() {
  # podman 4.3 refuses a -w directory that does not exist in the image
  ok prun --rm -e FOO=bar -w /home/user "$IMG" sh -c 'echo "$FOO|$(pwd)|$HOME"'
  expect_eq 'bar|/home/user|/root' "$OUT" "env and cwd"
}

scenario podman network-none p_network_none "podman run --network none: lo only"
p_network_none() {
  ok prun --rm "$IMG" ls /sys/class/net
  expect_eq lo "$OUT" "interfaces"
}

scenario podman network-default p_network_default "podman's default network"
p_network_default() {
  skip "podman's default network needs CNI plugins that write host-wide state (/var/lib/cni, iptables chains): not set up by this suite"
}

scenario podman seccomp p_seccomp "podman's default seccomp profile: swapoff EPERM even with CAP_SYS_ADMIN; ENOENT unconfined"
p_seccomp() {
  # podman's profile (unlike docker's) allows unshare; swapon/swapoff are denied to everyone
  R prun --rm --cap-add SYS_ADMIN "$IMG" sh -c 'grep ^Seccomp: /proc/self/status; swapoff /no/such/file'
  expect_match "$OUT" 'Seccomp:[[:space:]]+2' "seccomp mode"
  [ "$RC" != 0 ] || fail "swapoff succeeded?"
  expect_contains "$ERR" "Operation not permitted" "swapoff under the default profile"
  R prun --rm --cap-add SYS_ADMIN --security-opt seccomp=unconfined "$IMG" sh -c 'grep ^Seccomp: /proc/self/status; swapoff /no/such/file'
  expect_match "$OUT" 'Seccomp:[[:space:]]+0' "seccomp mode when unconfined"
  expect_contains "$ERR" "No such file or directory" "swapoff when unconfined"
}

scenario podman restart p_restart "podman start of a stopped container; podman restart of a running one"
p_restart() {
  ok prun --name p-rs "$IMG" sh -c 'echo run-$(cat /proc/sys/kernel/random/uuid | cut -c1-8)'
  local first=$OUT
  ok P start -a p-rs
  expect_match "$OUT" '^run-[0-9a-f]{8}$' "output of the second start"
  [ "$OUT" != "$first" ] || fail "second start printed the same output"
  ok prun -d --name p-rs2 "$IMG" sh -c 'trap "exit 0" TERM; while :; do sleep 0.2; done'
  wait_sig "$(p_state p-rs2 Pid)" SigCgt 15
  local pid1 pid2
  pid1=$(p_state p-rs2 Pid)
  ok P restart -t 5 p-rs2
  pid2=$(p_state p-rs2 Pid)
  expect_eq running "$(p_state p-rs2 Status)" "status after restart"
  [ "$pid1" != "$pid2" ] && [ "$pid2" != 0 ] || fail "pid did not change across restart ($pid1 -> $pid2)"
  ok P exec p-rs2 true
}

scenario podman init p_init "podman run --init (tini-static as init_path): pid 1 is the init"
p_init() {
  ok prun --rm --init "$IMG" sh -c 'cat /proc/1/cmdline | tr "\0" " "; echo; grep ^PPid /proc/$$/status'
  expect_match "$(head -n1 <<<"$OUT")" '^/run/podman-init ' "pid 1"
  expect_match "$OUT" 'PPid:[[:space:]]+1' "the command is a child of pid 1"
  R prun --rm --init "$IMG" sh -c 'exit 5'
  expect_rc 5 "exit code through the init"
}

scenario podman stop-timeout p_stop_timeout "podman stop -t 1 of a process ignoring SIGTERM: SIGKILL after 1s (137)"
p_stop_timeout() {
  ok prun -d --name p-stop "$IMG" sh -c 'trap "" TERM; while :; do sleep 0.2; done'
  wait_sig "$(p_state p-stop Pid)" SigIgn 15
  local t0 t1 ms
  t0=$(date +%s%N)
  ok P stop -t 1 p-stop
  t1=$(date +%s%N)
  ms=$(((t1 - t0) / 1000000))
  log "podman stop took ${ms} ms"
  [ "$ms" -ge 900 ] || fail "podman stop returned after ${ms} ms: the SIGTERM was not ignored?"
  [ "$ms" -lt 15000 ] || fail "podman stop took ${ms} ms"
  expect_eq 137 "$(p_state p-stop ExitCode)" "exit code"
}

scenario podman runtime-calls runtime_calls_podman "every runtime call made so far exited 0, but the expected failures"
runtime_calls_podman() { check_runtime_calls podman; }
