#!/usr/bin/env bash
# The browser test drives Debian's Chromium (playwright-core never downloads a browser).
# Installs it when missing, as CI and `npm test` on a fresh machine need.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then exit 0; fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
  echo "The browser test needs /usr/bin/chromium: install Debian's chromium package (apt-get install chromium)." >&2
  exit 1
fi
echo "Installing chromium for the browser test…"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
