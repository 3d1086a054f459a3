#!/bin/sh
# A web test, for meson (protocol tap): installs playwright-core from
# package-lock.json when it is missing, then runs node's test runner on the
# test file given (default: simulator.test.js).
# Fails, never skips, when node, npm or Chromium is not there.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
fail() { echo "1..0 # web test cannot run"; echo "Bail out! $*"; exit 1; }
command -v node >/dev/null 2>&1 || fail "node is missing: apt-get install nodejs (make test does)"
[ -x "${CHROMIUM:-/usr/bin/chromium}" ] ||
    fail "${CHROMIUM:-/usr/bin/chromium} is missing: apt-get install chromium (make test does)"
if [ ! -d "$HERE/node_modules/playwright-core" ]; then
    command -v npm >/dev/null 2>&1 || fail "npm is missing: apt-get install npm (make test does)"
    npm ci --prefix "$HERE" --no-audit --no-fund >&2 || fail "npm ci in tests/web failed"
fi
cd "$HERE" && exec node --test --test-reporter=tap "${1:-simulator.test.js}"
