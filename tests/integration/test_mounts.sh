# Mounts: tmpfs, bind ro/rw/rbind, propagation, /proc /sys /dev, masked and readonly paths,
# root.readonly, linux.devices, symlinked destinations (CVE-2021-30465 class), --no-pivot.
# shellcheck shell=bash

test_tmpfs_with_size() {
  mkbundle
  add_mount /data tmpfs tmpfs size=1m mode=1770 nosuid
  set_sh 'grep " /data " /proc/mounts; df -k /data | tail -n1; stat -c %a /data; echo x > /data/f && echo write-ok'
  run_ctr "$ID"
  assert_rc 0
  local line
  line=$(sed -n 1p <<<"$OUT")
  assert_match "$line" '^[^ ]+ /data tmpfs [^ ]*size=1024k' "/proc/mounts entry"
  assert_match "$line" '[ ,]nosuid[ ,]' "/proc/mounts entry"
  assert_eq 1024 "$(sed -n 2p <<<"$OUT" | awk '{print $2}')" "df size (KiB)"
  assert_eq 1770 "$(sed -n 3p <<<"$OUT")" "mode"
  assert_contains "$OUT" write-ok
}

test_bind_mount_readonly() {
  mkbundle
  mkdir -m 0777 "$T/ro"
  echo original > "$T/ro/file"
  add_bind "$T/ro" /ro rbind ro
  set_sh 'cat /ro/file; echo changed > /ro/file && echo WROTE; touch /ro/new && echo CREATED; grep " /ro " /proc/mounts'
  run_ctr "$ID"
  assert_contains "$OUT" original "read through the ro bind mount"
  assert_not_contains "$OUT" WROTE
  assert_not_contains "$OUT" CREATED
  assert_match "$(grep ' /ro ' <<<"$OUT")" ' ro[ ,]' "mount options"
  assert_eq original "$(cat "$T/ro/file")" "host file"
  assert_not_exists "$T/ro/new"
}

test_bind_mount_readwrite() {
  mkbundle
  mkdir -m 0777 "$T/rw"
  echo from-host > "$T/rw/in"
  add_bind "$T/rw" /rw rbind rw
  set_sh 'cat /rw/in; echo from-container > /rw/out'
  run_ctr "$ID"
  assert_rc 0
  assert_eq from-host "$OUT"
  assert_eq from-container "$(cat "$T/rw/out")" "file written inside, read on the host"
}

test_rbind_includes_submounts() {
  mkbundle
  mkdir -p "$T/rb/sub"
  mount -t tmpfs -o size=1m tmpfs "$T/rb/sub"
  echo inner > "$T/rb/sub/file"
  add_bind "$T/rb" /recursive rbind ro
  add_bind "$T/rb" /plain bind ro
  set_sh 'cat /recursive/sub/file; echo ==; ls -A /plain/sub'
  run_ctr "$ID"
  assert_rc 0
  assert_eq inner "$(sed -n 1p <<<"$OUT")" "submount through rbind"
  assert_eq "" "$(sed '1,/^==$/d' <<<"$OUT")" "submount through plain bind (should not be there)"
}

# Propagation flags on a bind mount: rslave receives later host mounts, rprivate does not.
test_bind_mount_propagation() {
  mkbundle
  mkdir -p "$T/prop"
  mount --bind "$T/prop" "$T/prop"
  mount --make-shared "$T/prop"
  add_bind "$T/prop" /prop rbind rslave
  set_args sleep 100
  run_detached "$ID-slave"
  cfg '.mounts |= map(if .destination == "/prop" then .options = ["rbind", "rprivate"] else . end)'
  run_detached "$ID-private"
  local spid ppid
  spid=$(container_pid "$ID-slave")
  ppid=$(container_pid "$ID-private")
  mkdir "$T/prop/sub"
  mount -t tmpfs -o size=1m tmpfs "$T/prop/sub"
  sleep 0.1
  grep ' /prop' "/proc/$spid/mountinfo" || true
  assert_match "$(grep ' /prop ' "/proc/$spid/mountinfo")" ' master:[0-9]+' "rslave /prop mountinfo"
  grep -q ' /prop/sub ' "/proc/$spid/mountinfo" || fail "host mount did not propagate into the rslave bind mount"
  if grep -q ' /prop/sub ' "/proc/$ppid/mountinfo"; then fail "host mount propagated into the rprivate bind mount"; fi
  umount "$T/prop/sub"
}

