#!/usr/bin/env bash
# The kiosk page in a real browser: headless Chromium (Debian's, installed by install-browser.sh when missing), its fake
# camera fed videos made from the sample photos, driven through a genuine, an impostor and a cancelled visit against
# `mynaface serve --kiosk Kiosk` (Scripts/kiosk-browser-test.py; about a minute).
#   bash Scripts/kiosk-test.sh [MYNAFACE_BINARY]    (default: the release test build's binary)
# Screenshots of the final screens: $MYNAFACE_KIOSK_SCREENSHOTS, else .build-test/kiosk-screenshots (ignored by git).
# Skips (exit 0, with a message) when Chromium cannot be installed or numpy/Pillow are unavailable.
set -euo pipefail
cd "$(dirname "$0")/.."
source Scripts/paths.sh
bin=${1:-$(swift build -c release -Xswiftc -enable-testing --scratch-path .build-test --show-bin-path)/mynaface}
out=${MYNAFACE_KIOSK_SCREENSHOTS:-.build-test/kiosk-screenshots}
if ! browser=$(bash Scripts/install-browser.sh); then
  echo "kiosk-test: SKIPPED — Chromium could not be installed (apt-get install chromium failed)"
  exit 0
fi
if ! python3 -c 'import numpy, PIL' 2>/dev/null && ! python3 -m pip install -q numpy Pillow >&2; then
  echo "kiosk-test: SKIPPED — numpy and Pillow (to write the fake camera video) are unavailable"
  exit 0
fi
python3 Scripts/kiosk-browser-test.py --mynaface "$bin" --chromium "$browser" --samples "$mynaface_samples" --out "$out"
