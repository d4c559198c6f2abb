#!/usr/bin/env bash
# guest-test-vm.sh: what `make test-vm` runs inside the VM (as root, in /root/berth):
# tests/vm/guest-smoke.sh, then (if present) tests/integration/run.sh BERTH FILTER. The default
# filter takes every test_cgroups_*.sh, so the systemd cgroup driver's tests
# (test_cgroups_systemd.sh), which need systemd as PID 1, run here.
# The checkpoint tests run here too: Debian 12's criu 3.17 works on the guest's 6.1 kernel (not on
# the 6.18 hosts this project runs on, where they skip).
# Environment: BERTH (default build/berth), BERTH_VM_IT_FILTER (default "cgroup|checkpoint"; empty:
# the whole integration suite), TEST_TIMEOUT (per integration test, default 300: the VM is
# emulated, exec is ~40x slower than on the host), RT_TIMEOUT (per runtime call, default 60
# instead of the host's 10: a `create` took over 10 s in a guest on a loaded host).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 2
BERTH=${BERTH:-build/berth}
FILTER=${BERTH_VM_IT_FILTER-cgroup|checkpoint}
rc=0
t=$(date +%s)
echo "== tests/vm/guest-smoke.sh $BERTH"
tests/vm/guest-smoke.sh "$BERTH" || rc=1
echo "== smoke: $(( $(date +%s) - t )) s"
if [ -x tests/integration/run.sh ]; then
  t=$(date +%s)
  echo "== tests/integration/run.sh $BERTH $FILTER"
  TEST_TIMEOUT=${TEST_TIMEOUT:-300} RT_TIMEOUT=${RT_TIMEOUT:-60} tests/integration/run.sh "$BERTH" ${FILTER:+"$FILTER"} || rc=1
  echo "== integration: $(( $(date +%s) - t )) s"
else
  echo "== tests/integration/run.sh not present"
fi
exit $rc