# linux.rootfsPropagation: with rslave a mount made later on the host under the rootfs shows up
# inside; with private it does not.
test_rootfs_propagation() {
  mkbundle
  mkdir -p "$BUNDLE/rootfs/mnt/x"
  mount --bind "$BUNDLE/rootfs" "$BUNDLE/rootfs"
  mount --make-shared "$BUNDLE/rootfs"
  set_args sleep 100
  cfg '.linux.rootfsPropagation = "rslave"'
  run_detached "$ID-slave"
  cfg '.linux.rootfsPropagation = "private"'
  run_detached "$ID-private"
  local spid ppid
  spid=$(container_pid "$ID-slave")
  ppid=$(container_pid "$ID-private")
  mount -t tmpfs -o size=1m tmpfs "$BUNDLE/rootfs/mnt/x"
  sleep 0.1
  grep -q ' /mnt/x ' "/proc/$spid/mountinfo" || fail "rootfsPropagation rslave: host mount not visible inside"
  if grep -q ' /mnt/x ' "/proc/$ppid/mountinfo"; then fail "rootfsPropagation private: host mount visible inside"; fi
  umount "$BUNDLE/rootfs/mnt/x"
}

test_proc_and_sys() {
  mkbundle
  set_sh 'grep -E "^[^ ]+ /(proc|sys) " /proc/mounts; echo ==; cat /proc/1/cmdline | tr "\0" " "'
  run_ctr "$ID"
  assert_rc 0
  assert_match "$(grep ' /proc ' <<<"$OUT")" '^[^ ]+ /proc proc ' "/proc mount"
  assert_match "$(grep ' /sys ' <<<"$OUT")" '^[^ ]+ /sys sysfs ro[ ,]' "/sys mount (read-only)"
  assert_match "$(sed '1,/^==$/d' <<<"$OUT")" '^sh -c ' "/proc shows the container's pid 1"
}

test_dev_nodes() {
  mkbundle
  set_sh 'for d in null zero full random urandom tty; do stat -c "%n %F %t:%T %a" /dev/$d; done
          echo x > /dev/null && echo null-write-ok
          head -c 8 /dev/zero | wc -c; head -c 8 /dev/urandom | wc -c
          echo x > /dev/full || echo full-enospc'
  run_ctr "$ID"
  local want
  want="/dev/null character special file 1:3 666
/dev/zero character special file 1:5 666
/dev/full character special file 1:7 666
/dev/random character special file 1:8 666
/dev/urandom character special file 1:9 666
/dev/tty character special file 5:0 666"
  assert_eq "$want" "$(head -n 6 <<<"$OUT")" "/dev nodes"
  assert_contains "$OUT" null-write-ok
  assert_eq "8 8" "$(sed -n '8,9p' <<<"$OUT" | tr '\n' ' ' | sed 's/ $//')" "bytes read from /dev/zero and /dev/urandom"
  assert_contains "$OUT" full-enospc
}

test_dev_links_and_mounts() {
  mkbundle
  set_sh 'for l in fd stdin stdout stderr; do echo "$l -> $(readlink /dev/$l)"; done
          echo "ptmx -> $(readlink /dev/ptmx || true) $(stat -L -c %t:%T /dev/ptmx)"
          grep -E " /dev(/pts|/shm|/mqueue)? " /proc/mounts
          echo "pts: $(ls /dev/pts | tr "\n" " ")"'
  run_ctr "$ID"
  assert_rc 0
  assert_contains "$OUT" "fd -> /proc/self/fd"
  assert_contains "$OUT" "stdin -> /proc/self/fd/0"
  assert_contains "$OUT" "stdout -> /proc/self/fd/1"
  assert_contains "$OUT" "stderr -> /proc/self/fd/2"
  # /dev/ptmx: symlink to pts/ptmx (runc) or a bind mount of it: either way the 5:2 device
  assert_match "$(grep '^ptmx' <<<"$OUT")" '^ptmx -> (pts/ptmx|/dev/pts/ptmx)? ?5:2$' "/dev/ptmx"
  assert_match "$OUT" '^[^ ]+ /dev tmpfs ' "/dev mount"
  assert_match "$OUT" '^[^ ]+ /dev/pts devpts ' "/dev/pts mount"
  assert_match "$OUT" '^[^ ]+ /dev/shm tmpfs ' "/dev/shm mount"
  assert_match "$OUT" '^[^ ]+ /dev/mqueue mqueue ' "/dev/mqueue mount"
  # a private devpts instance: nothing but ptmx in it
  assert_eq "pts: ptmx " "$(grep '^pts:' <<<"$OUT")" "/dev/pts content"
}

