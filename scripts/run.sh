#!/usr/bin/env bash
# The run command (README). Today the runnable part is the `switchboard` CLI: this builds it, makes a key pair
# in .data/keys on first run, and shows the verbs. It will start the platform (SQLite) once that exists.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build src/Switchboard.Cli -c Release -nologo -clp:ErrorsOnly -v quiet
cli=(dotnet src/Switchboard.Cli/bin/Release/net10.0/switchboard.dll)
if [ ! -f .data/keys/ed25519.key ]; then
  echo "generating a signing key pair in .data/keys"
  "${cli[@]}" keys generate --out .data/keys >/dev/null
fi
echo "public key: $(cat .data/keys/ed25519.pub)"
if [ $# -gt 0 ]; then
  exec "${cli[@]}" "$@"
fi
"${cli[@]}" --help
