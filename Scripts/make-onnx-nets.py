#!/usr/bin/env python3
"""Writes the ONNX parity fixtures: one small model per operator (and per interesting attribute variant) and three
whole face-embedding-shaped networks with random weights (MobileFaceNet, IResNet-50, SFace-like), each with an input
and onnxruntime's output on it. The Swift tests (Tests/ONNXTests) run our executor on the same input and compare.

Usage: make-onnx-nets.py [OUT_DIR]   (default: <cache root>/onnx-fixtures, as Scripts/paths.sh resolves it)
Writes OUT_DIR/index.json and, per model NAME: NAME.onnx, NAME.input.bin, NAME.output.bin (raw little-endian
float32, shapes in the index). Fixed seeds: the same files on every run. Needs numpy, onnx==1.23.2 and
onnxruntime==1.32.0 (PyPI).
"""
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
import onnxruntime as ort

OPSET = 13


def cache_dir():
    root = os.environ.get("XDG_CACHE_HOME")
    root = os.path.join(root, "mynaface") if root else os.path.join(os.environ["HOME"], ".cache", "mynaface")
    return os.path.join(root, "onnx-fixtures")


class Net:
    """A graph under construction: nodes, initializers and fresh value names."""

    def __init__(self, name, rng):
        self.name = name
        self.rng = rng
        self.nodes = []
        self.inits = []
        self.count = 0

    def fresh(self, stem):
        self.count += 1
        return f"{stem}_{self.count}"

    def const(self, array, stem="w"):
        name = self.fresh(stem)
        self.inits.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def node(self, op, inputs, stem=None, **attrs):
        out = self.fresh(stem or op.lower())
        self.nodes.append(helper.make_node(op, inputs, [out], name=out + "_node", **attrs))
        return out

    def weights(self, *shape, fan_in=None):
        fan_in = fan_in or int(np.prod(shape[1:]))
        return (self.rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(np.float32)

    def conv(self, x, cin, cout, k, stride=1, pad=None, group=1, bias=False, **attrs):
        kh, kw = (k, k) if isinstance(k, int) else k
        pad = (kh // 2) if pad is None else pad
        w = self.const(self.weights(cout, cin // group, kh, kw))
        inputs = [x, w]
        if bias:
            inputs.append(self.const((self.rng.standard_normal(cout) * 0.1).astype(np.float32), "b"))
        if "auto_pad" not in attrs and "pads" not in attrs:
            attrs["pads"] = [pad, pad, pad, pad]
        return self.node("Conv", inputs, kernel_shape=[kh, kw], strides=[stride, stride], group=group, **attrs)

    def bn(self, x, c):
        r = self.rng
        scale = self.const(r.uniform(0.5, 1.0, c).astype(np.float32), "gamma")
        shift = self.const((r.standard_normal(c) * 0.1).astype(np.float32), "beta")
        mean = self.const((r.standard_normal(c) * 0.1).astype(np.float32), "mean")
        var = self.const(r.uniform(0.5, 1.5, c).astype(np.float32), "var")
        return self.node("BatchNormalization", [x, scale, shift, mean, var], epsilon=1e-5)

    def prelu(self, x, c):
        slope = self.const(self.rng.uniform(0.05, 0.3, (c, 1, 1)).astype(np.float32), "slope")
        return self.node("PRelu", [x, slope])

    def model(self, x_in, out, input_shape, output_shape, opset=OPSET):
        graph = helper.make_graph(
            self.nodes, self.name,
            [helper.make_tensor_value_info(x_in, TensorProto.FLOAT, input_shape)],
            [helper.make_tensor_value_info(out, TensorProto.FLOAT, output_shape)],
            self.inits)
        m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], producer_name="make-onnx-nets")
        m.ir_version = 8
        return m


# MARK: per-operator models

def op_models():
    """(name, builder) pairs; a builder takes a Net and the input name and returns (output, input shape, opset)."""
    s = [1, 8, 12, 12]
    cases = []

    def case(name, shape=s, opset=OPSET):
        def register(f):
            cases.append((name, f, shape, opset))
            return f
        return register

    @case("conv_3x3_bias")
    def _(n, x): return n.conv(x, 8, 16, 3, bias=True)
    @case("conv_1x1")
    def _(n, x): return n.conv(x, 8, 16, 1)
    @case("conv_strided")
    def _(n, x): return n.conv(x, 8, 16, 3, stride=2, bias=True)
    @case("conv_dilated")
    def _(n, x): return n.conv(x, 8, 8, 3, pad=2, dilations=[2, 2])
    @case("conv_asymmetric_pads")
    def _(n, x): return n.conv(x, 8, 8, 3, pads=[0, 1, 2, 0], bias=True)
    @case("conv_same_upper")
    def _(n, x): return n.conv(x, 8, 8, 3, stride=2, auto_pad="SAME_UPPER")
    @case("conv_same_lower")
    def _(n, x): return n.conv(x, 8, 8, 2, auto_pad="SAME_LOWER")
    @case("conv_valid_rect")
    def _(n, x): return n.conv(x, 8, 8, (3, 5), auto_pad="VALID", bias=True)
    @case("conv_grouped")
    def _(n, x): return n.conv(x, 8, 16, 3, group=4, bias=True)
    @case("conv_depthwise")
    def _(n, x): return n.conv(x, 8, 8, 3, group=8, bias=True)
    @case("conv_depthwise_strided", shape=[1, 16, 23, 37])
    def _(n, x): return n.conv(x, 16, 16, 3, stride=2, group=16)
    @case("conv_depthwise_gdconv", shape=[1, 32, 7, 7])
    def _(n, x): return n.conv(x, 32, 32, 7, pad=0, group=32)
    @case("conv_depthwise_dilated_asym", shape=[1, 8, 20, 20])
    def _(n, x): return n.conv(x, 8, 8, 3, group=8, dilations=[2, 2], pads=[1, 2, 2, 1])
    @case("conv_winograd", shape=[1, 32, 16, 16])
    def _(n, x): return n.conv(x, 32, 32, 3, bias=True)
    @case("conv_relu")
    def _(n, x): return n.node("Relu", [n.conv(x, 8, 16, 3, bias=True)])
    @case("conv_bn_prelu")
    def _(n, x): return n.prelu(n.bn(n.conv(x, 8, 16, 3), 16), 16)
    @case("depthwise_bn_prelu_scalar")
    def _(n, x):
        y = n.bn(n.conv(x, 8, 8, 3, group=8), 8)
        return n.node("PRelu", [y, n.const(np.array([0.2], np.float32), "slope")])
    @case("batchnorm")
    def _(n, x): return n.bn(x, 8)
    @case("prelu_channel")
    def _(n, x): return n.prelu(x, 8)
    @case("prelu_scalar")
    def _(n, x): return n.node("PRelu", [x, n.const(np.array([0.25], np.float32), "slope")])
    @case("relu")
    def _(n, x): return n.node("Relu", [x])
    @case("sigmoid")
    def _(n, x): return n.node("Sigmoid", [x])
    @case("add_same")
    def _(n, x): return n.node("Add", [x, n.node("Sigmoid", [x])])
    @case("add_channel")
    def _(n, x): return n.node("Add", [x, n.const(n.rng.standard_normal((8, 1, 1)).astype(np.float32))])
    @case("add_scalar")
    def _(n, x): return n.node("Add", [n.const(np.array(0.75, np.float32)), x])
    @case("add_full_constant")
    def _(n, x): return n.node("Add", [x, n.const(n.rng.standard_normal((1, 8, 12, 12)).astype(np.float32))])
    @case("mul_same")
    def _(n, x): return n.node("Mul", [n.node("Relu", [x]), x])
    @case("mul_channel_value")  # squeeze-and-excitation: a computed per-channel gate
    def _(n, x):
        g = n.node("Sigmoid", [n.conv(n.node("GlobalAveragePool", [x]), 8, 8, 1, bias=True)])
        return n.node("Mul", [x, g])
    @case("mul_scalar")
    def _(n, x): return n.node("Mul", [x, n.const(np.array([-1.5], np.float32))])
    @case("maxpool")
    def _(n, x): return n.node("MaxPool", [x], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
    @case("maxpool_same_upper", shape=[1, 8, 13, 11])
    def _(n, x): return n.node("MaxPool", [x], kernel_shape=[3, 3], strides=[2, 2], auto_pad="SAME_UPPER")
    @case("avgpool")
    def _(n, x): return n.node("AveragePool", [x], kernel_shape=[2, 2], strides=[2, 2])
    @case("avgpool_include_pad")
    def _(n, x): return n.node("AveragePool", [x], kernel_shape=[3, 3], pads=[1, 1, 1, 1], count_include_pad=1)
    @case("avgpool_exclude_pad")
    def _(n, x): return n.node("AveragePool", [x], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 0, 1, 2])
    @case("global_average_pool")
    def _(n, x): return n.node("GlobalAveragePool", [x])
    @case("flatten_gemm_transb")
    def _(n, x):
        f = n.node("Flatten", [x], axis=1)
        return n.node("Gemm", [f, n.const(n.weights(10, 8 * 144)), n.const(np.ones(10, np.float32) * 0.3)],
                      transB=1, alpha=0.5, beta=2.0)
    @case("gemm_no_transb_bn1d")
    def _(n, x):
        f = n.node("Flatten", [x])
        y = n.node("Gemm", [f, n.const(n.weights(8 * 144, 12, fan_in=8 * 144))])
        return n.bn(y, 12)
    @case("reshape_matmul")
    def _(n, x):
        r = n.node("Reshape", [x, n.const(np.array([0, -1], np.int64), "shape")])
        return n.node("MatMul", [r, n.const(n.weights(8 * 144, 7, fan_in=8 * 144))])
    @case("reshape_4d")
    def _(n, x): return n.node("Reshape", [x, n.const(np.array([1, 16, -1, 6], np.int64), "shape")])
    @case("concat")
    def _(n, x): return n.node("Concat", [n.conv(x, 8, 4, 1), x, n.node("Relu", [x])], axis=1)
    @case("transpose")
    def _(n, x): return n.node("Transpose", [x], perm=[0, 2, 3, 1])
    @case("pad_constant")
    def _(n, x):
        pads = n.const(np.array([0, 0, 1, 2, 0, 0, 3, 0], np.int64), "pads")
        return n.node("Pad", [x, pads, n.const(np.array(0.5, np.float32), "value")], mode="constant")
    @case("pad_attribute_opset10", opset=10)
    def _(n, x): return n.node("Pad", [x], pads=[0, 1, 2, 0, 0, 2, 0, 1], value=-1.0)
    @case("dropout_identity")
    def _(n, x): return n.node("Identity", [n.node("Dropout", [x])])
    return cases


# MARK: whole networks

def mobilefacenet(n, x, widths=(64, 128), embedding=128, se=False, act="prelu", head="conv"):
    """MobileFaceNet (Chen et al. 2018): depthwise-separable bottlenecks with PReLU and BN, GDConv, linear embedding."""
    def a(y, c):
        return n.prelu(y, c) if act == "prelu" else n.node("Relu", [y])

    def cbr(y, cin, cout, k, s=1, group=1, linear=False, pad=None):
        y = n.bn(n.conv(y, cin, cout, k, stride=s, group=group, pad=pad), cout)
        return y if linear else a(y, cout)

    w0, w1 = widths
    y = cbr(x, 3, w0, 3, 2)
    y = cbr(y, w0, w0, 3, 1, group=w0)
    c = w0
    # (expansion, out channels, units, stride) as the paper's table
    for t, cout, units, stride in [(2, w0, 5, 2), (4, w1, 1, 2), (2, w1, 6, 1), (4, w1, 1, 2), (2, w1, 2, 1)]:
        for u in range(units):
            s = stride if u == 0 else 1
            hidden = c * t
            z = cbr(y, c, hidden, 1)
            z = cbr(z, hidden, hidden, 3, s, group=hidden)
            if se:
                g = n.node("GlobalAveragePool", [z])
                g = n.node("Relu", [n.conv(g, hidden, hidden // 4, 1, bias=True)])
                g = n.node("Sigmoid", [n.conv(g, hidden // 4, hidden, 1, bias=True)])
                z = n.node("Mul", [z, g])
            z = cbr(z, hidden, cout, 1, linear=True)
            y = n.node("Add", [y, z]) if (s == 1 and c == cout) else z
            c = cout
    y = cbr(y, c, 512, 1)
    y = cbr(y, 512, 512, 7, 1, group=512, linear=True, pad=0)  # GDConv: 7×7 depthwise, no padding
    if head == "conv":
        y = n.bn(n.conv(y, 512, embedding, 1, pad=0), embedding)
        return n.node("Flatten", [y])
    y = n.node("Flatten", [y])
    y = n.node("Gemm", [y, n.const(n.weights(embedding, 512))], transB=1)
    return n.bn(y, embedding)


def iresnet(n, x, layers=(3, 4, 14, 3), embedding=512):
    """ArcFace's IResNet: BN-Conv-BN-PReLU-Conv-BN units with a shortcut, four stages, BN-Dropout-FC-BN head."""
    y = n.prelu(n.bn(n.conv(x, 3, 64, 3), 64), 64)
    c = 64
    for stage, (units, cout) in enumerate(zip(layers, (64, 128, 256, 512))):
        for u in range(units):
            s = 2 if u == 0 else 1
            z = n.bn(y, c)
            z = n.prelu(n.bn(n.conv(z, c, cout, 3), cout), cout)
            z = n.bn(n.conv(z, cout, cout, 3, stride=s), cout)
            if s != 1 or c != cout:
                short = n.bn(n.conv(y, c, cout, 1, stride=s, pad=0), cout)
            else:
                short = y
            y = n.node("Add", [z, short])
            c = cout
    y = n.bn(y, 512)
    y = n.node("Dropout", [y])
    y = n.node("Flatten", [y])
    y = n.node("Gemm", [y, n.const(n.weights(embedding, 512 * 7 * 7)), n.const(np.zeros(embedding, np.float32))],
               transB=1)
    return n.bn(y, embedding)


def nets():
    return [
        ("mobilefacenet", lambda n, x: mobilefacenet(n, x), [1, 3, 112, 112]),
        ("iresnet50", lambda n, x: iresnet(n, x), [1, 3, 112, 112]),
        ("sface_like", lambda n, x: mobilefacenet(n, x, widths=(48, 96), embedding=128, se=True, act="relu",
                                                  head="gemm"), [1, 3, 112, 112]),
    ]


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else cache_dir()
    os.makedirs(out_dir, exist_ok=True)
    index = []
    seed = 2024
    builds = [(name, f, shape, opset, "operator") for name, f, shape, opset in op_models()]
    builds += [(name, f, shape, OPSET, "network") for name, f, shape in nets()]
    for name, build, shape, opset, kind in builds:
        seed += 1
        rng = np.random.default_rng(seed)
        n = Net(name, rng)
        y = build(n, "input")
        # The output's shape as shape inference finds it, declared in the model, then checked.
        model = n.model("input", y, shape, None, opset)
        inferred = onnx.shape_inference.infer_shapes(model)
        dims = next(v for v in list(inferred.graph.value_info) + list(inferred.graph.output) if v.name == y)
        out_shape = [d.dim_value for d in dims.type.tensor_type.shape.dim]
        model = n.model("input", y, shape, out_shape, opset)
        onnx.checker.check_model(model, full_check=True)
        path = os.path.join(out_dir, name + ".onnx")
        onnx.save(model, path)
        x = rng.standard_normal(shape).astype(np.float32)
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        sess = ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])
        out = sess.run(None, {"input": x})[0].astype(np.float32)
        assert list(out.shape) == out_shape, (name, out.shape, out_shape)
        x.tofile(os.path.join(out_dir, name + ".input.bin"))
        out.tofile(os.path.join(out_dir, name + ".output.bin"))
        index.append({"name": name, "kind": kind, "model": name + ".onnx", "input": name + ".input.bin",
                      "inputShape": list(shape), "output": name + ".output.bin", "outputShape": list(out.shape)})
    with open(os.path.join(out_dir, "index.json"), "w") as f:
        json.dump({"generator": "Scripts/make-onnx-nets.py", "onnx": onnx.__version__,
                   "onnxruntime": ort.__version__, "models": index}, f, indent=1)
    print(f"make-onnx-nets: {len(index)} models in {out_dir}")


if __name__ == "__main__":
    main()
