#!/usr/bin/env bash
# Installs Debian's Chromium (for the kiosk browser test) and the Japanese fonts its screenshots need, only those missing.
# Prints the browser's path on stdout; exits 1 (with a message) when it cannot be installed.
set -euo pipefail
pkgs=(chromium fonts-noto-cjk)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-browser: installing ${missing[*]}" >&2
  sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  if ! { $sudo_cmd apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq \
           --no-install-recommends "${missing[@]}" >&2; }; then
    echo "install-browser: ${missing[*]} could not be installed" >&2
    exit 1
  fi
fi
browser=$(command -v chromium || true)
[ -n "$browser" ] || { echo "install-browser: no chromium on PATH" >&2; exit 1; }
echo "$browser"