test_masked_paths() {
  mkbundle
  mkdir -p "$BUNDLE/rootfs/opt/secretdir"
  echo s3cret > "$BUNDLE/rootfs/opt/secretdir/file"
  echo s3cret > "$BUNDLE/rootfs/etc/secret-file"
  cfg '.linux.maskedPaths += ["/etc/secret-file", "/opt/secretdir", "/proc/timer_list", "/proc/kcore"]'
  set_sh 'echo "file: $(wc -c < /etc/secret-file)"
          echo "dir: $(ls -A /opt/secretdir | tr "\n" " ")"
          grep " /opt/secretdir " /proc/mounts
          touch /opt/secretdir/x 2>/dev/null && echo DIR-WRITABLE
          echo "timer_list: $(wc -c < /proc/timer_list)"
          if [ -e /proc/kcore ]; then echo "kcore: $(wc -c < /proc/kcore)"; fi
          grep " /proc/acpi " /proc/mounts || true'
  run_ctr "$ID"
  assert_rc 0
  assert_contains "$OUT" "file: 0" "masked file"
  assert_contains "$OUT" "dir: 
" "masked directory listing"
  assert_match "$(grep ' /opt/secretdir ' <<<"$OUT")" '^[^ ]+ /opt/secretdir tmpfs ro[ ,]' "masked directory mount"
  assert_not_contains "$OUT" DIR-WRITABLE
  if [ -s /proc/timer_list ] || [ "$(wc -c < /proc/timer_list)" -gt 0 ]; then
    assert_contains "$OUT" "timer_list: 0" "masked /proc/timer_list"
  fi
  if [ -e /proc/kcore ]; then assert_contains "$OUT" "kcore: 0" "masked /proc/kcore"; fi
  if [ -d /proc/acpi ]; then
    assert_match "$(grep ' /proc/acpi ' <<<"$OUT")" ' tmpfs ro[ ,]' "masked /proc/acpi"
  fi
  assert_eq s3cret "$(cat "$BUNDLE/rootfs/etc/secret-file")" "masked file on the host"
}

test_readonly_paths() {
  mkbundle
  rootfs_rw
  mkdir -p "$BUNDLE/rootfs/opt/rodir" "$BUNDLE/rootfs/opt/rwdir"
  cfg '.linux.readonlyPaths += ["/opt/rodir"]'
  set_sh 'echo x > /proc/sys/kernel/domainname && echo PROCSYS-WRITABLE
          grep " /proc/sys " /proc/mounts
          touch /opt/rodir/f && echo RODIR-WRITABLE
          touch /opt/rwdir/f && echo rwdir-ok'
  run_ctr "$ID"
  assert_not_contains "$OUT" PROCSYS-WRITABLE
  assert_match "$(grep ' /proc/sys ' <<<"$OUT")" ' ro[ ,]' "/proc/sys mount"
  assert_not_contains "$OUT" RODIR-WRITABLE
  assert_contains "$OUT" rwdir-ok "write next to the readonly path"
  assert_not_exists "$BUNDLE/rootfs/opt/rodir/f"
}

test_root_readonly() {
  mkbundle
  cfg '.root.readonly = true'
  set_sh 'touch /newfile && echo ROOT-WRITABLE; grep -E "^[^ ]+ / " /proc/mounts'
  run_ctr "$ID"
  assert_not_contains "$OUT" ROOT-WRITABLE
  assert_match "$(grep -E '^[^ ]+ / ' <<<"$OUT" | tail -n1)" ' ro[ ,]' "/ mount options"
  assert_not_exists "$BUNDLE/rootfs/newfile"
  cfg '.root.readonly = false'
  run_ctr "$ID"
  assert_contains "$OUT" ROOT-WRITABLE "root.readonly=false"
  assert_file_exists "$BUNDLE/rootfs/newfile"
}

