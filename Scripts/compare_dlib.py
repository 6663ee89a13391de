"""Times dlib (dlib-bin) and face_recognition on the workload `mynaface bench --export-workload` wrote,
and prints a table against MynaFace's own numbers from the same run (ours.json, ours-1thread.json).
Run by Scripts/compare-dlib.sh inside its throwaway virtual environment."""
import json
import statistics
import sys
import time

import dlib
import face_recognition
import numpy as np
from PIL import Image

work, models = sys.argv[1], sys.argv[2]


def timed(fn, runs=10, min_seconds=1.0):
    fn()  # warm-up
    samples, start = [], time.perf_counter()
    while len(samples) < runs or (time.perf_counter() - start < min_seconds and len(samples) < 200):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    return statistics.median(samples)


def rgb(path):
    return np.array(Image.open(path).convert("RGB"))


frame720, frame480 = rgb(f"{work}/frame-1280x720.jpg"), rgb(f"{work}/frame-640x480.jpg")
chip = rgb(f"{work}/chip.png")
portrait = np.array(Image.open(f"{work}/portrait.jp2").convert("RGB"))
facerec = dlib.face_recognition_model_v1(f"{models}/dlib_face_recognition_resnet_model_v1.dat")
sp = dlib.shape_predictor(f"{models}/shape_predictor_5_face_landmarks.dat")
cnn = dlib.cnn_face_detection_model_v1(f"{models}/mmod_human_face_detector.dat")
hog = dlib.get_frontal_face_detector()
box = hog(frame720, 1)[0] if len(hog(frame720, 1)) else dlib.rectangle(480, 200, 800, 520)
shape = sp(frame720, box)

theirs = {
    "embed_1": timed(lambda: facerec.compute_face_descriptor(chip)),
    "embed_16": timed(lambda: facerec.compute_face_descriptor([chip] * 16), runs=3) / 16,
    "landmarks": timed(lambda: sp(frame720, box), runs=50),
    "align": timed(lambda: dlib.get_face_chip(frame720, shape, 150, 0.25), runs=50),
    "detect_640x480 (HOG)": timed(lambda: hog(frame480, 0), runs=5),
    "detect_1280x720 (HOG)": timed(lambda: hog(frame720, 0), runs=5),
    "detect_1280x720 (HOG, upsample 1)": timed(lambda: hog(frame720, 1), runs=3),
    "detect_640x480 (MMOD)": timed(lambda: cnn(frame480, 0), runs=2, min_seconds=0),
    "detect_1280x720 (MMOD)": timed(lambda: cnn(frame720, 0), runs=2, min_seconds=0),
}


def fr_verify():
    # face_recognition's whole verify: locate (HOG, upsample 1), landmarks, descriptor for both images.
    known = face_recognition.face_encodings(portrait, face_recognition.face_locations(portrait))
    probe = face_recognition.face_encodings(frame720, face_recognition.face_locations(frame720))
    return face_recognition.compare_faces(known, probe[0]) if known and probe else None


theirs["enroll_and_verify"] = timed(fr_verify, runs=3)

ours = {m["id"]: m for m in json.load(open(f"{work}/ours.json"))["stages"]}
ours1 = {m["id"]: m for m in json.load(open(f"{work}/ours-1thread.json"))["stages"]}
report = json.load(open(f"{work}/ours.json"))


def per_item(m):
    return m["medianMs"] / m["itemsPerRun"]


rows = [
    ("embed, 1 chip", per_item(ours["embed_1"]), theirs["embed_1"]),
    ("embed, 1 chip, 1 thread", per_item(ours1["embed_1"]), theirs["embed_1"]),
    ("embed, batch 16 (per chip)", per_item(ours["embed_16"]), theirs["embed_16"]),
    ("embed, batch 16, 1 thread (per chip)", per_item(ours1["embed_16"]), theirs["embed_16"]),
    ("landmarks (5 points)", per_item(ours["landmarks"]), theirs["landmarks"]),
    ("align (150x150 chip)", per_item(ours["align"]), theirs["align"]),
    ("detect 640x480 vs dlib MMOD", per_item(ours["detect_640x480"]), theirs["detect_640x480 (MMOD)"]),
    ("detect 1280x720 vs dlib MMOD", per_item(ours["detect_1280x720"]), theirs["detect_1280x720 (MMOD)"]),
    ("detect 640x480 vs dlib HOG", per_item(ours["detect_640x480"]), theirs["detect_640x480 (HOG)"]),
    ("detect 1280x720 vs dlib HOG", per_item(ours["detect_1280x720"]), theirs["detect_1280x720 (HOG)"]),
    ("detect 1280x720 vs face_recognition HOG (upsample 1)", per_item(ours["detect_1280x720"]),
     theirs["detect_1280x720 (HOG, upsample 1)"]),
    ("verify: card-face file + 1280x720 JPEG vs face_recognition", per_item(ours["enroll_and_verify"]),
     theirs["enroll_and_verify"]),
]
print(f"{'stage':58} {'ours ms':>9} {'dlib ms':>9} {'speed-up':>9}")
for name, a, b in rows:
    print(f"{name:58} {a:9.2f} {b:9.2f} {b / a:8.1f}x")
for sid in ("jpeg_decode_1280x720", "jp2_decode_portrait", "enroll_card_face", "verify_frame", "model_load"):
    if sid in ours:
        print(f"{ours[sid]['title']:58} {per_item(ours[sid]):9.2f}")
floor = report["embeddingFloorMs"]
print(f"sgemm peak measured: {report['anchorGFLOPS']} GFLOPS -> embedding compute floor {floor:.2f} ms "
      f"(0.271 GMAC); ours reaches {100 * floor / per_item(ours['embed_1']):.0f}% of it "
      f"({100 * floor / per_item(ours['embed_16']):.0f}% batched)")
