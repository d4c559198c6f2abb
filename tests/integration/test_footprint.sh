# What a created-but-not-started container costs while its init waits on the
# exec fifo: the init gives back the code pages its set-up faulted in
# (linux/footprint.cpp), unless the seccomp filter would not let madvise return.
# shellcheck shell=bash

# Resident KiB of the runtime binary's code mapping in process PID. The mapping is named
# as the process's /proc/PID/exe is (berth runs from a sealed view of its binary, or a
# memfd copy such as "/memfd:berth (deleted)", not from the path it was started as): the
# whole name after the fifth field is compared, and no matching mapping is an error, not 0.
_code_rss_kb() {
  local exe out
  exe=$(readlink "/proc/$1/exe") || fail "readlink /proc/$1/exe"
  [ -n "$exe" ] || fail "/proc/$1/exe has no name"
  out=$(awk -v exe="$exe" '
    /^[0-9a-f]+-[0-9a-f]+ / {
      # five fields off, one by one (mawk, the default awk, has no {n} repetition)
      name = $0; for (i = 0; i < 5; i++) sub(/^[^ ]+ +/, "", name)
      on = ($2 ~ /x/ && name == exe); if (on) n++
    }
    on && /^Rss:/ {kb += $2}
    END {print n + 0, kb + 0}' "/proc/$1/smaps")
  [ "${out%% *}" -gt 0 ] || fail "no executable mapping named [$exe] in /proc/$1/smaps"
  echo "${out#* }"
}

test_waiting_init_sheds_code_pages() {
  berth_only "the page release is berth's own start-up design"
  mkbundle
  set_args true
  create_ctr "$ID" || fail "create failed"
  local pid kb
  pid=$(container_pid "$ID")
  kb=$(_code_rss_kb "$pid")
  echo "# init $pid: $kb KiB of berth's code resident"
  # Without the release the set-up leaves ~850 KiB of code resident (-Os build); after it ~250.
  [ "$kb" -le 448 ] || fail "waiting init keeps $kb KiB of code resident (expected <= 448)"
  start_ctr "$ID"
  assert_rc 0 "start after the release (the code pages fault back in)"
  rt delete --force "$ID"
}

test_madvise_killed_by_seccomp_init_still_starts() {
  mkbundle
  # madvise kills the process: the init must not call it once the filter is loaded.
  cfg '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [{"names": ["madvise"], "action": "SCMP_ACT_KILL_PROCESS"}]}'
  cfg '.process.noNewPrivileges = true'
  set_args echo started
  run_ctr "$ID"
  assert_rc 0 "run with madvise forbidden"
  assert_eq started "$OUT"
  if is_berth; then
    cfg '.process.args = ["sleep", "30"]'
    create_ctr "$ID" || fail "create failed"
    local kb
    kb=$(_code_rss_kb "$(container_pid "$ID")")
    echo "# with madvise forbidden the init keeps $kb KiB of code resident"
    [ "$kb" -gt 448 ] || fail "the init shed its pages although madvise kills it ($kb KiB)"
    rt delete --force "$ID"
  fi
}
