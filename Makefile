# berth: every target does its own set-up, so each works on a fresh Debian 12 machine.
PREFIX ?= /usr/local
BUILD ?= build
BUILD_ASAN ?= build-asan
JOBS ?= $(shell nproc)
WERROR ?= ON

DEB_PACKAGES = build-essential cmake pkg-config nlohmann-json3-dev libseccomp-dev libcap-dev \
  libcli11-dev doctest-dev busybox-static runc crun jq iproute2 util-linux procps \
  golang-github-opencontainers-specs-dev

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
	tests/integration/run.sh $(BUILD)/berth

test: build
	$(BUILD)/unit_tests
	tests/integration/run.sh $(BUILD)/berth

# Unit tests again under AddressSanitizer + UndefinedBehaviorSanitizer (CI runs this too).
asan: deps
	cmake -S . -B $(BUILD_ASAN) -DBERTH_WERROR=$(WERROR) -DBERTH_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
	cmake --build $(BUILD_ASAN) -j $(JOBS) --target unit_tests
	$(BUILD_ASAN)/unit_tests

demo: build
	tests/demo.sh $(BUILD)/berth

install: build
	install -D -m 0755 $(BUILD)/berth $(DESTDIR)$(PREFIX)/bin/berth

clean:
	rm -rf $(BUILD) $(BUILD_ASAN)
