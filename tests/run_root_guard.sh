#!/bin/bash
# What a test or benchmark run adds to berth's default state root /run/berth is taken away at
# its end: berth (as root) keeps a read-only view of each binary it runs from under
# /run/berth/.exe (src/linux/exe_view.cpp) and a compiled-filter cache in .seccomp-cache, both
# meant to outlive one command. A container state directory left there is a leak and reported.
#
# Sourced:   run_root_snapshot            (before the run)
#            run_root_restore || leaked   (after; prints "LEAK ..." lines, returns 1 on a leak)
# Or as a wrapper: tests/run_root_guard.sh COMMAND [ARG...]  (exit status of COMMAND, or 1 on
# a leak when COMMAND succeeded).

RUN_ROOT_GUARD_DIR=${RUN_ROOT_GUARD_DIR:-/run/berth}

run_root_snapshot() {
  _rrg_taken=1
  _rrg_entries=$(ls -A "$RUN_ROOT_GUARD_DIR" 2>/dev/null | tr '\n' ' ')
  if [ -d "$RUN_ROOT_GUARD_DIR" ]; then _rrg_existed=1; else _rrg_existed=0; fi
  _rrg_views=$(grep -F " $RUN_ROOT_GUARD_DIR/.exe/" /proc/self/mountinfo | awk '{print $5}' | tr '\n' ' ')
}

run_root_restore() {
  local m e rc=0
  [ -n "${_rrg_taken:-}" ] || return 0   # nothing to compare with: touch nothing
  for m in $(grep -F " $RUN_ROOT_GUARD_DIR/.exe/" /proc/self/mountinfo | awk '{print $5}'); do
    case " $_rrg_views " in *" $m "*) continue ;; esac
    umount "$m" 2>/dev/null && rmdir "$m" 2>/dev/null
  done
  for e in $(ls -A "$RUN_ROOT_GUARD_DIR" 2>/dev/null); do
    case " $_rrg_entries " in *" $e "*) continue ;; esac
    case "$e" in
      .exe | .seccomp-cache) rm -rf --one-file-system "${RUN_ROOT_GUARD_DIR:?}/$e" 2>/dev/null || true ;;
      *) echo "LEAK state dir in the default root: $RUN_ROOT_GUARD_DIR/$e"; rc=1 ;;
    esac
  done
  [ "$_rrg_existed" = 1 ] || rmdir "$RUN_ROOT_GUARD_DIR" 2>/dev/null || true
  return $rc
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  [ $# -gt 0 ] || { echo "usage: $0 COMMAND [ARG...]" >&2; exit 2; }
  run_root_snapshot
  "$@"
  status=$?
  run_root_restore || { [ "$status" = 0 ] && status=1; }
  exit "$status"
fi
