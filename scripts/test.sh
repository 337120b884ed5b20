#!/usr/bin/env bash
# Sets up everything the tests need (apt, npm, dockerd, probe toolchains) and runs every test,
# then the format and lint checks. Exit code 0 only when all pass.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
export PATH="$PWD/node_modules/.bin:$PATH" NO_COLOR=1
deno fmt --check
deno lint
deno task check
deno task test "$@"
