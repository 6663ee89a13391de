#!/usr/bin/env bash
# Installs the Debian packages MynaFace builds and runs against, only those missing.
set -euo pipefail
pkgs=(libjpeg62-turbo-dev libopenjp2-7-dev libpng-dev libblas-dev libopenblas0-pthread libsqlite3-dev
      libopenjp2-tools libjpeg-turbo-progs pkg-config python3 python3-venv)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-system-deps: installing ${missing[*]}" >&2
  sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi
