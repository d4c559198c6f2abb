# cgroups (basic): cgroupsPath is used and removed again. Detailed resources: elsewhere.
# shellcheck shell=bash

# cgroup v1 controllers mounted on this host (dirs with a cgroup.procs), plus the v2 mount.
_cgroup_mounts() {
  awk '$3 == "cgroup" || $3 == "cgroup2" {print $2}' /proc/self/mounts | sort -u
}

test_cgroups_path_used_and_removed() {
  [ -d /sys/fs/cgroup/memory ] || skip "no cgroup v1 memory controller on this host"
  mkbundle
  local cgpath="/$ID-cg/$ID"
  cfg --arg p "$cgpath" '.linux.cgroupsPath = $p'
  set_args sleep 100
  create_ctr "$ID"
  local pid m found=0
  pid=$(container_pid "$ID")
  assert_file_contains "/sys/fs/cgroup/memory$cgpath/cgroup.procs" "$pid"
  grep -qx "$pid" "/sys/fs/cgroup/memory$cgpath/cgroup.procs" || fail "pid $pid not in memory cgroup.procs"
  for m in pids cpu devices freezer; do
    [ -d "/sys/fs/cgroup/$m" ] || continue
    grep -qx "$pid" "/sys/fs/cgroup/$m$cgpath/cgroup.procs" || fail "pid $pid not in the $m cgroup $cgpath"
    found=$((found + 1))
  done
  [ "$found" -gt 0 ] || fail "no other controller checked"
  assert_match "$(grep ':memory:' "/proc/$pid/cgroup")" ":memory:$cgpath\$" "/proc/PID/cgroup"
  rt delete --force "$ID"
  for m in $(_cgroup_mounts); do
    [ ! -d "$m$cgpath" ] || fail "cgroup $m$cgpath left after delete"
  done
}

test_cgroups_default_path() {
  mkbundle
  cfg 'del(.linux.cgroupsPath)'
  set_args sleep 100
  create_ctr "$ID"
  local pid mine theirs dir
  pid=$(container_pid "$ID")
  mine=$(sed -n 's/^[0-9]*:memory://p' /proc/self/cgroup)
  theirs=$(sed -n 's/^[0-9]*:memory://p' "/proc/$pid/cgroup")
  echo "runner memory cgroup: $mine, container: $theirs"
  [ -n "$theirs" ] || skip "no memory controller"
  assert_ne "$mine" "$theirs" "the container has its own memory cgroup"
  dir=/sys/fs/cgroup/memory$theirs
  [ -d "$dir" ] || fail "$dir does not exist"
  rt delete --force "$ID"
  [ ! -d "$dir" ] || fail "cgroup $dir left after delete"
}
