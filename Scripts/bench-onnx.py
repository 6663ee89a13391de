#!/usr/bin/env python3
"""Our ONNX graph executor against onnxruntime, in one run on one machine.

Times onnxruntime (CPU provider, intra_op_num_threads 1 and 2) and `mynaface bench-onnx` (GraphNetwork with 1 and 2
threads) on the generated MobileFaceNet- and IResNet-50-shaped models (Scripts/make-onnx-nets.py), model by model,
and prints the medians and the ratio ours / onnxruntime (below 1: we are faster).

Usage: bench-onnx.py MYNAFACE_BINARY [FIXTURES_DIR] [--runs N] [--json]
Needs numpy and onnxruntime==1.32.0 (PyPI).
"""
import argparse
import json
import os
import statistics
import subprocess
import time

import numpy as np
import onnxruntime as ort


def ort_median(path, x, threads, runs):
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    sess = ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])
    for _ in range(3):
        sess.run(None, {"input": x})
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        sess.run(None, {"input": x})
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), min(times)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mynaface")
    p.add_argument("fixtures", nargs="?")
    p.add_argument("--runs", type=int, default=15)
    p.add_argument("--models", default="mobilefacenet,iresnet50")
    p.add_argument("--json", action="store_true")
    a = p.parse_args()
    if not a.fixtures:
        root = os.environ.get("XDG_CACHE_HOME")
        root = os.path.join(root, "mynaface") if root else os.path.join(os.environ["HOME"], ".cache", "mynaface")
        a.fixtures = os.path.join(root, "onnx-fixtures")
    rows = []
    for name in a.models.split(","):
        path = os.path.join(a.fixtures, name + ".onnx")
        x = np.fromfile(os.path.join(a.fixtures, name + ".input.bin"), np.float32).reshape(1, 3, 112, 112)
        ours = json.loads(subprocess.run(
            [a.mynaface, "bench-onnx", "--fixtures", a.fixtures, "--models", name, "--threads", "1,2",
             "--runs", str(a.runs)], check=True, capture_output=True, text=True).stdout)
        for t in (1, 2):
            ort_med, ort_min = ort_median(path, x, t, a.runs)
            mine = next(o for o in ours if o["threads"] == t)
            rows.append({"model": name, "threads": t, "oursMedianMs": round(mine["medianMs"], 2),
                         "ortMedianMs": round(ort_med, 2), "ratio": round(mine["medianMs"] / ort_med, 3),
                         "oursMinMs": round(mine["minMs"], 2), "ortMinMs": round(ort_min, 2)})
    if a.json:
        print(json.dumps({"onnxruntime": ort.__version__, "cores": os.cpu_count(), "rows": rows}, indent=1))
        return
    print(f"onnxruntime {ort.__version__}, {os.cpu_count()} cores, medians of {a.runs} runs (ms)")
    print(f"{'model':<16}{'threads':>8}{'ours':>10}{'onnxruntime':>13}{'ours/ort':>10}")
    for r in rows:
        print(f"{r['model']:<16}{r['threads']:>8}{r['oursMedianMs']:>10.2f}{r['ortMedianMs']:>13.2f}{r['ratio']:>10.3f}")


if __name__ == "__main__":
    main()
