import Foundation
import NeuralCore

/// Checks one ONNX node's operator, inputs and attributes, and translates it into a ``GraphOp``.
///
/// Every attribute a node carries must be one the operator's translation reads, with a value the executor runs;
/// anything else is refused naming the attribute, so a model never runs with an attribute silently ignored.
struct ONNXNodeTranslator {
    let node: Onnx_NodeProto
    /// The node's name, or a generated one (`op#index`) when the model leaves it empty.
    let name: String
    /// The default-domain operator set version the model imports.
    let opset: Int
    private let attributes: [String: Onnx_AttributeProto]

    init(node: Onnx_NodeProto, name: String, opset: Int) throws(ONNXModelError) {
        self.node = node
        self.name = name
        self.opset = opset
        var attributes: [String: Onnx_AttributeProto] = [:]
        for a in node.attribute {
            guard attributes[a.name] == nil else { throw .invalidNode(node: name, reason: "attribute \(a.name) twice") }
            attributes[a.name] = a
        }
        self.attributes = attributes
    }

    /// The operators the executor runs.
    static let supported: Set<String> = [
        "Conv", "BatchNormalization", "PRelu", "Relu", "Add", "Mul", "Sigmoid", "MaxPool", "AveragePool",
        "GlobalAveragePool", "Flatten", "Reshape", "Gemm", "MatMul", "Concat", "Transpose", "Pad", "Dropout",
        "Identity",
    ]

    /// The node's operation. `constant` looks up a constant input by its name (Pad's pads and value).
    /// - Throws: ``ONNXModelError/unsupportedOperator(op:node:)``, ``ONNXModelError/unsupportedAttribute(name:op:node:)``,
    ///   ``ONNXModelError/invalidNode(node:reason:)``.
    func translate(constant: (String) -> GraphConstant?) throws(ONNXModelError) -> GraphOp {
        let op = node.opType
        guard node.domain.isEmpty || node.domain == "ai.onnx", Self.supported.contains(op) else {
            throw .unsupportedOperator(op: op, node: name)
        }
        switch op {
        case "Conv":
            try expect(inputs: 2...3, allowed: ["kernel_shape", "strides", "dilations", "pads", "auto_pad", "group"])
            let window = try window(kernelRequired: false, dilations: true)
            let groups = try int("group") ?? 1
            guard groups >= 1, groups <= 1 << 20 else { throw unsupported("group") }
            return .conv(window, groups: groups)
        case "BatchNormalization":
            try expect(inputs: 5...5, allowed: ["epsilon", "momentum", "spatial", "training_mode"])
            if let spatial = try int("spatial"), spatial != 1 { throw unsupported("spatial") }
            if let training = try int("training_mode"), training != 0 { throw unsupported("training_mode") }
            if node.output.dropFirst().contains(where: { !$0.isEmpty }) {
                throw .invalidNode(node: name, reason: "BatchNormalization's training outputs are not supported")
            }
            let epsilon = try float("epsilon") ?? 1e-5
            guard epsilon.isFinite, epsilon >= 0 else { throw unsupported("epsilon") }
            return .batchNormalization(epsilon: epsilon)
        case "PRelu":
            try expect(inputs: 2...2, allowed: [])
            return .prelu
        case "Relu":
            try expect(inputs: 1...1, allowed: [])
            return .relu
        case "Sigmoid":
            try expect(inputs: 1...1, allowed: [])
            return .sigmoid
        case "Add", "Mul":
            try expect(inputs: 2...2, allowed: [])
            return op == "Add" ? .add : .mul
        case "MaxPool":
            try expect(
                inputs: 1...1, allowed: ["kernel_shape", "strides", "pads", "auto_pad", "ceil_mode", "dilations",
                    "storage_order"])
            if node.output.dropFirst().contains(where: { !$0.isEmpty }) {
                throw .invalidNode(node: name, reason: "MaxPool's Indices output is not supported")
            }
            if let order = try int("storage_order"), order != 0 { throw unsupported("storage_order") }
            if let ceil = try int("ceil_mode"), ceil != 0 { throw unsupported("ceil_mode") }
            return .maxPool(try window(kernelRequired: true, dilations: false))
        case "AveragePool":
            try expect(
                inputs: 1...1, allowed: ["kernel_shape", "strides", "pads", "auto_pad", "ceil_mode", "dilations",
                    "count_include_pad"])
            if let ceil = try int("ceil_mode"), ceil != 0 { throw unsupported("ceil_mode") }
            let include = try int("count_include_pad") ?? 0
            guard include == 0 || include == 1 else { throw unsupported("count_include_pad") }
            return .averagePool(try window(kernelRequired: true, dilations: false), countIncludePad: include == 1)
        case "GlobalAveragePool":
            try expect(inputs: 1...1, allowed: [])
            return .globalAveragePool
        case "Flatten":
            try expect(inputs: 1...1, allowed: ["axis"])
            let axis = try int("axis") ?? 1
            guard (-8...8).contains(axis) else { throw unsupported("axis") }
            return .flatten(axis: axis)
        case "Reshape":
            try expect(inputs: 2...2, allowed: ["allowzero"])
            let allowZero = try int("allowzero") ?? 0
            guard allowZero == 0 || allowZero == 1 else { throw unsupported("allowzero") }
            return .reshape(allowZero: allowZero == 1)
        case "Gemm":
            try expect(inputs: 2...3, allowed: ["alpha", "beta", "transA", "transB"])
            let alpha = try float("alpha") ?? 1
            let beta = try float("beta") ?? 1
            guard alpha.isFinite else { throw unsupported("alpha") }
            guard beta.isFinite else { throw unsupported("beta") }
            let transA = try int("transA") ?? 0
            let transB = try int("transB") ?? 0
            guard transA == 0 || transA == 1 else { throw unsupported("transA") }
            guard transB == 0 || transB == 1 else { throw unsupported("transB") }
            return .gemm(alpha: alpha, beta: beta, transA: transA == 1, transB: transB == 1)
        case "MatMul":
            try expect(inputs: 2...2, allowed: [])
            return .matMul
        case "Concat":
            try expect(inputs: 1...1024, allowed: ["axis"])
            guard let axis = try int("axis") else {
                throw .invalidNode(node: name, reason: "Concat without its axis attribute")
            }
            guard (-8...7).contains(axis) else { throw unsupported("axis") }
            return .concat(axis: axis)
        case "Transpose":
            try expect(inputs: 1...1, allowed: ["perm"])
            let perm = try ints("perm")
            if let perm {
                guard perm.count <= 8, Set(perm).count == perm.count, perm.allSatisfy({ $0 >= 0 && $0 < perm.count })
                else { throw unsupported("perm") }
            }
            return .transpose(perm: perm)
        case "Pad":
            return try pad(constant: constant)
        case "Dropout":
            try expect(inputs: 1...3, allowed: ["ratio", "seed", "is_test"])
            if opset < 7, let isTest = try int("is_test"), isTest == 0 { throw unsupported("is_test") }
            if node.input.count == 3, !node.input[2].isEmpty {
                guard let training = constant(node.input[2]), training.floats.allSatisfy({ $0 == 0 }) else {
                    throw unsupported("training_mode")
                }
            }
            return .identity
        default:  // "Identity"
            try expect(inputs: 1...1, allowed: [])
            return .identity
        }
    }

