#!/usr/bin/env python3
"""Threshold sweep of the 68-point liveness cues over the landmark tracks `mynaface eval --pad` wrote.

`mynaface eval --pad --out DIR` writes DIR/pad-landmarks.tsv (kind, type, session, frames as `x y …` joined by `;`):
the product's own landmarks (MMOD boxes, the Swift 68-point predictor). This script recomputes turn68 and
parallax68 from them with the same arithmetic as `ShapeLivenessCues` (Scripts/pad-cues.py), chooses thresholds on a
tuning set only (the first 20 att identities of TUNING), and reports every attack type's APCER and the BPCER on the
held-out tracks (HELD_OUT) at the chosen and at the shipped thresholds, plus the whole sweep (held-out numbers next to
thresholds chosen by looking at them are for orientation only, never for choosing).

    python3 Scripts/pad-retune.py TUNING/pad-landmarks.tsv HELD_OUT/pad-landmarks.tsv
"""
import importlib.util, os, sys

import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("pad_cues", os.path.join(here, "pad-cues.py"))
pad_cues = importlib.util.module_from_spec(spec)
spec.loader.exec_module(pad_cues)

SHIPPED = (0.16, 0.085)  # ShapeLivenessCues' turn68 and parallax68 thresholds
NO_TURN = 0.05  # PADEvaluation.noTurnRange: bona fide sessions without a turn are reported apart


def load(path):
    rows = []
    with open(path) as f:
        for line in f:
            kind, kind_type, session, data = line.rstrip("\n").split("\t")
            frames = []
            for frame in data.split(";"):
                values = [float(v) for v in frame.split()]
                if len(values) == 136:
                    frames.append(np.array(values).reshape(68, 2))
            cues, yaw_range = pad_cues.cues(frames) if len(frames) >= 3 else (None, 0.0)
            rows.append((kind, kind_type, session.split("-")[0], cues, yaw_range))
    return rows


def rates(rows, turn, parallax, keep=lambda identity: True):
    attacks, refused, bona_fide = {}, 0, 0
    for kind, kind_type, identity, cues, yaw_range in rows:
        if not keep(identity):
            continue
        live = cues is not None and pad_cues.passes(cues, turn, parallax)
        if kind == "attack":
            counts = attacks.setdefault(kind_type, [0, 0])
            counts[0] += live
            counts[1] += 1
        elif yaw_range >= NO_TURN:
            refused += not live
            bona_fide += 1
    return attacks, (refused, bona_fide)


def line(attacks, bpcer):
    types = " ".join(f"{t} {a}/{n}" for t, (a, n) in sorted(attacks.items()))
    return f"{types} | BPCER {bpcer[0]}/{bpcer[1]} ({100 * bpcer[0] / max(bpcer[1], 1):.1f}%)"


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    tuning, held_out = load(sys.argv[1]), load(sys.argv[2])
    tune = lambda identity: pad_cues.half(identity) == "tune"
    grid = [(round(t, 3), round(p, 3)) for t in np.arange(0.10, 0.401, 0.02) for p in np.arange(0.04, 0.161, 0.01)]
    # The rule: fewest attacks passing (worst type) on the tuning identities, then fewest bona fide refused, then
    # the least demanding thresholds (smallest turn the patient is asked for).
    scored = []
    for t, p in grid:
        attacks, bpcer = rates(tuning, t, p, tune)
        scored.append((max(a for a, _ in attacks.values()), bpcer[0], t, p))
    worst, refused, turn, parallax = min(scored)
    print(f"chosen on the tuning identities: turn68 ≥ {turn}, parallax68 ≥ {parallax} "
          f"(worst type {worst} attacks passing, {refused} bona fide refused)")
    for name, (t, p) in (("chosen", (turn, parallax)), ("shipped", SHIPPED)):
        print(f"held out, {name} {t}/{p}: {line(*rates(held_out, t, p))}")
    print("sweep (held out, orientation only):")
    for t, p in grid:
        print(f"  {t:.2f} {p:.2f}: {line(*rates(held_out, t, p))}")


if __name__ == "__main__":
    main()