test_linux_devices() {
  mkbundle
  cfg '.linux.devices = [
         {"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229, "fileMode": 438},
         {"path": "/dev/mydev", "type": "c", "major": 1, "minor": 3, "fileMode": 438, "uid": 5, "gid": 6}]
       | .linux.resources.devices += [{"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rwm"}]'
  set_sh 'stat -c "%n %F %t:%T %a %u:%g" /dev/fuse /dev/mydev; echo hi > /dev/mydev && echo mydev-write-ok'
  run_ctr "$ID"
  assert_rc 0
  assert_eq "/dev/fuse character special file a:e5 666 0:0" "$(sed -n 1p <<<"$OUT")" "/dev/fuse"
  assert_eq "/dev/mydev character special file 1:3 666 5:6" "$(sed -n 2p <<<"$OUT")" "/dev/mydev"
  assert_contains "$OUT" mydev-write-ok
}

# A mount destination that goes through a symlink pointing outside the rootfs, or that uses
# "..", must be resolved inside the rootfs (or refused): never create or mount on the host.
test_mount_destination_symlink_escape() {
  mkbundle
  mkdir -p "$T/hostdir" "$T/src" "$BUNDLE/rootfs/mnt"
  echo host > "$T/hostdir/host-secret"
  echo inside-marker > "$T/src/marker"
  chmod 0777 "$T/src"
  ln -s "/../../../../../..$T/hostdir" "$BUNDLE/rootfs/mnt/evil"
  add_bind "$T/src" /mnt/evil/sub rbind ro
  add_mount /mnt/evil/tmp tmpfs tmpfs size=1m
  add_mount "/../../../../..$T/dotdot" tmpfs tmpfs size=1m
  set_sh 'cat /mnt/evil/sub/marker; ls -A /mnt/evil | sort | tr "\n" " "; echo'
  run_ctr "$ID"
  if [ "$RC" = 0 ]; then
    assert_eq inside-marker "$(sed -n 1p <<<"$OUT")" "bind mount reached through the symlink, inside the container"
    assert_eq "sub tmp " "$(sed -n 2p <<<"$OUT")" "content of /mnt/evil inside (no host file)"
  else
    echo "# runtime refused the config (also acceptable)"
  fi
  assert_eq "host-secret" "$(ls -A "$T/hostdir" | tr '\n' ' ' | sed 's/ $//')" "host dir content"
  assert_eq host "$(cat "$T/hostdir/host-secret")" "host file"
  assert_not_exists "$T/dotdot"
  assert_eq "" "$(_it_mounts_under "$T/hostdir")" "mounts on the host dir"
  assert_root_empty
}

# A mount destination that is a dangling symlink inside the rootfs is made where the symlink
# points, inside the rootfs, and mounted there (runc's SecureJoin + MkdirAll, crun's
# test_mounts.py mount-symlink-not-existing): a file for a file, directories for a directory.
test_mount_destination_dangling_symlink() {
  mkbundle
  mkdir -p "$T/src" "$BUNDLE/rootfs/etc"
  echo marker > "$T/src/f"
  chmod 0755 "$T/src"
  chmod 0644 "$T/src/f"
  ln -s ../foo/bar/not/here "$BUNDLE/rootfs/etc/not-existing"
  ln -s /srv/missing/dir "$BUNDLE/rootfs/dirlink"
  add_mount /etc/not-existing bind "$T/src/f" bind ro
  add_mount /dirlink bind "$T/src" rbind ro
  set_sh 'cat /foo/bar/not/here /srv/missing/dir/f; grep -c " /foo/bar/not/here " /proc/self/mountinfo'
  run_ctr "$ID"
  assert_rc 0
  assert_eq "marker marker 1" "$(tr '\n' ' ' <<<"$OUT" | sed 's/ $//')" "both mounts where the symlinks point"
  assert_file_exists "$BUNDLE/rootfs/foo/bar/not/here"
  assert_file_exists "$BUNDLE/rootfs/srv/missing/dir"
  assert_not_exists /foo/bar/not/here
  assert_not_exists /srv/missing
}

