#!/usr/bin/env bash
# The whole test suite, as CI runs it (.ci/run calls exactly this script).
# Release build with testing enabled: the numeric tests (ResNet, MMOD, Winograd) run the real models.
set -euo pipefail
cd "$(dirname "$0")/.."
bash Scripts/setup.sh
swift build -c release -Xswiftc -enable-testing --scratch-path .build-test --product mynaface 2>&1 | grep -vE '^\[[0-9]+/[0-9]+\] (Compiling|Write|Emitting)' || true
swift test -c release -Xswiftc -enable-testing --scratch-path .build-test
if [ -x Scripts/fuzz.sh ] && [ "${MYNAFACE_SKIP_FUZZ:-0}" != 1 ]; then
  bash Scripts/fuzz.sh "${MYNAFACE_FUZZ_SECONDS:-60}"
fi
