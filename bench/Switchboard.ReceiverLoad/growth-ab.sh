#!/usr/bin/env bash
# Two builds of the library server, A and B, as their databases grow: for each of ROUNDS rounds, A then B (alternating,
# so drift in the machine's speed hits both), each a fresh server on a fresh data folder taking STEPS back-to-back wrk
# runs of 5 s (64 connections) on its own 120,000 lines of one signed file. Prints req/s per step (and the server's
# processor time per request, which moves less with the machine's load) and the data folder's size, then the median per
# step of each build and the ratios B/A. A and B are folders holding a build of this harness
# (e.g. `git worktree add /tmp/a <commit> && dotnet build -c Release /tmp/a/bench/Switchboard.ReceiverLoad -o /tmp/a-bin`).
# Usage: bench/Switchboard.ReceiverLoad/growth-ab.sh A_DIR B_DIR [ROUNDS=2] [STEPS=8]
set -euo pipefail
a_dir=$1; b_dir=$2; rounds=${3:-2}; steps=${4:-8}
# shellcheck source=bench-setup.sh
source "$(dirname "$0")/bench-setup.sh" growth-ab
dotnet "$bin" sign --count $((steps * 120000)) --out "$work/w" >/dev/null
port=9700
for round in $(seq "$rounds"); do
  for build in A B; do
    dir=$a_dir; [ "$build" = B ] && dir=$b_dir
    port=$((port + 1))
    dotnet "$dir/Switchboard.ReceiverLoad.dll" serve --mode store --port "$port" --key-file "$work/w/public.key" --data "$work/data-$port" & pid=$!
    for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
    rates=""; cpus=""
    for i in $(seq 0 $((steps - 1))); do
      out=$(measure "$port" 5 64 SKIP=$((i * 120000)) COUNT=120000 WEBHOOKS="$work/w/requests.tsv")
      rates="$rates $(awk '/Requests\/sec/{print $2}' <<<"$out")"
      cpus="$cpus $(awk '/CPU per/{print $6}' <<<"$out")"
    done
    echo "round $round $build:$rates  (data $(du -sm "$work/data-$port" | cut -f1) MB, load $(cut -d' ' -f1 /proc/loadavg))" | tee -a "$work/results"
    echo "cpu $round $build:$cpus  (server us per request)" | tee -a "$work/cpu"
    kill "$pid"; wait "$pid" 2>/dev/null || true
    rm -rf "$work/data-$port"
  done
done
awk -v steps="$steps" '
  function median(list, n,   i, j, t, v) { n = split(list, v, " "); for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
    return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2 }
  FNR == NR { b = substr($3, 1, 1); for (i = 1; i <= steps; i++) c[b, i] = c[b, i] " " $(3 + i); next }
  { b = substr($3, 1, 1); for (i = 1; i <= steps; i++) r[b, i] = r[b, i] " " $(3 + i) }
  END { for (i = 1; i <= steps; i++) { a = median(r["A", i]); bb = median(r["B", i]); ca = median(c["A", i]); cb = median(c["B", i])
    printf "step %d (%3d-%3d s): A %6.0f/s  B %6.0f/s  B/A %.2f   server CPU per request: A %4.0f us  B %4.0f us  B/A %.2f\n", i, (i - 1) * 5, i * 5, a, bb, bb / a, ca, cb, cb / ca } }' "$work/cpu" "$work/results"
