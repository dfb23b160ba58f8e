#!/usr/bin/env bash
# `switchboard listen` (verify, durable SQLite inbox and request log, a line per request) against the seed's handler on
# Express with the official SDK's verify and no durable store (express/server.js), alternating, ROUNDS times, each
# SECONDS measured after WARMUP seconds of unmeasured load, 64 connections, a new event id per request. Neither server
# has the harness's /stats, so the rate is counted from what each prints per accepted webhook (listen: its `200
# accepted` line; Express: the seed's "Received message from" line), over a window that starts once wrk's connections
# are all open. Prints req/s and server CPU per request for each, then the median of listen/Express per round.
# LISTEN_DLL (default: this worktree's Release build) selects the build of listen; LISTEN_B_DLL adds a second build
# of listen to each round (an A/B of two builds, each against the same Express run).
# Usage: bench/Switchboard.ReceiverLoad/listen-vs-express.sh [ROUNDS=3] [SECONDS=8]   (env: WARMUP=8)
set -euo pipefail
rounds=${1:-3}; seconds=${2:-8}; warmup=${WARMUP:-8}
# shellcheck source=bench-setup.sh
source "$(dirname "$0")/bench-setup.sh" listen-vs-express
root=$(cd "$here/../.." && pwd)
listen_dll=${LISTEN_DLL:-$root/src/Switchboard.Cli/bin/Release/net10.0/switchboard.dll}
[ -n "${LISTEN_DLL:-}" ] || dotnet build "$root/src/Switchboard.Cli" -c Release -v q -nologo >/dev/null
[ -d "$here/express/node_modules" ] || (cd "$here/express" && npm ci --no-audit --no-fund >/dev/null)

# The official SDK refuses a timestamp more than 5 minutes from its clock, as Telnyx documents, and listen does the
# same: each round signs its own webhooks (the first 150,000 lines for the measured runs, the rest for warm-ups).
fresh=150000
# count PORT SECONDS CONNECTIONS PATTERN: wrk against PORT; the server's lines matching PATTERN in $work/out over
# SECONDS, once wrk's CONNECTIONS are established; prints req/s and the server's CPU time per counted request.
count() {
  local port=$1 seconds=$2 connections=$3 pattern=$4 c0 c1 t0 t1 s0 s1 wrk_pid
  COUNT=$fresh WEBHOOKS="$work/w/requests.tsv" wrk -t2 -c"$connections" -d"$((seconds + 3))s" -s "$here/post-signed.lua" "http://127.0.0.1:$port/webhooks/telnyx" > "$work/wrk.out" &
  wrk_pid=$!
  for _ in $(seq 1200); do
    [ "$(ss -Htn state established "( sport = :$port )" | wc -l)" -ge "$connections" ] && break
    sleep 0.1
  done
  sleep 1
  c0=$(grep -c "$pattern" "$work/out" || true); t0=$(date +%s%N); s0=$(cpu_ticks "$pid")
  sleep "$seconds"
  c1=$(grep -c "$pattern" "$work/out" || true); t1=$(date +%s%N); s1=$(cpu_ticks "$pid")
  wait "$wrk_pid"
  awk -v c=$((c1 - c0)) -v ns=$((t1 - t0)) -v s=$((s1 - s0)) -v hz="$(getconf CLK_TCK)" \
    'BEGIN { printf "%.0f %.0f", c / (ns / 1e9), c ? s * 1e6 / hz / c : 0 }'
  echo " $(awk '/Non-2xx/{print $NF} END {}' "$work/wrk.out" | tail -1) $(awk '/duplicates/{print $3}' "$work/wrk.out")"
}

run() { # label port pattern command...
  local label=$1 port=$2 pattern=$3 result
  shift 3
  "$@" > "$work/out" 2>&1 & pid=$!
  for _ in $(seq 200); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
  SKIP=$fresh WEBHOOKS="$work/w/requests.tsv" wrk -t2 -c64 -d"${warmup}s" -s "$here/post-signed.lua" "http://127.0.0.1:$port/webhooks/telnyx" >/dev/null
  result=$(count "$port" "$seconds" 64 "$pattern")
  read -r rate cpu non2xx dups <<<"$result"
  printf "round %d  %-8s %6d/s  server CPU %4d us per request  (%s non-2xx, %s duplicates, load %s)\n" \
    "$round" "$label" "$rate" "$cpu" "${non2xx:-0}" "${dups:-0}" "$(cut -d' ' -f1 /proc/loadavg)" | tee -a "$work/results"
  kill "$pid"; wait "$pid" 2>/dev/null || true
}

port=9900
for round in $(seq "$rounds"); do
  dotnet "$bin" sign --count 220000 --out "$work/w" >/dev/null
  key=$(cat "$work/w/public.key")
  port=$((port + 1)); run express "$port" "Received message from" node "$here/express/server.js" "$port" "$key"
  port=$((port + 1)); run listen "$port" " 200  accepted" dotnet "$listen_dll" listen --urls "http://127.0.0.1:$port" --public-key "$key" --data "$work/data-$port"
  if [ -n "${LISTEN_B_DLL:-}" ]; then
    port=$((port + 1)); run listen-b "$port" " 200  accepted" dotnet "$LISTEN_B_DLL" listen --urls "http://127.0.0.1:$port" --public-key "$key" --data "$work/data-$port"
  fi
  rm -rf "$work"/data-*
done
awk '{ rate[$2, $3] = $4 + 0 } END {
    for (r = 1; (r, "express") in rate; r++) { printf "round %d: listen/Express %.2f", r, rate[r, "listen"] / rate[r, "express"]
      if ((r, "listen-b") in rate) printf ", listen-b/Express %.2f, listen-b/listen %.2f", rate[r, "listen-b"] / rate[r, "express"], rate[r, "listen-b"] / rate[r, "listen"]
      printf "\n" } }' "$work/results"
