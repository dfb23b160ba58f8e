#!/usr/bin/env bash
# The platform's throughput beside the delivery engine's own, in one session, alternating, for the ratio the
# messaging issue sets as its floor: messages/s x 3 >= 0.5 x deliveries/s of `Switchboard.DeliveryLoad sqlite`.
#   bench/Switchboard.PlatformLoad/compare.sh [runs] [messages] [deliveries]
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-3}; messages=${2:-20000}; deliveries=${3:-60000}
dotnet build bench/Switchboard.PlatformLoad -c Release -nologo -clp:ErrorsOnly -v quiet >/dev/null
bin=bench/Switchboard.PlatformLoad/bin/Release/net10.0
engine=bench/Switchboard.DeliveryLoad/bin/Release/net10.0
platform_rates=(); engine_rates=()
for run in $(seq 1 "$runs"); do
  e=$(dotnet "$engine/Switchboard.DeliveryLoad.dll" sqlite "$deliveries" 1 | grep '^sqlite end to end' | sed -E 's/^[^=]*= ([0-9,]+)\/s.*/\1/' | tr -d ,)
  p=$(dotnet "$bin/Switchboard.PlatformLoad.dll" throughput "$messages" | sed -E 's/.* = ([0-9,]+) messages\/s.*/\1/' | tr -d ,)
  echo "run $run: delivery engine $e deliveries/s; platform $p messages/s = $((p * 3)) webhooks/s; ratio $(awk -v p="$p" -v e="$e" 'BEGIN {printf "%.2f", p * 3 / e}')"
  engine_rates+=("$e"); platform_rates+=("$p")
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
e=$(median "${engine_rates[@]}"); p=$(median "${platform_rates[@]}")
echo "medians of $runs runs: delivery engine $e deliveries/s; platform $p messages/s = $((p * 3)) webhooks/s; ratio $(awk -v p="$p" -v e="$e" 'BEGIN {printf "%.2f", p * 3 / e}') (floor 0.5)"
