# cgroups: every linux.resources value read back from the cgroup files (v1 controllers, or
# the v2 files with runc's conversions), the device whitelist (v1 devices.list; v2: the eBPF
# program, shown by what the container can open), what the host cannot do (refused or ignored
# as runc does), the OOM killer at a memory limit (and its event), pids.max stopping a fork bomb.
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
# v2: the container's one directory, and a file of it
_cgres_v2dir() { echo "/sys/fs/cgroup$(_cgres_path)"; }
_cgres_v2() { tr -d '\n' < "$(_cgres_v2dir)/$1"; }
# No cgroup directory of this test is left in any v1 hierarchy.
_cgres_assert_no_cgroup() {
  local m
  if cgroup_v2; then
    [ ! -d "$(_cgres_v2dir)" ] || fail "cgroup $(_cgres_v2dir) left behind"
    return 0
  fi
  for m in /sys/fs/cgroup/*; do
    [ ! -d "$m$(_cgres_path)" ] || fail "cgroup $m$(_cgres_path) left behind"
  done
}

test_cgroups_memory_values() {
  if cgroup_v2; then _cgres_memory_values_v2; return; fi
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
  if cgroup_v2; then v2_need memory; else _cgres_need_v1 memory; fi
  _cgres_bundle
  cfg '.linux.resources.memory = {limit: -1, disableOOMKiller: true}'
  create_ctr "$ID"
  if cgroup_v2; then
    # -1 = "max" for memory and swap; v2 has no OOM-killer switch (ignored, as runc)
    assert_eq max "$(_cgres_v2 memory.max)" "memory.max"
    [ ! -e "$(_cgres_v2dir)/memory.swap.max" ] || assert_eq max "$(_cgres_v2 memory.swap.max)" "memory.swap.max"
    rt delete --force "$ID"
    _cgres_assert_no_cgroup
    return 0
  fi
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
  if cgroup_v2; then _cgres_cpu_values_v2; return; fi
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
  v1_only "cpu.shares is read back on v1 only; v2 converts shares to cpu.weight (berth clamps 1 to weight 1)"
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
  if cgroup_v2; then _cgres_pids_and_io_values_v2; return; fi
  _cgres_need_v1 pids blkio
  _cgres_bundle
  cfg '.linux.resources.pids = {limit: 64} | .linux.resources.blockIO = {weight: 300}'
  # (BFQ's weight file is not on the root cgroup: look in a new one)
  local probe=/sys/fs/cgroup/blkio/$RUN_ID-probe weighted=""
  mkdir "$probe"
  [ -e "$probe/blkio.weight" ] || [ -e "$probe/blkio.bfq.weight" ] && weighted=1
  rmdir "$probe"
  if [ -z "$weighted" ]; then
    # No CFQ or BFQ scheduler (e.g. mq-deadline only): the weight cannot be applied: refused,
    # naming the field and why (runc: "open blkio.weight: no such file"), nothing left behind.
    create_ctr "$ID" || true
    assert_rc_nonzero "create with a blkio weight the host cannot apply"
    if is_berth; then
      assert_file_contains "$T/$ID.err" \
        "linux.resources.blockIO.weight: the blkio controller has neither blkio.weight nor blkio.bfq.weight"
    fi
    assert_no_container "$ID"
    assert_root_empty
    _cgres_assert_no_cgroup
    cfg 'del(.linux.resources.blockIO)'
    create_ctr "$ID"
    assert_eq 64 "$(_cgres_read pids pids.max)" "pids.max"
    rt delete --force "$ID"
    return 0
  fi
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
  if cgroup_v2; then v2_need pids; else _cgres_need_v1 pids; fi
  _cgres_bundle
  cfg '.linux.resources.pids = {limit: 0}'
  create_ctr "$ID"
  if cgroup_v2; then
    assert_eq max "$(_cgres_v2 pids.max)" "pids.max"
  else
    assert_eq max "$(_cgres_read pids pids.max)" "pids.max"
  fi
  rt delete --force "$ID"
}

# The whitelist: deny all, runc's default devices, the config's allow rules. A linux.devices
# node without an allow rule is created but not usable (runc >= 1.0: not implicitly allowed).
test_cgroups_devices_list() {
  cgroup_v2 || _cgres_need_v1 devices
  _cgres_bundle
  cfg '.linux.devices = [
         {"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229, "fileMode": 438},
         {"path": "/dev/xkmsg", "type": "c", "major": 1, "minor": 11, "fileMode": 438}]
       | .linux.resources.devices = [{"allow": false, "access": "rwm"},
                                     {"allow": true, "type": "c", "major": 10, "minor": 229, "access": "rwm"}]'
  set_sh 'ls /dev/xkmsg /dev/fuse; dd if=/dev/xkmsg of=/dev/null bs=1 count=0 2>&1; echo dd-rc=$?; sleep 1000'
  run_detached "$ID"
  local want got i
  if cgroup_v2; then
    # no devices.list on v2: what the eBPF program lets through is the proof
    for ((i = 0; i < 200; i++)); do grep -q dd-rc "$T/$ID.out" && break; sleep 0.05; done
    assert_file_contains "$T/$ID.out" "/dev/xkmsg"
    assert_file_contains "$T/$ID.out" "Operation not permitted"
    assert_no_match "$(cat "$T/$ID.out")" "dd-rc=0" "reading a device without an allow rule"
    # an update replaces the program (runc: attach the new one, detach the old): same rules after it
    rt update --pids-limit 50 "$ID"
    RC=0; rt exec "$ID" sh -c 'head -c1 /dev/xkmsg' >"$T/exec.out" 2>&1 || RC=$?
    assert_rc_nonzero "reading /dev/xkmsg after update"
    assert_file_contains "$T/exec.out" "Operation not permitted"
    rt exec "$ID" sh -c 'echo x > /dev/null && head -c1 /dev/zero | wc -c' >"$T/exec.out" 2>&1 \
      || fail "/dev/null or /dev/zero not usable after update: $(cat "$T/exec.out")"
    rt delete --force "$ID"
    return 0
  fi
  want=$(printf '%s\n' 'b *:* m' 'c *:* m' 'c 1:3 rwm' 'c 1:5 rwm' 'c 1:7 rwm' 'c 1:8 rwm' 'c 1:9 rwm' \
                       'c 5:0 rwm' 'c 5:2 rwm' 'c 10:200 rwm' 'c 10:229 rwm' 'c 136:* rwm' | sort)
  got=$(sort "$(_cgres_dir devices)/devices.list")
  assert_eq "$want" "$got" "devices.list"
  for ((i = 0; i < 100; i++)); do grep -q dd-rc "$T/$ID.out" && break; sleep 0.05; done
  assert_file_contains "$T/$ID.out" "/dev/xkmsg"
  assert_file_contains "$T/$ID.out" "Operation not permitted"
  assert_no_match "$(cat "$T/$ID.out")" "dd-rc=0" "reading a device without an allow rule"
  rt delete --force "$ID"
}

# With no device rules at all in the config the cgroup is still a whitelist (runc builds it
# on a deny-all default whatever the config says).
test_cgroups_devices_default_whitelist() {
  cgroup_v2 || _cgres_need_v1 devices
  _cgres_bundle
  cfg 'del(.linux.resources) | del(.linux.devices)'
  if cgroup_v2; then
    # mknod of any device is allowed (b *:* m, c *:* m), opening a node made so is not;
    # runc's default devices open
    cfg '.process.capabilities |= map_values(. + ["CAP_MKNOD"])'
    set_sh 'mknod /dev/k2 c 1 11 && echo mknod-c-ok; mknod /dev/b2 b 7 0 && echo mknod-b-ok
            head -c1 /dev/k2; echo kmsg-rc=$?; head -c1 /dev/b2; echo blk-rc=$?
            echo x > /dev/null && head -c1 /dev/zero >/dev/null && head -c1 /dev/urandom >/dev/null && echo defaults-ok'
    run_ctr "$ID"
    assert_contains "$OUT" "mknod-c-ok"
    assert_contains "$OUT" "mknod-b-ok"
    assert_contains "$OUT" "kmsg-rc=1"
    assert_contains "$OUT" "blk-rc=1"
    assert_contains "$OUT" "defaults-ok"
    assert_contains "$(cat "$T/err")" "Operation not permitted"
    assert_root_empty
    return 0
  fi
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
  if cgroup_v2; then
    v2_need hugetlb
    [ -d /sys/kernel/mm/hugepages/hugepages-2048kB ] || skip "no 2MB huge pages on this host"
    _cgres_bundle
    cfg '.linux.resources.hugepageLimits = [{pageSize: "2MB", limit: 4194304}]'
    create_ctr "$ID"
    assert_eq 4194304 "$(_cgres_v2 hugetlb.2MB.max)" "hugetlb.2MB.max"
    rt delete --force "$ID"
    return 0
  fi
  [ -d /sys/fs/cgroup/hugetlb ] && [ -e /sys/fs/cgroup/hugetlb/cgroup.procs ] \
    || skip "no cgroup v1 hugetlb controller (this host has hugetlb only on the unified cgroup2 mount)"
  [ -d /sys/kernel/mm/hugepages/hugepages-2048kB ] || skip "no 2MB huge pages on this host"
  _cgres_bundle
  cfg '.linux.resources.hugepageLimits = [{pageSize: "2MB", limit: 4194304}]'
  create_ctr "$ID"
  assert_eq 4194304 "$(_cgres_read hugetlb hugetlb.2MB.limit_in_bytes)" "hugetlb.2MB.limit_in_bytes"
  rt delete --force "$ID"
}

# Without a hugetlb controller (v1, or bound to a hybrid host's unified hierarchy, which
# berth uses: test_spec_fields.sh:test_hugetlb_rsvd_limits) a hugetlb limit cannot be
# honoured: refused, nothing left.
test_cgroups_hugetlb_unavailable_refused() {
  [ -d /sys/fs/cgroup/hugetlb ] && skip "this host has a v1 hugetlb controller"
  grep -qw hugetlb /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null \
    && skip "this host binds hugetlb to its unified hierarchy (applied there)"
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
  v1_only "unified is the v2 way (test_cgroups_unified_v2)"
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
  v1_only "net_cls/net_prio do not exist on v2 (runc ignores linux.resources.network there)"
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
  v1_only "leafWeight is a v1 CFQ setting (runc ignores it on v2)"
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
  if cgroup_v2; then v2_need memory; else _cgres_need_v1 memory; fi
  _cgres_bundle
  cfg '.linux.resources.memory = {limit: 33554432, kernel: 16777216, kernelTCP: 8388608}'
  create_ctr "$ID"
  assert_contains "$(cat "$T/$ID.err")" "Kernel memory settings are ignored and will be removed"
  if cgroup_v2; then
    assert_eq 33554432 "$(_cgres_v2 memory.max)" "memory.max"
    rt delete --force "$ID"
    return 0
  fi
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
  local i what='anon_inode:\[eventfd\]'
  cgroup_v2 && what='anon_inode:inotify'  # v2: inotify on memory.events
  for ((i = 0; i < 100; i++)); do
    ls -l "/proc/$1/fd" 2>/dev/null | grep -q "$what" && return 0
    sleep 0.05
  done
  sleep 0.5
}

# 16M of memory and no swap: `tail /dev/zero` (the init) is OOM-killed, the kernel counts
# it, and `events` reports {"type":"oom"}.
test_cgroups_oom_kill_and_event() {
  if cgroup_v2; then v2_need memory; else _cgres_need_v1 memory; fi
  _cgres_bundle
  cfg '.linux.resources.memory = {limit: 16777216, swap: 16777216}'
  set_args tail /dev/zero
  create_ctr "$ID"
  rt_bg "$T/events.out" events --interval 1s "$ID"
  _cgres_wait_oom_watch "$BG_PID"
  start_ctr "$ID"
  wait_for_status "$ID" stopped 20
  local d
  if cgroup_v2; then
    # the cgroup is still there (stopped, not deleted): the kernel counted the kill
    assert_match "$(cat "$(_cgres_v2dir)/memory.events")" "oom_kill [1-9]" "memory.events"
    assert_eq 0 "$(_cgres_v2 memory.swap.max)" "memory.swap.max (swap == memory: no swap)"
  else
    d=$(_cgres_dir memory)
    assert_match "$(cat "$d/memory.oom_control")" "oom_kill [1-9]" "memory.oom_control"
    # the peak reached the limit (memory.failcnt is not counted by every kernel)
    assert_eq 16777216 "$(cat "$d/memory.max_usage_in_bytes")" "memory.max_usage_in_bytes"
  fi
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
  if cgroup_v2; then v2_need pids; else _cgres_need_v1 pids; fi
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

# ---------------------------------------------------------------- cgroup v2 variants

# memory.max, memory.low; memory.swap.max is swap alone (runc: OCI swap - limit).
_cgres_memory_values_v2() {
  v2_need memory
  _cgres_bundle
  cfg '.linux.resources.memory = {limit: 33554432, reservation: 16777216, swap: 50331648, swappiness: 30}'
  create_ctr "$ID"
  assert_eq 33554432 "$(_cgres_v2 memory.max)" "memory.max"
  assert_eq 16777216 "$(_cgres_v2 memory.low)" "memory.low"
  if [ -e "$(_cgres_v2dir)/memory.swap.max" ]; then
    assert_eq 16777216 "$(_cgres_v2 memory.swap.max)" "memory.swap.max (50331648 - 33554432)"
  else
    log "no memory.swap.max (no swap accounting): swap not checked"
  fi
  grep -qx "$(container_pid "$ID")" "$(_cgres_v2dir)/cgroup.procs" || fail "init not in the cgroup"
  rt delete --force "$ID"
  _cgres_assert_no_cgroup
}

# cpu.weight from shares (runc: 1 + (shares - 2) * 9999 / 262142), cpu.max "quota period", cpuset.
_cgres_cpu_values_v2() {
  v2_need cpu cpuset
  _cgres_bundle
  cfg '.linux.resources.cpu = {shares: 512, quota: 50000, period: 100000, cpus: "0", mems: "0"}'
  create_ctr "$ID"
  assert_eq 20 "$(_cgres_v2 cpu.weight)" "cpu.weight (shares 512)"
  assert_eq "50000 100000" "$(_cgres_v2 cpu.max)" "cpu.max"
  assert_eq 0 "$(_cgres_v2 cpuset.cpus)" "cpuset.cpus"
  assert_eq 0 "$(_cgres_v2 cpuset.mems)" "cpuset.mems"
  assert_eq 0 "$(_cgres_v2 cpuset.cpus.effective)" "cpuset.cpus.effective"
  local pid
  pid=$(container_pid "$ID")
  assert_eq 0 "$(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' "/proc/$pid/status")" "Cpus_allowed_list of the init"
  rt delete --force "$ID"
  _cgres_assert_no_cgroup
}

# pids.max; io.weight from blkio weight (runc: 1 + (w - 10) * 9999 / 990), or io.bfq.weight;
# io.max from the throttle lists, on the block device holding /.
_cgres_pids_and_io_values_v2() {
  v2_need pids io
  local dev="" maj min
  dev=$(mountpoint -d / 2>/dev/null || true)
  if [ -n "$dev" ] && [ -e "/sys/dev/block/$dev" ] && [ ! -e "/sys/dev/block/$dev/partition" ]; then
    maj=${dev%:*} min=${dev#*:}
  else
    log "/ is not on a whole block device ($dev): io.max not checked"
    dev=""
  fi
  _cgres_bundle
  cfg '.linux.resources.pids = {limit: 64} | .linux.resources.blockIO = {weight: 300}'
  if [ -n "$dev" ]; then
    cfg --argjson ma "$maj" --argjson mi "$min" \
      '.linux.resources.blockIO += {throttleReadBpsDevice: [{major: $ma, minor: $mi, rate: 1048576}],
                                    throttleWriteIOPSDevice: [{major: $ma, minor: $mi, rate: 300}]}'
  fi
  create_ctr "$ID"
  assert_eq 64 "$(_cgres_v2 pids.max)" "pids.max"
  local d
  d=$(_cgres_v2dir)
  if [ -e "$d/io.bfq.weight" ]; then
    assert_match "$(cat "$d/io.bfq.weight")" "^default 300$" "io.bfq.weight"
  elif [ -e "$d/io.weight" ]; then
    assert_match "$(cat "$d/io.weight")" "^default 2930$" "io.weight (blkio weight 300)"
  else
    log "no io.weight / io.bfq.weight on this kernel: weight not checked"
  fi
  if [ -n "$dev" ]; then
    assert_eq "$dev rbps=1048576 wbps=max riops=max wiops=300" "$(_cgres_v2 io.max)" "io.max"
  fi
  rt delete --force "$ID"
  _cgres_assert_no_cgroup
}

# linux.resources.unified: any file of the container's cgroup, written as given; a key with
# a "/" (another directory) is refused and nothing is left.
test_cgroups_unified_v2() {
  cgroup_v2 || skip "cgroup v2 only (v1 refuses unified: test_cgroups_unified_refused_on_v1)"
  v2_need memory pids
  _cgres_bundle
  cfg '.linux.resources.unified = {"memory.high": "50331648", "pids.max": "42"}'
  create_ctr "$ID"
  assert_eq 50331648 "$(_cgres_v2 memory.high)" "memory.high"
  assert_eq 42 "$(_cgres_v2 pids.max)" "pids.max"
  rt delete --force "$ID"
  _cgres_assert_no_cgroup
  cfg '.linux.resources.unified = {"../pids.max": "42"}'
  RC=0; create_ctr "$ID" || true
  assert_rc_nonzero "create with unified key ../pids.max"
  assert_root_empty
  _cgres_assert_no_cgroup
}
