#!/usr/bin/env python3
"""Writes a model directory for an ArcFace-shaped embedding model with random weights (fixed seed): model.onnx and
manifest.json (docs/models.md) — what the end-to-end tests and `mynaface verify|eval --model DIR` run on without a
licensed model. Decisions made with it are meaningless; it checks the plumbing (68-point landmarks, ArcFace alignment,
preprocessing, the ONNX executor, model identities in templates and threshold files).

The network: 1x3x112x112 (RGB, (x - 127.5) / 127.5) -> Conv 3x3/2 (16) -> BatchNormalization -> PRelu
-> Conv 3x3/2 (32) -> Relu -> Conv 3x3/2 (32) -> Flatten -> Gemm (128) -> output 1x128.
Operators are from the executor's list (issue 24). Needs numpy and onnx (PyPI; Scripts/setup.sh); onnxruntime, when
installed, runs it once as a check.

Usage: Scripts/make-test-embedding-model.py [--out DIR] [--seed N] [--id ID] [--embedding-size N] [--bgr]
Default DIR: <cache root>/test-models/<id> (cache root: $XDG_CACHE_HOME/mynaface, else ~/.cache/mynaface).
"""
import argparse
import hashlib
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def cache_root():
    if os.environ.get("XDG_CACHE_HOME"):
        return os.path.join(os.environ["XDG_CACHE_HOME"], "mynaface")
    return os.path.join(os.path.expanduser("~"), ".cache", "mynaface")


def build(seed, size, name):
    rng = np.random.default_rng(seed)

    def conv_weight(out_c, in_c):
        return (rng.standard_normal((out_c, in_c, 3, 3)) * np.sqrt(2.0 / (in_c * 9))).astype(np.float32)

    inits = [
        numpy_helper.from_array(conv_weight(16, 3), "c1_w"),
        numpy_helper.from_array((rng.standard_normal(16) * 0.1).astype(np.float32), "c1_b"),
        numpy_helper.from_array((1 + 0.1 * rng.standard_normal(16)).astype(np.float32), "bn_scale"),
        numpy_helper.from_array((0.1 * rng.standard_normal(16)).astype(np.float32), "bn_bias"),
        numpy_helper.from_array((0.1 * rng.standard_normal(16)).astype(np.float32), "bn_mean"),
        numpy_helper.from_array((1 + 0.1 * rng.random(16)).astype(np.float32), "bn_var"),
        numpy_helper.from_array(np.full((16, 1, 1), 0.25, dtype=np.float32), "prelu_slope"),
        numpy_helper.from_array(conv_weight(32, 16), "c2_w"),
        numpy_helper.from_array((rng.standard_normal(32) * 0.1).astype(np.float32), "c2_b"),
        numpy_helper.from_array(conv_weight(32, 32), "c3_w"),
        numpy_helper.from_array((rng.standard_normal(32) * 0.1).astype(np.float32), "c3_b"),
        numpy_helper.from_array(
            (rng.standard_normal((size, 32 * 14 * 14)) / np.sqrt(32 * 14 * 14)).astype(np.float32), "fc_w"),
        numpy_helper.from_array((rng.standard_normal(size) * 0.01).astype(np.float32), "fc_b"),
    ]
    conv = dict(kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
    nodes = [
        helper.make_node("Conv", ["input", "c1_w", "c1_b"], ["c1"], name="conv1", **conv),
        helper.make_node("BatchNormalization", ["c1", "bn_scale", "bn_bias", "bn_mean", "bn_var"], ["bn1"],
                         name="bn1", epsilon=1e-5),
        helper.make_node("PRelu", ["bn1", "prelu_slope"], ["p1"], name="prelu1"),
        helper.make_node("Conv", ["p1", "c2_w", "c2_b"], ["c2"], name="conv2", **conv),
        helper.make_node("Relu", ["c2"], ["r2"], name="relu2"),
        helper.make_node("Conv", ["r2", "c3_w", "c3_b"], ["c3"], name="conv3", **conv),
        helper.make_node("Flatten", ["c3"], ["flat"], name="flatten", axis=1),
        helper.make_node("Gemm", ["flat", "fc_w", "fc_b"], ["embedding"], name="fc", transB=1),
    ]
    graph = helper.make_graph(
        nodes, name,
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, 112, 112])],
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, [1, size])],
        inits)
    model = helper.make_model(graph, producer_name="mynaface-test", opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out")
    ap.add_argument("--seed", type=int, default=24)
    ap.add_argument("--id", default="test-arcface-random")
    ap.add_argument("--embedding-size", type=int, default=128)
    ap.add_argument("--bgr", action="store_true", help="declare BGR input in the manifest")
    args = ap.parse_args()
    out = args.out or os.path.join(cache_root(), "test-models", args.id)
    os.makedirs(out, exist_ok=True)
    model = build(args.seed, args.embedding_size, args.id)
    path = os.path.join(out, "model.onnx")
    onnx.save(model, path)
    digest = hashlib.sha256(open(path, "rb").read()).hexdigest()
    manifest = {
        "format": "mynaface-model", "version": 1,
        "id": args.id, "name": f"random-weight ArcFace-shaped test model (seed {args.seed}; not a face model)",
        "file": "model.onnx", "sha256": digest,
        "input": {"width": 112, "height": 112, "layout": "NCHW", "channel_order": "BGR" if args.bgr else "RGB"},
        "normalization": {"mean": [127.5, 127.5, 127.5], "std": [127.5, 127.5, 127.5]},
        "alignment": "arcface-112", "embedding_size": args.embedding_size,
    }
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2, sort_keys=True)
        f.write("\n")
    try:
        import onnxruntime as ort
        x = np.random.default_rng(1).standard_normal((1, 3, 112, 112)).astype(np.float32)
        y = ort.InferenceSession(path, providers=["CPUExecutionProvider"]).run(None, {"input": x})[0]
        assert y.shape == (1, args.embedding_size) and np.isfinite(y).all()
    except ImportError:
        pass
    print(out)


if __name__ == "__main__":
    sys.exit(main())
