#!/usr/bin/env bash
# Fuzz the portrait container parsers, image decoders and the ONNX model reader with libFuzzer + AddressSanitizer.
#
#   Scripts/fuzz.sh [seconds] [extra libFuzzer flags…]     (default 60 s; CI runs the default)
#
# Builds the `mynaface-fuzz` product with -sanitize=fuzzer,address in the configuration we ship
# (MYNAFACE_FUZZ_CONFIG=release, the default: the card parsers and codecs at their release optimisation level,
# checked `-O`) or in debug (MYNAFACE_FUZZ_CONFIG=debug), in its own scratch path (.build-fuzz-<config>),
# seeds a corpus from Fixtures/ (kept in .build-fuzz-<config>/corpus, which grows between runs) and runs for the
# given time. MYNAFACE_FUZZ_SKIP_DECODE=1 fuzzes the container parsers only (no pixel decoding).
# Crash reproducers land in .build-fuzz-<config>/artifacts/; replay one with a normal build:
#   swift run mynaface-fuzz .build-fuzz-release/artifacts/crash-…
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_TO_RUN="${1:-60}"
shift || true
CONFIG="${MYNAFACE_FUZZ_CONFIG:-release}"
case "$CONFIG" in release|debug) ;; *) echo "fuzz: MYNAFACE_FUZZ_CONFIG must be release or debug" >&2; exit 2;; esac
SCRATCH=".build-fuzz-$CONFIG"
flags=(-c "$CONFIG" --product mynaface-fuzz --scratch-path "$SCRATCH"
       -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library -Xswiftc -DMYNAFACE_LIBFUZZER)

swift build "${flags[@]}"
BIN="$(swift build "${flags[@]}" --show-bin-path)/mynaface-fuzz"
echo "fuzz: $CONFIG build ($BIN), $SECONDS_TO_RUN s" >&2

CORPUS="$SCRATCH/corpus"
ARTIFACTS="$SCRATCH/artifacts"
mkdir -p "$CORPUS" "$ARTIFACTS"
# Seed with every small fixture (containers, images) and the small ONNX models Scripts/make-onnx-nets.py generates
# outside the repository ($MYNAFACE_ONNX_FIXTURES, else <cache root>/onnx-fixtures, when present; no model file is
# committed); libFuzzer dedups by content.
. Scripts/paths.sh
onnx_seeds="${MYNAFACE_ONNX_FIXTURES:-$mynaface_cache_root/onnx-fixtures}"
[ -d "$onnx_seeds" ] || echo "fuzz: no generated ONNX models in $onnx_seeds (python3 Scripts/make-onnx-nets.py): the ONNX reader starts from an empty seed" >&2
{
  find Fixtures -type f \( -name '*.bin' -o -name '*.jp2' -o -name '*.j2k' -o -name '*.jpg' -o -name '*.jpeg' -o -name '*.png' \) \
    -size -256k -print0
  if [ -d "$onnx_seeds" ]; then find "$onnx_seeds" -type f -name '*.onnx' -size -256k -print0; fi
} | while IFS= read -r -d '' f; do cp -f "$f" "$CORPUS/seed-$(echo "$f" | tr '/' '_')"; done

exec "$BIN" "$CORPUS" -max_total_time="$SECONDS_TO_RUN" -max_len=65536 -rss_limit_mb=2048 -timeout=10 \
    -artifact_prefix="$ARTIFACTS/" -print_final_stats=1 "$@"
