#!/usr/bin/env bash
# Anchor comparison in one run on one machine: MynaFace's stages against dlib (dlib-bin wheel) and
# face_recognition on the same workload. Installs dlib-bin, face_recognition and face_recognition_models
# into a throwaway virtual environment (never a project dependency), builds MynaFace in release mode,
# exports the benchmark workload, times both sides and prints ours, theirs and the ratio.
#   bash Scripts/compare-dlib.sh [threads]
set -euo pipefail
cd "$(dirname "$0")/.."
threads="${1:-2}"
venv="${MYNAFACE_DLIB_VENV:-$HOME/.cache/mynaface/dlib-venv}"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import dlib, face_recognition' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet dlib-bin numpy pillow
  "$venv/bin/pip" install --quiet --no-deps face_recognition==1.3.0 face_recognition_models==0.3.0
fi
bash Scripts/setup.sh
swift build -c release --product mynaface 2>&1 | grep -vE '^\[[0-9]+/[0-9]+\] (Compiling|Write|Emitting)' || true
bin=$(swift build -c release --show-bin-path)/mynaface
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$bin" bench --json --threads "$threads" --export-workload "$work" > "$work/ours.json"
"$bin" bench --json --threads 1 --stages embed_1,embed_16 > "$work/ours-1thread.json"
OPENBLAS_NUM_THREADS="$threads" "$venv/bin/python" Scripts/compare_dlib.py "$work" "${MYNAFACE_MODELS:-$HOME/.cache/mynaface/models}"
