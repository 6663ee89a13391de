#!/usr/bin/env bash
# `mynaface embed --json PHOTO` against face_recognition's `face_encodings` on the fetched sample photos, in a
# throwaway virtual environment (dlib-bin, face_recognition, face_recognition_models; never a project dependency).
# Prints, per photo, the largest |difference| of the 128 numbers for face_recognition's face locations from dlib's
# CNN detector at the photo's own scale (our MMOD detector; the pipeline's agreement) and from its default HOG
# detector (other boxes, so other landmarks). Fails when the CNN comparison exceeds 1e-3.
#   bash Scripts/compare-embed.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. Scripts/paths.sh
venv="${MYNAFACE_DLIB_VENV:-$mynaface_cache_root/dlib-venv}"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import dlib, face_recognition' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet dlib-bin numpy pillow
  "$venv/bin/pip" install --quiet --no-deps face_recognition==1.3.0 face_recognition_models==0.3.0
fi
bash Scripts/setup.sh
swift build -c release --product mynaface 2>&1 | grep -E 'error' && exit 1
bin=$(swift build -c release --show-bin-path)/mynaface
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for photo in obama obama2 obama3 biden; do
  "$bin" embed --json "$mynaface_samples/$photo.jpg" > "$work/$photo.json"
done
"$venv/bin/python" - "$mynaface_samples" "$work" <<'PY'
import json, sys
import numpy as np, face_recognition
samples, work = sys.argv[1], sys.argv[2]
worst = 0.0
for name in ["obama", "obama2", "obama3", "biden"]:
    ours = np.array(json.load(open(f"{work}/{name}.json"))["faces"][0]["embedding"])
    image = face_recognition.load_image_file(f"{samples}/{name}.jpg")
    cnn = face_recognition.face_encodings(image, face_recognition.face_locations(image, 0, "cnn"))
    hog = face_recognition.face_encodings(image)
    d_cnn = min(np.abs(np.array(e) - ours).max() for e in cnn)
    d_hog = min(np.abs(np.array(e) - ours).max() for e in hog)
    worst = max(worst, d_cnn)
    print(f"{name:8s} max|diff| vs face_encodings: CNN locations {d_cnn:.2e}, default HOG locations {d_hog:.2e}")
sys.exit(0 if worst <= 1e-3 else 1)
PY
