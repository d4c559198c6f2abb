# runtime-spec fields applied to the container process and read back from it:
# process.scheduler, process.ioPriority, linux.personality, process.execCPUAffinity,
# linux.memoryPolicy, linux.netDevices, linux.intelRdt, hugetlb rsvd limits (issue #17:
# no field is parsed and ignored). runc 1.1.5 has none of them: the effect is checked
# against the kernel's own view (/proc/PID/stat, /proc/PID/sched, ionice, uname).
# shellcheck shell=bash

needs_fields() { is_runc && skip "runc 1.1.5 does not implement $1" || true; }

# A real-time policy in a non-root cgroup needs RT group runtime (CONFIG_RT_GROUP_SCHED):
# when the host gives the container's cgroup none, the kernel says EPERM and berth
# must say so clearly; the effect cannot be read back here then.
skip_if_no_rt_runtime() {
  if [ "$RC" != 0 ] && grep -q "sched_setattr SCHED_\(FIFO\|RR\): Operation not permitted (a real-time policy needs" "$T/err"; then
    skip "the host gives the container's cgroup no real-time runtime (EPERM, reported clearly)"
  fi
}

# policy (stat field 41), rt_priority (40), nice (19) of the process itself.
STAT_SH='set -- $(cat /proc/self/stat); shift 18; n=$1; shift 21; echo "nice=$n rt=$1 policy=$2"'

test_scheduler_fifo() {
  needs_fields process.scheduler
  mkbundle
  cfg '.process.scheduler = {"policy": "SCHED_FIFO", "priority": 7}'
  set_sh "$STAT_SH"
  run_ctr "$ID"
  skip_if_no_rt_runtime
  assert_rc 0
  assert_eq "nice=0 rt=7 policy=1" "$OUT" "SCHED_FIFO priority 7"
}

test_scheduler_batch_nice_reset_on_fork() {
  needs_fields process.scheduler
  mkbundle
  cfg '.process.scheduler = {"policy": "SCHED_BATCH", "nice": 5}'
  set_sh "$STAT_SH"
  run_ctr "$ID"
  assert_rc 0
  assert_eq "nice=5 rt=0 policy=3" "$OUT" "SCHED_BATCH nice 5"
  # RESET_ON_FORK: the shell runs RR, its child (cat) is back to SCHED_OTHER.
  cfg '.process.scheduler = {"policy": "SCHED_RR", "priority": 3, "flags": ["SCHED_FLAG_RESET_ON_FORK"]}'
  set_sh 'read -r s </proc/self/stat; set -- $s; shift 39; echo "sh rt=$1 policy=$2"; '"$STAT_SH"
  run_ctr "$ID"
  skip_if_no_rt_runtime
  assert_rc 0
  assert_eq "sh rt=3 policy=2
nice=0 rt=0 policy=0" "$OUT" "SCHED_RR with RESET_ON_FORK"
}

test_scheduler_deadline() {
  needs_fields process.scheduler
  mkbundle
  cfg '.process.scheduler = {"policy": "SCHED_DEADLINE", "runtime": 1000000, "deadline": 10000000, "period": 20000000}'
  # A deadline task may not fork: read from the host with chrt(1).
  set_args sleep 60
  run_detached "$ID"
  local pid
  pid=$(container_pid "$ID")
  local got
  got=$(chrt -p "$pid")
  echo "$got"
  assert_contains "$got" "SCHED_DEADLINE" "policy"
  assert_contains "$got" "1000000/10000000/20000000" "runtime/deadline/period"
}

