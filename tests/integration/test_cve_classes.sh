# Escape classes of #16 item 1 not covered elsewhere (docs/security.md lists all of them):
# CVE-2024-21626 for exec and for every fd a runtime may hold; mount points of the image
# pre-made as symlinks to host paths; a rootfs that is a file or a symlink to /.
# runc (Debian's 1.1.5 has the CVE-2024-21626 fix) is the control for each.
# shellcheck shell=bash

# The container's root listing, from inside.
_root_listing() {
  set_sh 'ls -a / | tr "\n" " "'
  run_ctr "$ID-ls"
  assert_rc 0
  echo "$OUT"
}

# CVE-2024-21626: cwd /proc/self/fd/N for every N a runtime may hold (3..20) in the init.
test_cve_2024_21626_init_cwd_any_fd() {
  mkbundle
  local root_ls n
  root_ls=$(_root_listing)
  for n in $(seq 3 20); do
    cfg --arg c "/proc/self/fd/$n" '.process.cwd = $c'
    set_sh 'ls -a ../../../../../../.. | tr "\n" " "'
    run_ctr "$ID-$n"
    if [ "$RC" = 0 ]; then
      assert_eq "$root_ls" "$OUT" "root reached from cwd /proc/self/fd/$n"
    fi
  done
  assert_root_empty
}

# The same for `exec --cwd`, into a running container.
test_cve_2024_21626_exec_cwd_any_fd() {
  mkbundle
  local root_ls n
  root_ls=$(_root_listing)
  set_args sleep 100
  run_detached "$ID"
  assert_rc 0
  for n in $(seq 3 20); do
    RC=0
    rt exec --cwd "/proc/self/fd/$n" "$ID" sh -c 'ls -a ../../../../../../.. | tr "\n" " "' \
      </dev/null >"$T/out" 2>"$T/err" || RC=$?
    if [ "$RC" = 0 ]; then
      assert_eq "$root_ls" "$(cat "$T/out")" "root reached from exec --cwd /proc/self/fd/$n"
    else
      echo "# exec --cwd /proc/self/fd/$n refused: $(head -c 200 "$T/err")"
    fi
  done
}

# While a container is created, its pid 1 is still the runtime's init: a process that
# joins the container (or the init's own process later) must find no host directory
# among its fds, and an exec'd process only 0 1 2.
test_cve_2024_21626_no_host_dir_fd_in_init_or_exec() {
  mkbundle
  set_args sleep 100
  create_ctr "$ID"
  assert_rc 0
  local pid fd target
  pid=$(container_pid "$ID")
  for fd in /proc/"$pid"/fd/*; do
    target=$(readlink "$fd" || true)
    echo "# init fd ${fd##*/} -> $target"
    [ -d "$fd" ] && fail "the created init holds a directory fd ${fd##*/} -> $target"
  done
  start_ctr "$ID"
  assert_rc 0
  RC=0
  rt exec "$ID" sh -c 'for f in /proc/self/fd/*; do [ -d "$f" ] && echo "dir:${f##*/}"; done; ls /proc/self/fd | sort -n | tr "\n" " "' \
    </dev/null >"$T/out" 2>"$T/err" || RC=$?
  assert_rc 0
  cat "$T/out"
  # the ls itself holds one more (its directory fd of /proc/self/fd), never a host dir
  assert_not_contains "$(cat "$T/out")" "dir:" "directory fds in an exec'd process"
}

# An image whose mount points are symlinks to host paths: the runtime's devpts, tmpfs,
# mqueue and cgroup mounts must land inside the rootfs (or be refused), never on the host.
# Without a /dev tmpfs and a /sys mount, these paths are the image's own.
_premade_symlink() { # DEST
  local dest=$1 host
  host=$T/host$(tr / _ <<<"$dest")
  mkbundle
  mkdir -p "$host"
  echo host-file > "$host/marker"
  cfg 'del(.mounts[] | select(.destination == "/dev" or .destination == "/sys"))'
  mkdir -p "$BUNDLE/rootfs$(dirname "$dest")"
  rm -rf "${BUNDLE:?}/rootfs$dest"
  ln -s "/../../../../..$host" "$BUNDLE/rootfs$dest"
  # The same path inside the rootfs exists, so that a runtime that resolves the link in
  # the root mounts there (and the container sees it) rather than refusing the bundle.
  mkdir -p "$BUNDLE/rootfs$host"
  set_sh "ls -A $dest/ | tr '\n' ' '; grep -c '$host' /proc/self/mountinfo || true"
  run_ctr "$ID"
  if [ "$RC" != 0 ]; then echo "# runtime refused the bundle (acceptable)"; fi
  assert_not_contains "$OUT" marker "the host dir seen from inside"
  assert_eq marker "$(ls -A "$host" | tr '\n' ' ' | sed 's/ $//')" "host dir content"
  assert_eq host-file "$(cat "$host/marker")" "host file"
  assert_eq "" "$(_it_mounts_under "$host")" "mounts on the host dir"
  assert_root_empty
}
test_premade_symlink_dev_pts() { _premade_symlink /dev/pts; }
test_premade_symlink_dev_shm() { _premade_symlink /dev/shm; }
test_premade_symlink_dev_mqueue() { _premade_symlink /dev/mqueue; }
test_premade_symlink_sys_fs_cgroup() { _premade_symlink /sys/fs/cgroup; }

test_rootfs_is_a_file() {
  mkbundle
  echo not-a-dir > "$T/rootfs-file"
  cfg --arg r "$T/rootfs-file" '.root.path = $r'
  set_args true
  run_ctr "$ID"
  assert_rc_nonzero "run with a file as rootfs"
  assert_eq not-a-dir "$(cat "$T/rootfs-file")" "the file is unchanged"
  assert_eq "" "$(_it_mounts_under "$T/rootfs-file")" "mounts on the file"
  assert_root_empty
  berth_only "the message"
  assert_contains "$(cat "$T/err")" "not a directory"
}

# The host's mount points outside the places other tests (and engines) mount and unmount
# while this one runs.
_host_mount_points() {
  awk '{print $5}' /proc/self/mountinfo | grep -Ev '^/(tmp|run|var/lib|sys/fs/cgroup)(/|$)' | sort -u
}

# A rootfs that is a symlink to the host's /: refused, or run without changing the host's
# root directory or mount table.
test_rootfs_symlink_to_host_root() {
  mkbundle
  rm -rf "${BUNDLE:?}/rootfs"
  ln -s / "$BUNDLE/rootfs"
  set_args true
  local before_ls before_mounts
  before_ls=$(ls -A /)
  before_mounts=$(_host_mount_points)
  run_ctr "$ID"
  echo "# rc=$RC"
  assert_eq "$before_ls" "$(ls -A /)" "host / content"
  assert_eq "$before_mounts" "$(_host_mount_points)" "host mount points"
  assert_root_empty
}
