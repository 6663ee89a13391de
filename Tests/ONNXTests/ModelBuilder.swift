import Foundation
import ONNXFormat
import SwiftProtobuf

/// Hand-built ONNX models for the reader's tests (the generated protobuf types, serialised to bytes).
enum ModelBuilder {
    static func tensor(_ name: String, dims: [Int64], floats: [Float]) -> Onnx_TensorProto {
        var t = Onnx_TensorProto()
        t.name = name
        t.dims = dims
        t.dataType = 1
        t.floatData = floats
        return t
    }

    static func raw(_ name: String, dims: [Int64], bytes: Int, type: Int32 = 1) -> Onnx_TensorProto {
        var t = Onnx_TensorProto()
        t.name = name
        t.dims = dims
        t.dataType = type
        t.rawData = Data(repeating: 0, count: bytes)
        return t
    }

    static func int64s(_ name: String, _ values: [Int64]) -> Onnx_TensorProto {
        var t = Onnx_TensorProto()
        t.name = name
        t.dims = [Int64(values.count)]
        t.dataType = 7
        t.int64Data = values
        return t
    }

    static func ints(_ name: String, _ values: [Int64]) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto()
        a.name = name
        a.type = .ints
        a.ints = values
        return a
    }

    static func int(_ name: String, _ value: Int64) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto()
        a.name = name
        a.type = .int
        a.i = value
        return a
    }

    static func string(_ name: String, _ value: String) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto()
        a.name = name
        a.type = .string
        a.s = Data(value.utf8)
        return a
    }

    static func node(
        _ op: String, _ inputs: [String], _ output: String, name: String, _ attributes: [Onnx_AttributeProto] = []
    ) -> Onnx_NodeProto {
        var n = Onnx_NodeProto()
        n.opType = op
        n.input = inputs
        n.output = [output]
        n.name = name
        n.attribute = attributes
        return n
    }

    static func value(_ name: String, dims: [Int64]?) -> Onnx_ValueInfoProto {
        var v = Onnx_ValueInfoProto()
        v.name = name
        var t = Onnx_TypeProto.Tensor()
        t.elemType = 1
        if let dims {
            t.shape.dim = dims.map { d in
                var dim = Onnx_TensorShapeProto.Dimension()
                dim.dimValue = d
                return dim
            }
        }
        v.type.tensorType = t
        return v
    }

    /// A model with input `x` of `input` dims and output `output`.
    static func model(
        _ nodes: [Onnx_NodeProto], initializers: [Onnx_TensorProto] = [], input: [Int64] = [1, 1, 2, 2],
        output: String = "y", opset: Int64 = 13
    ) -> Onnx_ModelProto {
        var g = Onnx_GraphProto()
        g.name = "test"
        g.node = nodes
        g.initializer = initializers
        g.input = [value("x", dims: input)]
        g.output = [value(output, dims: nil)]
        var m = Onnx_ModelProto()
        m.irVersion = 8
        var o = Onnx_OperatorSetIdProto()
        o.domain = ""
        o.version = opset
        m.opsetImport = [o]
        m.graph = g
        return m
    }

    static func bytes(_ model: Onnx_ModelProto) throws -> [UInt8] { try model.serializedBytes() }

    /// The error `read` throws for `bytes`, or nil when it reads them.
    static func readError(_ bytes: [UInt8]) -> ONNXModelError? {
        do {
            _ = try ONNXModelReader.read(bytes)
            return nil
        } catch {
            return error
        }
    }

    static func readError(_ model: Onnx_ModelProto) throws -> ONNXModelError? { readError(try bytes(model)) }

    /// `y = relu(2·x + 1)`: a 1×1 convolution (one filter, bias 1) and a ReLU.
    static func convRelu() -> Onnx_ModelProto {
        model(
            [
                node("Conv", ["x", "w", "b"], "c", name: "conv", [ints("kernel_shape", [1, 1])]),
                node("Relu", ["c"], "y", name: "relu"),
            ],
            initializers: [tensor("w", dims: [1, 1, 1, 1], floats: [2]), tensor("b", dims: [1], floats: [1])])
    }
}
