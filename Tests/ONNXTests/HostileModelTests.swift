import Foundation
import NeuralCore
import ONNXFormat
import Testing

/// Damaged, hostile and unsupported model files: each is refused with a typed error naming what is wrong, never a
/// crash or a huge allocation.
struct HostileModelTests {
    typealias B = ModelBuilder

    @Test func aHandBuiltModelRunsWithExactOutputs() throws {
        let model = try ONNXModelReader.read(try B.bytes(B.convRelu()))
        #expect(model.inputShape == [1, 1, 2, 2])
        #expect(model.outputShape == [1, 1, 2, 2])
        let net = try GraphNetwork(model: model, channels: 1, height: 2, width: 2, threads: 1)
        let x: [Float] = [-3, -1, 0, 2]
        var y = [Float](repeating: .nan, count: net.outputCount)
        x.withUnsafeBufferPointer { xb in y.withUnsafeMutableBufferPointer { net.run(xb, into: $0) } }
        #expect(y == [0, 0, 1, 5])
    }

    @Test func aConstantFedToAnOperatorThatNeedsAComputedValueIsRefused() throws {
        // relu(c) + x with c an initializer: typed refusals at read, never a trap when the network is planned.
        for op in ["Relu", "Sigmoid", "GlobalAveragePool"] {
            let model = B.model(
                [B.node(op, ["c"], "r", name: "unary"), B.node("Add", ["x", "r"], "y", name: "add")],
                initializers: [B.tensor("c", dims: [1, 1, 2, 2], floats: [1, -2, 3, -4])])
            guard case .graph(.unsupported(let node, let detail)) = try B.readError(model) else {
                Issue.record("\(op) on a constant: \(String(describing: try B.readError(model)))")
                continue
            }
            #expect(node == "unary" && detail == "constant input")
        }
    }

    @Test func aGemmWhoseOutputWouldBeHugeIsRefusedBeforeItIsSized() throws {
        // x (1×1×1024×1024) flattened at axis 4 to [2^20, 1], times B [1, 2^20]: a 2^40-element output.
        let model = B.model(
            [
                B.node("Flatten", ["x"], "f", name: "flatten", [B.int("axis", 4)]),
                B.node("Gemm", ["f", "b"], "y", name: "gemm"),
            ],
            initializers: [B.tensor("b", dims: [1, 1 << 20], floats: [Float](repeating: 1, count: 1 << 20))],
            input: [1, 1, 1024, 1024])
        guard case .graph(.tooLarge(let node, _)) = try B.readError(model) else {
            Issue.record("\(String(describing: try B.readError(model)))")
            return
        }
        #expect(node == "gemm")
    }

    @Test func everyTruncationIsRefused() throws {
        let bytes = try B.bytes(B.convRelu())
        for length in 0..<bytes.count {
            #expect(B.readError(Array(bytes[..<length])) != nil, "the first \(length) of \(bytes.count) bytes")
        }
        // Cut inside the graph's length-delimited field: the decoder itself refuses it.
        guard case .notProtobuf = B.readError(Array(bytes[..<(bytes.count - 3)])) else {
            Issue.record("a truncated graph should be notProtobuf")
            return
        }
    }

