# A small front for meson: `make run` and `make test` are the README's two
# commands. Both install what is missing first (Debian 12, as root).

BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
ARM64_BUILD ?= build-arm64
FUZZ_SECONDS ?= 10

# What building and running skillserver needs (make run)...
BUILD_PACKAGES = gcc make meson ninja-build pkg-config python3 python3.11-dev libpython3-dev \
	libjansson-dev libxml2-dev libssl-dev openssl libsqlite3-dev libpq-dev \
	libmicrohttpd-dev libgnutls28-dev libcurl4-openssl-dev libseccomp-dev espeak-ng ca-certificates \
	libsystemd-dev

# ...and what the tests, the fuzzers and the benchmarks need as well (make test).
TEST_PACKAGES = $(BUILD_PACKAGES) clang clang-format libclang-rt-14-dev wrk chromium haproxy \
	systemd dpkg-dev python3-venv python3-pip python3-setuptools python3-wheel postgresql \
	python3-pyflakes

# Node.js runs the browser test. Debian's nodejs and npm are installed only
# when the commands are missing: a Node.js from elsewhere (with its own npm)
# conflicts with Debian's npm package.
TEST_COMMANDS = node:nodejs npm:npm

# install PACKAGES COMMANDS: apt-get install whatever is missing.
define install
	@missing=""; for p in $(1); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' \
			|| missing="$$missing $$p"; \
	done; \
	for cp in $(2); do \
		command -v $${cp%%:*} >/dev/null 2>&1 || missing="$$missing $${cp#*:}"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi
endef

SKILLSERVER = $(BUILD)/server/skillserver

.PHONY: all deps test-deps build run demo test fuzz bench bench-peer deb clean arm64-deps \
	arm64 test-arm64

all: build

deps:
	$(call install,$(BUILD_PACKAGES),)

test-deps:
	$(call install,$(TEST_PACKAGES),$(TEST_COMMANDS))

$(BUILD)/build.ninja:
	meson setup $(BUILD)

build: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

# The main job: serve the bundled skills on https://localhost:8443 with a
# local self-signed certificate (made once, in data/tls). Verification is off
# because the requests come from you, not Amazon; serve refuses that on any
# address but loopback. Stop it with Ctrl-C.
run: build
	@sh certs/make-endpoint-cert.sh --if-missing localhost data/tls
	$(SKILLSERVER) serve --no-verify --dev

# The classroom demo, offline: a canned request through thank_you.
demo: build
	@echo '$$ skillserver request thank_you ThankYouIntent name=Sam | skillserver invoke thank_you'
	@$(SKILLSERVER) request thank_you ThankYouIntent name=Sam | $(SKILLSERVER) invoke thank_you

# The whole suite: the normal build, the same tests under ASan+UBSan, the
# arm64 build's tests under qemu-user, and a short run of every fuzz target. Every failure is shown with its output,
# every skip is listed, and the last line is "N passed, M failed, K skipped"
# (tests/run-all.sh; its parts are in tests/runner.sh).
test: test-deps arm64-deps
	@sh tests/run-all.sh "$(BUILD)" "$(ASAN_BUILD)" "$(FUZZ_BUILD)" "$(FUZZ_SECONDS)" \
		"$(ARM64_BUILD)"

fuzz: test-deps
	@FUZZ_ONLY=1 sh tests/run-all.sh "$(BUILD)" "$(ASAN_BUILD)" "$(FUZZ_BUILD)" "$(FUZZ_SECONDS)"

bench: test-deps build
	@sh tests/bench/run.sh "$(BUILD)"

# skillserver side by side with the Node.js ASK SDK (tests/bench/compare.py):
# the SDK at the versions pinned in tests/bench/peer/package-lock.json goes
# into tests/bench/peer/node_modules (ignored by git), again only when the
# lock file changes. BENCH_ROUNDS, BENCH_SECONDS and BENCH_PEER_CASES choose
# what runs; compare.py's opening comment lists them all.
PEER = tests/bench/peer

$(PEER)/node_modules/.package-lock.json: $(PEER)/package.json $(PEER)/package-lock.json
	cd $(PEER) && npm ci --no-audit --no-fund

bench-peer: test-deps build $(PEER)/node_modules/.package-lock.json
	@python3 tests/bench/compare.py "$(BUILD)"

# A Debian package of this build, in $(BUILD)/deb/ (server/deploy/deb/build-deb.sh):
# install it with apt install ./build/deb/skillserver_*.deb.
deb: build
	$(call install,dpkg-dev,)
	@sh server/deploy/deb/build-deb.sh $(BUILD) $(BUILD)/deb

# arm64, the Raspberry Pi's architecture, cross-built here (README, "On a
# Raspberry Pi"): Debian's cross compiler and arm64 libraries, then the build
# in $(ARM64_BUILD), then its unit and invoke tests under qemu-user
# (tests/arm64/run.sh; about 11 minutes on 2 cores). make test runs it too,
# between the sanitizer run and the fuzzers; ARM64_BUILD=none leaves it out.
arm64-deps:
	@sh server/deploy/arm64/setup.sh

$(ARM64_BUILD)/build.ninja:
	meson setup $(ARM64_BUILD) --cross-file server/deploy/arm64/cross.ini

arm64: arm64-deps $(ARM64_BUILD)/build.ninja
	ninja -C $(ARM64_BUILD)

test-arm64: deps arm64-deps
	@sh tests/arm64/run.sh "$(ARM64_BUILD)"

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD) $(ARM64_BUILD)
