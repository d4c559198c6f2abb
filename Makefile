# berth: every target does its own set-up, so each works on a fresh Debian 12 machine.
PREFIX ?= /usr/local
BUILD ?= build
BUILD_ASAN ?= build-asan
BUILD_FUZZ ?= build-fuzz
JOBS ?= $(shell nproc)
WERROR ?= ON

DEB_PACKAGES = build-essential cmake pkg-config nlohmann-json3-dev libseccomp-dev libcap-dev \
  libcli11-dev doctest-dev libsystemd-dev busybox-static runc crun jq iproute2 util-linux procps \
  golang-github-opencontainers-specs-dev python3 file uidmap \
  protobuf-compiler libprotobuf-dev libmd-dev golang-github-containerd-containerd-dev golang-github-containerd-cgroups-dev \
  libarchive-dev libssl-dev zlib1g-dev libzstd-dev skopeo umoci buildah clang libclang-rt-14-dev criu \
  libcurl4-openssl-dev docker-registry libtomlplusplus-dev

.PHONY: all deps build test test-unit test-integration asan demo install clean bundle

all: build

deps:
	@missing=$$(for p in $(DEB_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing:" $$missing; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

$(BUILD)/build.ninja $(BUILD)/Makefile:
	cmake -S . -B $(BUILD) -DBERTH_WERROR=$(WERROR)

build: deps $(BUILD)/Makefile
	cmake --build $(BUILD) -j $(JOBS)

test-unit: build
	$(BUILD)/unit_tests

test-integration: build
	tests/integration/selftest.sh $(BUILD)/berth
	tests/integration/run.sh $(BUILD)/berth

# Everything: unit tests, real containers, the engines (containerd, dockerd, podman) with runc
# as the control and berth, and the quick performance guard (berth no slower than runc).
test: build
	$(BUILD)/unit_tests
	tests/integration/selftest.sh $(BUILD)/berth
	tests/integration/run.sh $(BUILD)/berth
	$(MAKE) --no-print-directory test-engines
	$(MAKE) --no-print-directory bench-quick
	$(MAKE) --no-print-directory fuzz-quick

# Unit tests again under AddressSanitizer + UndefinedBehaviorSanitizer (CI runs this too).
asan: deps
	cmake -S . -B $(BUILD_ASAN) -DBERTH_WERROR=$(WERROR) -DBERTH_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
	cmake --build $(BUILD_ASAN) -j $(JOBS) --target unit_tests
	$(BUILD_ASAN)/unit_tests

# Only what the demo runs (berth, and berth-build for its image part): not the unit tests
# nor the shim. demo.sh prints how long the container took.
demo: deps $(BUILD)/Makefile
	cmake --build $(BUILD) -j $(JOBS) --target berth berth-build
	tests/demo.sh $(BUILD)/berth

install: build
	install -D -m 0755 $(BUILD)/berth $(DESTDIR)$(PREFIX)/bin/berth
	install -D -m 0755 $(BUILD)/containerd-shim-berth-v2 $(DESTDIR)$(PREFIX)/bin/containerd-shim-berth-v2
	install -D -m 0755 $(BUILD)/berth-build $(DESTDIR)$(PREFIX)/bin/berth-build

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) $(BUILD_FUZZ)

# Benchmarks against runc and crun (bench/bench.py: python3 >= 3.9, root; runc, crun, busybox-static
# come with `deps`, python3 is installed here if missing). `bench` writes docs/performance.md and
# bench/results.json; `bench-quick` (a few seconds, no files) fails if berth's median `run` of
# /bin/true is slower than runc's in the same interleaved run.
.PHONY: bench bench-quick bench-python3

bench-python3:
	@command -v python3 >/dev/null 2>&1 || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3; }

bench: build bench-python3
	tests/run_root_guard.sh python3 bench/bench.py --berth $(BUILD)/berth
	bash tests/integration/engines/setup.sh
	tests/run_root_guard.sh bench/shim_perf_section.sh $(BUILD) 100 docs/performance.md

# containerd-shim-berth-v2 against containerd-shim-runc-v2 in one private containerd (docs/shim.md).
.PHONY: bench-shim
bench-shim: build
	bash tests/integration/engines/setup.sh
	bench/shim_memory.sh $(BUILD) 100

# The shim's long leak check: 1,000 tasks through one shim, then no fd, zombie, mount or memory
# left (tests/integration/test_shim.sh: test_shim_soak_tasks; docs/shim.md quotes a run).
.PHONY: soak-shim
soak-shim: build
	SHIM_SOAK_TASKS=$${SHIM_SOAK_TASKS:-1000} TEST_TIMEOUT=$${TEST_TIMEOUT:-1800} SHIM_SOAK_REPORT=$(abspath $(BUILD))/soak-shim.txt \
	  tests/integration/run.sh $(BUILD)/berth test_shim_soak_tasks
	@cat $(BUILD)/soak-shim.txt

