# Rootless: the runtime run by an unprivileged user on a bundle from `spec --rootless`.
# Each test makes a throw-away user (its home and XDG_RUNTIME_DIR under $T, a subuid/subgid
# range of its own) and removes it, its /etc/subuid and /etc/subgid lines and its containers
# again at cleanup (at_cleanup), whatever happened.
# shellcheck shell=bash

RL_COUNT=65536

# _rl_free_start: the first id >= 100000 after every range in /etc/subuid and /etc/subgid.
_rl_free_start() {
  { cat /etc/subuid /etc/subgid 2>/dev/null || true; } \
    | awk -F: 'BEGIN { m = 100000 } NF == 3 && $2 + $3 > m { m = $2 + $3 } END { print m }'
}

# _rl_setup: user RL_USER (RL_UID, RL_GID), RL_HOME, RL_XDG (0700, its own), subordinate ids
# RL_SUB (RL_COUNT of them), a private copy of the runtime binary RL_RT, and BUNDLE: a busybox
# rootfs owned by the user with the config.json the user's `spec --rootless` wrote.
_rl_setup() {
  local tool
  for tool in useradd userdel setpriv newuidmap newgidmap; do
    command -v "$tool" >/dev/null || skip "$tool not installed (packages passwd, util-linux, uidmap)"
  done
  [ "$(cat /proc/sys/kernel/unprivileged_userns_clone 2>/dev/null || echo 1)" = 1 ] \
    || skip "kernel.unprivileged_userns_clone is 0"
  [ "$(cat /proc/sys/user/max_user_namespaces)" -gt 0 ] || skip "user.max_user_namespaces is 0"
  RL_USER=berth-rl-${RUN_ID#it}-${ID##*-}
  RL_HOME=$T/home
  RL_XDG=$T/xdg
  # Registered before anything is made, so that a half-done setup is undone too. It deletes
  # the user's containers (as root, in its state roots), kills what the user still runs,
  # removes the account and its subordinate id lines (and the files if this test made them).
  local made_subuid="" made_subgid=""
  [ -e /etc/subuid ] || made_subuid=1
  [ -e /etc/subgid ] || made_subgid=1
  at_cleanup "$(printf 'u=%q xdg=%q rt=%q ms=%q mg=%q\n' "$RL_USER" "$RL_XDG" "$RUNTIME" "$made_subuid" "$made_subgid")"'
    for r in "$xdg"/*/; do
      [ -d "$r" ] || continue
      for id in $(find "$r" -mindepth 1 -maxdepth 1 -type d ! -name .seccomp-cache -printf "%f\n"); do
        timeout -k 1 5 "$rt" --root "$r" delete --force "$id" >/dev/null 2>&1
      done
    done
    if uid=$(id -u "$u" 2>/dev/null); then
      for s in /proc/[0-9]*/status; do
        p=${s#/proc/}; p=${p%/status}
        if awk -v u="$uid" '"'"'$1 == "Uid:" && $2 == u { f = 1 } END { exit !f }'"'"' "$s" 2>/dev/null; then
          kill -KILL "$p" 2>/dev/null
        fi
      done
      sleep 0.2
      userdel "$u" || exit 1
    fi
    for f in /etc/subuid /etc/subgid; do
      [ -f "$f" ] && sed -i "/^$u:/d" "$f"
    done
    if [ -n "$ms" ] && [ ! -s /etc/subuid ]; then rm -f /etc/subuid; fi
    if [ -n "$mg" ] && [ ! -s /etc/subgid ]; then rm -f /etc/subgid; fi
    true'
  # No automatic subordinate ids: the test writes its own range, so it knows it.
  useradd -M -d "$RL_HOME" -s /bin/sh -U -K SUB_UID_COUNT=0 -K SUB_GID_COUNT=0 "$RL_USER" \
    || fail "useradd $RL_USER"
  RL_UID=$(id -u "$RL_USER")
  RL_GID=$(id -g "$RL_USER")
  RL_SUB=$(_rl_free_start)
  echo "$RL_USER:$RL_SUB:$RL_COUNT" >> /etc/subuid
  echo "$RL_USER:$RL_SUB:$RL_COUNT" >> /etc/subgid
  log "user $RL_USER uid $RL_UID gid $RL_GID, subordinate ids $RL_SUB+$RL_COUNT"
  install -d -m 0755 -o "$RL_UID" -g "$RL_GID" "$RL_HOME"
  install -d -m 0700 -o "$RL_UID" -g "$RL_GID" "$RL_XDG"
  # the runtime where the user can run it (the build tree's directories may be private)
  install -d -m 0755 "$T/bin"
  RL_RT=$T/bin/$RUNTIME_NAME
  install -m 0755 "$RUNTIME" "$RL_RT"
  RL_STATE=$RL_XDG/$RUNTIME_NAME

  mkbundle --copy
  rm -f "$BUNDLE/config.json"
  chown -R "$RL_UID:$RL_GID" "$BUNDLE"
  ( cd "$BUNDLE" && _rl_as_user spec --rootless ) || fail "spec --rootless as $RL_USER"
  cfg '.process.terminal=false | .root.readonly=false'
}

# _rl_as_user ARGS...: the runtime as the test user (no --root: the default state root),
# bounded like rt; in the current directory.
_rl_as_user() {
  timeout -k 2 "${RT_TIMEOUT:-10}" setpriv --reuid="$RL_UID" --regid="$RL_GID" --init-groups \
    env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$RL_HOME" USER="$RL_USER" LOGNAME="$RL_USER" \
    XDG_RUNTIME_DIR="$RL_XDG" "$RL_RT" "$@"
}
# _rl_run ID [options]: foreground run as the user; stdout -> OUT, exit code -> RC
_rl_run() {
  local id=$1; shift
  RC=0
  _rl_as_user run --bundle "$BUNDLE" "$@" "$id" </dev/null >"$T/out" 2>"$T/err" || RC=$?
  echo "# run (as $RL_USER) $id -> rc=$RC"
  _it_show out "$T/out"; _it_show err "$T/err"
  OUT=$(cat "$T/out")
}
# _rl_rt ARGS...: any other command as the user; stdout -> OUT, stderr -> $T/err, RC
_rl_rt() {
  RC=0
  _rl_as_user "$@" </dev/null >"$T/out" 2>"$T/err" || RC=$?
  echo "# $1 (as $RL_USER) -> rc=$RC"
  _it_show out "$T/out"; _it_show err "$T/err"
  OUT=$(cat "$T/out")
}
_rl_state_dirs() { find "$RL_STATE" -mindepth 1 -maxdepth 1 -type d ! -name .seccomp-cache -printf '%f ' 2>/dev/null || true; }

# Root inside is the user outside: `id -u` prints 0, a file made inside belongs to the user.
test_rootless_run_maps_root_to_user() {
  _rl_setup
  set_sh 'id -u; id -g; cat /proc/self/uid_map; touch /tmp/made-inside'
  _rl_run "$ID"
  assert_rc 0 "run as $RL_USER"
  assert_eq 0 "$(sed -n 1p "$T/out")" "uid inside"
  assert_eq 0 "$(sed -n 2p "$T/out")" "gid inside"
  assert_eq "0 $RL_UID 1" "$(sed -n 3p "$T/out" | tr -s ' ' | sed 's/^ //')" "uid_map inside"
  assert_eq "$RL_UID:$RL_GID" "$(stat -c %u:%g "$BUNDLE/rootfs/tmp/made-inside")" "owner on the host"
  assert_eq "" "$(_rl_state_dirs)" "state dirs after run"
}

# create / state / start / exec / ps / kill / delete, with the state in $XDG_RUNTIME_DIR.
test_rootless_lifecycle() {
  _rl_setup
  set_args sleep 30
  _rl_rt create --bundle "$BUNDLE" "$ID"
  assert_rc 0 "create"
  assert_file_exists "$RL_STATE/$ID/state.json"
  assert_eq "$RL_UID" "$(stat -c %u "$RL_STATE/$ID")" "state dir owner"
  _rl_rt state "$ID"
  assert_rc 0 "state"
  assert_eq created "$(jq -r .status <<<"$OUT")" "status after create"
  local pid
  pid=$(jq -r .pid <<<"$OUT")
  track_pid "$pid"
  assert_eq "$RL_UID" "$(stat -c %u "/proc/$pid")" "init's owner on the host"
  _rl_rt start "$ID"
  assert_rc 0 "start"
  _rl_rt state "$ID"
  assert_eq running "$(jq -r .status <<<"$OUT")" "status after start"

  _rl_rt exec "$ID" sh -c 'id -u; tr "\0" " " < /proc/1/cmdline; echo'
  assert_rc 0 "exec"
  assert_eq 0 "$(sed -n 1p "$T/out")" "uid of the exec'd process"
  assert_eq "sleep 30 " "$(sed -n 2p "$T/out")" "pid 1 seen by the exec'd process"

  if is_berth; then
    # without a cgroup berth lists the init's process tree (runc 1.1: "unable to get all container pids")
    _rl_rt ps --format json "$ID"
    assert_rc 0 "ps"
    assert_contains "$OUT" "$pid" "ps"
  fi

  _rl_rt list -q
  assert_eq "$ID" "$OUT" "list"
  _rl_rt kill "$ID" KILL
  assert_rc 0 "kill"
  local i st=""
  for ((i = 0; i < 100; i++)); do
    st=$(_rl_as_user state "$ID" 2>/dev/null | jq -r .status)
    [ "$st" = stopped ] && break
    sleep 0.05
  done
  assert_eq stopped "$st" "status after kill"
  _rl_rt delete "$ID"
  assert_rc 0 "delete"
  assert_not_exists "$RL_STATE/$ID"
}

# More than the user's own id: uid/gid maps written by newuidmap/newgidmap from /etc/subuid.
test_rootless_subuid_mapping() {
  _rl_setup
  cfg --argjson u "$RL_UID" --argjson g "$RL_GID" --argjson s "$RL_SUB" --argjson n "$RL_COUNT" \
    '.linux.uidMappings=[{containerID:0,hostID:$u,size:1},{containerID:1,hostID:$s,size:$n}]
     | .linux.gidMappings=[{containerID:0,hostID:$g,size:1},{containerID:1,hostID:$s,size:$n}]'
  # runc's rootless spec keeps only AUDIT_WRITE, KILL and NET_BIND_SERVICE: chown needs CAP_CHOWN
  cfg '.process.capabilities |= with_entries(.value += ["CAP_CHOWN"])'
  set_sh 'cat /proc/self/uid_map; cat /proc/self/gid_map; touch /tmp/f1 && chown 1:1 /tmp/f1 && echo chowned'
  _rl_run "$ID"
  assert_rc 0 "run with a subuid range"
  local maps
  maps=$(tr -s ' ' < "$T/out" | sed 's/^ //')
  assert_contains "$maps" "0 $RL_UID 1" "uid_map inside"
  assert_contains "$maps" "1 $RL_SUB $RL_COUNT" "uid_map inside"
  assert_contains "$maps" "0 $RL_GID 1" "gid_map inside"
  assert_contains "$OUT" chowned
  assert_eq "$RL_SUB:$RL_SUB" "$(stat -c %u:%g "$BUNDLE/rootfs/tmp/f1")" "owner on the host of a file chowned to 1:1"
}

# A range the user was not given: newuidmap refuses, the error names it, nothing is left.
test_rootless_subuid_not_allowed() {
  berth_only "error wording"
  _rl_setup
  cfg --argjson u "$RL_UID" --argjson s "$((RL_SUB + RL_COUNT))" \
    '.linux.uidMappings=[{containerID:0,hostID:$u,size:1},{containerID:1,hostID:$s,size:10}]'
  set_args true
  _rl_run "$ID"
  assert_rc_nonzero "run with a range not in /etc/subuid"
  assert_contains "$(cat "$T/err")" "newuidmap "
  assert_contains "$(cat "$T/err")" ": exit status 1"
  assert_eq "" "$(_rl_state_dirs)" "state dirs after the failed run"
}

# Limits without a writable cgroup: refused with the reason, no state dir left.
test_rootless_memory_limit_without_cgroup() {
  _rl_setup
  if find /sys/fs/cgroup -maxdepth 2 -user "$RL_UID" 2>/dev/null | grep -q .; then
    skip "the test user owns a cgroup (delegation): limits would work"
  fi
  cfg '.linux.resources={memory:{limit:33554432}}'
  set_args true
  _rl_run "$ID"
  assert_rc_nonzero "run with a memory limit"
  assert_eq "" "$(_rl_state_dirs)" "state dirs after the refused run"
  berth_only "error wording"
  assert_contains "$(cat "$T/err")" "rootless container: linux.resources.memory needs a cgroup, but berth cannot create one"
  assert_contains "$(cat "$T/err")" "Permission denied"
}

# No cgroup: pause / update / events say so; ps falls back to the init's process tree.
test_rootless_no_cgroup_commands() {
  berth_only "rootless without a cgroup"
  _rl_setup
  set_args sleep 30
  _rl_rt run --detach --bundle "$BUNDLE" "$ID"
  assert_rc 0 "run --detach"
  _rl_rt state "$ID"
  track_pid "$(jq -r .pid <<<"$OUT")"
  assert_eq null "$(jq -c .cgroup "$RL_STATE/$ID/state.json")" "cgroup in state.json"
  assert_eq true "$(jq -c .rootless "$RL_STATE/$ID/state.json")" "rootless in state.json"
  local cmd
  for cmd in pause update events; do
    local args=("$cmd")
    [ "$cmd" = update ] && args+=(--pids-limit 10)
    [ "$cmd" = events ] && args+=(--stats)
    _rl_rt "${args[@]}" "$ID"
    assert_rc_nonzero "$cmd"
    assert_contains "$(cat "$T/err")" "$cmd: container $ID has no cgroup: it was created rootless"
  done
  _rl_rt kill --all "$ID" KILL
  assert_rc 0 "kill --all"
  _rl_rt delete --force "$ID"
  assert_rc 0 "delete --force"
  assert_eq "" "$(_rl_state_dirs)" "state dirs after delete"
}

# Without XDG_RUNTIME_DIR the default root is /run/berth: unwritable for the user (whether it
# exists or not), a clear error.
test_rootless_default_root_without_xdg() {
  berth_only "error wording"
  _rl_setup
  RC=0
  timeout -k 2 "${RT_TIMEOUT:-10}" setpriv --reuid="$RL_UID" --regid="$RL_GID" --init-groups \
    env -i PATH=/usr/bin:/bin HOME="$RL_HOME" "$RL_RT" run --bundle "$BUNDLE" "$ID" </dev/null >"$T/out" 2>"$T/err" || RC=$?
  cat "$T/err"
  assert_rc_nonzero "run without XDG_RUNTIME_DIR"
  assert_contains "$(cat "$T/err")" "/run/berth"
  assert_contains "$(cat "$T/err")" ": Permission denied (as a non-root user, set XDG_RUNTIME_DIR or pass --root)"
  assert_not_exists "/run/berth/$ID"
}

# What only privilege allows is refused with the reason, and leaves nothing behind: a hard
# rlimit above the caller's, an oom_score_adj below the caller's.
test_rootless_privileged_process_attrs() {
  berth_only "error wording"
  _rl_setup
  local hard
  hard=$(ulimit -Hn)
  [ "$hard" != unlimited ] || skip "RLIMIT_NOFILE hard limit is unlimited: nothing to raise"
  set_args true
  cfg --argjson h "$((hard + 1))" '.process.rlimits=[{type:"RLIMIT_NOFILE",hard:$h,soft:1024}]'
  _rl_run "$ID"
  assert_rc_nonzero "run with a raised hard rlimit"
  assert_contains "$(cat "$T/err")" "setrlimit RLIMIT_NOFILE soft=1024 hard=$((hard + 1)) (raising a hard limit needs CAP_SYS_RESOURCE): Operation not permitted"
  assert_eq "" "$(_rl_state_dirs)" "state dirs after the refused run"

  cfg 'del(.process.rlimits) | .process.oomScoreAdj=-100'
  _rl_run "$ID"
  assert_rc_nonzero "run with a negative oom_score_adj"
  assert_contains "$(cat "$T/err")" "oom_score_adj -100: write /proc/"
  assert_contains "$(cat "$T/err")" "(lowering oom_score_adj needs CAP_SYS_RESOURCE): Permission denied"
  assert_eq "" "$(_rl_state_dirs)" "state dirs after the refused run"
}

# exec as the user into a container that is created, not started: the init is still berth
# and not dumpable, so an unprivileged caller cannot open its namespaces. The error says so;
# after start, exec works (test_rootless_lifecycle).
test_rootless_exec_before_start() {
  berth_only "error wording"
  _rl_setup
  set_args true
  _rl_rt create --bundle "$BUNDLE" "$ID"
  assert_rc 0 "create"
  _rl_rt state "$ID"
  track_pid "$(jq -r .pid <<<"$OUT")"
  _rl_rt exec "$ID" true
  assert_rc_nonzero "exec before start"
  assert_contains "$(cat "$T/err")" "open the container's user namespace /proc/"
  assert_contains "$(cat "$T/err")" "an unprivileged caller can exec only after \`start\`"
  _rl_rt delete --force "$ID"
  assert_rc 0 "delete --force"
  assert_eq "" "$(_rl_state_dirs)" "state dirs after delete"
}

# Raising oom_score_adj needs no privilege: the init gets it from the unprivileged parent,
# an exec'd process (config.json's value, or its own) too.
test_rootless_oom_score_adj() {
  _rl_setup
  cfg '.process.oomScoreAdj=100'
  set_args sleep 30
  _rl_rt run --detach --bundle "$BUNDLE" "$ID"
  assert_rc 0 "run --detach with oomScoreAdj 100"
  _rl_rt state "$ID"
  local pid
  pid=$(jq -r .pid <<<"$OUT")
  track_pid "$pid"
  assert_eq 100 "$(cat "/proc/$pid/oom_score_adj")" "the init's oom_score_adj"
  _rl_rt exec "$ID" cat /proc/self/oom_score_adj
  assert_rc 0 "exec with the config's oomScoreAdj"
  assert_eq 100 "$OUT" "oom_score_adj of the exec'd process"
  # runc 1.1 ignores a process.json's oomScoreAdj in exec (it keeps config.json's)
  if is_berth; then
    jq '.process | .args=["cat","/proc/self/oom_score_adj"] | .oomScoreAdj=200' "$BUNDLE/config.json" > "$T/process.json"
    chmod 0644 "$T/process.json"
    _rl_rt exec --process "$T/process.json" "$ID"
    assert_rc 0 "exec --process with oomScoreAdj 200"
    assert_eq 200 "$OUT" "oom_score_adj of the exec'd process"
    # lowering below the user's own minimum (0) is refused
    jq '.oomScoreAdj=-50' "$T/process.json" > "$T/process2.json"
    chmod 0644 "$T/process2.json"
    _rl_rt exec --process "$T/process2.json" "$ID"
    assert_rc_nonzero "exec with oomScoreAdj -50"
    assert_contains "$(cat "$T/err")" "(lowering oom_score_adj needs CAP_SYS_RESOURCE): Permission denied"
  fi
  _rl_rt delete --force "$ID"
  assert_rc 0 "delete --force"
  assert_eq "" "$(_rl_state_dirs)" "state dirs after delete"
}

# _rl_delegate: a cgroup RL_CG ($RUN_ID-...) in every hierarchy, owned by the test user
# (directory and, for cgroup2, cgroup.procs: what a delegating manager hands over). The
# lib.sh cleanup removes cgroups named after the run.
_rl_delegate() {
  RL_CG=$RUN_ID-rl-${ID##*-}
  RL_CG_MOUNTS=$(awk '$9 ~ /^cgroup2?$/ && $5 ~ /^\/sys\/fs\/cgroup(\/|$)/ { print $5 }' /proc/self/mountinfo)
  local m
  for m in $RL_CG_MOUNTS; do
    mkdir "$m/$RL_CG"
    if [ -f "$m/cpuset.cpus" ]; then
      cat "$m/cpuset.cpus" > "$m/$RL_CG/cpuset.cpus"
      cat "$m/cpuset.mems" > "$m/$RL_CG/cpuset.mems"
    fi
    chown "$RL_UID:$RL_GID" "$m/$RL_CG"
    [ ! -f "$m/$RL_CG/cgroup.procs" ] || chown "$RL_UID:$RL_GID" "$m/$RL_CG/cgroup.procs"
  done
}
# _rl_rt_in_cgroup ARGS...: like _rl_rt, started inside the delegated cgroup (a session of a
# user whose manager delegated it), so the container's cgroup is made below it.
_rl_rt_in_cgroup() {
  RC=0
  local m procs=""
  for m in $RL_CG_MOUNTS; do procs+=" $m/$RL_CG/cgroup.procs"; done
  # shellcheck disable=SC2016
  sh -c 'for f in '"$procs"'; do echo $$ > "$f" || exit 1; done; shift; exec "$@"' sh - \
    timeout -k 2 "${RT_TIMEOUT:-10}" setpriv --reuid="$RL_UID" --regid="$RL_GID" --init-groups \
    env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$RL_HOME" USER="$RL_USER" XDG_RUNTIME_DIR="$RL_XDG" \
    "$RL_RT" "$@" </dev/null >"$T/out" 2>"$T/err" || RC=$?
  echo "# $1 (as $RL_USER, in cgroup $RL_CG) -> rc=$RC"
  _it_show out "$T/out"; _it_show err "$T/err"
  OUT=$(cat "$T/out")
}

# A delegated, writable cgroup is used: limits hold, pause works, delete removes it.
test_rootless_delegated_cgroup() {
  _rl_setup
  _rl_delegate
  cfg '.linux.resources={memory:{limit:33554432}}'
  set_args sleep 30
  _rl_rt_in_cgroup run --detach --bundle "$BUNDLE" "$ID"
  assert_rc 0 "run --detach with a memory limit in a delegated cgroup"
  _rl_rt state "$ID"
  local pid
  pid=$(jq -r .pid <<<"$OUT")
  track_pid "$pid"
  local memcg
  memcg=$(sed -n 's/^[0-9]*:memory://p' "/proc/$pid/cgroup")
  assert_match "$memcg" "^/.*$RL_CG/" "the init's memory cgroup"
  assert_eq 33554432 "$(cat "/sys/fs/cgroup/memory$memcg/memory.limit_in_bytes")" "memory limit"
  _rl_rt pause "$ID"
  assert_rc 0 "pause"
  _rl_rt state "$ID"
  assert_eq paused "$(jq -r .status <<<"$OUT")" "status after pause"
  _rl_rt resume "$ID"
  assert_rc 0 "resume"
  _rl_rt delete --force "$ID"
  assert_rc 0 "delete --force"
  assert_not_exists "/sys/fs/cgroup/memory$memcg"
  assert_eq "" "$(_rl_state_dirs)" "state dirs after delete"
}

# CVE-2019-5736 in rootless mode (issue #11): the user owns its runtime binary here, so only
# the sealed copy keeps a container of the user from writing it (through the image's loader,
# run by `#!/proc/self/exe`), in run --detach and exec.
test_rootless_cve_2019_5736() {
  _rl_setup
  chown "$RL_UID:$RL_GID" "$RL_RT"
  local hash0
  hash0=$(sha256sum < "$RL_RT")
  cve5736_plant "$RL_RT" "$BUNDLE/rootfs"
  chown -R "$RL_UID:$RL_GID" "$BUNDLE/rootfs"
  mkdir -p "$T/shared"
  chmod 0777 "$T/shared"
  add_bind "$T/shared" /shared
  set_args /entry
  _rl_rt run --detach --bundle "$BUNDLE" "$ID"
  assert_rc 0 "run --detach /entry as $RL_USER"
  cve5736_verdict "$T/shared/result" "$RL_RT" "$hash0"
  _rl_rt delete --force "$ID"
  rm -f "$T/shared/result"
  set_args sleep 30
  _rl_rt run --detach --bundle "$BUNDLE" "$ID-b"
  assert_rc 0 "run --detach sleep as $RL_USER"
  # detached: a foreground exec keeps running its own copy (ETXTBSY), which proves nothing
  _rl_rt exec -d "$ID-b" /entry
  cve5736_verdict "$T/shared/result" "$RL_RT" "$hash0"
  _rl_rt delete --force "$ID-b"
}