# A nice value beside SCHED_DEADLINE, which the kernel takes and ignores: runc passes it on (its
# scheduler.bats sets nice 19 with SCHED_DEADLINE); berth too, warning once at create, not on
# every later command that reads the container's config (exec's output stays the process's).
test_scheduler_deadline_with_nice() {
  needs_fields process.scheduler
  mkbundle
  cfg '.process.scheduler = {"policy": "SCHED_DEADLINE", "nice": 19, "runtime": 42000, "deadline": 1000000, "period": 1000000}'
  set_args sleep 60
  run_detached "$ID" || fail "run -d with nice 19 and SCHED_DEADLINE: rc=$RC"
  assert_contains "$(cat "$T/$ID.err")" "process.scheduler.nice: 19 has no effect under SCHED_DEADLINE" "warning at create"
  local got
  got=$(chrt -p "$(container_pid "$ID")")
  echo "$got"
  assert_contains "$got" "SCHED_DEADLINE" "policy"
  assert_contains "$got" "42000/1000000/1000000" "runtime/deadline/period"
  RC=0
  rt exec "$ID" true </dev/null >"$T/out" 2>"$T/err" || RC=$?
  cat "$T/err"
  assert_rc 0 "exec"
  assert_eq "" "$(cat "$T/err")" "exec's stderr (no repeated warning)"
}

test_scheduler_invalid_before_create() {
  berth_only "path-precise validation"
  mkbundle
  cfg '.process.scheduler = {"policy": "SCHED_DEADLINE", "runtime": 2000000, "deadline": 1000000}'
  run_ctr "$ID"
  assert_rc 1
  assert_contains "$(cat "$T/err")" "process.scheduler.runtime: must not exceed deadline (2000000 > 1000000)"
  [ -z "$(ls -A "$ROOT" 2>/dev/null)" ] || fail "a refused config left state behind: $(ls -A "$ROOT")"
}

test_scheduler_exec() {
  needs_fields process.scheduler
  mkbundle
  set_args sleep 60
  run_detached "$ID"
  cat >"$T/proc.json" <<'JSON'
{"args": ["sh", "-c", "set -- $(cat /proc/self/stat); shift 18; n=$1; shift 21; echo nice=$n policy=$2; ionice -p $$"],
 "cwd": "/", "env": ["PATH=/bin"], "user": {"uid": 0, "gid": 0},
 "scheduler": {"policy": "SCHED_BATCH", "nice": 3},
 "ioPriority": {"class": "IOPRIO_CLASS_BE", "priority": 6}}
JSON
  RC=0
  rt exec --process "$T/proc.json" "$ID" >"$T/out" 2>"$T/err" || RC=$?
  cat "$T/out" "$T/err"
  assert_rc 0
  assert_eq "nice=3 policy=3
best-effort: prio 6" "$(cat "$T/out")" "exec: scheduler and ioPriority"
}

test_io_priority() {
  needs_fields process.ioPriority
  mkbundle
  set_sh 'ionice -p $$'
  cfg '.process.ioPriority = {"class": "IOPRIO_CLASS_BE", "priority": 2}'
  run_ctr "$ID"
  assert_rc 0
  assert_eq "best-effort: prio 2" "$OUT" "IOPRIO_CLASS_BE 2"
  cfg '.process.ioPriority = {"class": "IOPRIO_CLASS_RT", "priority": 0}'
  run_ctr "$ID"
  assert_rc 0
  assert_eq "realtime: prio 0" "$OUT" "IOPRIO_CLASS_RT 0"
  cfg '.process.ioPriority = {"class": "IOPRIO_CLASS_IDLE"}'
  run_ctr "$ID"
  assert_rc 0
  assert_eq "idle" "$(cut -d: -f1 <<<"$OUT")" "IOPRIO_CLASS_IDLE"
}

test_personality() {
  needs_fields linux.personality
  mkbundle
  set_sh 'uname -m; grep -c . /proc/self/personality 2>/dev/null; cat /proc/self/personality'
  cfg '.linux.personality = {"domain": "LINUX32"}'
  run_ctr "$ID"
  assert_rc 0
  assert_eq i686 "$(head -n1 <<<"$OUT")" "uname -m with LINUX32"
  cfg '.linux.personality = {"domain": "LINUX", "flags": ["ADDR_NO_RANDOMIZE"]}'
  run_ctr "$ID"
  assert_rc 0
  assert_eq "$(uname -m)" "$(head -n1 <<<"$OUT")" "uname -m with LINUX"
  assert_eq 00040000 "$(tail -n1 <<<"$OUT")" "/proc/self/personality with ADDR_NO_RANDOMIZE"
  # The container's personality is its exec'd processes' too (runc's personality.bats).
  cfg '.linux.personality = {"domain": "LINUX32"} | .process.args = ["sleep", "60"]'
  run_detached "$ID-x" || fail "run -d: rc=$RC"
  RC=0
  rt exec "$ID-x" uname -m </dev/null >"$T/out" 2>"$T/err" || RC=$?
  cat "$T/out" "$T/err"
  assert_rc 0 "exec"
  assert_eq i686 "$(cat "$T/out")" "uname -m of an exec'd process with LINUX32"
}

