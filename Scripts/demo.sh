#!/usr/bin/env bash
# The main job end to end: install what is missing, build in release mode, and run the CLI on a bundled
# card-face fixture and on a genuine and an impostor pair of real photos, then a reception session.
# Idempotent: a second run installs and downloads nothing and rebuilds nothing.
# Fails (non-zero, with the step named) when any step does not give its expected outcome: the genuine attempt
# must match (exit 0), the impostor pair must be refused as a no-match (exit 1, nothing else), the session
# must verify the patient (exit 0). The default operating point is calibrated on East-Asian faces and is strict
# on these Western sample photos (one frame of obama2.jpg alone is refused; against the card's greyscale chip
# even two fused frames are), so the genuine verify fuses two frames and the session verifies by PIN.
set -euo pipefail
cd "$(dirname "$0")/.."
bash Scripts/setup.sh
. Scripts/paths.sh
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! swift build -c release --product mynaface >"$log" 2>&1; then
  grep -vE '^\[[0-9]+/[0-9]+\] (Compiling|Write|Emitting)' "$log" >&2
  echo "demo: the release build failed" >&2; exit 1
fi
bin=$(swift build -c release --show-bin-path)/mynaface
samples="$mynaface_samples"
card=Fixtures/containers/cardface.bin

# step NAME EXPECTED_STATUS COMMAND...: runs the command, fails the demo unless it exits with EXPECTED_STATUS.
step() {
  local name=$1 expected=$2; shift 2
  echo "== $name"
  local status=0
  "$@" || status=$?
  if [ "$status" -ne "$expected" ]; then
    echo "demo: step '$name' exited $status, expected $expected" >&2; exit 1
  fi
  echo
}

step "mynaface inspect $card" 0 "$bin" inspect "$card"
step "mynaface embed: the descriptor of a photo's face (first 4 of 128 numbers)" 0 \
  bash -c 'set -o pipefail; "$0" embed "$1" | head -n 4' "$bin" "$samples/obama.jpg"
step "mynaface verify: the card portrait vs one attempt's camera frames, fused (genuine: obama.jpg vs obama2.jpg + obama3.jpg)" 0 \
  "$bin" verify --portrait "$samples/obama.jpg" --probe "$samples/obama2.jpg" --probe "$samples/obama3.jpg"
step "mynaface verify (impostor: obama.jpg vs biden.jpg; a no-match is the expected outcome)" 1 \
  "$bin" verify --portrait "$samples/obama.jpg" --probe "$samples/biden.jpg"
step "mynaface session: the reception flow against a simulated card (greyscale chip portrait; the strict default refuses these Western photos, the PIN verifies), then the eligibility check" 0 \
  bash -c 'printf "1234\n" | "$0" session --portrait "$1" --probe "$2" --probe "$3" --pin-stdin' \
  "$bin" "$samples/obama.jpg" "$samples/obama2.jpg" "$samples/obama3.jpg"
step "mynaface session at dlib's own operating point (--threshold 0.6): the face verifies" 0 \
  "$bin" session --portrait "$samples/obama.jpg" --probe "$samples/obama2.jpg" --threshold 0.6
echo "demo: every step gave its expected outcome"
