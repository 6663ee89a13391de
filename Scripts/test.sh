#!/usr/bin/env bash
# The whole test suite, as CI runs it (.ci/run calls exactly this script):
#   1. set-up (Debian packages and pinned models, only what is missing);
#   2. a short libFuzzer run over the container parsers and decoders (Scripts/fuzz.sh, 60 s);
#   3. release build, then the benchmark regression check (ratios to an sgemm anchor measured in the same
#      run, against Benchmarks/baseline.json; fails when a stage is more than 2× its baseline ratio);
#   4. the unit, parity and end-to-end tests (swift test, release build with testing enabled, so the
#      numeric tests run the real models at speed).
set -euo pipefail
cd "$(dirname "$0")/.."
bash Scripts/setup.sh
if [ "${MYNAFACE_SKIP_FUZZ:-0}" != 1 ]; then
  bash Scripts/fuzz.sh "${MYNAFACE_FUZZ_SECONDS:-60}" 2>&1 | tail -n 12
fi
flags=(-c release -Xswiftc -enable-testing --scratch-path .build-test)
swift build "${flags[@]}" --product mynaface 2>&1 | grep -vE '^\[[0-9]+/[0-9]+\] (Compiling|Write|Emitting)' || true
if [ "${MYNAFACE_SKIP_BENCH:-0}" != 1 ]; then
  "$(swift build "${flags[@]}" --show-bin-path)/mynaface" bench --seconds 0.3 --min-iterations 3 \
      --check Benchmarks/baseline.json --tolerance 2.0
fi
swift test "${flags[@]}"