test_exec_cpu_affinity() {
  needs_fields process.execCPUAffinity
  [ "$(nproc)" -ge 2 ] || skip "needs 2 CPUs"
  mkbundle
  cfg '.process.execCPUAffinity = {"initial": "0", "final": "1"}'
  set_sh 'grep Cpus_allowed_list /proc/self/status'
  run_ctr "$ID"
  assert_rc 0
  assert_eq "Cpus_allowed_list:	1" "$OUT" "init: final affinity"
  cfg '.process.args = ["sleep", "60"] | .process.execCPUAffinity = {"final": "0"}'
  run_detached "$ID-b"
  cat >"$T/proc.json" <<'JSON'
{"args": ["grep", "Cpus_allowed_list", "/proc/self/status"], "cwd": "/", "env": ["PATH=/bin"],
 "user": {"uid": 0, "gid": 0}, "execCPUAffinity": {"initial": "0", "final": "1"}}
JSON
  RC=0
  rt exec --process "$T/proc.json" "$ID-b" >"$T/out" 2>"$T/err" || RC=$?
  cat "$T/out" "$T/err"
  assert_rc 0
  assert_eq "Cpus_allowed_list:	1" "$(cat "$T/out")" "exec: final affinity"
  berth_only "path-precise validation"
  cfg '.process.execCPUAffinity = {"final": "1-0"}'
  run_ctr "$ID"
  assert_rc 1
  assert_contains "$(cat "$T/err")" 'process.execCPUAffinity.final: invalid CPU list \"1-0\": range 1-0 is reversed'
}

# Without execCPUAffinity.final the container's processes get every CPU their cpuset allows, not
# the caller's narrower affinity (`taskset -c 0 runc run`): runc 1.2's reset, its
# cpu_affinity.bats. runc 1.1.5 keeps the caller's affinity.
test_cpu_affinity_reset() {
  needs_fields "the CPU affinity reset"
  [ "$(nproc)" -ge 2 ] || skip "needs 2 CPUs"
  local all
  all=$(awk '/^Cpus_allowed_list:/ {print $2}' /proc/self/status)
  [ "$all" != 0 ] || skip "this test's own affinity is CPU 0 only"
  mkbundle
  # on_cpu0 WHAT ARGS...: the runtime pinned to CPU 0, as `taskset -c 0 runc ...` in runc's test.
  on_cpu0() {
    local what=$1; shift
    RC=0
    taskset -c 0 timeout 10 "$RUNTIME" --root "$ROOT" "$@" </dev/null >"$T/out" 2>"$T/err" || RC=$?
    cat "$T/out" "$T/err"
    assert_rc 0 "taskset -c 0 $what"
  }
  set_args grep Cpus_allowed_list /proc/self/status
  cfg 'del(.linux.resources.cpu)'
  on_cpu0 run run --bundle "$BUNDLE" "$ID"
  assert_eq "Cpus_allowed_list:	$all" "$(cat "$T/out")" "init: every CPU, not the caller's CPU 0"
  # With a cpuset: the cpuset's CPUs, even one the caller may not use.
  cfg '.linux.resources.cpu = {"cpus": "1", "mems": "0"}'
  on_cpu0 "run with cpuset 1" run --bundle "$BUNDLE" "$ID"
  assert_eq "Cpus_allowed_list:	1" "$(cat "$T/out")" "init: the cpuset's CPU"
  # exec: the same reset.
  cfg 'del(.linux.resources.cpu) | .process.args = ["sleep", "60"]'
  run_detached "$ID-x" || fail "run -d: rc=$RC"
  on_cpu0 exec exec "$ID-x" grep Cpus_allowed_list /proc/self/status
  assert_eq "Cpus_allowed_list:	$all" "$(cat "$T/out")" "exec: every CPU, not the caller's CPU 0"
}