    // MARK: operator helpers

    private func pad(constant: (String) -> GraphConstant?) throws(ONNXModelError) -> GraphOp {
        let pads: [Int]
        var value: Float = 0
        if opset < 11 {
            try expect(inputs: 1...1, allowed: ["mode", "pads", "value"])
            guard let p = try ints("pads") else { throw .invalidNode(node: name, reason: "Pad without pads") }
            pads = p
            value = try float("value") ?? 0
        } else {
            try expect(inputs: 2...4, allowed: ["mode"])
            if node.input.count == 4, !node.input[3].isEmpty { throw unsupported("axes") }
            guard let p = constant(node.input[1]), let integers = p.integers, p.shape.count == 1 else {
                throw .invalidNode(node: name, reason: "Pad's pads must be a constant 1-D int64 tensor")
            }
            pads = integers
            if node.input.count >= 3, !node.input[2].isEmpty {
                guard let v = constant(node.input[2]), v.floats.count == 1 else {
                    throw .invalidNode(node: name, reason: "Pad's constant_value must be a constant scalar")
                }
                value = v.floats[0]
            }
        }
        if let mode = try string("mode"), mode != "constant" { throw unsupported("mode") }
        guard pads.count % 2 == 0, pads.count <= 16, pads.allSatisfy({ $0 >= 0 && $0 <= 1 << 16 }) else {
            throw unsupported("pads")
        }
        return .pad(pads: pads, value: value)
    }

