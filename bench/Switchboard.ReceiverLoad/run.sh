#!/usr/bin/env bash
# Runs the receiver load benchmark: bare verify-only endpoint vs the library (verify + durable SQLite inbox +
# a no-op handler), alternating, RUNS times each, then a paced run for latency. Needs wrk (Debian package).
# Usage: bench/Switchboard.ReceiverLoad/run.sh [RUNS=3] [SECONDS=10] [CONNECTIONS=64]
set -euo pipefail
runs=${1:-3}; seconds=${2:-10}; connections=${3:-64}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
work=$(mktemp -d /tmp/receiver-load-XXXXXX)
trap 'rm -rf "$work"' EXIT
dotnet build "$here" -c Release -v q -nologo >/dev/null
bin="$here/bin/Release/net10.0/Switchboard.ReceiverLoad.dll"
dotnet "$bin" sign --count 300000 --out "$work/w"
serve() { # mode port extra...
  dotnet "$bin" serve --mode "$1" --port "$2" --key-file "$work/w/public.key" --data "$work/data-$2" "${@:3}" & pid=$!
  for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$2/" && break; sleep 0.1; done
}
load() { # port [delay_ms connections]
  WEBHOOKS="$work/w/requests.tsv" DELAY_MS="${2:-0}" wrk -t2 -c"${3:-$connections}" -d"${seconds}s" -s "$here/post-signed.lua" "http://127.0.0.1:$1/webhooks/telnyx" \
    | grep -E "Requests/sec|Non-2xx|p50|Socket errors"
}
port=9400
for run in $(seq "$runs"); do
  for mode in verify store; do
    port=$((port + 1)); serve "$mode" "$port"
    echo "run $run $mode (load $(cut -d' ' -f1 /proc/loadavg))"; load "$port"
    kill "$pid"; wait "$pid" 2>/dev/null || true
  done
done
# Paced: 50 connections, each waiting DELAY ms between requests (wrk has no fixed-rate mode; this approximates one).
for delay in ${PACED_DELAYS:-20 10}; do
  port=$((port + 1)); serve store "$port"
  echo "paced store: 50 connections, ${delay} ms between requests on each (load $(cut -d' ' -f1 /proc/loadavg))"; load "$port" "$delay" 50
  kill "$pid"; wait "$pid" 2>/dev/null || true
done
