#!/bin/sh
# sysbench_probe.sh: the CPU probe, run natively or as the entrypoint of the
# sysbench image (Dockerfile.sysbench). Reads the SONM probe environment and
# prints one JSON object.
#   SONM_BENCHMARK_ID  0 = all threads (cpu-sysbench-multi), 1 = one thread
#   SONM_CPU_COUNT     threads for the multi-thread run
#   SONM_BENCH_SECONDS run time (default 3)
set -u
id="${SONM_BENCHMARK_ID:-0}"
threads=1
[ "$id" = "0" ] && threads="${SONM_CPU_COUNT:-1}"
seconds="${SONM_BENCH_SECONDS:-3}"
if ! out="$(sysbench cpu --threads="$threads" --time="$seconds" --cpu-max-prime=10000 run 2>&1)"; then
  printf '{"probe":"sysbench","version":"1","ok":false,"error":"sysbench failed"}\n'
  exit 1
fi
eps="$(printf '%s\n' "$out" | sed -n 's/^ *events per second: *\([0-9.]*\).*/\1/p')"
total="$(printf '%s\n' "$out" | sed -n 's/^ *total number of events: *\([0-9]*\).*/\1/p')"
sbv="$(sysbench --version 2>/dev/null)"
if [ -z "$eps" ]; then
  printf '{"probe":"sysbench","version":"1","ok":false,"error":"no events per second in sysbench output"}\n'
  exit 1
fi
printf '{"probe":"sysbench","version":"1","ok":true,"benchmarkId":%s,"threads":%s,"seconds":%s,"eventsPerSecond":%s,"events":%s,"sysbench":"%s"}\n' \
  "$id" "$threads" "$seconds" "$eps" "${total:-0}" "$sbv"
