#!/bin/sh
# verify_probe.sh: what `sonm-agent client verify` runs inside a deal, as the
# deal's task, in the sysbench image (entrypoint /bin/sh /probe/verify_probe.sh).
# Measures what the container was given: its CPU and memory limits (cgroup v2
# or v1), its filesystems' sizes, the GPU device nodes it sees, then sysbench on one thread and on as many
# threads as the CPU limit gives. One JSON object a line, `at` in ms since boot.
#   SONM_BENCH_SECONDS  seconds per sysbench run (default 2)
set -u
seconds="${SONM_BENCH_SECONDS:-2}"
now_ms() { awk '{ printf "%.0f", $1 * 1000 }' /proc/uptime; }
first() { [ -r "$1" ] && head -n 1 "$1" || printf ''; }
fs_bytes() { df -k "$1" 2>/dev/null | awk 'NR == 2 { printf "%.0f", $2 * 1024 }'; }

started="$(now_ms)"
# cgroup v2, else v1; "max" or "-1": no limit
cpu_max="$(first /sys/fs/cgroup/cpu.max)"
if [ -z "$cpu_max" ]; then
  quota="$(first /sys/fs/cgroup/cpu/cpu.cfs_quota_us)"
  period="$(first /sys/fs/cgroup/cpu/cpu.cfs_period_us)"
  [ -n "$quota" ] && cpu_max="$quota ${period:-100000}"
fi
mem_max="$(first /sys/fs/cgroup/memory.max)"
[ -z "$mem_max" ] && mem_max="$(first /sys/fs/cgroup/memory/memory.limit_in_bytes)"
mem_total="$(awk '/^MemTotal:/ { printf "%.0f", $2 * 1024 }' /proc/meminfo)"
threads_online="$(grep -c '^processor' /proc/cpuinfo)"
root_bytes="$(fs_bytes /)"
scratch_bytes=""
[ -d /scratch ] && scratch_bytes="$(fs_bytes /scratch)"
# GPUs the container was given: NVIDIA device nodes, AMD render nodes
gpus=0
for d in /dev/nvidia[0-9]* /dev/dri/renderD*; do [ -e "$d" ] && gpus=$((gpus + 1)); done
printf '{"probe":"verify","version":"1","step":"limits","at":%s,"cpuMax":"%s","memoryMax":"%s","memTotal":%s,"threadsOnline":%s,"rootBytes":%s,"scratchBytes":%s,"gpus":%s}\n' \
  "$started" "$cpu_max" "$mem_max" "${mem_total:-0}" "${threads_online:-1}" "${root_bytes:-0}" "${scratch_bytes:-0}" "$gpus"

# threads for the all-threads run: the CPU limit rounded up (at least 1), else every thread
threads="$(printf '%s\n' "$cpu_max" | awk -v online="${threads_online:-1}" '
  $1 == "max" || $1 == "-1" || $1 == "" { print online; exit }
  { t = $1 / $2; n = int(t); if (n < t) n++; if (n < 1) n = 1; print n }')"

run_sysbench() { # benchmark id, threads
  t0="$(now_ms)"
  if ! out="$(sysbench cpu --threads="$2" --time="$seconds" --cpu-max-prime=10000 run 2>&1)"; then
    printf '{"probe":"sysbench","version":"1","ok":false,"benchmarkId":%s,"error":"sysbench failed"}\n' "$1"
    return
  fi
  eps="$(printf '%s\n' "$out" | sed -n 's/^ *events per second: *\([0-9.]*\).*/\1/p')"
  printf '{"probe":"sysbench","version":"1","ok":true,"benchmarkId":%s,"threads":%s,"seconds":%s,"eventsPerSecond":%s,"at":%s,"ms":%s}\n' \
    "$1" "$2" "$seconds" "${eps:-0}" "$t0" "$(($(now_ms) - t0))"
}
run_sysbench 1 1
run_sysbench 0 "$threads"
printf '{"probe":"verify","version":"1","step":"done","at":%s}\n' "$(now_ms)"
