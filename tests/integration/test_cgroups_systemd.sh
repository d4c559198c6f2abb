# cgroups (systemd driver, --systemd-cgroup): the container's cgroup is a transient systemd
# scope. Where systemd is PID 1 on a cgroup v2 host (the test VM, tests/vm), the scope, its
# cgroup, the limits in both the cgroup files and systemd's properties, update, pause/resume
# and delete are read back. Elsewhere the driver must refuse cleanly (nothing left behind).
# Every call passes --systemd-cgroup (runc needs it only at create; berth ignores it later).
# shellcheck shell=bash

# systemd jobs in the emulated VM can take seconds: a longer bound than rt's default.
_sd_rt() { RT_TIMEOUT=${RT_TIMEOUT:-60} rt --systemd-cgroup "$@"; }

_sd_require_systemd() {
  [ -d /run/systemd/system ] && [ "$(cat /proc/1/comm 2>/dev/null)" = systemd ] \
    || skip "systemd is not PID 1 here (no /run/systemd/system): run in the VM (tests/vm)"
  [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ] || skip "not a cgroup v2 (unified) host"
}

_sd_show() { # UNIT PROPERTY -> value
  systemctl show -p "$2" --value "$1"
}

# Asserts that the unit is gone (or at least not loaded and not active) and its cgroup removed.
_sd_assert_unit_gone() { # UNIT CGROUP
  local st
  st=$(_sd_show "$1" ActiveState)
  assert_ne active "$st" "ActiveState of $1 after delete"
  assert_ne failed "$st" "ActiveState of $1 after delete"
  [ ! -d "/sys/fs/cgroup$2" ] || fail "cgroup /sys/fs/cgroup$2 left after delete"
}

test_systemd_cgroup_refused_without_systemd() {
  [ ! -d /run/systemd/system ] || skip "systemd is running here: the refusal is for hosts without it"
  mkbundle
  set_args sleep 100
  RC=0
  _sd_rt create --bundle "$BUNDLE" "$ID" </dev/null >"$T/out" 2>"$T/err" || RC=$?
  assert_rc_nonzero "create --systemd-cgroup without systemd"
  if is_berth; then
    assert_file_contains "$T/err" "systemd cgroup driver: systemd is not running (no /run/systemd/system)"
  fi
  assert_no_container "$ID"
  assert_root_empty
  [ -z "$(find /sys/fs/cgroup -maxdepth 6 -type d -name "*$ID*" 2>/dev/null)" ] || fail "a cgroup for $ID was made"
}

test_systemd_cgroup_malformed_path() {
  _sd_require_systemd
  mkbundle
  set_args sleep 100
  cfg --arg p "/$ID" '.linux.cgroupsPath = $p'
  RC=0
  _sd_rt create --bundle "$BUNDLE" "$ID" </dev/null >"$T/out" 2>"$T/err" || RC=$?
  assert_rc_nonzero "create with cgroupsPath /$ID"
  # (no quotes in the needle: runc's --log-format json output escapes them)
  assert_file_contains "$T/err" "expected cgroupsPath to be of format"
  assert_file_contains "$T/err" "slice:prefix:name"
  assert_root_empty
}

test_systemd_cgroup_scope_limits_update_pause_delete() {
  _sd_require_systemd
  mkbundle
  set_args sleep 1000
  local unit="berthtest-$ID.scope" cg="/system.slice/berthtest-$ID.scope"
  cfg --arg p "system.slice:berthtest:$ID" '.linux.cgroupsPath = $p
    | .linux.resources.memory = {limit: 67108864}
    | .linux.resources.pids = {limit: 50}
    | .linux.resources.cpu = {shares: 1024, quota: 50000, period: 100000}'
  RC=0
  _sd_rt create --bundle "$BUNDLE" "$ID" </dev/null >"$T/out" 2>"$T/err" || RC=$?
  _it_show err "$T/err"
  assert_rc 0 "create --systemd-cgroup"
  local pid d=/sys/fs/cgroup$cg
  pid=$(container_pid "$ID")

  # The scope: active, where the cgroupsPath says, holding the init.
  assert_eq active "$(_sd_show "$unit" ActiveState)" "ActiveState of $unit"
  assert_eq "$cg" "$(_sd_show "$unit" ControlGroup)" "ControlGroup of $unit"
  assert_eq "0::$cg" "$(cat "/proc/$pid/cgroup")" "/proc/$pid/cgroup"
  grep -qx "$pid" "$d/cgroup.procs" || fail "init $pid not in $d/cgroup.procs"

  # The limits, in the cgroup files and in systemd's properties.
  assert_eq 67108864 "$(cat "$d/memory.max")" memory.max
  assert_eq 50 "$(cat "$d/pids.max")" pids.max
  assert_eq "50000 100000" "$(cat "$d/cpu.max")" cpu.max
  assert_eq 39 "$(cat "$d/cpu.weight")" cpu.weight
  assert_eq 67108864 "$(_sd_show "$unit" MemoryMax)" "systemd MemoryMax"
  assert_eq 50 "$(_sd_show "$unit" TasksMax)" "systemd TasksMax"
  assert_eq 500ms "$(_sd_show "$unit" CPUQuotaPerSecUSec)" "systemd CPUQuotaPerSecUSec"
  assert_eq 39 "$(_sd_show "$unit" CPUWeight)" "systemd CPUWeight"
  assert_eq yes "$(_sd_show "$unit" Delegate)" "systemd Delegate"

  start_ctr "$ID"
  wait_for_status "$ID" running
  assert_contains "$(_sd_rt ps "$ID")" "sleep" "ps"

  # update: both the files and the unit.
  _sd_rt update --memory 128m --pids-limit 80 --cpu-quota 20000 "$ID"
  assert_eq 134217728 "$(cat "$d/memory.max")" "memory.max after update"
  assert_eq 80 "$(cat "$d/pids.max")" "pids.max after update"
  assert_eq "20000 100000" "$(cat "$d/cpu.max")" "cpu.max after update"
  assert_eq 134217728 "$(_sd_show "$unit" MemoryMax)" "systemd MemoryMax after update"
  assert_eq 80 "$(_sd_show "$unit" TasksMax)" "systemd TasksMax after update"
  assert_eq 200ms "$(_sd_show "$unit" CPUQuotaPerSecUSec)" "systemd CPUQuotaPerSecUSec after update"

  # exec joins the scope's cgroup (the cgroup namespace root, or the scope without one); the
  # container's cgroup mount is the scope's directory.
  assert_match "$(_sd_rt exec "$ID" cat /proc/self/cgroup)" "^0::(/|$cg)\$" "exec's /proc/self/cgroup"
  assert_eq 80 "$(_sd_rt exec "$ID" cat /sys/fs/cgroup/pids.max)" "pids.max seen in the container"

  # pause / resume through the scope's cgroup.
  _sd_rt pause "$ID"
  assert_eq paused "$(state_of "$ID")" "state after pause"
  assert_eq 1 "$(cat "$d/cgroup.freeze")" "cgroup.freeze after pause"
  _sd_rt resume "$ID"
  assert_eq running "$(state_of "$ID")" "state after resume"
  assert_eq 0 "$(cat "$d/cgroup.freeze")" "cgroup.freeze after resume"

  _sd_rt delete --force "$ID"
  assert_no_container "$ID"
  _sd_assert_unit_gone "$unit" "$cg"
}

