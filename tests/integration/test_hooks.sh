# Hooks: the six kinds, their order, the state on stdin, args/env, timeout, failure.
# shellcheck shell=bash

# A host-side hook script: records its name (arg 1), its argc/args/env and its stdin.
_write_hook() {
  mkdir -p "$T/hk"
  chmod 0777 "$T/hk"
  cat > "$T/hook.sh" <<EOF
#!/bin/sh
name=\$1
cat > "$T/hk/\$name.json"
printf '%s|%s|%s\n' "\$#" "\$*" "\${HOOKENV-unset}" > "$T/hk/\$name.args"
echo "\$name" >> "$T/hk/order"
EOF
  chmod 0755 "$T/hook.sh"
}

# All six kinds; startContainer runs inside the container, so its binary is the rootfs' sh
# and it writes through a bind mount of $T/hk.
_config_all_hooks() {
  _write_hook
  add_bind "$T/hk" /hk
  cfg --arg h "$T/hook.sh" '.hooks = {
    "prestart":        [{"path": $h, "args": ["hook.sh", "prestart", "a b"], "env": ["HOOKENV=x1"]}],
    "createRuntime":   [{"path": $h, "args": ["hook.sh", "createRuntime"]}],
    "createContainer": [{"path": $h, "args": ["hook.sh", "createContainer"]}],
    "startContainer":  [{"path": "/bin/sh", "args": ["sh", "-c",
                          "cat > /hk/startContainer.json; echo startContainer >> /hk/order"]}],
    "poststart":       [{"path": $h, "args": ["hook.sh", "poststart"]}],
    "poststop":        [{"path": $h, "args": ["hook.sh", "poststop"]}]}'
}

_hook_field() { jq -r ".$2 // \"none\"" "$T/hk/$1.json"; }

# A hook without "env" inherits the runtime's environment (runc: Go's nil Cmd.Env; crun's
# test_hooks.py test-hook-env-inherit); "env": [] is an empty environment.
test_hooks_env_inherited_when_absent() {
  mkbundle
  _write_hook
  cfg --arg h "$T/hook.sh" '.hooks = {"prestart": [
    {"path": $h, "args": ["hook.sh", "inherit"]},
    {"path": $h, "args": ["hook.sh", "given"], "env": []}]}'
  set_args true
  export HOOKENV=from-caller
  run_ctr "$ID"
  assert_rc 0
  assert_eq "1|inherit|from-caller" "$(cat "$T/hk/inherit.args")" "hook without env"
  assert_eq "1|given|unset" "$(cat "$T/hk/given.args")" "hook with an empty env"
}

test_hooks_order_and_state() {
  mkbundle
  _config_all_hooks
  set_args true
  run_ctr "$ID"
  assert_rc 0
  local order
  order=$(tr '\n' ' ' < "$T/hk/order")
  echo "order: $order"
  # poststart may run concurrently with startContainer (runc); everything else is ordered
  assert_eq "prestart createRuntime createContainer startContainer poststop " \
    "$(grep -vx poststart "$T/hk/order" | tr '\n' ' ')" "hook order"
  grep -qx poststart "$T/hk/order" || fail "poststart hook did not run"
  assert_eq "poststop" "$(tail -n1 "$T/hk/order")" "last hook"
  [ "$(grep -nx poststart "$T/hk/order" | cut -d: -f1)" -gt 3 ] || fail "poststart ran before createContainer"
  local h bundle pid
  bundle=$(readlink -f "$BUNDLE")
  for h in prestart createRuntime createContainer startContainer poststart poststop; do
    echo "$h: $(cat "$T/hk/$h.json")"
    assert_eq "$ID" "$(_hook_field "$h" id)" "$h state id"
    assert_eq "$bundle" "$(_hook_field "$h" bundle)" "$h state bundle"
    assert_match "$(_hook_field "$h" ociVersion)" '^1\.' "$h state ociVersion"
  done
  assert_eq creating "$(_hook_field prestart status)" "prestart status"
  assert_eq creating "$(_hook_field createRuntime status)" "createRuntime status"
  assert_eq creating "$(_hook_field createContainer status)" "createContainer status"
  assert_eq created "$(_hook_field startContainer status)" "startContainer status"
  assert_match "$(_hook_field poststart status)" '^(created|running)$' "poststart status"
  assert_eq stopped "$(_hook_field poststop status)" "poststop status"
  pid=$(_hook_field prestart pid)
  [ "$pid" -gt 1 ] 2>/dev/null || fail "prestart pid [$pid] is not a host pid"
  assert_eq "$pid" "$(_hook_field createRuntime pid)" "createRuntime pid"
  assert_eq "$pid" "$(_hook_field poststart pid)" "poststart pid"
  # runc gives the pid as seen in the container (1) to createContainer/startContainer
  assert_match "$(_hook_field createContainer pid)" "^(1|$pid)$" "createContainer pid"
  assert_match "$(_hook_field startContainer pid)" "^(1|$pid)$" "startContainer pid"
}

