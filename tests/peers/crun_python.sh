#!/bin/bash
# crun's own python tests (tests/test_*.py of Debian's crun source package, unpacked by
# fetch_sources.sh; nothing of crun's is committed here) run against one runtime. The suite's
# harness is provided as crun's tests/Makefile.tests and run_all_tests.sh would: OCI_RUNTIME is
# the runtime, INIT a static build of the source's tests/init.c (built into the cache dir).
# Debian 12 has no python3-libmount, which test_mounts.py imports: crun_python_shim/libmount.py
# stands in for it (its mountinfo look-up only). Every file's TAP goes into one TAP file,
# numbered consecutively, each test named "test_FILE.py: NAME". A file that dies before reporting all of its plan gets "not ok" lines
# for the missing tests. The runtimes' and tests' stderr go to TAP_OUT's .log.
#
# Everything a run makes is removed: the tests run in a private temp dir (they make
# .testsuite-run-PID under the cwd, and TMPDIR points inside it too), in a cgroup2 of their
# own (a hung or left-behind process is killed), and crun_python_harness.py deletes the
# containers, their cgroups and mounts under the temp dir after every test.
#
# usage: crun_python.sh CACHE RUNTIME_NAME RUNTIME_BINARY TAP_OUT
# environment: PEERS_TEST_TIMEOUT (seconds per test, 120), RUN_TESTS (crun's: only these
#              test names), CRUN_TEST_FILES (only these files, e.g. "test_start.py test_exec.py")
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=$(readlink -f "${1:?usage: crun_python.sh CACHE RUNTIME_NAME RUNTIME_BINARY TAP_OUT}")
name=${2:?runtime name}
runtime=$(readlink -f "${3:?runtime binary}")
tap=${4:?TAP output file}
mkdir -p "$(dirname "$tap")"
tap=$(readlink -f "$tap")
log=${tap%.tap}.log

src=$cache/crun/tests
[ -f "$src/tests_utils.py" ] || { echo "crun_python: no crun tests in $src (fetch_sources.sh)" >&2; exit 1; }
[ -x "$runtime" ] || { echo "crun_python: $runtime is not executable" >&2; exit 1; }
python=/usr/bin/python3 # Debian's, whatever python3 comes first in PATH
[ -x "$python" ] || { echo "crun_python: $python missing" >&2; exit 1; }

# The suite's init: a static binary of crun's tests/init.c, as its Makefile.am builds it
# (config.h only has to exist; error.h and seccomp.h are there on Debian).
init_dir=$cache/crun-init
init=$init_dir/init
if [ ! -x "$init" ] || [ "$src/init.c" -nt "$init" ]; then
	mkdir -p "$init_dir"
	: >"$init_dir/config.h"
	gcc -static -O2 -DHAVE_ERROR_H -DHAVE_SECCOMP -I"$init_dir" -o "$init.tmp" "$src/init.c" ||
		{ echo "crun_python: building $src/init.c failed (gcc, libc6-dev, libseccomp-dev)" >&2; exit 1; }
	mv "$init.tmp" "$init"
fi

work=$(mktemp -d /tmp/berth-crun-python.XXXXXX)
chmod 755 "$work" # the tests' non-root container users resolve paths under it
# some tests run ./tests/init check-feature ... from the cwd, crun's build dir in crun's tree
mkdir -p "$work/tests" && ln -s "$init" "$work/tests/init"
cgroup=
for top in /sys/fs/cgroup/unified /sys/fs/cgroup; do
	if [ "$(stat -f -c %T "$top" 2>/dev/null)" = cgroup2fs ]; then
		cgroup=$top/berth-crun-python.${work##*.}
		mkdir "$cgroup" || cgroup=
		break
	fi
done

cleanup() {
	if [ -n "$cgroup" ] && [ -d "$cgroup" ]; then
		if [ -e "$cgroup/cgroup.kill" ]; then
			echo 1 >"$cgroup/cgroup.kill" 2>/dev/null
		else
			xargs -r kill -9 <"$cgroup/cgroup.procs" 2>/dev/null
		fi
		for _ in $(seq 50); do rmdir "$cgroup" 2>/dev/null && break; sleep 0.1; done
		[ -d "$cgroup" ] && echo "crun_python: cgroup $cgroup left behind" >&2
	fi
	# mounts a runtime left under the work dir (the harness already tried after each test)
	findmnt -rn -o TARGET | grep -E "^$work(/|$)" | sort -r | while read -r m; do
		umount "$m" 2>/dev/null || umount -l "$m"
	done
	if findmnt -rn -o TARGET | grep -qE "^$work(/|$)"; then
		echo "crun_python: mounts left under $work, not removed" >&2
	else
		rm -rf --one-file-system "$work"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

files=${CRUN_TEST_FILES:-$(cd "$src" && ls test_*.py)}
: >"$tap.tmp"
: >"$log"
n=0
for f in $files; do
	echo "== $f" >>"$log"
	out=$work/$f.tap
	mkdir -p "$work/tmp"
	(
		cd "$work" || exit 1
		[ -z "$cgroup" ] || echo "$BASHPID" >"$cgroup/cgroup.procs"
		export OCI_RUNTIME=$runtime INIT=$init TMPDIR=$work/tmp PEERS_WORK=$work \
			PEERS_HARNESS_CGROUP=$cgroup PYTHONDONTWRITEBYTECODE=1
		runner=("$python" "$here/crun_python_harness.py" "$src" "$src/$f")
		# test_tty.py runs its tests only when its stdout is a terminal, as under a developer's
		# make check: script(1) gives it a pty (its output, stderr too, comes back with CRs).
		if [ "$f" = test_tty.py ] && command -v script >/dev/null; then
			script -qefc "$(printf '%q ' "${runner[@]}")" /dev/null | tr -d '\r'
			exit "${PIPESTATUS[0]}"
		fi
		exec "${runner[@]}"
	) >"$out" 2>>"$log" </dev/null
	rc=$?
	plan=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$out" | head -1)
	got=0
	while IFS= read -r line; do
		if [[ $line =~ ^(not\ ok|ok)\ [0-9]+\ -\ (.*)$ ]]; then
			n=$((n + 1)) got=$((got + 1))
			echo "${BASH_REMATCH[1]} $n - $f: ${BASH_REMATCH[2]}" >>"$tap.tmp"
			echo "-- ${BASH_REMATCH[1]} $f: ${BASH_REMATCH[2]}" >>"$log"
		elif [[ ! $line =~ ^1\.\.[0-9]+$ ]]; then
			echo "stdout: $line" >>"$log" # a test's own diagnostics
		fi
	done <"$out"
	if [ -z "$plan" ]; then
		n=$((n + 1))
		echo "not ok $n - $f: the file reported no plan (exit $rc)" >>"$tap.tmp"
	fi
	while [ -n "$plan" ] && [ "$got" -lt "$plan" ]; do
		n=$((n + 1)) got=$((got + 1))
		echo "not ok $n - $f: test $got of $plan did not report (exit $rc)" >>"$tap.tmp"
	done
	rm -rf --one-file-system "$work/tmp"
done
{
	echo "1..$n"
	cat "$tap.tmp"
} >"$tap"
rm -f "$tap.tmp"
echo "crun_python: $name: $(grep -c '^ok' "$tap") ok, $(grep -c '^not ok' "$tap") not ok of $n ($tap)" >&2