bench-quick: build bench-python3
	tests/run_root_guard.sh python3 bench/bench.py --quick --berth $(BUILD)/berth

# The smoke test (tests/vm/guest-smoke.sh) and the cgroup integration tests inside a
# throw-away QEMU VM with cgroup v2 + systemd (tests/vm/README.md). Builds the image once.
.PHONY: test-vm
test-vm: build
	@t0=$$(date +%s); rc=0; \
	tests/vm/build-image.sh >/dev/null || exit 2; \
	t1=$$(date +%s); \
	tests/vm/run.sh --timeout $${BERTH_VM_TIMEOUT:-1800} --copy "$(BUILD)/berth $(BUILD)/seccomp_listener tests" --env BERTH=$(BUILD)/berth \
	  $${BERTH_VM_IT_FILTER+--env BERTH_VM_IT_FILTER="$$BERTH_VM_IT_FILTER"} tests/vm/guest-test-vm.sh || rc=$$?; \
	t2=$$(date +%s); \
	echo "test-vm: exit $$rc; image $$((t1 - t0)) s, VM run $$((t2 - t1)) s, total $$((t2 - t0)) s (after make build)"; \
	exit $$rc

# Real container engines on the runtime (tests/integration/engines/run.sh, docs/engines.md):
# containerd 1.6 (ctr), dockerd 20.10 and podman 4.3, each private to the run (own sockets, state
# and config under a temp dir; the Debian packages are installed by the suite if missing). runc
# first (the control), then berth; both always run. ENGINES_FILTER=REGEX selects scenarios. Then
# the containerd scenarios once more with containerd's tasks going through containerd-shim-berth-v2
# instead of the Go shim (ENGINES_SHIM, see run.sh; ENGINES_SHIM_FILTER, default ^containerd:).
.PHONY: test-engines
test-engines: build
	@rc=0; \
	tests/integration/engines/run.sh /usr/bin/runc $${ENGINES_FILTER:+"$$ENGINES_FILTER"} || rc=1; \
	tests/integration/engines/run.sh $(BUILD)/berth $${ENGINES_FILTER:+"$$ENGINES_FILTER"} || rc=1; \
	ENGINES_SHIM=$(BUILD)/containerd-shim-berth-v2 tests/integration/engines/run.sh $(BUILD)/berth "$${ENGINES_SHIM_FILTER:-^containerd:}" || rc=1; \
	exit $$rc

# libFuzzer targets (tests/fuzz/README.md), built with Debian's clang into $(BUILD_FUZZ).
# `fuzz` runs each target for FUZZ_SECONDS, `fuzz-quick` (in `test`) for FUZZ_QUICK_SECONDS.
# Seeds come from tests/fuzz/corpus/<target>/ (read only); what a run discovers is kept in
# $(BUILD_FUZZ)/corpus/<target>/ for the next run, crashes in $(BUILD_FUZZ)/artifacts/.
FUZZ_SECONDS ?= 300
FUZZ_QUICK_SECONDS ?= 4
.PHONY: fuzz fuzz-quick fuzz-build

fuzz-build: deps
	cmake -S . -B $(BUILD_FUZZ) -DBERTH_WERROR=$(WERROR) -DBERTH_FUZZ=ON -DCMAKE_BUILD_TYPE=Debug \
	  -DCMAKE_CXX_COMPILER=clang++ >/dev/null
	cmake --build $(BUILD_FUZZ) -j $(JOBS) --target fuzz_targets

fuzz: fuzz-build
	tests/fuzz/run.sh $(BUILD_FUZZ) $(FUZZ_SECONDS)

fuzz-quick: fuzz-build
	tests/fuzz/run.sh $(BUILD_FUZZ) $(FUZZ_QUICK_SECONDS)

# Soak and crash recovery (tests/soak/soak.sh; its result is quoted in docs/reliability.md):
# 1,000 sequential lifecycles, 10 rounds of 50 parallel ones, 50 creates SIGKILLed at random
# points, each followed by leak checks. Takes minutes: not part of `test`.
# SOAK_SEQ, SOAK_PAR, SOAK_ROUNDS, SOAK_KILLS, SOAK_KILL_MS change the counts.
.PHONY: soak
soak: build
	tests/run_root_guard.sh tests/soak/soak.sh $(BUILD)/berth

# The peers' own suites (runc's bats tests, crun's python tests, from Debian's source packages)
# against runc, crun and berth side by side; results in build/peers/results (docs/peer-suites.md).
.PHONY: peer-suites
peer-suites: build
	@apt-get install -y -qq dpkg-dev bats jq busybox-static gawk >/dev/null
	tests/peers/run.sh $(BUILD)/berth $(SUITES)
