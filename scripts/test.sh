#!/usr/bin/env bash
# Sets up everything the tests need (apt, npm, dockerd, probe toolchains) and runs every test,
# then the format and lint checks. Exit code 0 only when all pass.
set -euo pipefail
cd "$(dirname "$0")/.."
lock_before="$(sha256sum package-lock.json)"
scripts/setup.sh --test
# The README's set-up must leave a checkout clean: npm install once added
# other platforms' optional packages to the lock file.
if [ "$(sha256sum package-lock.json)" != "$lock_before" ]; then
  echo "test.sh: set-up changed package-lock.json (npm install rewrote it):" >&2
  git diff --stat -- package-lock.json >&2 || true
  exit 1
fi
export PATH="$PWD/node_modules/.bin:$PATH" NO_COLOR=1
# set-up installed Hardhat (the second node): its test must run, not skip
export SONM_REQUIRE_HARDHAT=1
deno fmt --check
deno lint
deno task check
deno task test "$@"
