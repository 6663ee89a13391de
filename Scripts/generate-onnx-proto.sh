#!/usr/bin/env bash
# Regenerates Sources/ONNXFormat/Generated/onnx.pb.swift, the Swift types of the ONNX schema (committed; not run by CI).
#
# Inputs, pinned:
#   - onnx.proto (proto2 syntax; the wheel ships no onnx.proto3) from the PyPI package onnx==1.23.2
#     (pip install onnx==1.23.2), package `onnx`;
#   - protoc from Debian's protobuf-compiler (apt-get install protobuf-compiler);
#   - protoc-gen-swift built from apple/swift-protobuf at tag 1.39.0, the version Package.swift resolves:
#       git clone --branch 1.39.0 https://github.com/apple/swift-protobuf.git /tmp/swift-protobuf
#       (cd /tmp/swift-protobuf && swift build -c release --product protoc-gen-swift)
# Usage: Scripts/generate-onnx-proto.sh [path/to/protoc-gen-swift]
set -euo pipefail
cd "$(dirname "$0")/.."
plugin="${1:-/tmp/swift-protobuf/.build/release/protoc-gen-swift}"
onnx_dir="$(python3 -c 'import onnx, os; print(os.path.dirname(onnx.__file__))')"
version="$(python3 -c 'import onnx; print(onnx.__version__)')"
[ "$version" = "1.23.2" ] || { echo "expected onnx 1.23.2, found $version" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# The schema's file name decides the generated one (onnx.pb.swift); package onnx → types Onnx_*.
cp "$onnx_dir/onnx.proto" "$work/onnx.proto"
protoc --plugin=protoc-gen-swift="$plugin" --proto_path="$work" \
    --swift_opt=Visibility=Package --swift_out="$work" "$work/onnx.proto"
mkdir -p Sources/ONNXFormat/Generated
cp "$work/onnx.pb.swift" Sources/ONNXFormat/Generated/onnx.pb.swift
echo "wrote Sources/ONNXFormat/Generated/onnx.pb.swift (onnx $version, $(protoc --version))"