# linux.memoryPolicy (runtime-spec 1.3): the policy of the container process, read back from
# /proc/self/numa_maps as crun's tests/test_mempolicy.py does (the first mapping's policy).
NUMA_SH='sed -n "2{s/^[0-9a-f]* //;s/ [a-z_]*=.*//;p}" /proc/self/numa_maps'
test_memory_policy() {
  needs_fields linux.memoryPolicy
  [ -e /proc/self/numa_maps ] || skip "no NUMA support in this kernel (/proc/self/numa_maps)"
  [ -e /sys/devices/system/node/node0 ] || skip "no NUMA node 0"
  mkbundle
  set_sh "$NUMA_SH"
  local mode want
  for mode in 'MPOL_DEFAULT|default' 'MPOL_LOCAL|local' 'MPOL_BIND,0|bind:0' 'MPOL_INTERLEAVE,0|interleave:0' \
              'MPOL_PREFERRED,0,MPOL_F_STATIC_NODES|prefer=static:0' 'MPOL_PREFERRED_MANY,0|prefer (many):0' \
              'MPOL_BIND,0,MPOL_F_NUMA_BALANCING|bind=balancing:0' \
              'MPOL_BIND,0,MPOL_F_RELATIVE_NODES,MPOL_F_NUMA_BALANCING|bind=relative|balancing:0'; do
    want=${mode#*|}
    IFS=, read -r m nodes flags <<<"${mode%%|*}"
    cfg --arg m "$m" --arg n "${nodes:-}" --arg f "${flags:-}" \
      '.linux.memoryPolicy = ({mode: $m} + (if $n == "" then {} else {nodes: $n} end)
                              + (if $f == "" then {} else {flags: ($f | split(","))} end))'
    run_ctr "$ID"
    assert_rc 0 "run with $m"
    assert_eq "$want" "$OUT" "numa_maps policy with ${mode%%|*}"
  done
  if [ -e /sys/kernel/mm/mempolicy/weighted_interleave ]; then
    cfg '.linux.memoryPolicy = {mode: "MPOL_WEIGHTED_INTERLEAVE", nodes: "0"}'
    run_ctr "$ID"
    assert_rc 0 "run with MPOL_WEIGHTED_INTERLEAVE"
    assert_eq "weighted interleave:0" "$OUT" "numa_maps policy with MPOL_WEIGHTED_INTERLEAVE"
  fi
}

test_memory_policy_exec() {
  needs_fields linux.memoryPolicy
  [ -e /proc/self/numa_maps ] || skip "no NUMA support in this kernel (/proc/self/numa_maps)"
  mkbundle
  cfg '.linux.memoryPolicy = {mode: "MPOL_BIND", nodes: "0"}'
  set_args sleep 60
  run_detached "$ID"
  RC=0
  rt exec "$ID" sh -c "$NUMA_SH" >"$T/out" 2>"$T/err" || RC=$?
  cat "$T/out" "$T/err"
  assert_rc 0
  assert_eq "bind:0" "$(cat "$T/out")" "exec'd process's policy"
}