test_hooks_args_and_env() {
  mkbundle
  _config_all_hooks
  set_args true
  run_ctr "$ID"
  assert_rc 0
  # args[0] is argv[0]; "a b" stays one argument; env is the configured one
  assert_eq "2|prestart a b|x1" "$(cat "$T/hk/prestart.args")" "prestart argc|args|HOOKENV"
  assert_eq "1|createRuntime" "$(cut -d'|' -f1,2 "$T/hk/createRuntime.args")" "createRuntime argc|args"
}

# create / start / delete: pids in the hooks are those `state` reports; poststop runs at delete.
test_hooks_create_start_delete() {
  mkbundle
  _config_all_hooks
  set_args sleep 100
  create_ctr "$ID"
  local pid
  pid=$(container_pid "$ID")
  # (runc 1.1 also runs poststart during create: see test_hooks_poststart_not_run_by_create)
  assert_eq "prestart createRuntime createContainer " "$(grep -vx poststart "$T/hk/order" | tr '\n' ' ')" "hooks run by create"
  assert_eq "$pid" "$(_hook_field prestart pid)" "prestart pid = state pid"
  assert_eq "$pid" "$(_hook_field createRuntime pid)" "createRuntime pid = state pid"
  start_ctr "$ID"
  wait_for_file "$T/hk/poststart.json"
  wait_for_file "$T/hk/startContainer.json"
  assert_not_exists "$T/hk/poststop.json"
  rt kill "$ID" KILL
  wait_for_status "$ID" stopped
  assert_not_exists "$T/hk/poststop.json"
  rt delete "$ID"
  assert_file_exists "$T/hk/poststop.json"
  assert_eq stopped "$(_hook_field poststop status)" "poststop status"
}

test_hooks_poststart_after_startcontainer() {
  runc_known_diff "runc 1.1 runs poststart hooks at create time, so before startContainer"
  mkbundle
  _config_all_hooks
  set_args true
  run_ctr "$ID"
  assert_rc 0
  assert_eq "prestart createRuntime createContainer startContainer poststart poststop " \
    "$(tr '\n' ' ' < "$T/hk/order")" "hook order"
  assert_eq running "$(_hook_field poststart status)" "poststart status"
}

test_hooks_poststart_not_run_by_create() {
  runc_known_diff "runc 1.1 runs poststart hooks during create, before start (fixed in runc 1.2)"
  mkbundle
  _config_all_hooks
  set_args sleep 100
  create_ctr "$ID"
  sleep 0.3
  assert_eq "prestart createRuntime createContainer " "$(tr '\n' ' ' < "$T/hk/order")" "hooks run by create"
  start_ctr "$ID"
  wait_for_file "$T/hk/poststart.json"
  assert_eq running "$(_hook_field poststart status)" "poststart status"
}

test_hook_timeout() {
  mkbundle
  set_args true
  cfg '.hooks.createRuntime = [{"path": "/bin/sleep", "args": ["sleep", "5"], "timeout": 1}]'
  local t0 t1
  t0=$(date +%s%N)
  RC=0; create_ctr "$ID" || true
  t1=$(date +%s%N)
  assert_rc_nonzero "create with a hook past its timeout"
  [ $(((t1 - t0) / 1000000)) -lt 4500 ] || fail "create took $(((t1 - t0) / 1000000))ms: timeout not enforced"
  assert_no_container "$ID"
  assert_root_empty
}

test_hook_failure_aborts_create() {
  mkbundle
  set_args true
  _write_hook
  cfg --arg h "$T/hook.sh" '.hooks.createRuntime = [{"path": "/bin/false", "args": ["false"]}]
    | .hooks.poststop = [{"path": $h, "args": ["hook.sh", "poststop"]}]'
  RC=0; create_ctr "$ID" || true
  assert_rc_nonzero "create with a failing createRuntime hook"
  assert_no_container "$ID"
  assert_root_empty
  assert_eq "" "$(find /sys/fs/cgroup -maxdepth 8 -type d -name "$ID" 2>/dev/null)" "cgroup dirs left"
}
