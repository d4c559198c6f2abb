# Security: the runtime binary cannot be overwritten from inside a container
# (CVE-2019-5736 class).
# shellcheck shell=bash

# copy a host binary and its shared libraries into a rootfs (same paths)
_copy_host_binary() { # BINARY ROOTFS
  local f
  cp -L --parents "$1" "$2/"
  for f in $(ldd "$1" | grep -o '/[^ ]*'); do
    cp -L --parents "$f" "$2/"
  done
}

# While the container is "created" its pid 1 is the runtime's init. A process that joins the
# container (pid + mount namespace, uid 0 with only the container's capabilities) tries to
# write the runtime binary through /proc/1/exe, directly and through a fd it opened before
# `start` (the CVE-2019-5736 sequence). The test runs a private copy of the runtime binary so
# that a vulnerable runtime only damages the copy; the copy's sha256 must not change.
test_runtime_binary_not_writable_from_container() {
  command -v setpriv >/dev/null || skip "setpriv (util-linux) not installed"
  mkdir -p "$T/rtbin"
  local rtc=$T/rtbin/$(basename "$RUNTIME")
  cp "$RUNTIME" "$rtc"
  drop_exe_view_at_cleanup "$rtc"
  local hash0 hash1
  hash0=$(sha256sum < "$rtc")
  mkbundle
  _copy_host_binary "$(command -v setpriv)" "$BUNDLE/rootfs"
  add_bind "$T/shared" /shared
  # the container process waits for the attacker to finish (bounded), so the pid ns lives on
  set_sh 'i=0; while [ ! -e /shared/done ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done'
  local caps
  caps=$(jq -r '[.process.capabilities.bounding // [] | .[] | ascii_downcase | sub("^cap_"; "")] | map("+" + .) | join(",")' "$BUNDLE/config.json")
  echo "attacker bounding set: -all${caps:+,$caps}"

  RC=0
  "$rtc" --root "$ROOT" create --bundle "$BUNDLE" "$ID" </dev/null >"$T/create.out" 2>"$T/create.err" || RC=$?
  cat "$T/create.err"
  assert_rc 0 "create"
  local pid
  pid=$(container_pid "$ID")
  echo "init exe: $(readlink "/proc/$pid/exe" || true)"

  cat > "$T/shared/attack.sh" <<'EOF'
if (exec 5</proc/1/exe) 2>/dev/null; then
  exec 5</proc/1/exe
  echo open=ok
else
  echo open=fail
fi
if cat /proc/1/exe > /dev/null 2>&1; then echo read=ok; else echo read=fail; fi
if (echo x >> /proc/1/exe) 2>/dev/null; then echo write=ok; else echo write=fail; fi
touch /shared/ready
i=0; while [ ! -e /shared/go ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done
if [ -e /proc/self/fd/5 ]; then
  if (echo x >> /proc/self/fd/5) 2>/dev/null; then echo held-write=ok; else echo held-write=fail; fi
fi
touch /shared/done
EOF
  nsenter -t "$pid" -p -m -r -w \
    /usr/bin/setpriv --bounding-set="-all${caps:+,$caps}" --inh-caps=-all --ambient-caps=-all \
    /bin/sh /shared/attack.sh > "$T/attack.out" 2>&1 &
  local apid=$!
  track_pid "$apid"
  wait_for_file "$T/shared/ready"
  RC=0
  "$rtc" --root "$ROOT" start "$ID" </dev/null >"$T/start.out" 2>"$T/err" || RC=$?
  assert_rc 0 "start"
  touch "$T/shared/go"
  wait_bg "$apid"
  cat "$T/attack.out"
  hash1=$(sha256sum < "$rtc")
  assert_eq "$hash0" "$hash1" "sha256 of the runtime binary after the attack"
  assert_contains "$(cat "$T/attack.out")" "write=fail" "direct write to /proc/1/exe"
  assert_not_contains "$(cat "$T/attack.out")" "held-write=ok" "write through a fd opened before start"
  assert_not_contains "$(cat "$T/attack.out")" "write=ok" "attack output"
  wait_for_status "$ID" stopped
  "$rtc" --root "$ROOT" delete "$ID"
}
