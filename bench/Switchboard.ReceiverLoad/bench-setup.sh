# Sourced by run.sh, growth.sh and ceiling.sh: installs wrk (Debian) if missing, builds the harness, and sets
# $here (this folder), $bin (the harness) and $work (a scratch folder removed on exit, along with the server $pid).
# Usage: source "$(dirname "$0")/bench-setup.sh" NAME
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
work=$(mktemp -d "/tmp/receiver-$1-XXXXXX")
trap 'kill "${pid:-}" 2>/dev/null || true; rm -rf "$work"' EXIT
dotnet build "$here" -c Release -v q -nologo >/dev/null
bin="$here/bin/Release/net10.0/Switchboard.ReceiverLoad.dll"