# Refused before anything is created: the kernel's rules (parser) and this host's nodes (a trial).
test_memory_policy_refused() {
  needs_fields linux.memoryPolicy
  berth_only "path-precise validation"
  mkbundle
  set_args echo should-not-run
  local bad
  for bad in '{"mode": "MPOL_PREFERRED", "nodes": "0", "flags": ["MPOL_F_NUMA_BALANCING"]}|MPOL_F_NUMA_BALANCING needs mode MPOL_BIND or MPOL_PREFERRED_MANY' \
             '{"mode": "MPOL_INTERLEAVE"}|linux.memoryPolicy.nodes: required for MPOL_INTERLEAVE' \
             '{}|: a mode is required'; do
    cfg --argjson p "${bad%%|*}" '.linux.memoryPolicy = $p'
    run_ctr "$ID"
    assert_rc 1 "run with memoryPolicy ${bad%%|*}"
    assert_not_contains "$OUT" should-not-run
    assert_contains "$(cat "$T/err")" "${bad#*|}"
    assert_root_empty
  done
  # A node without memory: this host's kernel says EINVAL, before anything is made.
  local node=1
  while [ -e "/sys/devices/system/node/node$node" ]; do node=$((node + 1)); done
  cfg --arg n "$node" '.linux.memoryPolicy = {mode: "MPOL_BIND", nodes: $n}'
  run_ctr "$ID"
  assert_rc 1 "run with memoryPolicy on node $node"
  assert_contains "$(cat "$T/err")" "linux.memoryPolicy: set_mempolicy(MPOL_BIND, nodes \\\"$node\\\"): Invalid argument"
  assert_root_empty
}

# linux.netDevices (runtime-spec 1.2; runc's tests/integration/netdev.bats): a dummy interface
# of the host moved into the container (renamed, its address and up state kept), back on the
# host under its own name when the container is deleted.
_netdev_dummy() { # NAME: a dummy interface (or one end of a veth pair) with an address, removed at cleanup
  command -v ip >/dev/null || skip "no ip(8) (iproute2)"
  if ! ip link add "$1" type dummy 2>/dev/null; then
    ip link add "$1" type veth peer name "${1}p" 2>/dev/null || skip "cannot create a dummy or veth interface"
  fi
  at_cleanup "ip link del dev $1 2>/dev/null || ip link del dev ${1}p 2>/dev/null || true"
  ip addr add 169.254.169.13/32 dev "$1"
  ip link set up dev "$1"
}

test_net_devices_moved_renamed_and_back() {
  needs_fields linux.netDevices
  local dev="bt${RUN_ID: -6}"
  _netdev_dummy "$dev"
  mkbundle
  cfg --arg d "$dev" '.linux.netDevices = {($d): {name: "ctr_dummy0"}}'
  set_sh 'ip addr show dev ctr_dummy0'
  run_ctr "$ID"
  assert_rc 0
  assert_contains "$OUT" "inet 169.254.169.13/32" "the address moved with the interface"
  assert_match "$OUT" "ctr_dummy0[@:][^<]*<([^>]*,)?UP[,>]" "the interface is up in the container"
  # run deleted the container: the interface is the host's again, under its name, with its address.
  ip -o addr show dev "$dev" | grep -q "169.254.169.13/32" || fail "$dev is not back on the host with its address"
  ! ip link show ctr_dummy0 >/dev/null 2>&1 || fail "ctr_dummy0 exists on the host"
}

test_net_devices_back_after_delete() {
  needs_fields linux.netDevices
  local dev="bu${RUN_ID: -6}"
  _netdev_dummy "$dev"
  mkbundle
  cfg --arg d "$dev" '.linux.netDevices = {($d): {}}'
  set_args sleep 60
  run_detached "$ID"
  assert_rc 0
  ! ip link show "$dev" >/dev/null 2>&1 || fail "$dev is still on the host while the container runs"
  local pid
  pid=$(container_pid "$ID")
  nsenter -t "$pid" -n ip -o link show "$dev" >/dev/null || fail "$dev is not in the container's network namespace"
  # The container's process is gone, its network namespace is not: delete still gives the device back.
  rt kill "$ID" KILL
  wait_for_status "$ID" stopped
  rt delete "$ID"
  ip -o addr show dev "$dev" | grep -q "169.254.169.13/32" || fail "$dev is not back on the host after delete"
}

test_net_devices_refused() {
  needs_fields linux.netDevices
  mkbundle
  set_args echo should-not-run
  # No such interface on the host: refused before anything is made.
  cfg '.linux.netDevices = {"berthnosuch0": {}}'
  run_ctr "$ID"
  assert_rc 1 "run with a missing interface"
  assert_contains "$(cat "$T/err")" "berthnosuch0"
  assert_root_empty
  # runc's words (netdev.bats: "network device on root namespace fails").
  cfg '.linux.netDevices = {"lo": {}} | .linux.namespaces -= [{"type": "network"}]'
  run_ctr "$ID"
  assert_rc 1 "run with netDevices and no network namespace"
  assert_contains "$(cat "$T/err")" "unable to move network devices without a NET namespace"
}