# With a user namespace, a bind source under a directory only the host's root may search
# (mode 000) is still mounted, a symlink to it too: berth takes the sources with open_tree in
# the host's namespaces (runc 1.1.5 passes them as fds; crun's test_mounts.py
# mount-userns-bind-mount and mount-idmapped-mounts-symlink).
test_userns_bind_source_only_host_root_reaches() {
  mkbundle
  add_namespace user
  cfg '.linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
     | .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
  mkdir -p "$T/locked/m"
  echo inside > "$T/locked/m/f"
  chmod 0755 "$T/locked/m"
  chmod 0644 "$T/locked/m/f"
  ln -s "$T/locked/m" "$T/locked/s"
  mkdir "$BUNDLE/rootfs/foo" "$BUNDLE/rootfs/bar" # the rootfs is not the user namespace's to write
  chmod 0000 "$T/locked"
  at_cleanup "chmod 0755 '$T/locked'"
  add_mount /foo bind "$T/locked/m" bind ro
  add_mount /bar bind "$T/locked/s" rbind ro
  set_sh 'cat /foo/f /bar/f; touch /foo/x 2>/dev/null && echo writable || echo read-only'
  run_ctr "$ID"
  assert_rc 0
  assert_eq "inside inside read-only" "$(tr '\n' ' ' <<<"$OUT" | sed 's/ $//')" "both binds, read-only"
}

# A bind whose source is missing fails before its mount point is made in the bundle's rootfs
# (runc; berth made an empty file there first).
test_bind_missing_source_leaves_rootfs_alone() {
  mkbundle
  add_mount /nothere bind "$T/missing" bind
  set_sh true
  run_ctr "$ID"
  assert_rc 1
  assert_contains "$(cat "$T/err")" "mount $T/missing on /nothere: No such file or directory"
  assert_not_exists "$BUNDLE/rootfs/nothere"
}

# A host mount with flags of its own (a tmpfs remounted with them), for the bind flag tests.
_flagged_source() { # DIR FLAGS
  mkdir -p "$1"
  mount -t tmpfs -o size=1m tmpfs "$1" || fail "mount tmpfs on $1"
  chmod 0777 "$1"
  mount --bind -o "remount,$2" "$1" || fail "remount $1 with $2"
}
# The options of the container's mount at DEST in $OUT (lines of /proc/self/mounts).
_opts_at() { awk -v d="$1" '$2 == d { print $4 }' <<<"$OUT"; }
_add_userns_100000() {
  add_namespace user
  cfg '.linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
     | .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
}

# A bind's options as runc applies them (runc's mounts_sshfs.bats): with none the source's flags
# stay (mount(8)); with any option, set or cleared, the bind is remounted and the flags not
# named are cleared ("bind,dev" of a read-only, noexec source is read-write and exec); the atime
# setting is kept unless an atime option sets one.
test_bind_flags_without_user_namespace() {
  mkbundle
  _flagged_source "$T/src" ro,noexec,nodiratime
  for d in keep clear exec; do mkdir "$BUNDLE/rootfs/$d"; done
  add_mount /keep bind "$T/src" bind
  add_mount /clear bind "$T/src" bind dev
  add_mount /exec bind "$T/src" bind exec suid relatime
  set_sh 'cat /proc/self/mounts'
  run_ctr "$ID"
  assert_rc 0
  assert_match ",$(_opts_at /keep)," ',ro,noexec,nodiratime,' "bind alone keeps the source's flags"
  assert_match ",$(_opts_at /clear)," '^,rw,' "bind,dev: read-write"
  assert_not_contains "$(_opts_at /clear)" noexec "bind,dev: noexec cleared"
  assert_contains "$(_opts_at /clear)" nodiratime "bind,dev: atime kept"
  assert_not_contains "$(_opts_at /exec)" nodiratime "bind,relatime: atime set"
}

