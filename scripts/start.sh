#!/usr/bin/env bash
# Sets up and runs the agent on the embedded devnet (anvil + the market contracts).
# Ctrl-C stops the agent and the devnet.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export PATH="$PWD/node_modules/.bin:$PATH"
exec deno run -A --v8-flags=--max-semi-space-size=2 main.ts run --config config.example.yaml "$@"
