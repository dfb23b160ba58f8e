# Sourced by run.sh, growth.sh and ceiling.sh: installs wrk (Debian) if missing, builds the harness, and sets
# $here (this folder), $bin (the harness) and $work (a scratch folder removed on exit, along with the server $pid).
# Usage: source "$(dirname "$0")/bench-setup.sh" NAME
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
work=$(mktemp -d "/tmp/receiver-$1-XXXXXX")
trap 'kill "${pid:-}" 2>/dev/null || true; rm -rf "$work"' EXIT
dotnet build "$here" -c Release -v q -nologo >/dev/null
bin="$here/bin/Release/net10.0/Switchboard.ReceiverLoad.dll"

# measure PORT SECONDS CONNECTIONS [VAR=value...]: wrk with post-signed.lua (the variables go to its environment)
# against the server on PORT; prints the rate the server answered with 2xx over SECONDS, counted by the server once
# all CONNECTIONS were open, then wrk's latency, duplicate and error lines. Not wrk's own rate: wrk loads each thread's
# share of the file in turn and starts its clock after the last, so its first thread sends alone, uncounted in the
# time, for as long as the others load (seconds for the 450,000-line file; it made the bare endpoint look 1.7 times
# faster). The latency lines still include that first stretch. Also prints the processor time the server ($pid) and wrk
# each spent per answered request over the same window: what the server costs apart from the load generator beside it.
measure() {
  local port=$1 seconds=$2 connections=$3 stats c0 c1 t0 t1 s0 s1 w0 w1 wrk_pid
  shift 3
  env "$@" wrk -t2 -c"$connections" -d"$((seconds + 3))s" -s "$here/post-signed.lua" "http://127.0.0.1:$port/webhooks/telnyx" > "$work/wrk.out" &
  wrk_pid=$!
  for _ in $(seq 1200); do
    stats=$(curl -s "http://127.0.0.1:$port/stats" || echo "0 0")
    [ "${stats#* }" -gt "$connections" ] && break # the /stats request's own connection is one of them
    sleep 0.1
  done
  [ "${stats#* }" -gt "$connections" ] || { echo "measure: wrk never opened its $connections connections" >&2; return 1; }
  sleep 1
  c0=$(curl -s "http://127.0.0.1:$port/stats"); t0=$(date +%s%N); s0=$(cpu_ticks "$pid"); w0=$(cpu_ticks "$wrk_pid")
  sleep "$seconds"
  c1=$(curl -s "http://127.0.0.1:$port/stats"); t1=$(date +%s%N); s1=$(cpu_ticks "$pid"); w1=$(cpu_ticks "$wrk_pid")
  wait "$wrk_pid"
  awk -v c=$((${c1%% *} - ${c0%% *})) -v ns=$((t1 - t0)) -v s=$((s1 - s0)) -v w=$((w1 - w0)) -v hz="$(getconf CLK_TCK)" 'BEGIN {
    printf "Requests/sec: %.0f (counted by the server)\n", c / (ns / 1e9)
    if (c == 0) { print "measure: no 2xx answers in the window (the signed webhooks expire an hour after signing)" > "/dev/stderr"; exit }
    printf "CPU per answered request: server %.0f us, wrk %.0f us\n", s * 1e6 / hz / c, w * 1e6 / hz / c }'
  grep -E "Non-2xx|p50|Socket errors|duplicates" "$work/wrk.out" || true
}

# cpu_ticks PID: the user and system time the process has used so far, in clock ticks (fields 14 and 15 of its stat).
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
