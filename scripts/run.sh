#!/usr/bin/env bash
# The run command (README). Until the Telnyx-compatible platform API exists, this runs what does: a local
# webhook receiver (`switchboard listen`, SQLite in .data/listen) with its inspector page, verifying with a key
# pair made in .data/keys on first run. Send it signed webhooks with `switchboard trigger` (printed below).
# Arguments are passed to `switchboard listen` (e.g. --forward-to http://127.0.0.1:3000/webhooks).
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build src/Switchboard.Cli -c Release -nologo -clp:ErrorsOnly -v quiet
cli=(dotnet src/Switchboard.Cli/bin/Release/net10.0/switchboard.dll)
if [ ! -f .data/keys/ed25519.key ]; then
  echo "generating a signing key pair in .data/keys"
  "${cli[@]}" keys generate --out .data/keys >/dev/null
fi
# 8080: the quick start in README.md listens on 9090.
url="http://127.0.0.1:${PORT:-8080}"
cat <<MSG
public key:  $(cat .data/keys/ed25519.pub)
inspector:   $url/
webhooks:    $url/webhooks/telnyx
try:         ${cli[*]} trigger message.received --to $url/webhooks/telnyx --key .data/keys/ed25519.key
MSG
exec "${cli[@]}" listen --urls "$url" --public-key "$(cat .data/keys/ed25519.pub)" --data .data/listen "$@"
