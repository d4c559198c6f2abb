# cgroups (basic): cgroupsPath is used and removed again. Detailed resources: elsewhere.
# shellcheck shell=bash

# cgroup v1 controllers mounted on this host (dirs with a cgroup.procs), plus the v2 mount.
_cgroup_mounts() {
  awk '$3 == "cgroup" || $3 == "cgroup2" {print $2}' /proc/self/mounts | sort -u
}

test_cgroups_path_used_and_removed() {
  if cgroup_v2; then _cgroups_path_used_and_removed_v2; return; fi
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
  # Every hierarchy, the named systemd one and a hybrid host's unified one included
  # (berth's init moves itself through v1 `tasks` files and is born in the unified one).
  assert_eq "" "$(grep -v ":$cgpath\$" "/proc/$pid/cgroup" || true)" "hierarchies the init is not in"
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
  local pid mine theirs dir ctl=memory mnt=/sys/fs/cgroup/memory
  if cgroup_v2; then ctl="" mnt=/sys/fs/cgroup; fi
  pid=$(container_pid "$ID")
  mine=$(sed -n "s/^[0-9]*:$ctl://p" /proc/self/cgroup)
  theirs=$(sed -n "s/^[0-9]*:$ctl://p" "/proc/$pid/cgroup")
  echo "runner memory cgroup: $mine, container: $theirs"
  [ -n "$theirs" ] || skip "no memory controller"
  assert_ne "$mine" "$theirs" "the container has its own ${ctl:-unified} cgroup"
  assert_match "$theirs" "$ID\$" "the container's cgroup is named after its id"
  dir=$mnt$theirs
  [ -d "$dir" ] || fail "$dir does not exist"
  rt delete --force "$ID"
  [ ! -d "$dir" ] || fail "cgroup $dir left after delete"
}

# v2: one directory; the init is in it (cgroup.procs and /proc/PID/cgroup "0::PATH"), the
# controllers are delegated to it, and delete removes it and the parent berth made.
_cgroups_path_used_and_removed_v2() {
  mkbundle
  local cgpath="/$ID-cg/$ID"
  cfg --arg p "$cgpath" '.linux.cgroupsPath = $p'
  set_args sleep 100
  create_ctr "$ID"
  local pid d=/sys/fs/cgroup$cgpath c
  pid=$(container_pid "$ID")
  grep -qx "$pid" "$d/cgroup.procs" || fail "pid $pid not in $d/cgroup.procs"
  assert_eq "0::$cgpath" "$(cat "/proc/$pid/cgroup")" "/proc/PID/cgroup"
  for c in memory pids cpu; do
    grep -qw "$c" /sys/fs/cgroup/cgroup.controllers || continue
    grep -qw "$c" "$d/cgroup.controllers" || fail "controller $c not delegated to $d: $(cat "$d/cgroup.controllers")"
  done
  rt delete --force "$ID"
  [ ! -d "$d" ] || fail "cgroup $d left after delete"
  # the intermediate /$ID-cg is not the container's: runc leaves it, so may we
  rmdir "/sys/fs/cgroup/$ID-cg" 2>/dev/null || true
}
