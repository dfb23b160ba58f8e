#!/usr/bin/env bash
# Two builds of the library against the bare endpoint, alternated: each of ROUNDS rounds runs the bare verify endpoint
# (build A), the library (`serve --mode store`) of build A, then of build B, each a fresh server measured SECONDS after
# WARMUP seconds of unmeasured load, 64 connections. A_DIR and B_DIR hold builds of this harness (e.g.
# `git worktree add /tmp/a <commit> && dotnet build -c Release /tmp/a/bench/Switchboard.ReceiverLoad -o /tmp/a-bin`).
# Prints req/s and server CPU per request per run (the library against bare, and B against A, per round).
# Usage: bench/Switchboard.ReceiverLoad/library-ab.sh A_DIR B_DIR [ROUNDS=3] [SECONDS=8]   (env: WARMUP=6)
set -uo pipefail
a_dir=$1; b_dir=$2; rounds=${3:-3}; seconds=${4:-8}; warmup=${WARMUP:-6}
# shellcheck source=bench-setup.sh
source "$(dirname "$0")/bench-setup.sh" library-ab
# Small files: on a loaded machine wrk takes minutes to load a large one, longer than `measure` waits for it.
dotnet "$a_dir/Switchboard.ReceiverLoad.dll" sign --count 260000 --out "$work/w" >/dev/null
dotnet "$a_dir/Switchboard.ReceiverLoad.dll" fsync --data "$work"
port=9800
for round in $(seq "$rounds"); do
  for variant in "A verify" "A store" "B store"; do
    read -r build mode <<<"$variant"
    dir=$a_dir; [ "$build" = B ] && dir=$b_dir
    port=$((port + 1))
    dotnet "$dir/Switchboard.ReceiverLoad.dll" serve --mode "$mode" --port "$port" --key-file "$work/w/public.key" --data "$work/data-$port" >/dev/null 2>&1 & pid=$!
    for _ in $(seq 300); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
    SKIP=200000 COUNT=60000 WEBHOOKS="$work/w/requests.tsv" wrk -t2 -c64 -d"${warmup}s" -s "$here/post-signed.lua" "http://127.0.0.1:$port/webhooks/telnyx" >/dev/null
    measure "$port" "$seconds" 64 COUNT=120000 WEBHOOKS="$work/w/requests.tsv" 2>/dev/null \
      | awk -v v="$build-$mode" -v r="$round" -v l="$(cut -d' ' -f1 /proc/loadavg)" '/Requests\/sec/{q=$2} /CPU per/{c=$6} /duplicates/{d=$3} /Non-2xx/{n=$NF} END {printf "round %d  %-8s %8.0f/s  server CPU %s us per request  (%d duplicates, %d non-2xx, load %s)\n", r, v, q, c, d, n, l}' \
      | tee -a "$work/results"
    kill "$pid"; wait "$pid" 2>/dev/null || true
    rm -rf "$work/data-$port"
  done
done
awk '{ rate[$2, $3] = $4 + 0 } END {
    for (r = 1; (r, "A-verify") in rate; r++) printf "round %d: A/bare %.2f, B/bare %.2f, B/A %.2f\n", r,
      rate[r, "A-store"] / rate[r, "A-verify"], rate[r, "B-store"] / rate[r, "A-verify"], rate[r, "B-store"] / rate[r, "A-store"] }' "$work/results"
