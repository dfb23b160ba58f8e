#!/usr/bin/env bash
# The run command (README): the Telnyx-compatible platform, `switchboard serve`, on http://127.0.0.1:8080 with SQLite in
# ./.switchboard (the database, the signing key pair and the API key, made on first start and reused). Arguments are
# passed to `switchboard serve` (e.g. --global-webhook-url http://127.0.0.1:3000/webhooks/telnyx).
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build src/Switchboard.Cli -c Release -nologo -clp:ErrorsOnly -v quiet
exec dotnet src/Switchboard.Cli/bin/Release/net10.0/switchboard.dll serve "$@"
