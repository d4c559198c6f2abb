# runtime-spec fields applied to the container process and read back from it:
# process.scheduler, process.ioPriority, linux.personality (issue #17: no field
# is parsed and ignored). runc 1.1.5 has none of them: the effect is checked
# against the kernel's own view (/proc/PID/stat, /proc/PID/sched, ionice, uname).
# shellcheck shell=bash

needs_fields() { is_runc && skip "runc 1.1.5 does not implement $1" || true; }

# A real-time policy in a non-root cgroup needs RT group runtime (CONFIG_RT_GROUP_SCHED):
# when the host gives the container's cgroup none, the kernel says EPERM and berth
# must say so clearly; the effect cannot be read back here then.
skip_if_no_rt_runtime() {
  if [ "$RC" != 0 ] && grep -q "sched_setattr SCHED_\(FIFO\|RR\): Operation not permitted (a real-time policy needs" "$T/err"; then
    skip "the host gives the container's cgroup no real-time runtime (EPERM, reported clearly)"
  fi
}

# policy (stat field 41), rt_priority (40), nice (19) of the process itself.
STAT_SH='set -- $(cat /proc/self/stat); shift 18; n=$1; shift 21; echo "nice=$n rt=$1 policy=$2"'

test_scheduler_fifo() {
  needs_fields process.scheduler
  mkbundle
  cfg '.process.scheduler = {"policy": "SCHED_FIFO", "priority": 7}'
  set_sh "$STAT_SH"
  run_ctr "$ID"
  skip_if_no_rt_runtime
  assert_rc 0
  assert_eq "nice=0 rt=7 policy=1" "$OUT" "SCHED_FIFO priority 7"
}

test_scheduler_batch_nice_reset_on_fork() {
  needs_fields process.scheduler
  mkbundle
  cfg '.process.scheduler = {"policy": "SCHED_BATCH", "nice": 5}'
  set_sh "$STAT_SH"
  run_ctr "$ID"
  assert_rc 0
  assert_eq "nice=5 rt=0 policy=3" "$OUT" "SCHED_BATCH nice 5"
  # RESET_ON_FORK: the shell runs RR, its child (cat) is back to SCHED_OTHER.
  cfg '.process.scheduler = {"policy": "SCHED_RR", "priority": 3, "flags": ["SCHED_FLAG_RESET_ON_FORK"]}'
  set_sh 'read -r s </proc/self/stat; set -- $s; shift 39; echo "sh rt=$1 policy=$2"; '"$STAT_SH"
  run_ctr "$ID"
  skip_if_no_rt_runtime
  assert_rc 0
  assert_eq "sh rt=3 policy=2
nice=0 rt=0 policy=0" "$OUT" "SCHED_RR with RESET_ON_FORK"
}

test_scheduler_deadline() {
  needs_fields process.scheduler
  mkbundle
  cfg '.process.scheduler = {"policy": "SCHED_DEADLINE", "runtime": 1000000, "deadline": 10000000, "period": 20000000}'
  # A deadline task may not fork: read from the host with chrt(1).
  set_args sleep 60
  run_detached "$ID"
  local pid
  pid=$(container_pid "$ID")
  local got
  got=$(chrt -p "$pid")
  echo "$got"
  assert_contains "$got" "SCHED_DEADLINE" "policy"
  assert_contains "$got" "1000000/10000000/20000000" "runtime/deadline/period"
}

test_scheduler_invalid_before_create() {
  berth_only "path-precise validation"
  mkbundle
  cfg '.process.scheduler = {"policy": "SCHED_DEADLINE", "runtime": 2000000, "deadline": 1000000}'
  run_ctr "$ID"
  assert_rc 1
  assert_contains "$(cat "$T/err")" "process.scheduler.runtime: must not exceed deadline (2000000 > 1000000)"
  [ -z "$(ls -A "$ROOT" 2>/dev/null)" ] || fail "a refused config left state behind: $(ls -A "$ROOT")"
}

