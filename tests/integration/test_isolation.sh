# Namespaces: uts, pid, mount, network, ipc, cgroup, user, joining by path, time.
# shellcheck shell=bash

test_hostname() {
  mkbundle
  cfg '.hostname = "berth-it-host"'
  set_sh 'hostname; cat /proc/sys/kernel/hostname; readlink /proc/self/ns/uts'
  local before
  before=$(hostname)
  run_ctr "$ID"
  assert_rc 0
  assert_eq "berth-it-host" "$(sed -n 1p <<<"$OUT")" "hostname"
  assert_eq "berth-it-host" "$(sed -n 2p <<<"$OUT")" "kernel.hostname"
  assert_ne "$(host_ns uts)" "$(sed -n 3p <<<"$OUT")" "uts namespace"
  assert_eq "$before" "$(hostname)" "host hostname unchanged"
}

test_domainname() {
  runc_known_diff "runc 1.1 ignores the domainname field (runtime-spec 1.1)"
  mkbundle
  cfg '.domainname = "it.example"'
  set_args cat /proc/sys/kernel/domainname
  run_ctr "$ID"
  assert_rc 0
  assert_eq "it.example" "$OUT" "domainname"
}

test_pid_namespace() {
  mkbundle
  set_args ps -o pid,comm
  run_ctr "$ID"
  assert_rc 0
  # header + exactly one process, pid 1, which is ps itself
  assert_eq 2 "$(wc -l <<<"$OUT")" "ps line count"
  assert_eq "1 ps" "$(sed -n 2p <<<"$OUT" | awk '{print $1, $2}')" "the only process"
}

test_mount_namespace_rootfs() {
  mkbundle
  echo host-only > "$T/host-marker"
  set_sh "test -x /bin/busybox && echo busybox-ok; test -e '$T/host-marker' && echo host-visible; ls /; readlink /proc/self/ns/mnt"
  run_ctr "$ID"
  assert_rc 0
  assert_contains "$OUT" busybox-ok
  assert_not_contains "$OUT" host-visible "container view"
  # / is the bundle's rootfs: its top-level entries, nothing from the host's /
  local want got
  want=$(cd "$BUNDLE/rootfs" && ls -1 | sort | tr '\n' ' ')
  got=$(sed -n '2,$p' <<<"$OUT" | sed '$d' | sort | tr '\n' ' ')
  assert_eq "$want" "$got" "ls / inside"
  assert_ne "$(host_ns mnt)" "$(tail -n1 <<<"$OUT")" "mount namespace"
}

test_network_namespace_only_lo() {
  mkbundle
  set_sh 'ls /sys/class/net; echo ==; cat /proc/net/dev; echo ==; readlink /proc/self/ns/net'
  run_ctr "$ID"
  assert_rc 0
  assert_eq "lo" "$(sed -n '1,/^==$/p' <<<"$OUT" | sed '$d')" "interfaces in /sys/class/net"
  # /proc/net/dev: two header lines + lo
  assert_eq "lo" "$(sed -n '/^==$/,/^==$/p' <<<"$OUT" | sed '1,3d;$d' | awk -F: '{gsub(/ /, "", $1); print $1}')" "interfaces in /proc/net/dev"
  assert_ne "$(host_ns net)" "$(tail -n1 <<<"$OUT")" "network namespace"
}

test_ipc_namespace() {
  mkbundle
  set_args readlink /proc/self/ns/ipc
  run_ctr "$ID"
  assert_rc 0
  assert_match "$OUT" '^ipc:\[[0-9]+\]$'
  assert_ne "$(host_ns ipc)" "$OUT" "ipc namespace"
}

test_cgroup_namespace() {
  mkbundle
  # `runc spec` on a cgroup v2 host already has one (a duplicate is refused)
  cfg '.linux.namespaces |= map(select(.type != "cgroup"))'
  add_namespace cgroup
  set_sh 'readlink /proc/self/ns/cgroup; cat /proc/self/cgroup'
  run_ctr "$ID"
  assert_rc 0
  assert_ne "$(host_ns cgroup)" "$(head -n1 <<<"$OUT")" "cgroup namespace"
  # inside its own cgroup namespace the container's cgroups are the roots
  local lines
  lines=$(sed 1d <<<"$OUT")
  [ -n "$lines" ] || fail "empty /proc/self/cgroup"
  assert_eq "" "$(grep -v ':/$' <<<"$lines" || true)" "cgroup paths that are not /"
}

test_cgroup_namespace_v1_mounts() {
  [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ] && skip "host is cgroup v2 (one cgroup2 mount, tested above)"
  mkbundle
  cfg '.linux.namespaces |= map(select(.type != "cgroup"))'
  add_namespace cgroup
  # A real cgroup mount per hierarchy, rooted at the namespace root, read-only.
  set_sh 'awk '"'"'$5 == "/sys/fs/cgroup/memory" { print $4, $6, $9 }'"'"' /proc/self/mountinfo;
          test -e /sys/fs/cgroup/memory/memory.limit_in_bytes && echo has-limit;
          mkdir /sys/fs/cgroup/memory/x 2>/dev/null || echo ro'
  run_ctr "$ID"
  assert_rc 0
  assert_eq "/ ro,nosuid,nodev,noexec,relatime cgroup
has-limit
ro" "$OUT" "memory hierarchy inside the cgroup namespace"
}

