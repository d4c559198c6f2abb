#!/bin/bash
# `make peer-suites`: the peers' own test suites (runc's bats integration tests, crun's python
# tests, from Debian's source packages) run against runc, crun and berth side by side. Each
# suite script writes one TAP file per runtime; this prints the pass/fail/skip table that
# docs/peer-suites.md quotes. Long (tens of minutes): not part of `make test`.
#
# usage: tests/peers/run.sh BERTH_BINARY [SUITE...]     SUITE: runc-bats crun-python
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
berth=$(readlink -f "${1:?usage: run.sh BERTH_BINARY [SUITE...]}")
shift
suites=("$@")
[ ${#suites[@]} -gt 0 ] || suites=(runc-bats crun-python)

# berth keeps binary views and a filter cache in /run/berth whatever --root the suites give it:
# what the runs add there is taken away at the end, as after the project's own tests.
# shellcheck source=../run_root_guard.sh
. "$here/../run_root_guard.sh"
run_root_snapshot

# shellcheck source=criu_files.sh
. "$here/criu_files.sh"
criu_files_snapshot
trap 'criu_files_restore; run_root_restore' EXIT

cache=${PEERS_CACHE:-$(dirname "$berth")/peers}
out=${PEERS_OUT:-$cache/results}
mkdir -p "$out"
eval "$("$here/fetch_sources.sh" "$cache")" || exit 1

runtimes=("runc=$(command -v runc)" "crun=$(command -v crun)" "berth=$berth")

# shellcheck source=cgroup_top.sh
. "$here/cgroup_top.sh"

count() { # TAP file -> "pass fail skip"
	local tap=$1
	local skip pass fail
	skip=$(grep -cE '^ok [0-9]+ .*# ?(skip|SKIP)' "$tap")
	pass=$(($(grep -cE '^ok [0-9]+' "$tap") - skip))
	fail=$(grep -cE '^not ok [0-9]+' "$tap")
	echo "$pass $fail $skip"
}

summary=$out/summary.md
{
	echo "| suite | runtime | pass | fail | skip |"
	echo "| --- | --- | --- | --- | --- |"
} >"$summary"
for suite in "${suites[@]}"; do
	script=$here/${suite//-/_}.sh
	[ -x "$script" ] || { echo "peer-suites: no script for suite $suite ($script)" >&2; exit 1; }
	for rt in "${runtimes[@]}"; do
		name=${rt%%=*} bin=${rt#*=}
		[ -n "$bin" ] || { echo "peer-suites: $name not installed" >&2; continue; }
		tap=$out/$suite.$name.tap
		echo "== $suite against $name ($bin)" >&2
		before=$(cgroup_top)
		"$script" "$cache" "$name" "$bin" "$tap" || true
		remove_new_cgroup_dirs "$before"
		[ -s "$tap" ] || { echo "peer-suites: $suite against $name wrote no results" >&2; continue; }
		read -r pass fail skip < <(count "$tap")
		echo "| $suite | $name | $pass | $fail | $skip |" >>"$summary"
	done
done
cat "$summary"
