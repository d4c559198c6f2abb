#!/usr/bin/env bash
# lib.sh: helpers for the integration tests (sourced by every test process).
#
# The runner (run.sh) exports, per test:
#   RUNTIME       absolute path of the runtime binary under test
#   RUNTIME_NAME  its basename ("runc", "berth", ...): see berth_only / runc_known_diff
#   REPO          repository root
#   RUN_ID        random per-run prefix (container ids, cgroup paths contain it)
#   IT_BASE       per-run temp dir (every $T lives under it)
#   T             fresh temp dir of this test (removed afterwards)
#   ROOT          private state root ($T/root), passed as --root to every runtime call
#   ID            container id unique to this test ($RUN_ID-NNN); use "$ID", "$ID-b", ...
#   META          prefix of this test's files outside $T (.log, .skip, .leak)
#
# Executed as `bash lib.sh __run FILE FUNCTION` it runs one test;
# as `bash lib.sh __cleanup` it runs the (idempotent) cleanup of $T. Define every function
# above the entry point at the end of this file (_it_main refuses otherwise).
# A command that is not found fails the test in any context (command_not_found_handle).

IT_SKIP_CODE=77

# ---------------------------------------------------------------- runtime calls
# Every call is bounded (RT_TIMEOUT seconds, default 10) so that a hanging runtime fails the
# test quickly instead of stalling the suite; exit status 124 means it timed out.
rt() {
  local rc=0
  timeout -k 2 "${RT_TIMEOUT:-10}" "$RUNTIME" --root "$ROOT" "$@" || rc=$?
  if [ "$rc" = 124 ]; then echo "rt: '$*' timed out after ${RT_TIMEOUT:-10}s" >&2; fi
  return "$rc"
}

is_berth() { [ "$RUNTIME_NAME" = berth ]; }
is_runc() { [ "$RUNTIME_NAME" = runc ]; }

# ---------------------------------------------------------------- outcomes
log() { echo "# $*"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
skip() {
  printf '%s\n' "$*" > "$META.skip"
  echo "SKIP: $*"
  exit $IT_SKIP_CODE
}
# Checks of berth's own wording (exact error text etc.) run only against berth.
berth_only() {
  is_berth || skip "berth-specific message${1:+ ($1)}"
}
# runc 1.1 is known to differ from the spec here: skip for runc only.
runc_known_diff() {
  if is_runc; then skip "runc known diff: $*"; fi
}

# ---------------------------------------------------------------- assertions
assert_eq() { # EXPECTED ACTUAL [what]
  [ "$1" = "$2" ] || fail "${3:-value}: expected [$1], got [$2]"
}
assert_ne() { # UNEXPECTED ACTUAL [what]
  [ "$1" != "$2" ] || fail "${3:-value}: expected something other than [$1]"
}
assert_contains() { # HAYSTACK NEEDLE [what]
  case "$1" in *"$2"*) ;; *) fail "${3:-output} does not contain [$2]; got: [$1]" ;; esac
}
assert_not_contains() { # HAYSTACK NEEDLE [what]
  case "$1" in *"$2"*) fail "${3:-output} unexpectedly contains [$2]; got: [$1]" ;; *) ;; esac
}
assert_match() { # STRING ERE [what]
  grep -Eq -- "$2" <<<"$1" || fail "${3:-output} does not match /$2/; got: [$1]"
}
assert_no_match() { # STRING ERE [what]
  if grep -Eq -- "$2" <<<"$1"; then fail "${3:-output} unexpectedly matches /$2/; got: [$1]"; fi
}
assert_file_contains() { # FILE STRING
  [ -f "$1" ] || fail "file $1 does not exist"
  grep -Fq -- "$2" "$1" || fail "file $1 does not contain [$2]; content: [$(head -c 2000 "$1")]"
}
assert_file_exists() { [ -e "$1" ] || fail "expected $1 to exist"; }
assert_not_exists() { if [ -e "$1" ] || [ -L "$1" ]; then fail "expected $1 not to exist"; fi; }
assert_rc() { # EXPECTED [what]   (compares with $RC)
  [ "$RC" = "$1" ] || fail "${2:-exit code}: expected $1, got $RC; stderr: [$(tail -c 2000 "$T/err" 2>/dev/null)]"
}
assert_rc_nonzero() { # [what]
  [ "$RC" != 0 ] || fail "${1:-command} succeeded but should have failed"
}
# The state root has no container left (no state dir, `list -q` empty).
assert_root_empty() {
  local dirs ids
  # (.seccomp-cache: compiled filters berth keeps on purpose, not a container)
  dirs=$(find "$ROOT" -mindepth 1 -maxdepth 1 -type d ! -name .seccomp-cache -printf '%f ' 2>/dev/null || true)
  [ -z "$dirs" ] || fail "state dirs left in root: $dirs"
  ids=$(rt list -q 2>/dev/null || true)
  [ -z "$ids" ] || fail "containers still listed: $ids"
}
# The container ID is unknown to the runtime.
assert_no_container() { # ID
  local rc=0
  rt state "$1" >/dev/null 2>&1 || rc=$?
  [ "$rc" != 0 ] || fail "container $1 still exists"
}