    /// A 2-D window (kernel, strides, dilations, pads, auto_pad) from the node's attributes.
    private func window(kernelRequired: Bool, dilations allowDilation: Bool) throws(ONNXModelError) -> GraphWindow {
        var window = GraphWindow(kernel: nil)
        if let k = try ints("kernel_shape") {
            guard k.count == 2, k.allSatisfy({ $0 >= 1 && $0 <= 1 << 12 }) else { throw unsupported("kernel_shape") }
            window.kernel = (k[0], k[1])
        } else if kernelRequired {
            throw .invalidNode(node: name, reason: "\(node.opType) without kernel_shape")
        }
        if let s = try ints("strides") {
            guard s.count == 2, s.allSatisfy({ $0 >= 1 && $0 <= 1 << 12 }) else { throw unsupported("strides") }
            window.strides = (s[0], s[1])
        }
        if let d = try ints("dilations") {
            guard d.count == 2, d.allSatisfy({ $0 >= 1 && $0 <= 1 << 12 }), allowDilation || d == [1, 1] else {
                throw unsupported("dilations")
            }
            window.dilations = (d[0], d[1])
        }
        if let p = try ints("pads") {
            guard p.count == 4, p.allSatisfy({ $0 >= 0 && $0 <= 1 << 12 }) else { throw unsupported("pads") }
            window.pads = (p[0], p[1], p[2], p[3])
        }
        switch try string("auto_pad") ?? "NOTSET" {
        case "NOTSET": window.autoPad = .explicit
        case "VALID": window.autoPad = .valid
        case "SAME_UPPER": window.autoPad = .sameUpper
        case "SAME_LOWER": window.autoPad = .sameLower
        default: throw unsupported("auto_pad")
        }
        if window.autoPad != .explicit && attributes["pads"] != nil {
            throw .invalidNode(node: name, reason: "pads and auto_pad \(try string("auto_pad") ?? "") together")
        }
        return window
    }

    // MARK: attribute access

    private func unsupported(_ attribute: String) -> ONNXModelError {
        .unsupportedAttribute(name: attribute, op: node.opType, node: name)
    }

    /// Checks the input count (trailing empty names are absent inputs) and that every attribute is known.
    private func expect(inputs: ClosedRange<Int>, allowed: Set<String>) throws(ONNXModelError) {
        var count = node.input.count
        while count > 0 && node.input[count - 1].isEmpty { count -= 1 }
        guard inputs.contains(count) else {
            throw .invalidNode(node: name, reason: "\(node.opType) with \(count) inputs (takes \(inputs))")
        }
        guard !node.input.isEmpty, !node.input[0].isEmpty else {
            throw .invalidNode(node: name, reason: "\(node.opType) without its first input")
        }
        guard !node.output.isEmpty, !node.output[0].isEmpty else {
            throw .invalidNode(node: name, reason: "\(node.opType) without an output")
        }
        for a in node.attribute where !allowed.contains(a.name) { throw unsupported(a.name) }
    }

    private func attribute(_ key: String, _ type: Onnx_AttributeProto.AttributeType) throws(ONNXModelError)
        -> Onnx_AttributeProto?
    {
        guard let a = attributes[key] else { return nil }
        // Old exporters leave `type` unset; accept the field the value is in.
        guard a.type == type || a.type == .undefined else {
            throw .invalidNode(node: name, reason: "attribute \(key) has type \(a.type), expected \(type)")
        }
        return a
    }

    private func int(_ key: String) throws(ONNXModelError) -> Int? {
        guard let a = try attribute(key, .int) else { return nil }
        guard a.hasI else { throw .invalidNode(node: name, reason: "attribute \(key) has no integer value") }
        return Int(clamping: a.i)
    }

    private func float(_ key: String) throws(ONNXModelError) -> Float? {
        guard let a = try attribute(key, .float) else { return nil }
        guard a.hasF else { throw .invalidNode(node: name, reason: "attribute \(key) has no float value") }
        return a.f
    }

    private func ints(_ key: String) throws(ONNXModelError) -> [Int]? {
        guard let a = try attribute(key, .ints) else { return nil }
        guard a.ints.count <= 64 else { throw unsupported(key) }
        return a.ints.map { Int(clamping: $0) }
    }

    private func string(_ key: String) throws(ONNXModelError) -> String? {
        guard let a = try attribute(key, .string) else { return nil }
        guard let s = String(data: a.s, encoding: .utf8) else { throw unsupported(key) }
        return s
    }
}
