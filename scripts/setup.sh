#!/usr/bin/env bash
# Installs what sonm-agent needs on a fresh Debian machine (as root), idempotently:
#   scripts/setup.sh          the agent itself: Node/npm, then the pinned npm packages (Deno included)
#   scripts/setup.sh --test   also what the test suite needs: Docker, registry, sysbench, OpenCL on
#                             the CPU (PoCL), Chromium, nvcc from pip, Hardhat 3 with Node 22
#                             from npm into build/hardhat-node/ (a second Ethereum node); and
#                             starts dockerd
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=false
[ "${1:-}" = "--test" ] && want_test=true

log() { printf '[setup] %s\n' "$*" >&2; }

apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "apt-get install ${missing[*]}"
  if [ -z "${SONM_APT_UPDATED:-}" ]; then
    apt-get update -qq
    export SONM_APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

command -v npm >/dev/null 2>&1 || apt_install nodejs npm
apt_install ca-certificates

if [ ! -x node_modules/.bin/deno ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "npm install (pinned by package-lock.json)"
  npm install --no-audit --no-fund --loglevel=error
fi

if $want_test; then
  apt_install docker.io busybox-static sysbench pocl-opencl-icd clinfo ocl-icd-opencl-dev \
    opencl-c-headers docker-registry apache2-utils iproute2 iptables gcc libc6-dev make \
    python3-venv curl tar chromium prometheus ansible systemd
  scripts/start_dockerd.sh
  if [ -x scripts/build_probes.sh ]; then scripts/build_probes.sh; fi
  scripts/install_hardhat.sh
fi
log "ready"