test_systemd_cgroup_default_path() {
  _sd_require_systemd
  mkbundle
  set_args sleep 1000
  cfg 'del(.linux.cgroupsPath)'
  local prefix=berth
  is_runc && prefix=runc
  local unit="$prefix-$ID.scope" cg="/system.slice/$prefix-$ID.scope"
  RC=0
  _sd_rt create --bundle "$BUNDLE" "$ID" </dev/null >"$T/out" 2>"$T/err" || RC=$?
  _it_show err "$T/err"
  assert_rc 0 "create --systemd-cgroup without cgroupsPath"
  local pid
  pid=$(container_pid "$ID")
  assert_eq active "$(_sd_show "$unit" ActiveState)" "ActiveState of $unit"
  assert_eq "0::$cg" "$(cat "/proc/$pid/cgroup")" "/proc/$pid/cgroup"
  # The container exits: systemd collects the empty scope; delete still succeeds.
  _sd_rt kill "$ID" KILL
  wait_for_status "$ID" stopped
  _sd_rt delete "$ID"
  assert_no_container "$ID"
  _sd_assert_unit_gone "$unit" "$cg"
}

test_systemd_cgroup_unit_exists() {
  _sd_require_systemd
  runc_known_diff "runc 1.1 puts the second container into the existing unit (a deprecated non-empty cgroup); runc 1.2 refuses, as berth"
  mkbundle
  set_args sleep 1000
  local unit="berthtest-$ID.scope"
  cfg --arg p "system.slice:berthtest:$ID" '.linux.cgroupsPath = $p'
  RC=0
  _sd_rt create --bundle "$BUNDLE" "$ID" </dev/null >"$T/out" 2>"$T/err" || RC=$?
  assert_rc 0 "first create"
  RC=0
  _sd_rt create --bundle "$BUNDLE" "$ID-b" </dev/null >"$T/out2" 2>"$T/err" || RC=$?
  _it_show err "$T/err"
  assert_rc_nonzero "second container in the same unit"
  assert_file_contains "$T/err" "already exists"
  assert_no_container "$ID-b"
  # The first container and its unit are untouched.
  assert_eq active "$(_sd_show "$unit" ActiveState)" "ActiveState of $unit after the refused create"
  assert_eq created "$(state_of "$ID")" "state of the first container"
  _sd_rt delete --force "$ID"
  _sd_assert_unit_gone "$unit" "/system.slice/$unit"
  assert_root_empty
}

test_systemd_cgroup_run_foreground() {
  _sd_require_systemd
  mkbundle
  local unit="berthtest-$ID.scope" cg="/system.slice/berthtest-$ID.scope"
  cfg --arg p "system.slice:berthtest:$ID" '.linux.cgroupsPath = $p | .linux.resources.pids = {limit: 20}'
  set_sh 'cat /proc/self/cgroup; cat /sys/fs/cgroup/pids.max'
  RC=0
  _sd_rt run --bundle "$BUNDLE" "$ID" </dev/null >"$T/out" 2>"$T/err" || RC=$?
  _it_show err "$T/err"
  assert_rc 0 "run --systemd-cgroup"
  # "0::/" in a cgroup namespace (runc's `spec` adds one on cgroup v2 hosts, berth's does not)
  assert_match "$(sed -n 1p "$T/out")" "^0::(/|$cg)\$" "the process's /proc/self/cgroup"
  assert_eq 20 "$(sed -n 2p "$T/out")" "pids.max seen by the process"
  assert_no_container "$ID"
  _sd_assert_unit_gone "$unit" "$cg"
}
