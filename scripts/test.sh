#!/usr/bin/env bash
# The test command (README): builds with warnings as errors, runs every .NET test project and the Node
# interop tests, installing what they need first. Ends with one line "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

bash scripts/install-deps.sh

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
echo "== build (Release, warnings as errors)"
dotnet build Switchboard.slnx -c Release -warnaserror -nologo -clp:ErrorsOnly

echo "== .NET tests"
set +e
# A test that hangs is stopped after 10 minutes and named ("blame"), rather than holding the run until CI gives up.
dotnet test Switchboard.slnx -c Release --no-build -nologo --blame-hang-timeout 10m --blame-hang-dump-type none --logger "console;verbosity=normal" 2>&1 | tee "$logs/dotnet.txt"
dotnet_rc=${PIPESTATUS[0]}
set -e

echo "== Node interop tests"
export SWITCHBOARD_CLI="$root/src/Switchboard.Cli/bin/Release/net10.0/switchboard.dll"
set +e
(cd tests/interop && npm ci --no-audit --no-fund --loglevel=error && node --test --test-reporter=spec --test-reporter-destination=stdout --test-reporter=tap --test-reporter-destination="$logs/node.tap") 2>&1
node_rc=$?
set -e

# "dotnet test" prints, per test project, "Total tests: N" then "     Passed: N" / "     Failed: N".
count() { { grep -hE "^\s+$1: [0-9]+\s*$" "$2" || true; } | awk '{s+=$2} END {print s+0}'; }
passed=$(count Passed "$logs/dotnet.txt")
failed=$(count Failed "$logs/dotnet.txt")
node_passed=$({ grep -hE '^# pass [0-9]+' "$logs/node.tap" 2>/dev/null || true; } | awk '{s+=$3} END {print s+0}')
node_failed=$({ grep -hE '^# fail [0-9]+' "$logs/node.tap" 2>/dev/null || true; } | awk '{s+=$3} END {print s+0}')
total_passed=$((passed + node_passed))
total_failed=$((failed + node_failed))
# The failures again at the end, where a CI log's tail shows them.
if [ "$failed" -ne 0 ] || [ "$dotnet_rc" -ne 0 ]; then
  echo "== .NET failures"
  { grep -E -A15 "^\s+Failed [A-Za-z_.]+|Test Run Aborted|The active test run was aborted|Test host process crashed" "$logs/dotnet.txt" || true; } | head -150
fi
if [ "$node_failed" -ne 0 ]; then
  echo "== Node failures"
  { grep -E -B2 -A15 "^not ok" "$logs/node.tap" || true; } | head -150
fi
echo "dotnet: $passed passed, $failed failed (exit $dotnet_rc); node: $node_passed passed, $node_failed failed (exit $node_rc)"
echo "$total_passed passed, $total_failed failed"
if [ "$dotnet_rc" -ne 0 ] || [ "$node_rc" -ne 0 ] || [ "$total_failed" -ne 0 ] || [ "$total_passed" -eq 0 ]; then
  exit 1
fi
