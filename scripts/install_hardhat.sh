#!/usr/bin/env bash
# Installs Hardhat 3 (its EDR engine) and the Node 22 it needs into build/hardhat-node/, for the
# tests that run the agent on a second Ethereum node (tests/agent_hardhat_test.ts). Versions are
# pinned by scripts/hardhat/{,node22/}package-lock.json; the project's own package.json and
# package-lock.json are not touched. Idempotent: a stamp of the inputs' hashes skips a current
# install. Run by `scripts/setup.sh --test`; SONM_HARDHAT_DIR moves the target folder.
set -euo pipefail
cd "$(dirname "$0")/.."

src=scripts/hardhat
dir="${SONM_HARDHAT_DIR:-build/hardhat-node}"
log() { printf '[install_hardhat] %s\n' "$*" >&2; }

inputs="$(cat "$src/package.json" "$src/package-lock.json" "$src/hardhat.config.js" \
  "$src/node22/package.json" "$src/node22/package-lock.json" | sha256sum)"
if [ -f "$dir/.installed" ] && [ "$(cat "$dir/.installed")" = "$inputs" ] &&
  [ -x "$dir/node22/node_modules/.bin/node" ] && [ -e "$dir/node_modules/.bin/hardhat" ]; then
  exit 0
fi

started=$SECONDS
mkdir -p "$dir/node22"
rm -f "$dir/.installed"
cp "$src/node22/package.json" "$src/node22/package-lock.json" "$dir/node22/"
log "npm ci: Node 22 (npm package node, pinned)"
(cd "$dir/node22" && npm ci --no-audit --no-fund --loglevel=error)
node22="$(cd "$dir/node22/node_modules/.bin" && pwd)"
"$node22/node" --version >/dev/null

cp "$src/package.json" "$src/package-lock.json" "$src/hardhat.config.js" "$dir/"
# npm under Node 22: EDR's native packages declare engines node >= 22, and an npm run by an
# older Node skips them as optional dependencies that do not fit.
log "npm ci: hardhat (under Node $("$node22/node" --version))"
(cd "$dir" && PATH="$node22:$PATH" npm ci --no-audit --no-fund --loglevel=error)
(cd "$dir" && PATH="$node22:$PATH" node_modules/.bin/hardhat --version >/dev/null)
printf '%s\n' "$inputs" >"$dir/.installed"
log "Hardhat $(cd "$dir" && PATH="$node22:$PATH" node_modules/.bin/hardhat --version) ready in $dir ($((SECONDS - started)) s)"
