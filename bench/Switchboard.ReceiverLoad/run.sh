#!/usr/bin/env bash
# Runs the receiver load benchmark: bare verify-only endpoint vs the library (verify + durable SQLite inbox +
# a no-op handler), alternating, RUNS times each, then paced runs for latency. Each server gets WARMUP seconds of
# unmeasured load first (the JIT's tiering is still busy for the first ~15 s). Installs wrk (Debian) if missing.
# Usage: bench/Switchboard.ReceiverLoad/run.sh [RUNS=3] [SECONDS=10] [CONNECTIONS=64]   (env: WARMUP=10, PACED_DELAYS="12 8")
set -euo pipefail
runs=${1:-3}; seconds=${2:-10}; connections=${3:-64}; warmup=${WARMUP:-10}
# shellcheck source=bench-setup.sh
source "$(dirname "$0")/bench-setup.sh" load
# Every measured request carries a new event id: measured runs read the file from the start, warm-ups from line
# $fresh on (a measured run that replayed its warm-up's events would be measuring the duplicate path).
fresh=300000
dotnet "$bin" sign --count 450000 --out "$work/w"
# The disk's fsync latency varies by ten times over a day on this VM and the store waits for one or two per request:
# printed before and after, to read the figures by.
dotnet "$bin" fsync --data "$work"
serve() { # mode port extra...
  dotnet "$bin" serve --mode "$1" --port "$2" --key-file "$work/w/public.key" --data "$work/data-$2" "${@:3}" & pid=$!
  for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$2/" && break; sleep 0.1; done
}
load() { # port [delay_ms connections]
  SKIP=$fresh WEBHOOKS="$work/w/requests.tsv" DELAY_MS="${2:-0}" wrk -t2 -c"${3:-$connections}" -d"${warmup}s" -s "$here/post-signed.lua" "http://127.0.0.1:$1/webhooks/telnyx" >/dev/null
  measure "$1" "$seconds" "${3:-$connections}" COUNT=$fresh WEBHOOKS="$work/w/requests.tsv" DELAY_MS="${2:-0}"
}
port=9400
for run in $(seq "$runs"); do
  for mode in verify store; do
    port=$((port + 1)); serve "$mode" "$port"
    echo "run $run $mode (load $(cut -d' ' -f1 /proc/loadavg))"; load "$port"
    kill "$pid"; wait "$pid" 2>/dev/null || true
  done
done
# Paced: 64 connections, each waiting DELAY ms between requests (wrk has no fixed-rate mode; this approximates one:
# with the library, 12 ms gives about 3,300/s and 8 ms about 4,200/s; it saturates near 5,500/s). Closed-loop, so a
# stall also slows the sending.
for delay in ${PACED_DELAYS:-12 8}; do
  port=$((port + 1)); serve store "$port"
  echo "paced store: 64 connections, ${delay} ms between requests on each (load $(cut -d' ' -f1 /proc/loadavg))"; load "$port" "$delay" 64
  kill "$pid"; wait "$pid" 2>/dev/null || true
done
dotnet "$bin" fsync --data "$work"