# linux.intelRdt: applied where the host has resctrl; refused clearly, before anything is made,
# where it has not (this host: no /sys/fs/resctrl).
test_intel_rdt_without_resctrl() {
  needs_fields linux.intelRdt
  grep -q " resctrl " /proc/self/mountinfo && skip "resctrl is mounted on this host"
  mkbundle
  set_args echo should-not-run
  cfg '.linux.intelRdt = {closID: "berth-it", l3CacheSchema: "L3:0=f"}'
  run_ctr "$ID"
  assert_rc 1 "run with linux.intelRdt and no resctrl"
  assert_not_contains "$OUT" should-not-run
  assert_contains "$(cat "$T/err")" "linux.intelRdt: Intel RDT is not available on this host"
  assert_root_empty
}

# hugepageLimits: the usage and the reservation (rsvd) limit; on a hybrid host whose hugetlb
# controller is bound to the unified hierarchy, there.
test_hugetlb_rsvd_limits() {
  needs_fields "hugetlb rsvd limits"
  [ -d /sys/kernel/mm/hugepages/hugepages-2048kB ] || skip "no 2MB huge pages on this host"
  local base
  if [ -e /sys/fs/cgroup/cgroup.controllers ]; then base=/sys/fs/cgroup
  elif [ -e /sys/fs/cgroup/hugetlb/cgroup.procs ]; then base=/sys/fs/cgroup/hugetlb
  elif grep -qw hugetlb /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null; then base=/sys/fs/cgroup/unified
  else skip "no hugetlb controller"; fi
  mkbundle
  cfg --arg p "/$ID" '.linux.cgroupsPath = $p | .linux.resources.hugepageLimits = [{pageSize: "2MB", limit: 4194304}]'
  set_args sleep 60
  run_detached "$ID"
  assert_rc 0
  local dir=$base/$ID suffix=max
  [ "$base" = /sys/fs/cgroup/hugetlb ] && suffix=limit_in_bytes
  assert_eq 4194304 "$(cat "$dir/hugetlb.2MB.$suffix")" "hugetlb.2MB.$suffix"
  if [ -e "$dir/hugetlb.2MB.rsvd.$suffix" ]; then
    assert_eq 4194304 "$(cat "$dir/hugetlb.2MB.rsvd.$suffix")" "hugetlb.2MB.rsvd.$suffix"
  else
    log "this kernel has no hugetlb reservation accounting (no hugetlb.2MB.rsvd.$suffix)"
  fi
  rt delete --force "$ID"
  [ ! -d "$dir" ] || fail "cgroup $dir left behind"
}

# `berth features` says what the code does: every memory policy mode it lists runs.
test_features_memory_policy_modes_run() {
  needs_fields linux.memoryPolicy
  [ -e /proc/self/numa_maps ] || skip "no NUMA support in this kernel"
  mkbundle
  set_args true
  local m
  for m in $(rt features | jq -r '.linux.memoryPolicy.modes[]'); do
    case $m in
      MPOL_DEFAULT | MPOL_LOCAL) cfg --arg m "$m" '.linux.memoryPolicy = {mode: $m}' ;;
      MPOL_WEIGHTED_INTERLEAVE) [ -e /sys/kernel/mm/mempolicy/weighted_interleave ] || continue
        cfg --arg m "$m" '.linux.memoryPolicy = {mode: $m, nodes: "0"}' ;;
      *) cfg --arg m "$m" '.linux.memoryPolicy = {mode: $m, nodes: "0"}' ;;
    esac
    run_ctr "$ID"
    assert_rc 0 "features lists $m: it runs"
  done
  assert_eq true "$(rt features | jq '.linux.netDevices.enabled and .linux.intelRdt.enabled and .linux.apparmor.enabled and .linux.selinux.enabled and .linux.cgroup.rdma')" "features claims"
}
