#!/usr/bin/env bash
# Where the receiver's throughput ceiling lies on this machine: the bare verify endpoint, the same plus the least a
# durable store can do (serve --mode append, see AppendCeiling.cs) in several variants, and the library without its
# handler runner (what taking in and storing costs) and with it, alternating,
# ROUNDS times, each SECONDS measured after WARMUP seconds of unmeasured load on other events. Prints req/s, processor
# time per request (the server's and wrk's) and latency per run, after the data disk's fsync latency (every durable
# variant waits for one or two per request).
# With DELAY_MS set, each of the 64 connections waits that long between requests (8 gives about 4,200/s for the library): the
# latency each variant adds at a given rate instead of its saturated throughput.
# Usage: bench/Switchboard.ReceiverLoad/ceiling.sh [ROUNDS=3] [SECONDS=8]   (env: WARMUP=8, DELAY_MS=0)
set -euo pipefail
rounds=${1:-3}; seconds=${2:-8}; warmup=${WARMUP:-8}
# shellcheck source=bench-setup.sh
source "$(dirname "$0")/bench-setup.sh" ceiling
dotnet "$bin" sign --count 450000 --out "$work/w" >/dev/null
dotnet "$bin" fsync --data "$work"
variants=("verify" "append --no-database" "append --sync NORMAL" "append" "append --unique-key" "store --no-runner" "store")
port=9600
for round in $(seq "$rounds"); do
  for variant in "${variants[@]}"; do
    port=$((port + 1))
    # shellcheck disable=SC2086 # the variant is a mode and its flags
    dotnet "$bin" serve --mode $variant --port "$port" --key-file "$work/w/public.key" --data "$work/data-$port" & pid=$!
    for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
    SKIP=300000 WEBHOOKS="$work/w/requests.tsv" DELAY_MS="${DELAY_MS:-0}" wrk -t2 -c64 -d"${warmup}s" -s "$here/post-signed.lua" "http://127.0.0.1:$port/webhooks/telnyx" >/dev/null
    measure "$port" "$seconds" 64 COUNT=300000 WEBHOOKS="$work/w/requests.tsv" DELAY_MS="${DELAY_MS:-0}" \
      | awk -v v="$variant" -v r="$round" '/Requests\/sec/{q=$2} /CPU per/{c=$6; w=$9} /duplicates/{d=$3} /Non-2xx/{n=$NF} /^p50/{l=$0} END {printf "round %d  %-22s %8.0f/s  CPU/request: server %s us, wrk %s us  %s (%d duplicates, %d non-2xx)\n", r, v, q, c, w, l, d, n}'
    kill "$pid"; wait "$pid" 2>/dev/null || true
    rm -rf "$work/data-$port"
  done
done
