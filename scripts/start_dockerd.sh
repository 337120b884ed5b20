#!/usr/bin/env bash
# Starts dockerd (vfs storage: works in containers and VMs alike) unless one answers already.
set -euo pipefail
sock=/var/run/docker.sock
if curl -sf --unix-socket "$sock" http://localhost/_ping >/dev/null 2>&1; then exit 0; fi
echo "[setup] starting dockerd --storage-driver=vfs (log: /var/log/sonm-dockerd.log)" >&2
nohup dockerd --storage-driver=vfs >/var/log/sonm-dockerd.log 2>&1 &
for _ in $(seq 1 60); do
  if curl -sf --unix-socket "$sock" http://localhost/_ping >/dev/null 2>&1; then exit 0; fi
  sleep 0.5
done
echo "[setup] dockerd did not come up; last log lines:" >&2
tail -20 /var/log/sonm-dockerd.log >&2
exit 1
