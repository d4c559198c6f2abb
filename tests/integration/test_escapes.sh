# Container escapes found by an independent probe (issue #11), each reproduced as an attack.
# Every attack that could damage the runtime binary runs against a private copy of it in $T,
# never the build output, so a failing test cannot corrupt the build.
# shellcheck shell=bash

# ------------------------------------------------------------ CVE-2019-5736 (findings 1, 2)
# _cve_setup: a private copy of the runtime as RUNTIME (so `rt` runs the copy), its sha256 in
# HASH0, and a bundle with the attack planted (cve5736_plant, lib.sh); /shared is bound from
# $T/shared for the attacker's report.
_cve_setup() {
  mkdir -p "$T/rtbin"
  cp "$RUNTIME" "$T/rtbin/$RUNTIME_NAME"
  RUNTIME=$T/rtbin/$RUNTIME_NAME
  HASH0=$(sha256sum < "$RUNTIME")
  mkbundle --copy
  cve5736_plant "$RUNTIME" "$BUNDLE/rootfs"
  mkdir -p "$T/shared"
  chmod 0777 "$T/shared"
  add_bind "$T/shared" /shared
}

# _cve_verdict: the attack must have run (the attacker reports) and failed to write, and not
# only because the binary was busy (ETXTBSY lasts only while a runtime process runs it); the
# runtime copy's sha256 is unchanged.
_cve_verdict() {
  cve5736_verdict "$T/shared/result" "$RUNTIME" "$HASH0"
}
# Finding 2: no exec needed: the container's own process is the script (run --detach).
test_cve_2019_5736_run_detached() {
  _cve_setup
  set_args /entry
  run_detached "$ID"
  _cve_verdict
}

# The same through create + start.
test_cve_2019_5736_create_start() {
  _cve_setup
  set_args /entry
  create_ctr "$ID"
  start_ctr "$ID"
  _cve_verdict
}

# Foreground run with a terminal (the runtime relays its own pty).
test_cve_2019_5736_run_terminal() {
  command -v script >/dev/null || skip "script(1) not available to provide a terminal"
  _cve_setup
  set_args /entry
  cfg '.process.terminal = true'
  RC=0
  timeout -k 2 20 script -qec "$(printf '%q ' "$RUNTIME" --root "$ROOT" run --bundle "$BUNDLE" "$ID")" \
    /dev/null </dev/null >"$T/out" 2>"$T/err" || RC=$?
  cat "$T/out" "$T/err"
  _cve_verdict
}

# Finding 1, loader variant: `exec` of the script into a running container.
test_cve_2019_5736_exec() {
  _cve_setup
  set_args sleep 30
  run_detached "$ID"
  RC=0
  rt exec "$ID" /entry </dev/null >"$T/exec.out" 2>"$T/exec.err" || RC=$?
  cat "$T/exec.err"
  _cve_verdict
}

# exec with a terminal (foreground relay).
test_cve_2019_5736_exec_terminal() {
  command -v script >/dev/null || skip "script(1) not available to provide a terminal"
  _cve_setup
  set_args sleep 30
  run_detached "$ID"
  RC=0
  timeout -k 2 20 script -qec "$(printf '%q ' "$RUNTIME" --root "$ROOT" exec -t "$ID" /entry)" \
    /dev/null </dev/null >"$T/out" 2>"$T/err" || RC=$?
  cat "$T/out" "$T/err"
  _cve_verdict
}

# Finding 1 as reported: the container replaces /bin/sh with `#!/proc/self/exe` and watches
# for new processes, opening /proc/<pid>/exe of each, killing it, then writing through the fd.
# The host runs `exec ID sh -c true` (a few times: the watcher must catch one).
test_cve_2019_5736_exec_proc_pid_exe() {
  _cve_setup
  rootfs_rw
  # the real loader and libraries back (the runtime runs in there until it fails on its
  # arguments): only the watcher attacks here
  set_args sh -c 'cp /bin/busybox /busybox && rm /bin/sh && printf "#!/proc/self/exe\n" > /bin/sh && chmod 755 /bin/sh && touch /shared/armed && /evil-watch 20; sleep 30'
  rm -f "$BUNDLE/rootfs$CVE_INTERP"
  local f
  for f in $(ldd "$RUNTIME" | grep -o '/[^ ]*'); do cp -L --parents "$f" "$BUNDLE/rootfs/"; done
  run_detached "$ID"
  wait_for_file "$T/shared/armed" 10
  local i
  for ((i = 0; i < 15; i++)); do
    rt exec "$ID" sh -c true </dev/null >/dev/null 2>&1 || true
    grep -q '^write=' "$T/shared/result" 2>/dev/null && break
  done
  _cve_verdict
}
