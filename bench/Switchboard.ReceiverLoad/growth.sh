#!/usr/bin/env bash
# Throughput of one library server as its database grows: STEPS back-to-back wrk runs of 5 s (64 connections), each
# on its own 120,000 lines of the signed file (a run that sends more starts over on them and reports the duplicates),
# printing requests/s per run (counted by the server, see measure in bench-setup.sh) and the size of the data
# directory at the end. Extra arguments go to `serve` (e.g. --no-runner for the ingest path alone).
# Usage: bench/Switchboard.ReceiverLoad/growth.sh [STEPS=8] [serve args...]
set -euo pipefail
steps=${1:-8}; shift || true
# shellcheck source=bench-setup.sh
source "$(dirname "$0")/bench-setup.sh" growth
dotnet "$bin" sign --count $((steps * 120000)) --out "$work/w" >/dev/null
dotnet "$bin" serve --mode store --port 9480 --key-file "$work/w/public.key" --data "$work/data" "$@" & pid=$!
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:9480/" && break; sleep 0.1; done
for i in $(seq 0 $((steps - 1))); do
  measure 9480 5 64 SKIP=$((i * 120000)) COUNT=120000 WEBHOOKS="$work/w/requests.tsv" \
    | awk -v t=$((i * 5)) '/Requests\/sec/{r=$2} /CPU per/{c=$6} /duplicates/{d=$3} /Non-2xx/{n=$NF} END {printf "%3d-%3d s: %6.0f/s, server %s us CPU/request (%d duplicates, %d non-2xx)\n", t, t + 5, r, c, d, n}'
done
echo "data directory: $(du -sm "$work/data" | cut -f1) MB"
