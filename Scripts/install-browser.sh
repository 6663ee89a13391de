#!/usr/bin/env bash
# Installs Debian's headless-capable Chromium for the kiosk browser test, only when missing.
# Prints the browser's path on stdout; exits 1 (with a message) when it cannot be installed.
set -euo pipefail
find_browser() { command -v chromium || command -v chromium-browser || command -v google-chrome || true; }
browser=$(find_browser)
if [ -z "$browser" ]; then
  echo "install-browser: installing chromium (Debian)" >&2
  sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  if ! { $sudo_cmd apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq \
           --no-install-recommends chromium fonts-noto-cjk >&2; }; then
    echo "install-browser: chromium could not be installed" >&2
    exit 1
  fi
  browser=$(find_browser)
fi
[ -n "$browser" ] || { echo "install-browser: no chromium after install" >&2; exit 1; }
echo "$browser"
