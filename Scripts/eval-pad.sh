#!/usr/bin/env bash
# The PAD evaluation workflow: generate the attack sequences (outside the repository, once) from the real face data,
# then measure APCER per attack type, BPCER and the DET curves with `mynaface eval --pad` (docs/liveness.md).
# Usage: bash Scripts/eval-pad.sh [FACEDATA (default ../shared/facedata)] [OUT (default pad-eval)]
set -euo pipefail
cd "$(dirname "$0")/.."
. Scripts/paths.sh
facedata=${1:-../shared/facedata}
out=${2:-pad-eval}
attacks="$mynaface_cache_root/pad"
if [ ! -f "$attacks/manifest.tsv" ]; then
  python3 Scripts/make-pad-attacks.py --facedata "$facedata" --samples "$mynaface_samples" --out "$attacks" --frames 6
fi
swift build -c release --product mynaface >/dev/null
"$(swift build -c release --show-bin-path)/mynaface" eval --pad --attacks "$attacks/manifest.tsv" --out "$out"