# ---------------------------------------------------------------- bookkeeping
# Remember a PID to kill at cleanup (with its start time, so a recycled pid is never hit).
track_pid() { # PID
  local st
  st=$(_it_starttime "$1") || return 0
  echo "$1 $st" >> "$T/.pids"
  echo "$1 $st" >> "$IT_BASE/pids"
}
_it_starttime() { # PID -> field 22 of /proc/PID/stat
  local s
  s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  s=${s##*) }            # drop "pid (comm) "; comm may contain spaces
  set -- $s
  echo "${20}"           # field 22 overall = 20th after comm
}
pid_alive() { # PID: alive and not a zombie
  local st
  st=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$1/status" 2>/dev/null) || return 1
  [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# ---------------------------------------------------------------- bundles and config
# mkbundle [--copy] [DIR]: busybox bundle made by tests/mkbundle.sh with `RUNTIME spec`;
# sets BUNDLE (default $T/bundle). tests/mkbundle.sh runs once per run (into $IT_BASE/template);
# each test gets a copy whose rootfs/bin entries are hard links to the template (fast).
# --copy makes a full private copy: for tests that modify files of the rootfs (chown etc.).
mkbundle() {
  local full=""
  if [ "${1:-}" = --copy ]; then full=1; shift; fi
  BUNDLE=${1:-$T/bundle}
  local tpl=$IT_BASE/template e
  if [ ! -s "$tpl/config.json" ]; then
    rm -rf "$tpl"
    "$REPO/tests/mkbundle.sh" "$tpl.tmp" "$RUNTIME" >/dev/null || { rm -rf "$tpl.tmp"; fail "tests/mkbundle.sh failed"; }
    mv "$tpl.tmp" "$tpl"
  fi
  mkdir -p "$BUNDLE"
  cp -a "$tpl/config.json" "$BUNDLE/config.json"
  if [ -n "$full" ]; then
    cp -a "$tpl/rootfs" "$BUNDLE/rootfs"
  else
    mkdir "$BUNDLE/rootfs"
    for e in "$tpl"/rootfs/* "$tpl"/rootfs/.[!.]*; do
      [ -e "$e" ] || [ -L "$e" ] || continue
      case "${e##*/}" in
        bin) cp -al "$e" "$BUNDLE/rootfs/" ;;
        *) cp -a "$e" "$BUNDLE/rootfs/" ;;
      esac
    done
    chmod --reference="$tpl/rootfs" "$BUNDLE/rootfs"
  fi
  chmod 0755 "$BUNDLE"
  [ -s "$BUNDLE/config.json" ] || fail "mkbundle: no config.json"
}
# json_array ARG...: a JSON array of strings
json_array() {
  local a
  for a in "$@"; do jq -n --arg a "$a" '$a'; done | jq -cs .
}
# cfg [jq options] 'filter' [--args ...]: edit $BUNDLE/config.json in place.
cfg() {
  local f=${BUNDLE:-$T/bundle}/config.json
  jq "$@" "$f" > "$f.tmp" 2>"$T/.jqerr" && mv "$f.tmp" "$f" \
    || { cat "$T/.jqerr" >&2; rm -f "$f.tmp"; fail "cfg: jq $*"; }
}
# set_args ARG...: process.args
set_args() { cfg --argjson a "$(json_array "$@")" '.process.args=$a'; }
# set_sh 'script': process.args = ["sh","-c",script]
set_sh() { set_args sh -c "$1"; }
# add_mount DEST TYPE SOURCE [OPTION...]
add_mount() {
  local dest=$1 type=$2 src=$3; shift 3
  cfg --arg d "$dest" --arg t "$type" --arg s "$src" --argjson o "$(json_array "$@")" \
    '.mounts += [{destination:$d, type:$t, source:$s, options:$o}]'
}
# add_bind HOSTDIR DEST [OPTION...]  (default options: rbind rw); creates HOSTDIR (mode 0777)
add_bind() {
  local src=$1 dest=$2; shift 2
  [ -e "$src" ] || { mkdir -p "$src"; chmod 0777 "$src"; }
  if [ $# -eq 0 ]; then set -- rbind rw; fi
  add_mount "$dest" bind "$src" "$@"
}
add_namespace() { # TYPE [PATH]
  if [ -n "${2:-}" ]; then
    cfg --arg t "$1" --arg p "$2" '.linux.namespaces += [{type:$t, path:$p}]'
  else
    cfg --arg t "$1" '.linux.namespaces += [{type:$t}]'
  fi
}
# userns_bundle: a copied bundle whose rootfs belongs to host ids 100000+, in a new user
# namespace mapping 0..65535 of the container onto them.
userns_bundle() {
  mkbundle --copy
  chown -R 100000:100000 "$BUNDLE/rootfs"
  add_namespace user
  cfg '.linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
     | .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
}
rootfs_rw() { cfg '.root.readonly=false'; }

# ---------------------------------------------------------------- running containers
_it_show() { # label file
  if [ -s "$2" ]; then sed "s/^/  $1| /" "$2" | head -n 200; fi
}
# run_ctr ID [extra run options...]: foreground `run`; stdout -> $T/out, stderr -> $T/err,
# exit code -> RC. Always returns 0.
run_ctr() {
  local id=$1; shift
  RC=0
  rt run --bundle "$BUNDLE" "$@" "$id" </dev/null >"$T/out" 2>"$T/err" || RC=$?
  echo "# run $id -> rc=$RC"
  _it_show out "$T/out"; _it_show err "$T/err"
  OUT=$(cat "$T/out")
  return 0
}
# create_ctr ID [extra create options...]: `create`; the container's stdio goes to
# $T/ID.out / $T/ID.err (never a pipe: the init would hold it open). Returns its exit code (also RC).
create_ctr() {
  local id=$1; shift
  RC=0
  rt create --bundle "$BUNDLE" "$@" "$id" </dev/null >"$T/$id.out" 2>"$T/$id.err" || RC=$?
  echo "# create $id -> rc=$RC"
  _it_show err "$T/$id.err"
  if [ "$RC" = 0 ]; then container_pid "$id" >/dev/null || true; fi
  return "$RC"
}
# run_detached ID [extra options...]: `run --detach`, stdio to $T/ID.out / $T/ID.err.
run_detached() {
  local id=$1; shift
  RC=0
  rt run --detach --bundle "$BUNDLE" "$@" "$id" </dev/null >"$T/$id.out" 2>"$T/$id.err" || RC=$?
  echo "# run -d $id -> rc=$RC"
  _it_show err "$T/$id.err"
  if [ "$RC" = 0 ]; then container_pid "$id" >/dev/null || true; fi
  return "$RC"
}
start_ctr() { # ID
  RC=0
  rt start "$1" </dev/null >"$T/start.out" 2>"$T/err" || RC=$?
  echo "# start $1 -> rc=$RC"
  _it_show err "$T/err"
  return "$RC"
}
# rt_bg OUTFILE ARGS...: start the runtime in the background (BG_PID is the runtime's own pid).
rt_bg() {
  local out=$1; shift
  "$RUNTIME" --root "$ROOT" "$@" </dev/null >"$out" 2>"$out.err" &
  BG_PID=$!
  track_pid "$BG_PID"
}
# wait_bg PID [SECONDS=10]: wait for a background job of this test; exit code -> RC.
# Fails the test if it is still running after SECONDS.
wait_bg() {
  local i secs=${2:-10}
  for ((i = 0; i < secs * 20; i++)); do
    pid_alive "$1" || break
    sleep 0.05
  done
  pid_alive "$1" && fail "background process $1 still running after ${secs}s"
  RC=0
  wait "$1" || RC=$?
}
# state_of ID: the status field ("" if the container does not exist)
state_of() { rt state "$1" 2>/dev/null | jq -r '.status // ""' 2>/dev/null || true; }
# container_pid ID: pid from `state` (recorded for cleanup)
container_pid() {
  local pid
  pid=$(rt state "$1" | jq -r '.pid') || return 1
  if [ -n "$pid" ] && [ "$pid" != null ] && [ "$pid" -gt 0 ] 2>/dev/null; then track_pid "$pid"; fi
  echo "$pid"
}
# wait_for_status ID STATUS [SECONDS=5]
wait_for_status() {
  local id=$1 want=$2 secs=${3:-5} got="" i
  for ((i = 0; i < secs * 20; i++)); do
    got=$(state_of "$id")
    [ "$got" = "$want" ] && return 0
    sleep 0.05
  done
  fail "container $id: status [$got] after ${secs}s, wanted [$want]"
}
# wait_for_file PATH [SECONDS=5]
wait_for_file() {
  local i secs=${2:-5}
  for ((i = 0; i < secs * 20; i++)); do
    [ -e "$1" ] && return 0
    sleep 0.05
  done
  fail "file $1 did not appear within ${secs}s"
}
# wait_pid_gone PID [SECONDS=5]
wait_pid_gone() {
  local i secs=${2:-5}
  for ((i = 0; i < secs * 20; i++)); do
    pid_alive "$1" || return 0
    sleep 0.05
  done
  fail "process $1 still alive after ${secs}s"
}

# ---------------------------------------------------------------- host facts
# cgroup_v2: /sys/fs/cgroup is the unified (cgroup2) hierarchy (a pure v2 host, as in tests/vm).
cgroup_v2() { [ "$(stat -fc %T /sys/fs/cgroup 2>/dev/null)" = cgroup2fs ]; }
# v2_need CONTROLLER...: skip unless the v2 root offers every controller (cgroup.controllers).
v2_need() {
  local c
  for c in "$@"; do
    grep -qw "$c" /sys/fs/cgroup/cgroup.controllers 2>/dev/null \
      || skip "no cgroup v2 $c controller on this host (cgroup.controllers: $(cat /sys/fs/cgroup/cgroup.controllers 2>/dev/null))"
  done
}
# v1_only WHY: skip on a cgroup v2 host (the behaviour under test is cgroup v1's).
v1_only() { if cgroup_v2; then skip "cgroup v1 only: $*"; fi; }
host_ns() { readlink "/proc/self/ns/$1"; }
# cap_hex NAME...: the /proc/PID/status hex mask for these capabilities
cap_hex() {
  local -A num=(
    [CAP_CHOWN]=0 [CAP_DAC_OVERRIDE]=1 [CAP_DAC_READ_SEARCH]=2 [CAP_FOWNER]=3 [CAP_FSETID]=4
    [CAP_KILL]=5 [CAP_SETGID]=6 [CAP_SETUID]=7 [CAP_SETPCAP]=8 [CAP_LINUX_IMMUTABLE]=9
    [CAP_NET_BIND_SERVICE]=10 [CAP_NET_BROADCAST]=11 [CAP_NET_ADMIN]=12 [CAP_NET_RAW]=13
    [CAP_IPC_LOCK]=14 [CAP_IPC_OWNER]=15 [CAP_SYS_MODULE]=16 [CAP_SYS_RAWIO]=17
    [CAP_SYS_CHROOT]=18 [CAP_SYS_PTRACE]=19 [CAP_SYS_PACCT]=20 [CAP_SYS_ADMIN]=21
    [CAP_SYS_BOOT]=22 [CAP_SYS_NICE]=23 [CAP_SYS_RESOURCE]=24 [CAP_SYS_TIME]=25
    [CAP_SYS_TTY_CONFIG]=26 [CAP_MKNOD]=27 [CAP_LEASE]=28 [CAP_AUDIT_WRITE]=29
    [CAP_AUDIT_CONTROL]=30 [CAP_SETFCAP]=31 [CAP_MAC_OVERRIDE]=32 [CAP_MAC_ADMIN]=33
    [CAP_SYSLOG]=34 [CAP_WAKE_ALARM]=35 [CAP_BLOCK_SUSPEND]=36 [CAP_AUDIT_READ]=37
    [CAP_PERFMON]=38 [CAP_BPF]=39 [CAP_CHECKPOINT_RESTORE]=40)
  local mask=0 c
  for c in "$@"; do
    [ -n "${num[$c]+x}" ] || fail "cap_hex: unknown capability $c"
    mask=$((mask | (1 << ${num[$c]})))
  done
  printf '%016x\n' "$mask"
}
host_has_cap() { # NUMBER: is the bit set in our CapEff?
  local eff
  eff=$(sed -n 's/^CapEff:[[:space:]]*//p' /proc/self/status)
  (( (16#$eff >> $1) & 1 ))
}

# ---------------------------------------------------------------- cleanup
# at_cleanup 'COMMAND': run COMMAND (a bash script, may span lines) at cleanup, after the
# recorded processes are killed and before the containers in $ROOT are deleted, even when the
# test fails or times out; last registered runs first. For what a test makes outside $T and
# the state root (a user account, lines in /etc/subuid, ...). It runs in a fresh bash without
# lib.sh: put values in with printf %q when registering.
at_cleanup() {
  printf '%s\0' "$1" >> "$T/.cleanup"
}
_it_run_registered_cleanups() {
  [ -f "$T/.cleanup" ] || return 0
  local cmd cmds=() i
  while IFS= read -r -d '' cmd; do cmds+=("$cmd"); done < "$T/.cleanup"
  rm -f "$T/.cleanup"
  for ((i = ${#cmds[@]} - 1; i >= 0; i--)); do
    bash -c "${cmds[i]}" || _it_leak "cleanup command failed: $(head -c 200 <<<"${cmds[i]}")"
  done
}

# Idempotent; runs as the test's EXIT trap and again from the runner. Problems it cannot
# fix (or that show the runtime left state behind) are written to $META.leak.
_it_leak() { echo "$*" >> "$META.leak"; echo "# LEAK: $*"; }
_it_mounts_under() { # DIR: mount points at or below DIR, innermost (latest) first
  awk -v p="$1" '{ m = $5; gsub(/\\040/, " ", m); if (m == p || index(m, p "/") == 1) print m }' \
    /proc/self/mountinfo | tac
}
# Refuse to clean anything unless the environment is the runner's (a random RUN_ID of the
# form itXXXXXXXX, IT_BASE=/tmp/berth-RUN_ID, T below IT_BASE): an empty RUN_ID would make
# the cgroup pattern match every cgroup on the host.
_it_env_ok() {
  [[ "${RUN_ID:-}" =~ ^it[0-9a-f]{8}$ ]] || return 1
  [ "${IT_BASE:-}" = "/tmp/berth-$RUN_ID" ] || return 1
  case "${T:-}" in "$IT_BASE"/?*) ;; *) return 1 ;; esac
  [ "${ROOT:-}" = "$T/root" ] || return 1
  [ -n "${META:-}" ] && [ -n "${RUNTIME:-}" ]
}
_it_cgroup_dirs() { # cgroup dirs whose name contains RUN_ID, deepest first
  [[ "${RUN_ID:-}" =~ ^it[0-9a-f]{8}$ ]] || return 0
  find /sys/fs/cgroup -maxdepth 8 -mindepth 2 -type d -name "*${RUN_ID}*" 2>/dev/null \
    | awk -F/ '{ print NF "\t" $0 }' | sort -rn | cut -f2-
}
_it_cleanup() {
  set +eu
  trap - ERR
  local i
  if ! _it_env_ok; then
    echo "lib.sh: cleanup refused: not running under run.sh (RUN_ID/IT_BASE/T/ROOT unset or odd)" >&2
    return 1
  fi
  if [ -n "${T:-}" ] && [ -d "$T" ]; then
    # 1. processes the test recorded (only if the pid still names the same process): first,
    #    so that a foreground `run` cannot race with the deletes below
    if [ -f "$T/.pids" ]; then
      local pid st killed=""
      while read -r pid st; do
        if [ "$(_it_starttime "$pid" 2>/dev/null)" = "$st" ]; then
          kill -KILL "$pid" 2>/dev/null && killed+=" $pid"
        fi
      done < "$T/.pids"
      for pid in $killed; do
        for ((i = 0; i < 40; i++)); do pid_alive "$pid" || break; sleep 0.05; done
      done
    fi
    # 1b. what the test registered with at_cleanup
    _it_run_registered_cleanups
    # 2. containers: everything `list -q` knows plus every dir in the state root
    if [ -d "$ROOT" ]; then
      local ids id left
      ids=$( { timeout -k 1 5 "$RUNTIME" --root "$ROOT" list -q 2>/dev/null
               find "$ROOT" -mindepth 1 -maxdepth 1 -type d ! -name .seccomp-cache -printf '%f\n' 2>/dev/null; } | sort -u)
      for id in $ids; do
        timeout -k 1 5 "$RUNTIME" --root "$ROOT" delete --force "$id" >/dev/null 2>&1
      done
      left=$(find "$ROOT" -mindepth 1 -maxdepth 1 -type d ! -name .seccomp-cache -printf '%f ' 2>/dev/null)
      [ -z "$left" ] || _it_leak "state dirs left in $ROOT after delete --force: $left"
    fi
  fi
  # 3. cgroups created for this run: kill what is inside (only our containers), remove dirs
  local d p
  for d in $(_it_cgroup_dirs); do
    for ((i = 0; i < 40; i++)); do
      p=$(grep -vxE "$$|$BASHPID|$PPID" "$d/cgroup.procs" 2>/dev/null)
      [ -z "$p" ] && break
      kill -KILL $p 2>/dev/null
      sleep 0.05
    done
  done
  for d in $(_it_cgroup_dirs); do
    rmdir "$d" 2>/dev/null || { sleep 0.1; rmdir "$d" 2>/dev/null; } || _it_leak "cannot remove cgroup $d"
  done
  if [ -n "${T:-}" ] && [ -d "$T" ]; then
    # 4. mounts under $T, innermost first; lazy unmount as a fallback
    local m
    for i in 1 2 3; do
      for m in $(_it_mounts_under "$T"); do
        umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null
      done
      [ -z "$(_it_mounts_under "$T")" ] && break
    done
    left=$(_it_mounts_under "$T")
    if [ -n "$left" ]; then
      _it_leak "mounts left under $T: $left"
    else
      rm -rf --one-file-system "$T" 2>/dev/null || { chattr -R -i "$T" 2>/dev/null; rm -rf --one-file-system "$T"; }
      [ ! -e "$T" ] || _it_leak "cannot remove $T"
    fi
  fi
  # 5. the shared template: mkbundle hard-links its /bin into every bundle, so a test that
  #    changed a file there in place (chmod, chown) would change it for every later test.
  local tpl_bb="$IT_BASE/template/rootfs/bin/busybox"
  if [ -e "$tpl_bb" ] && [ "$(stat -c '%a %u:%g' "$tpl_bb")" != "755 0:0" ]; then
    _it_leak "the template's /bin/busybox became $(stat -c '%a %u:%g' "$tpl_bb") (use mkbundle --copy before changing /bin)"
    chmod 755 "$tpl_bb"; chown 0:0 "$tpl_bb"
  fi
  # 6. the host's /dev/null (a chown meant for a container's stdio or devices must never reach
  #    it): changed during this test is a leak, put back as the run found it.
  local dn_was dn_now
  dn_was=$(cat "$IT_BASE/devnull.state" 2>/dev/null)
  dn_now=$(stat -c '%a %u:%g %t:%T' /dev/null)
  if [ -n "$dn_was" ] && [ "$dn_now" != "$dn_was" ]; then
    _it_leak "the host's /dev/null became [$dn_now], was [$dn_was]"
    read -r mode owner _ <<<"$dn_was"
    chmod "$mode" /dev/null; chown "$owner" /dev/null
  fi
  return 0
}

_it_on_err() { # rc command line
  echo "ERROR: command [$2] exited with $1 (line $3${4:+ in $4})" >&2
}

# A command that does not exist fails the test wherever it is called. `set -e` stops a
# test only for a failing command in a plain statement: not inside `if`/`while` conditions,
# `||`/`&&` lists, `!`, a function called from any of those, nor a command substitution used
# as an argument (`assert_eq x "$(missing)"`, `local v=$(missing)`); there a "command not
# found" (a typo, a helper that is not defined, a tool that is not installed) went by and
# the test could PASS. bash calls this handler for every such lookup, in any context and
# any subshell: it records the name in $META.notfound, which run.sh reports as FAIL.
# (Test for tools with `command -v`, which does not call it.)
command_not_found_handle() {
  echo "ERROR: $1: command not found" >&2
  [ -n "${META:-}" ] && printf '%s\n' "$1" >> "$META.notfound"
  return 127
}

# ---------------------------------------------------------------- the binary's persistent view
# exe_view BINARY: where berth, run as root from BINARY, keeps its read-only view of it
# (linux/exe_view.hpp): /run/berth/.exe/<dev>-<ino>-<size>-<mtime>-<name>.
exe_view() { echo "/run/berth/.exe/$(stat -c '%d-%i-%s-%.9Y' "$1")-$(basename "$1")"; }
# drop_exe_view_at_cleanup BINARY: unmount and remove BINARY's view at cleanup (for a test's
# private copy of the runtime: berth would remove it only when it makes another view).
drop_exe_view_at_cleanup() {
  local v
  v=$(exe_view "$1")
  at_cleanup "$(printf 'if [ -d %q ]; then umount -l %q 2>/dev/null; rmdir %q; fi; true' "$v" "$v" "$v")"
}

# ---------------------------------------------------------------- CVE-2019-5736 attack
# cve5736_plant RUNTIME ROOTFS: builds the attacker (helpers/cve_2019_5736.c, static; skips
# without gcc -static or on a statically linked RUNTIME) and plants it: /entry is a
# `#!/proc/self/exe` script, the image's dynamic loader (RUNTIME's PT_INTERP, CVE_INTERP) is
# the attacker, so a runtime process that execs /entry inside the container runs it with
# /proc/self/exe = the runtime binary; /evil-writer and /evil-watch next to it. Reports go to
# /shared/result in the container.
cve5736_plant() {
  local rt=$1 rootfs=$2 m src=$REPO/tests/integration/helpers/cve_2019_5736.c
  command -v gcc >/dev/null || skip "gcc not installed"
  [ "$(uname -m)" = x86_64 ] || skip "the loader attacker is x86_64 assembly"
  file -L "$rt" | grep -q 'dynamically linked' || skip "the runtime is statically linked: no loader to hijack"
  CVE_INTERP=$(readelf -l "$rt" 2>/dev/null | sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p')
  [ -n "$CVE_INTERP" ] || skip "no PT_INTERP in the runtime"
  mkdir -p "$T/evil"
  # the loader: freestanding (see the source)
  gcc -static -nostdlib -fno-stack-protector -fno-pie -no-pie -O1 -DLDSO -o "$T/evil/LDSO" "$src" 2>"$T/evil/gcc.err" \
    || skip "gcc cannot build the attacker: $(head -c 300 "$T/evil/gcc.err")"
  for m in WRITER WATCH; do
    gcc -static -O1 -D"$m" -o "$T/evil/$m" "$src" 2>"$T/evil/gcc.err" \
      || skip "gcc -static cannot build the attacker: $(head -c 300 "$T/evil/gcc.err")"
  done
  mkdir -p "$rootfs$(dirname "$CVE_INTERP")"
  install -m 0755 "$T/evil/LDSO" "$rootfs$CVE_INTERP"
  install -m 0755 "$T/evil/WRITER" "$rootfs/evil-writer"
  install -m 0755 "$T/evil/WATCH" "$rootfs/evil-watch"
  printf '#!/proc/self/exe\n' > "$rootfs/entry"
  chmod 0755 "$rootfs/entry"
}
# cve5736_verdict RESULT RUNTIME HASH0: the attack ran (the attacker reported opening the
# binary) and its write failed, and not only because the binary was busy (ETXTBSY lasts only
# while a runtime process runs it); RUNTIME's sha256 is still HASH0.
cve5736_verdict() {
  local result=$1 rt=$2 hash0=$3 i
  for ((i = 0; i < 200; i++)); do
    grep -q '^write=' "$result" 2>/dev/null && break
    sleep 0.05
  done
  echo "# attacker's report:"; cat "$result" 2>/dev/null || echo "(none)"
  assert_eq "$hash0" "$(sha256sum < "$rt")" "sha256 of the runtime binary after the attack"
  grep -q '^open-exe=ok' "$result" 2>/dev/null || fail "the attack did not run (the container never reached the runtime binary)"
  assert_file_contains "$result" "write=fail"
  assert_not_contains "$(cat "$result")" "write=ok"
  assert_not_contains "$(cat "$result")" "Text file busy" "reason the write failed"
}

# ---------------------------------------------------------------- entry points
# start_private_containerd NAMESPACE [CTR_TIMEOUT]: a containerd 1.6 private to the test (its
# config from engines/lib.sh, state under $T/c, socket $T/c.sock), stopped by the test's cleanup
# together with the shims it started (found by the socket path, by pid). Sets
# C=(ctr --address ... --namespace NAMESPACE); the namespace names ctr's cgroup parent, so one
# with the run id in it is removed by the runner's cleanup. Returns 1 (with containerd's log
# tail) if it did not come up.
start_private_containerd() {
  local ns=$1 tmo=${2:-60}
  bash "$REPO/tests/integration/engines/lib.sh" __containerd_config "$T/c" "$T/c.sock" >"$T/c.toml"
  setsid containerd --config "$T/c.toml" </dev/null >"$T/containerd.log" 2>&1 &
  track_pid $!
  at_cleanup "for p in \$(ps -eo pid=,args= | awk -v t='$T/' 'index(\$0, t) && \$2 ~ /containerd-shim/ {print \$1}'); do kill -9 \$p 2>/dev/null; done; true"
  C=(timeout -k 2 "$tmo" ctr --address "$T/c.sock" --namespace "$ns")
  for _ in $(seq 1 100); do
    [ -S "$T/c.sock" ] && "${C[@]}" version >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  tail -n 20 "$T/containerd.log"
  return 1
}

# _it_main __run FILE FUNCTION | __cleanup
_it_main() {
  # bash runs a script while reading it: a function defined below the line that calls
  # _it_main would not exist when a test runs. Refuse that instead of failing oddly later.
  local f
  for f in $(sed -nE 's/^(function[[:space:]]+)?([A-Za-z_][A-Za-z0-9_]*)[[:space:]]*\(\).*/\2/p' "${BASH_SOURCE[0]}"); do
    declare -F "$f" >/dev/null || { echo "lib.sh: $f is defined after the entry point (keep the _it_main call last)" >&2; exit 2; }
  done
  case "${1:-}" in
    __run)
      _it_file=$2 _it_fn=$3
      # shellcheck disable=SC1090
      source "$_it_file"
      declare -F "$_it_fn" >/dev/null || { echo "no such test function: $_it_fn"; exit 2; }
      _it_env_ok || { echo "lib.sh __run: only run.sh may call this" >&2; exit 2; }
      rm -f "$META.notfound"
      trap '_it_rc=$?; _it_cleanup; exit $_it_rc' EXIT
      trap 'exit 143' TERM INT
      cd "$T" || exit 2
      BUNDLE=$T/bundle
      # the test body runs in a subshell with strict mode; ERR reports the failing command
      (
        set -Eeuo pipefail
        trap '_it_on_err $? "$BASH_COMMAND" "$LINENO" "${FUNCNAME[0]:-}"' ERR
        "$_it_fn"
      )
      ;;
    __cleanup)
      _it_env_ok || { echo "lib.sh __cleanup: only run.sh may call this" >&2; exit 2; }
      _it_cleanup
      ;;
    *)
      echo "usage: lib.sh __run FILE FUNCTION | __cleanup (normally called by run.sh)" >&2
      exit 2
      ;;
  esac
}

# Keep this the last line of the file (see _it_main).
if [ "${BASH_SOURCE[0]}" = "$0" ]; then _it_main "$@"; fi