    @Test func bytesThatAreNotProtobufAreRefused() {
        #expect(
            B.readError([0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F]).map { if case .notProtobuf = $0 { true } else { false } }
                == true)
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]
        #expect(B.readError(png) != nil)
        #expect(B.readError([]) == .missingGraph || B.readError([]) == .unsupportedOpset(domain: "", version: 0))
    }

    @Test func aFileThatIsNotThereIsUnreadable() {
        let url = URL(fileURLWithPath: "/nonexistent/model.onnx")
        #expect {
            _ = try ONNXModelReader.read(contentsOf: url)
        } throws: { error in
            if case .unreadableFile(let path, _) = error as? ONNXModelError { return path == url.path }
            return false
        }
    }

    @Test func wrongWeightDimsNameTheNode() throws {
        let m = B.model(
            [B.node("Conv", ["x", "w"], "y", name: "the_conv")],
            initializers: [B.tensor("w", dims: [1, 1, 1], floats: [2])])
        guard case .graph(.shapeMismatch(let node, _)) = try B.readError(m) else {
            Issue.record("expected a shape mismatch")
            return
        }
        #expect(node == "the_conv")
    }

    @Test(arguments: [[Int64(0), 1], [-1], [4, 0, 2]])
    func dimsNotAboveZeroAreRefused(_ dims: [Int64]) throws {
        let m = B.model(
            [B.node("Conv", ["x", "w"], "y", name: "conv")], initializers: [B.raw("w", dims: dims, bytes: 0)])
        #expect(try B.readError(m) == .invalidTensor(name: "w", reason: "dimension \(dims.first { $0 <= 0 }!) ≤ 0"))
    }

    @Test func hugeDeclaredSizesAreRefusedBeforeAllocating() throws {
        // 2^40 elements, no data.
        let m = B.model(
            [B.node("Conv", ["x", "w"], "y", name: "conv")],
            initializers: [B.raw("w", dims: [1 << 20, 1 << 20], bytes: 0)])
        #expect(try B.readError(m) == .tensorTooLarge(name: "w", dims: [1 << 20, 1 << 20]))
        // Dims whose product overflows Int64.
        let o = B.model(
            [B.node("Conv", ["x", "w"], "y", name: "conv")],
            initializers: [B.raw("w", dims: [1 << 40, 1 << 40, 1 << 40], bytes: 0)])
        #expect(try B.readError(o) == .tensorTooLarge(name: "w", dims: [1 << 40, 1 << 40, 1 << 40]))
        // An input of 2^20 × 2^20 pixels: refused when planned, not allocated.
        let big = B.model([B.node("Relu", ["x"], "y", name: "relu")], input: [1, 3, 1 << 20, 1 << 20])
        guard case .graph(.tooLarge) = try B.readError(big) else {
            Issue.record("expected tooLarge")
            return
        }
    }

    @Test func rawDataShorterThanDeclaredIsRefused() throws {
        let m = B.model(
            [B.node("Conv", ["x", "w"], "y", name: "conv")], initializers: [B.raw("w", dims: [4, 1, 3, 3], bytes: 10)])
        #expect(try B.readError(m) == .invalidTensor(name: "w", reason: "raw_data holds 10 bytes, dims need 144"))
        let f = B.model(
            [B.node("Conv", ["x", "w"], "y", name: "conv")],
            initializers: [B.tensor("w", dims: [2, 1, 1, 1], floats: [1])])
        #expect(try B.readError(f) == .invalidTensor(name: "w", reason: "float_data holds 1 values, dims need 2"))
    }

    @Test func anUnknownOperatorIsNamed() throws {
        let m = B.model([B.node("LSTM", ["x"], "y", name: "rnn")])
        #expect(try B.readError(m) == .unsupportedOperator(op: "LSTM", node: "rnn"))
    }

    @Test func unsupportedAttributesAreNamed() throws {
        let conv = B.model(
            [B.node("Conv", ["x", "w"], "y", name: "c", [B.string("auto_pad", "SAME_SIDEWAYS")])],
            initializers: [B.tensor("w", dims: [1, 1, 1, 1], floats: [1])])
        #expect(try B.readError(conv) == .unsupportedAttribute(name: "auto_pad", op: "Conv", node: "c"))
        let pool = B.model(
            [B.node("MaxPool", ["x"], "y", name: "p", [B.ints("kernel_shape", [2, 2]), B.int("ceil_mode", 1)])])
        #expect(try B.readError(pool) == .unsupportedAttribute(name: "ceil_mode", op: "MaxPool", node: "p"))
        let unknown = B.model([B.node("Relu", ["x"], "y", name: "r", [B.int("alpha", 1)])])
        #expect(try B.readError(unknown) == .unsupportedAttribute(name: "alpha", op: "Relu", node: "r"))
        let pad = B.model(
            [B.node("Pad", ["x", "p"], "y", name: "pad", [B.string("mode", "reflect")])],
            initializers: [B.int64s("p", [0, 0, 1, 1, 0, 0, 1, 1])])
        #expect(try B.readError(pad) == .unsupportedAttribute(name: "mode", op: "Pad", node: "pad"))
    }

    @Test func aCycleIsRefused() throws {
        let m = B.model(
            [
                B.node("Add", ["x", "b"], "a", name: "first"), B.node("Relu", ["a"], "b", name: "second"),
                B.node("Relu", ["a"], "y", name: "out"),
            ])
        guard case .cycle(let node) = try B.readError(m) else {
            Issue.record("expected a cycle")
            return
        }
        #expect(["first", "second", "out"].contains(node))
    }

    @Test func aMissingInitializerIsNamed() throws {
        let m = B.model([B.node("Conv", ["x", "weights"], "y", name: "conv")])
        #expect(try B.readError(m) == .missingInput(name: "weights", node: "conv"))
    }

    @Test func aReshapeToAnotherCountIsRefused() throws {
        let m = B.model(
            [B.node("Reshape", ["x", "s"], "y", name: "reshape")], initializers: [B.int64s("s", [1, 5])])
        guard case .graph(.shapeMismatch(let node, _)) = try B.readError(m) else {
            Issue.record("expected a shape mismatch")
            return
        }
        #expect(node == "reshape")
    }

    @Test func otherMalformedGraphsAreRefused() throws {
        #expect(
            try B.readError(B.convRelu().with { $0.opsetImport[0].version = 5 })
                == .unsupportedOpset(domain: "", version: 5))
        #expect(
            try B.readError(B.model([B.node("Relu", ["x"], "y", name: "r")], input: [1, 0, 2, 2]))
                == .invalidGraphInput(reason: "dimension 0 of x"))
        #expect(
            try B.readError(B.model([B.node("Relu", ["x"], "y", name: "r")], input: [1, 4]))
                == .invalidGraphInput(reason: "rank 2 (expected 4: NCHW)"))
        #expect(
            try B.readError(
                B.model([B.node("Relu", ["x"], "y", name: "r"), B.node("Relu", ["x"], "y", name: "again")]))
                == .duplicateValue(name: "y"))
        #expect(
            try B.readError(B.model([B.node("Relu", ["x"], "z", name: "r")]))
                == .invalidGraphOutput(reason: "y is not computed by a node"))
        var external = B.tensor("w", dims: [1, 1, 1, 1], floats: [])
        external.dataLocation = .external
        #expect(
            try B.readError(B.model([B.node("Conv", ["x", "w"], "y", name: "c")], initializers: [external]))
                == .externalData(tensor: "w"))
        let int8 = B.raw("w", dims: [1, 1, 1, 1], bytes: 1, type: 3)
        #expect(
            try B.readError(B.model([B.node("Conv", ["x", "w"], "y", name: "c")], initializers: [int8]))
                == .unsupportedDataType(tensor: "w", dataType: 3))
    }

    @Test func theExecutorRefusesAnotherInputSize() throws {
        let model = try ONNXModelReader.read(try B.bytes(B.convRelu()))
        #expect(throws: GraphError.inputShape(expected: [1, 1, 2, 2], got: [1, 1, 3, 3])) {
            _ = try GraphNetwork(model: model, channels: 1, height: 3, width: 3)
        }
    }
}

extension Onnx_ModelProto {
    func with(_ change: (inout Onnx_ModelProto) -> Void) -> Onnx_ModelProto {
        var copy = self
        change(&copy)
        return copy
    }
}
