# cgroups (v1 controllers): every linux.resources value read back from the cgroup files,
# the device whitelist, what the host cannot do (refused or ignored as runc does), the OOM
# killer at a memory limit (and its event), pids.max stopping a fork bomb.
# shellcheck shell=bash

# The container's cgroup path: at the hierarchy roots, so that cpu.rt_runtime_us can be
# granted (a nested cgroup gets no realtime budget from its empty parent).
_cgres_path() { echo "/$ID"; }
# _cgres_dir CONTROLLER: the container's directory in that v1 hierarchy
_cgres_dir() { echo "/sys/fs/cgroup/$1$(_cgres_path)"; }
_cgres_need_v1() { # CONTROLLER...
  local c
  for c in "$@"; do
    [ -d "/sys/fs/cgroup/$c" ] && [ -e "/sys/fs/cgroup/$c/cgroup.procs" ] \
      || skip "no cgroup v1 $c controller on this host"
  done
}
_cgres_bundle() {
  mkbundle
  cfg --arg p "$(_cgres_path)" '.linux.cgroupsPath = $p'
  set_args sleep 1000
}
_cgres_read() { tr -d '\n' < "$(_cgres_dir "$1")/$2"; }
# No cgroup directory of this test is left in any v1 hierarchy.
_cgres_assert_no_cgroup() {
  local m
  for m in /sys/fs/cgroup/*; do
    [ ! -d "$m$(_cgres_path)" ] || fail "cgroup $m$(_cgres_path) left behind"
  done
}

test_cgroups_memory_values() {
  _cgres_need_v1 memory
  [ -e /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes ] || skip "no swap accounting (memory.memsw.*) on this kernel"
  _cgres_bundle
  cfg '.linux.resources.memory = {limit: 33554432, reservation: 16777216, swap: 50331648, swappiness: 30}'
  create_ctr "$ID"
  assert_eq 33554432 "$(_cgres_read memory memory.limit_in_bytes)" "memory.limit_in_bytes"
  assert_eq 16777216 "$(_cgres_read memory memory.soft_limit_in_bytes)" "memory.soft_limit_in_bytes"
  assert_eq 50331648 "$(_cgres_read memory memory.memsw.limit_in_bytes)" "memory.memsw.limit_in_bytes"
  assert_eq 30 "$(_cgres_read memory memory.swappiness)" "memory.swappiness"
  grep -qx "$(container_pid "$ID")" "$(_cgres_dir memory)/cgroup.procs" || fail "init not in the memory cgroup"
  rt delete --force "$ID"
  _cgres_assert_no_cgroup
}

test_cgroups_memory_unlimited_and_oom_killer_off() {
  _cgres_need_v1 memory
  _cgres_bundle
  cfg '.linux.resources.memory = {limit: -1, disableOOMKiller: true}'
  create_ctr "$ID"
  local max
  max=$(tr -d '\n' < /sys/fs/cgroup/memory/memory.limit_in_bytes)
  assert_eq "$max" "$(_cgres_read memory memory.limit_in_bytes)" "memory.limit_in_bytes (-1 = unlimited)"
  if [ -e "$(_cgres_dir memory)/memory.memsw.limit_in_bytes" ]; then
    # limit -1 without a swap value: memory+swap unlimited too
    assert_eq "$max" "$(_cgres_read memory memory.memsw.limit_in_bytes)" "memory.memsw.limit_in_bytes"
  fi
  assert_contains "$(cat "$(_cgres_dir memory)/memory.oom_control")" "oom_kill_disable 1" "memory.oom_control"
  rt delete --force "$ID"
}

test_cgroups_cpu_values() {
  _cgres_need_v1 cpu cpuset
  _cgres_bundle
  cfg '.linux.resources.cpu = {shares: 512, quota: 50000, period: 100000, cpus: "0", mems: "0"}'
  local rt=""
  if [ -e /sys/fs/cgroup/cpu/cpu.rt_runtime_us ] && [ "$(cat /sys/fs/cgroup/cpu/cpu.rt_runtime_us)" -ge 20000 ]; then
    rt=1
    cfg '.linux.resources.cpu += {realtimePeriod: 1000000, realtimeRuntime: 10000}'
  else
    log "no realtime group scheduling budget on this host: rt values not checked"
  fi
  create_ctr "$ID"
  assert_eq 512 "$(_cgres_read cpu cpu.shares)" "cpu.shares"
  assert_eq 50000 "$(_cgres_read cpu cpu.cfs_quota_us)" "cpu.cfs_quota_us"
  assert_eq 100000 "$(_cgres_read cpu cpu.cfs_period_us)" "cpu.cfs_period_us"
  assert_eq 0 "$(_cgres_read cpuset cpuset.cpus)" "cpuset.cpus"
  assert_eq 0 "$(_cgres_read cpuset cpuset.mems)" "cpuset.mems"
  if [ -n "$rt" ]; then
    assert_eq 1000000 "$(_cgres_read cpu cpu.rt_period_us)" "cpu.rt_period_us"
    assert_eq 10000 "$(_cgres_read cpu cpu.rt_runtime_us)" "cpu.rt_runtime_us"
  fi
  local pid
  pid=$(container_pid "$ID")
  assert_eq 0 "$(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' "/proc/$pid/status")" "Cpus_allowed_list of the init"
  rt delete --force "$ID"
  _cgres_assert_no_cgroup
}

test_cgroups_cpu_shares_out_of_range_refused() {
  _cgres_need_v1 cpu
  _cgres_bundle
  cfg '.linux.resources.cpu = {shares: 1}'
  RC=0; create_ctr "$ID" || true
  assert_rc_nonzero "create with cpu.shares 1"
  assert_contains "$(cat "$T/$ID.err")" "the minimum allowed cpu-shares is 2"
  assert_root_empty
  _cgres_assert_no_cgroup
}

test_cgroups_pids_and_blkio_values() {
  _cgres_need_v1 pids blkio
  _cgres_bundle
  cfg '.linux.resources.pids = {limit: 64} | .linux.resources.blockIO = {weight: 300}'
  create_ctr "$ID"
  assert_eq 64 "$(_cgres_read pids pids.max)" "pids.max"
  local d f
  d=$(_cgres_dir blkio)
  # CFQ's blkio.weight, or BFQ's blkio.bfq.weight on kernels without CFQ (runc picks the same)
  if [ -e "$d/blkio.weight" ]; then f=blkio.weight; else f=blkio.bfq.weight; fi
  [ -e "$d/$f" ] || skip "no blkio weight file on this kernel"
  assert_match "$(cat "$d/$f")" "(^| )300$" "$f"
  rt delete --force "$ID"
}

test_cgroups_pids_limit_zero_means_no_limit() {
  _cgres_need_v1 pids
  _cgres_bundle
  cfg '.linux.resources.pids = {limit: 0}'
  create_ctr "$ID"
  assert_eq max "$(_cgres_read pids pids.max)" "pids.max"
  rt delete --force "$ID"
}

# The whitelist: deny all, runc's default devices, the config's allow rules. A linux.devices
# node without an allow rule is created but not usable (runc >= 1.0: not implicitly allowed).
test_cgroups_devices_list() {
  _cgres_need_v1 devices
  _cgres_bundle
  cfg '.linux.devices = [
         {"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229, "fileMode": 438},
         {"path": "/dev/xkmsg", "type": "c", "major": 1, "minor": 11, "fileMode": 438}]
       | .linux.resources.devices = [{"allow": false, "access": "rwm"},
                                     {"allow": true, "type": "c", "major": 10, "minor": 229, "access": "rwm"}]'
  set_sh 'ls /dev/xkmsg /dev/fuse; dd if=/dev/xkmsg of=/dev/null bs=1 count=0 2>&1; echo dd-rc=$?; sleep 1000'
  run_detached "$ID"
  local want got
  want=$(printf '%s\n' 'b *:* m' 'c *:* m' 'c 1:3 rwm' 'c 1:5 rwm' 'c 1:7 rwm' 'c 1:8 rwm' 'c 1:9 rwm' \
                       'c 5:0 rwm' 'c 5:2 rwm' 'c 10:200 rwm' 'c 10:229 rwm' 'c 136:* rwm' | sort)
  got=$(sort "$(_cgres_dir devices)/devices.list")
  assert_eq "$want" "$got" "devices.list"
  local i
  for ((i = 0; i < 100; i++)); do grep -q dd-rc "$T/$ID.out" && break; sleep 0.05; done
  assert_file_contains "$T/$ID.out" "/dev/xkmsg"
  assert_file_contains "$T/$ID.out" "Operation not permitted"
  assert_no_match "$(cat "$T/$ID.out")" "dd-rc=0" "reading a device without an allow rule"
  rt delete --force "$ID"
}

# With no device rules at all in the config the cgroup is still a whitelist (runc builds it
# on a deny-all default whatever the config says).
test_cgroups_devices_default_whitelist() {
  _cgres_need_v1 devices
  _cgres_bundle
  cfg 'del(.linux.resources) | del(.linux.devices)'
  create_ctr "$ID"
  local got
  got=$(sort "$(_cgres_dir devices)/devices.list")
  assert_not_contains "$got" "a *:* rwm" "devices.list"
  assert_contains "$got" "c 136:* rwm" "devices.list"
  assert_contains "$got" "c 1:3 rwm" "devices.list"
  assert_eq 11 "$(wc -l <<<"$got")" "number of device rules"
  rt delete --force "$ID"
}

test_cgroups_hugetlb_limit() {
  [ -d /sys/fs/cgroup/hugetlb ] && [ -e /sys/fs/cgroup/hugetlb/cgroup.procs ] \
    || skip "no cgroup v1 hugetlb controller (this host has hugetlb only on the unified cgroup2 mount)"
  [ -d /sys/kernel/mm/hugepages/hugepages-2048kB ] || skip "no 2MB huge pages on this host"
  _cgres_bundle
  cfg '.linux.resources.hugepageLimits = [{pageSize: "2MB", limit: 4194304}]'
  create_ctr "$ID"
  assert_eq 4194304 "$(_cgres_read hugetlb hugetlb.2MB.limit_in_bytes)" "hugetlb.2MB.limit_in_bytes"
  rt delete --force "$ID"
}

# Without a v1 hugetlb controller a hugetlb limit cannot be honoured: refused, nothing left.
test_cgroups_hugetlb_unavailable_refused() {
  [ -d /sys/fs/cgroup/hugetlb ] && skip "this host has a v1 hugetlb controller"
  [ -d /sys/fs/cgroup/memory ] || skip "not a cgroup v1 host"
  _cgres_bundle
  cfg '.linux.resources.hugepageLimits = [{pageSize: "2MB", limit: 4194304}]'
  RC=0; create_ctr "$ID" || true
  assert_rc_nonzero "create with a hugetlb limit and no hugetlb controller"
  assert_contains "$(cat "$T/$ID.err")" "cannot set hugetlb limit"
  assert_root_empty
  _cgres_assert_no_cgroup
}

test_cgroups_unified_refused_on_v1() {
  [ -d /sys/fs/cgroup/memory ] || skip "not a cgroup v1 host"
  _cgres_bundle
  cfg '.linux.resources.unified = {"memory.max": "1000000"}'
  RC=0; create_ctr "$ID" || true
  assert_rc_nonzero "create with linux.resources.unified on cgroup v1"
  assert_contains "$(cat "$T/$ID.err")" "cannot use unified on cgroup v1"
  assert_root_empty
  _cgres_assert_no_cgroup
}

test_cgroups_missing_controller_refused() {
  [ -d /sys/fs/cgroup/memory ] || skip "not a cgroup v1 host"
  [ -d /sys/fs/cgroup/net_cls ] && skip "this host has a net_cls controller"
  _cgres_bundle
  cfg '.linux.resources.network = {classID: 1048577}'
  RC=0; create_ctr "$ID" || true
  assert_rc_nonzero "create with a net_cls class id and no net_cls controller"
  assert_contains "$(cat "$T/$ID.err")" "cannot set net_cls limit"
  assert_root_empty
  _cgres_assert_no_cgroup
}

test_cgroups_blkio_leaf_weight_refused_without_cfq() {
  _cgres_need_v1 blkio
  local probe=/sys/fs/cgroup/blkio/$RUN_ID-probe
  mkdir "$probe"
  local has=""
  [ -e "$probe/blkio.leaf_weight" ] && has=1
  rmdir "$probe"
  [ -z "$has" ] || skip "this kernel has blkio.leaf_weight (CFQ)"
  _cgres_bundle
  cfg '.linux.resources.blockIO = {leafWeight: 300}'
  RC=0; create_ctr "$ID" || true
  assert_rc_nonzero "create with blkio leafWeight on a kernel without CFQ"
  assert_contains "$(cat "$T/$ID.err")" "blkio.leaf_weight"
  assert_root_empty
  _cgres_assert_no_cgroup
}

# Kernel memory limits are gone from recent kernels; runc 1.1 ignores them with a warning.
test_cgroups_kernel_memory_ignored_with_warning() {
  _cgres_need_v1 memory
  _cgres_bundle
  cfg '.linux.resources.memory = {limit: 33554432, kernel: 16777216, kernelTCP: 8388608}'
  create_ctr "$ID"
  assert_contains "$(cat "$T/$ID.err")" "Kernel memory settings are ignored and will be removed"
  assert_eq 33554432 "$(_cgres_read memory memory.limit_in_bytes)" "memory.limit_in_bytes"
  local d
  d=$(_cgres_dir memory)
  if [ -e "$d/memory.kmem.limit_in_bytes" ]; then
    assert_ne 16777216 "$(_cgres_read memory memory.kmem.limit_in_bytes)" "memory.kmem.limit_in_bytes"
  fi
  if [ -e "$d/memory.kmem.tcp.limit_in_bytes" ]; then
    assert_ne 8388608 "$(_cgres_read memory memory.kmem.tcp.limit_in_bytes)" "memory.kmem.tcp.limit_in_bytes"
  fi
  rt delete --force "$ID"
}

# _cgres_wait_oom_watch PID: until the events process has registered its OOM eventfd (v1);
# falls back to a pause where that cannot be seen.
_cgres_wait_oom_watch() {
  local i
  for ((i = 0; i < 100; i++)); do
    ls -l "/proc/$1/fd" 2>/dev/null | grep -q 'anon_inode:\[eventfd\]' && return 0
    sleep 0.05
  done
  sleep 0.5
}

# 16M of memory and no swap: `tail /dev/zero` (the init) is OOM-killed, the kernel counts
# it, and `events` reports {"type":"oom"}.
test_cgroups_oom_kill_and_event() {
  _cgres_need_v1 memory
  _cgres_bundle
  cfg '.linux.resources.memory = {limit: 16777216, swap: 16777216}'
  set_args tail /dev/zero
  create_ctr "$ID"
  rt_bg "$T/events.out" events --interval 1s "$ID"
  _cgres_wait_oom_watch "$BG_PID"
  start_ctr "$ID"
  wait_for_status "$ID" stopped 20
  local d
  d=$(_cgres_dir memory)
  assert_match "$(cat "$d/memory.oom_control")" "oom_kill [1-9]" "memory.oom_control"
  # the peak reached the limit (memory.failcnt is not counted by every kernel)
  assert_eq 16777216 "$(cat "$d/memory.max_usage_in_bytes")" "memory.max_usage_in_bytes"
  local i
  for ((i = 0; i < 100; i++)); do grep -q '"oom"' "$T/events.out" && break; sleep 0.05; done
  log "events output: $(cut -c1-200 "$T/events.out")"
  assert_file_contains "$T/events.out" "{\"type\":\"oom\",\"id\":\"$ID\"}"
  if is_berth; then
    # berth's events ends by itself when the container stops
    wait_bg "$BG_PID" 5
    assert_rc 0 "events exit code"
  else
    # runc's (v1) ends when the cgroup is removed
    rt delete "$ID"
    wait_bg "$BG_PID" 5
  fi
  rt delete --force "$ID" 2>/dev/null || true
  assert_root_empty
}

# pids.max 10: the 10th process cannot be forked, the shell says so and gives up.
test_cgroups_pids_limit_stops_fork_bomb() {
  _cgres_need_v1 pids
  _cgres_bundle
  cfg '.linux.resources.pids = {limit: 10}'
  set_sh 'i=0; while [ $i -lt 30 ]; do sleep 1000 & i=$((i+1)); echo started $i; done; echo loop-finished'
  run_ctr "$ID"
  assert_rc_nonzero "fork bomb under pids.max 10"
  assert_contains "$(cat "$T/err")" "can't fork" "stderr"
  assert_not_contains "$OUT" "loop-finished"
  local last
  last=$(grep -o 'started [0-9]*' "$T/out" | tail -n1 | cut -d' ' -f2)
  [ -n "$last" ] && [ "$last" -le 9 ] || fail "started $last background processes under pids.max 10"
  assert_root_empty
}