test_user_namespace_mapping() {
  mkbundle --copy
  chown -R 100000:100000 "$BUNDLE/rootfs"
  mkdir -m 0755 "$T/shared"
  chown 100000:100000 "$T/shared"
  add_bind "$T/shared" /shared
  add_namespace user
  cfg '.linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
     | .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
  cfg '.process.capabilities.bounding += ["CAP_CHOWN"] | .process.capabilities.effective += ["CAP_CHOWN"]
     | .process.capabilities.permitted += ["CAP_CHOWN"]'
  set_sh 'id -u; id -g; cat /proc/self/uid_map; touch /shared/file; mkdir /shared/dir; chown 1000:1000 /shared/dir'
  run_ctr "$ID"
  assert_rc 0
  assert_eq 0 "$(sed -n 1p <<<"$OUT")" "uid inside"
  assert_eq 0 "$(sed -n 2p <<<"$OUT")" "gid inside"
  assert_eq "0 100000 65536" "$(sed -n 3p <<<"$OUT" | awk '{print $1, $2, $3}')" "uid_map"
  assert_eq "100000:100000" "$(stat -c %u:%g "$T/shared/file")" "owner on the host of a file created inside"
  assert_eq "101000:101000" "$(stat -c %u:%g "$T/shared/dir")" "owner on the host after chown 1000:1000 inside"
}

test_join_namespace_by_path() {
  mkbundle
  set_args sleep 100
  run_detached "$ID-a"
  local apid
  apid=$(container_pid "$ID-a")
  mkbundle "$T/bundle-b"
  cfg --arg p "/proc/$apid/ns/net" \
    '.linux.namespaces = [.linux.namespaces[] | if .type == "network" then .path = $p else . end]'
  set_args readlink /proc/self/ns/net
  run_ctr "$ID-b"
  assert_rc 0
  assert_eq "$(readlink "/proc/$apid/ns/net")" "$OUT" "network namespace of B"
  assert_ne "$(host_ns net)" "$OUT" "B is not in the host network namespace"
}

test_time_namespace_offsets() {
  [ -e /proc/self/ns/time ] || skip "kernel without time namespaces"
  mkbundle
  add_namespace time
  cfg '.linux.timeOffsets = {"boottime": {"secs": 864000, "nanosecs": 0}, "monotonic": {"secs": 86400, "nanosecs": 0}}'
  set_sh 'cut -d" " -f1 /proc/uptime; readlink /proc/self/ns/time'
  run_ctr "$ID"
  if [ "$RC" != 0 ] && grep -qi 'time' "$T/err"; then
    skip "runtime rejects the time namespace: $(head -c 200 "$T/err")"
  fi
  assert_rc 0
  local inside host
  inside=$(head -n1 <<<"$OUT" | cut -d. -f1)
  host=$(cut -d' ' -f1 /proc/uptime | cut -d. -f1)
  # boottime is 10 days ahead of the host's
  [ "$inside" -ge $((host + 864000 - 5)) ] && [ "$inside" -le $((host + 864000 + 5)) ] \
    || fail "uptime inside $inside, host $host: boottime offset not applied"
  assert_ne "$(host_ns time)" "$(tail -n1 <<<"$OUT")" "time namespace"
  assert_root_empty
}

# A container that joins another's user namespace by path and still gets its
# own pid namespace (Kubernetes pods with user namespaces do this): the new pid
# namespace must belong to the joined user namespace, so the runtime has to
# create it after setns(user).
test_join_user_namespace_with_new_pid_namespace() {
  runc_known_diff "runc 1.1 insists on uid mappings for a joined user namespace"
  userns_bundle
  set_args sleep 100
  run_detached "$ID-a"
  local apid
  apid=$(container_pid "$ID-a")
  mkbundle --copy "$T/bundle-b"
  chown -R 100000:100000 "$BUNDLE/rootfs"
  add_namespace user "/proc/$apid/ns/user"
  set_sh 'id -u; cat /proc/self/uid_map; echo $$; readlink /proc/self/ns/user; readlink /proc/self/ns/pid'
  run_ctr "$ID-b"
  assert_rc 0
  assert_eq 0 "$(sed -n 1p <<<"$OUT")" "uid inside B"
  assert_eq "0 100000 65536" "$(sed -n 2p <<<"$OUT" | awk '{print $1, $2, $3}')" "uid_map of B (A's)"
  assert_eq 1 "$(sed -n 3p <<<"$OUT")" "B's process is pid 1 of its own pid namespace"
  assert_eq "$(readlink "/proc/$apid/ns/user")" "$(sed -n 4p <<<"$OUT")" "user namespace of B"
  assert_ne "$(readlink "/proc/$apid/ns/pid")" "$(sed -n 5p <<<"$OUT")" "B has its own pid namespace"
}