# With a user namespace the kernel locks a host mount's ro, nodev, nosuid, noexec and atime
# flags (MNT_LOCK_*): a bind keeps those it does not clear, clearing one is refused in runc's
# words, and the container's root cannot clear them afterwards either (runc; before, berth's
# binds came from a host-side clone without the locks and `mount -o remount,rw` inside worked).
test_bind_flags_locked_in_user_namespace() {
  mkbundle
  _add_userns_100000
  _flagged_source "$T/src" ro,nosuid
  mkdir "$BUNDLE/rootfs/implied"
  add_mount /implied bind "$T/src" bind nodev
  cfg '.process.capabilities.bounding += ["CAP_SYS_ADMIN"] | .process.capabilities.effective += ["CAP_SYS_ADMIN"]
     | .process.capabilities.permitted += ["CAP_SYS_ADMIN"]'
  set_sh 'cat /proc/self/mounts; mount -o remount,bind,rw /implied 2>/dev/null && echo REMOUNTED-RW; touch /implied/x 2>/dev/null && echo WROTE; true'
  run_ctr "$ID"
  assert_rc 0
  assert_match ",$(_opts_at /implied)," ',ro,.*nosuid.*nodev|,ro,.*nodev.*nosuid' "ro and nosuid inherited, nodev set"
  assert_not_contains "$OUT" REMOUNTED-RW "the container's root cleared a locked ro"
  assert_not_contains "$OUT" WROTE
  cfg '.mounts[-1].options = ["bind", "rw"]'
  run_ctr "$ID"
  assert_rc 1 "clearing a locked ro"
  assert_contains "$(cat "$T/err")" 'run failed: unable to start container process: error during container init: error mounting' "runc's frame"
  assert_contains "$(cat "$T/err")" 'operation not permitted'
  cfg '.mounts[-1].options = ["bind", "strictatime"]'
  run_ctr "$ID"
  assert_rc 1 "changing a locked atime setting (relatime to strictatime)"
  assert_contains "$(cat "$T/err")" 'atime setting (relatime) is locked'
}

# The same rules for a source the container's root cannot reach (the bind is then a clone made
# on the host's side, which the kernel does not lock: berth applies the rules itself).
test_bind_flags_locked_unreachable_source() {
  mkbundle
  _add_userns_100000
  mkdir -m 0700 "$T/hidden"
  _flagged_source "$T/hidden/src" ro,noexec
  mkdir "$BUNDLE/rootfs/m"
  add_mount /m bind "$T/hidden/src" bind nosuid
  set_sh 'cat /proc/self/mounts'
  run_ctr "$ID"
  assert_rc 0
  assert_match ",$(_opts_at /m)," ',ro,.*nosuid.*noexec|,ro,.*noexec.*nosuid' "ro and noexec inherited, nosuid set"
  cfg '.mounts[-1].options = ["bind", "exec"]'
  run_ctr "$ID"
  assert_rc 1 "clearing a locked noexec"
  assert_contains "$(cat "$T/err")" "noexec is locked in the container's user namespace: operation not permitted"
}

test_no_pivot() {
  mkbundle
  echo host-only > "$T/host-marker"
  cfg '.hostname = "nopivot"'
  set_sh "hostname; test -x /bin/busybox && echo busybox-ok; test -e '$T/host-marker' && echo HOST-VISIBLE; ls / | wc -l"
  run_ctr "$ID" --no-pivot
  assert_rc 0
  assert_eq nopivot "$(sed -n 1p <<<"$OUT")" hostname
  assert_contains "$OUT" busybox-ok
  assert_not_contains "$OUT" HOST-VISIBLE
  assert_eq "$(ls "$BUNDLE/rootfs" | wc -l)" "$(tail -n1 <<<"$OUT")" "entries in /"
}

# An idmapped bind mount: on-disk id X shows as the hostID mapped to
# containerID X. With 0<->1000 swapped, host uid 1000 appears as 0 inside and a
# file root creates inside lands as 1000 on the host.
test_idmapped_bind_mount() {
  runc_known_diff "runc 1.1 does not support idmapped mounts"
  mkbundle
  mkdir -p "$T/idm"
  touch "$T/idm/owned"
  chown 1000:1000 "$T/idm" "$T/idm/owned"
  cfg --arg src "$T/idm" '.mounts += [{"destination":"/idm","type":"bind","source":$src,"options":["rbind","rw"],
        "uidMappings":[{"containerID":0,"hostID":1000,"size":1},{"containerID":1000,"hostID":0,"size":1}],
        "gidMappings":[{"containerID":0,"hostID":1000,"size":1},{"containerID":1000,"hostID":0,"size":1}]}]'
  set_sh 'stat -c "%u:%g" /idm/owned; touch /idm/made-inside'
  run_ctr "$ID"
  assert_rc 0
  assert_eq "0:0" "$OUT" "owner of a uid-1000 file seen through the idmapped mount"
  assert_eq "1000:1000" "$(stat -c '%u:%g' "$T/idm/made-inside")" "owner on the host of a file created inside"
}