test_scheduler_exec() {
  needs_fields process.scheduler
  mkbundle
  set_args sleep 60
  run_detached "$ID"
  cat >"$T/proc.json" <<'JSON'
{"args": ["sh", "-c", "set -- $(cat /proc/self/stat); shift 18; n=$1; shift 21; echo nice=$n policy=$2; ionice -p $$"],
 "cwd": "/", "env": ["PATH=/bin"], "user": {"uid": 0, "gid": 0},
 "scheduler": {"policy": "SCHED_BATCH", "nice": 3},
 "ioPriority": {"class": "IOPRIO_CLASS_BE", "priority": 6}}
JSON
  RC=0
  rt exec --process "$T/proc.json" "$ID" >"$T/out" 2>"$T/err" || RC=$?
  cat "$T/out" "$T/err"
  assert_rc 0
  assert_eq "nice=3 policy=3
best-effort: prio 6" "$(cat "$T/out")" "exec: scheduler and ioPriority"
}

test_io_priority() {
  needs_fields process.ioPriority
  mkbundle
  set_sh 'ionice -p $$'
  cfg '.process.ioPriority = {"class": "IOPRIO_CLASS_BE", "priority": 2}'
  run_ctr "$ID"
  assert_rc 0
  assert_eq "best-effort: prio 2" "$OUT" "IOPRIO_CLASS_BE 2"
  cfg '.process.ioPriority = {"class": "IOPRIO_CLASS_RT", "priority": 0}'
  run_ctr "$ID"
  assert_rc 0
  assert_eq "realtime: prio 0" "$OUT" "IOPRIO_CLASS_RT 0"
  cfg '.process.ioPriority = {"class": "IOPRIO_CLASS_IDLE"}'
  run_ctr "$ID"
  assert_rc 0
  assert_eq "idle" "$(cut -d: -f1 <<<"$OUT")" "IOPRIO_CLASS_IDLE"
}

test_personality() {
  needs_fields linux.personality
  mkbundle
  set_sh 'uname -m; grep -c . /proc/self/personality 2>/dev/null; cat /proc/self/personality'
  cfg '.linux.personality = {"domain": "LINUX32"}'
  run_ctr "$ID"
  assert_rc 0
  assert_eq i686 "$(head -n1 <<<"$OUT")" "uname -m with LINUX32"
  cfg '.linux.personality = {"domain": "LINUX", "flags": ["ADDR_NO_RANDOMIZE"]}'
  run_ctr "$ID"
  assert_rc 0
  assert_eq "$(uname -m)" "$(head -n1 <<<"$OUT")" "uname -m with LINUX"
  assert_eq 00040000 "$(tail -n1 <<<"$OUT")" "/proc/self/personality with ADDR_NO_RANDOMIZE"
}

test_exec_cpu_affinity() {
  needs_fields process.execCPUAffinity
  [ "$(nproc)" -ge 2 ] || skip "needs 2 CPUs"
  mkbundle
  cfg '.process.execCPUAffinity = {"initial": "0", "final": "1"}'
  set_sh 'grep Cpus_allowed_list /proc/self/status'
  run_ctr "$ID"
  assert_rc 0
  assert_eq "Cpus_allowed_list:	1" "$OUT" "init: final affinity"
  cfg '.process.args = ["sleep", "60"] | .process.execCPUAffinity = {"final": "0"}'
  run_detached "$ID-b"
  cat >"$T/proc.json" <<'JSON'
{"args": ["grep", "Cpus_allowed_list", "/proc/self/status"], "cwd": "/", "env": ["PATH=/bin"],
 "user": {"uid": 0, "gid": 0}, "execCPUAffinity": {"initial": "0", "final": "1"}}
JSON
  RC=0
  rt exec --process "$T/proc.json" "$ID-b" >"$T/out" 2>"$T/err" || RC=$?
  cat "$T/out" "$T/err"
  assert_rc 0
  assert_eq "Cpus_allowed_list:	1" "$(cat "$T/out")" "exec: final affinity"
  berth_only "path-precise validation"
  cfg '.process.execCPUAffinity = {"final": "1-0"}'
  run_ctr "$ID"
  assert_rc 1
  assert_contains "$(cat "$T/err")" 'process.execCPUAffinity.final: invalid CPU list \"1-0\": range 1-0 is reversed'
}
