# A small front for meson: `make run` and `make test` are the README's two
# commands. Both install what is missing first (Debian 12, as root).

BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 10

# Everything the build, the tests, the fuzzers and the benchmarks need.
PACKAGES = gcc clang make meson ninja-build pkg-config python3 python3.11-dev \
	libjansson-dev libxml2-dev libssl-dev openssl libsqlite3-dev \
	libmicrohttpd-dev libcurl4-openssl-dev libseccomp-dev \
	libclang-rt-14-dev wrk espeak-ng ca-certificates chromium

# Node.js runs the browser test. Debian's nodejs and npm are installed only
# when the commands are missing: a Node.js from elsewhere (with its own npm)
# conflicts with Debian's npm package.
COMMAND_PACKAGES = node:nodejs npm:npm

SKILLSERVER = $(BUILD)/server/skillserver

.PHONY: all deps build run demo test fuzz bench clean

all: build

deps:
	@missing=""; for p in $(PACKAGES); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' \
			|| missing="$$missing $$p"; \
	done; \
	for cp in $(COMMAND_PACKAGES); do \
		command -v $${cp%%:*} >/dev/null 2>&1 || missing="$$missing $${cp#*:}"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

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

# The whole suite: the normal build, the same tests under ASan+UBSan, and a
# short run of every fuzz target. The last line is "N passed, M failed".
test: deps
	@sh tests/run-all.sh "$(BUILD)" "$(ASAN_BUILD)" "$(FUZZ_BUILD)" "$(FUZZ_SECONDS)"

fuzz: deps
	@FUZZ_ONLY=1 sh tests/run-all.sh "$(BUILD)" "$(ASAN_BUILD)" "$(FUZZ_BUILD)" "$(FUZZ_SECONDS)"

bench: build
	@sh tests/bench/run.sh "$(BUILD)"

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
