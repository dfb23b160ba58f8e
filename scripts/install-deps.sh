#!/usr/bin/env bash
# Installs what the tests need and a fresh machine lacks. Idempotent: installs only what is missing.
# Runs as root in CI (apt-get works there); elsewhere it says what is missing.
set -euo pipefail

need_apt=()
# Node.js and npm drive the interop tests with the official telnyx SDK.
command -v node >/dev/null || need_apt+=(nodejs npm)
# PostgreSQL: the storage contract tests start their own server with initdb and pg_ctl.
if ! command -v initdb >/dev/null && ! compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; then
  need_apt+=(postgresql)
fi
# curl: the README's quick start (which a test runs) waits for serve with it.
command -v curl >/dev/null || need_apt+=(curl ca-certificates)
# Redis: the receiver's Redis tests start their own redis-server.
command -v redis-server >/dev/null || need_apt+=(redis-server)
# Chromium: the web pages' browser tests drive Debian's build through Playwright (no browser download).
[ -x /usr/bin/chromium ] || need_apt+=(chromium)

if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "missing system packages: ${need_apt[*]} (run as root or install them)" >&2
    exit 1
  fi
  echo "installing: ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi
