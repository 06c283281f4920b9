#!/usr/bin/env bash
# Start-up of `sift serve` to its first 200 on /ready, best and median of N runs (the machine is
# shared, so the best run is the one least disturbed). Usage:
#   bench/startup/startup-to-ready.sh RUNS COMMAND...      e.g. 7 artifacts/publish/linux-x64/sift
# The fixtures are served (both models); the port is fixed (18555) and must be free.
set -euo pipefail
runs=$1; shift
cd "$(dirname "$0")/../.."
times=()
for _ in $(seq "$runs"); do
  start=$(date +%s%N)
  "$@" serve --model tests/fixtures/qwen3-tiny-embedding --reranker tests/fixtures/qwen3-tiny-reranker --port 18555 >/dev/null 2>&1 &
  pid=$!
  until curl -sf -o /dev/null http://127.0.0.1:18555/ready; do sleep 0.01; done
  end=$(date +%s%N)
  kill -TERM "$pid"; wait "$pid" || true
  times+=($(( (end - start) / 1000000 )))
done
sorted=($(printf '%s\n' "${times[@]}" | sort -n))
echo "runs(ms): ${times[*]}  best: ${sorted[0]} ms  median: ${sorted[$(( ${#sorted[@]} / 2 ))]} ms"
