#!/usr/bin/env bash
# The main job end to end: install what is missing, build in release mode, and run the CLI on
# a bundled card-face fixture and on a genuine and an impostor pair of real photos.
# Idempotent: a second run installs and downloads nothing and rebuilds nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
bash Scripts/setup.sh
swift build -c release --product mynaface 2>&1 | grep -vE '^\[[0-9]+/[0-9]+\] (Compiling|Write|Emitting)' || true
bin=$(swift build -c release --show-bin-path)/mynaface
samples="${MYNAFACE_SAMPLES:-$HOME/.cache/mynaface/samples}"
card=Fixtures/containers/cardface.bin

echo "== mynaface inspect $card"
"$bin" inspect "$card"
echo
echo "== mynaface verify: the card portrait vs a camera frame (genuine: obama.jpg vs obama2.jpg)"
"$bin" verify --portrait "$samples/obama.jpg" --probe "$samples/obama2.jpg" || true
echo
echo "== mynaface verify (impostor: obama.jpg vs biden.jpg)"
"$bin" verify --portrait "$samples/obama.jpg" --probe "$samples/biden.jpg" || true
echo
echo "== mynaface session: the reception flow against a simulated card, then the eligibility check"
"$bin" session --portrait "$samples/obama.jpg" --probe "$samples/obama2.jpg" || true
