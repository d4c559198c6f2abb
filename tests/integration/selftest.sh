#!/usr/bin/env bash
# selftest.sh RUNTIME_BINARY: checks the harness itself (run.sh + lib.sh): a test that calls
# a command that does not exist is reported FAIL in every context where `set -e` does not
# stop it (an `if` condition, an `||` list, a function called from a condition, a command
# substitution used as an argument), and also when it then exits 0 or skips; a control
# test still PASSes. Needs root (as run.sh). Exit status 0 if the harness behaves.
set -uo pipefail
[ $# = 1 ] || { echo "usage: $0 RUNTIME_BINARY" >&2; exit 2; }
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
dir=$(mktemp -d /tmp/berth-selftest.XXXXXX)
trap 'rm -rf "$dir"' EXIT
cat > "$dir/test_selftest.sh" <<'TESTS'
test_selftest_control() { assert_eq a a; }
test_selftest_plain() { no_such_command_st; }
test_selftest_in_if() { if no_such_command_st; then :; fi; }
test_selftest_in_or() { no_such_command_st || true; }
test_selftest_in_substitution() { assert_eq x "$(no_such_command_st 2>/dev/null)x"; }
_selftest_helper() { no_such_command_st; return 0; }
test_selftest_function_in_condition() { if _selftest_helper; then :; fi; }
test_selftest_then_skip() { no_such_command_st || skip "skipped after a missing command"; }
TESTS
out=$(IT_TEST_DIR=$dir "$HERE/run.sh" "$1" 2>&1)
echo "$out" | grep -E '^(PASS|FAIL|SKIP) '
bad=0
grep -q '^PASS test_selftest_control ' <<<"$out" || { echo "selftest: the control test did not pass" >&2; bad=1; }
for t in plain in_if in_or in_substitution function_in_condition then_skip; do
  grep -Eq "^FAIL test_selftest_$t .*command not found: no_such_command_st" <<<"$out" \
    || { echo "selftest: test_selftest_$t (a command not found) was not reported FAIL" >&2; bad=1; }
done
[ "$bad" = 0 ] && echo "selftest: PASS (the harness fails tests that hit a missing command)"
# run.sh keeps its logs when tests fail (here they must): remove that run's directory
base=$(sed -n 's/^== logs kept in \(\/tmp\/berth-it[0-9a-f]\{8\}\)\/logs$/\1/p' <<<"$out")
[ -n "$base" ] && rm -rf --one-file-system "$base"
exit "$bad"
