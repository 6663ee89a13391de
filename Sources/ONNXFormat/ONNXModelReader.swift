import Foundation
import NeuralCore
import SwiftProtobuf

/// Reads an ONNX model file (a protobuf ModelProto) into a validated ``GraphModel`` for ``GraphNetwork``.
///
/// The bytes are untrusted: the file size, every tensor's dims and data length, the node count and every
/// operator's attributes are checked before anything is sized from them; the nodes are sorted topologically
/// (cycles and dangling inputs are refused); and when the input's channels, height and width are declared, the
/// whole graph is planned once for that size, so a shape error is reported here, naming its node.
package enum ONNXModelReader {
    /// Largest model file read (1 GiB).
    package static let maximumFileBytes = 1 << 30
    /// Largest element count of one tensor (2^28 floats, 1 GiB).
    package static let maximumTensorElements = 1 << 28
    /// Most nodes (and most initializers) in a graph.
    package static let maximumNodes = 100_000
    /// The default-domain operator set versions the reader knows (ONNX 1.2 … 1.23).
    package static let supportedOpsets = 7...28

    /// Reads the model file at `url`.
    /// - Throws: ``ONNXModelError/unreadableFile(path:reason:)``, ``ONNXModelError/fileTooLarge(bytes:limit:)``,
    ///   and every error of ``read(_:)``.
    package static func read(contentsOf url: URL) throws(ONNXModelError) -> GraphModel {
        let size: Int
        do {
            let values = try url.resourceValues(forKeys: [.fileSizeKey, .isRegularFileKey])
            guard values.isRegularFile == true else {
                throw ONNXModelError.unreadableFile(path: url.path, reason: "not a regular file")
            }
            size = values.fileSize ?? 0
        } catch let error as ONNXModelError {
            throw error
        } catch {
            throw .unreadableFile(path: url.path, reason: error.localizedDescription)
        }
        guard size <= maximumFileBytes else { throw .fileTooLarge(bytes: size, limit: maximumFileBytes) }
        let data: Data
        do {
            data = try Data(contentsOf: url, options: .mappedIfSafe)
        } catch {
            throw .unreadableFile(path: url.path, reason: error.localizedDescription)
        }
        guard data.count <= maximumFileBytes else { throw .fileTooLarge(bytes: data.count, limit: maximumFileBytes) }
        return try read(data)
    }

    /// Reads a model from its bytes.
    /// - Throws: ``ONNXModelError`` naming what is wrong: not protobuf or truncated, unsupported opset, operator or
    ///   attribute, malformed or oversized tensors, missing initializers, cycles, an invalid input or output, or a
    ///   shape error found by planning the graph for its declared input size (``ONNXModelError/graph(_:)``).
    package static func read(_ bytes: [UInt8]) throws(ONNXModelError) -> GraphModel {
        guard bytes.count <= maximumFileBytes else { throw .fileTooLarge(bytes: bytes.count, limit: maximumFileBytes) }
        return try read(Data(bytes))
    }

    static func read(_ data: Data) throws(ONNXModelError) -> GraphModel {
        let model: Onnx_ModelProto
        do {
            var options = BinaryDecodingOptions()
            options.messageDepthLimit = 64
            model = try Onnx_ModelProto(serializedBytes: data, options: options)
        } catch {
            throw .notProtobuf(reason: "\(error)")
        }
        var builder = GraphBuilder(model: model)
        return try builder.build()
    }
}

/// Builds the ``GraphModel`` of one decoded ModelProto.
private struct GraphBuilder {
    let model: Onnx_ModelProto
    var ids: [String: Int] = [:]
    var names: [String] = []
    var constants: [Int: GraphConstant] = [:]

    init(model: Onnx_ModelProto) { self.model = model }

    mutating func id(_ name: String) -> Int {
        if let i = ids[name] { return i }
        ids[name] = names.count
        names.append(name)
        return names.count - 1
    }

    mutating func build() throws(ONNXModelError) -> GraphModel {
        // Operator set.
        var opset: Int?
        for o in model.opsetImport where o.domain.isEmpty || o.domain == "ai.onnx" { opset = Int(clamping: o.version) }
        guard let opset, ONNXModelReader.supportedOpsets.contains(opset) else {
            throw .unsupportedOpset(domain: "", version: opset ?? 0)
        }
        guard model.hasGraph, !model.graph.node.isEmpty else { throw .missingGraph }
        let graph = model.graph
        let limit = ONNXModelReader.maximumNodes
        guard graph.node.count <= limit else { throw .tooManyNodes(count: graph.node.count, limit: limit) }
        guard graph.initializer.count <= limit else { throw .tooManyNodes(count: graph.initializer.count, limit: limit) }
        guard graph.sparseInitializer.isEmpty else {
            throw .invalidTensor(name: graph.sparseInitializer[0].values.name, reason: "sparse initializers")
        }

        // Value 0: the one graph input that is not an initializer.
        let initializerNames = Set(graph.initializer.map(\.name))
        let inputs = graph.input.filter { !initializerNames.contains($0.name) }
        guard inputs.count == 1 else {
            throw .invalidGraphInput(reason: "\(inputs.count) inputs besides the initializers (expected 1)")
        }
        let input = inputs[0]
        guard !input.name.isEmpty else { throw .invalidGraphInput(reason: "the input has no name") }
        _ = id(input.name)
        let inputShape = try declaredShape(input, role: "input")
        guard inputShape.count == 4 else {
            throw .invalidGraphInput(reason: "rank \(inputShape.count) (expected 4: NCHW)")
        }
        if case .tensorType(let t) = input.type.value, t.hasElemType, t.elemType != Int32(ONNXTensorDecoder.float32) {
            throw .invalidGraphInput(reason: "element type \(t.elemType) (expected float32)")
        }

        // Constants: initializers and Constant nodes.
        for tensor in graph.initializer {
            guard !tensor.name.isEmpty else { throw .invalidTensor(name: "", reason: "an initializer without a name") }
            guard ids[tensor.name] == nil || tensor.name == input.name else { throw .duplicateValue(name: tensor.name) }
            constants[id(tensor.name)] = try ONNXTensorDecoder.decode(tensor, name: tensor.name)
        }
        var operators: [(node: Onnx_NodeProto, name: String)] = []
        for (index, node) in graph.node.enumerated() {
            let name = node.name.isEmpty ? "\(node.opType)#\(index)" : node.name
            if node.opType == "Constant" && (node.domain.isEmpty || node.domain == "ai.onnx") {
                guard node.output.count == 1, !node.output[0].isEmpty, node.input.isEmpty else {
                    throw .invalidNode(node: name, reason: "Constant takes no input and has one output")
                }
                guard ids[node.output[0]] == nil else { throw .duplicateValue(name: node.output[0]) }
                constants[id(node.output[0])] = try constantValue(node, name: name)
            } else {
                operators.append((node, name))
            }
        }

        // Topological order (Kahn): a node is ready when all its inputs are the input, constants or ready outputs.
        var producer: [String: Int] = [:]
        for (index, op) in operators.enumerated() {
            for output in op.node.output where !output.isEmpty {
                guard producer[output] == nil, ids[output] == nil else { throw .duplicateValue(name: output) }
                producer[output] = index
            }
        }
        var waiting = [Int](repeating: 0, count: operators.count)
        var consumers = [[Int]](repeating: [], count: operators.count)
        for (index, op) in operators.enumerated() {
            for input in op.node.input where !input.isEmpty {
                if let p = producer[input] {
                    waiting[index] += 1
                    consumers[p].append(index)
                } else if ids[input] == nil {
                    throw .missingInput(name: input, node: op.name)
                }
            }
        }
        var ready = (0..<operators.count).filter { waiting[$0] == 0 }
        var order: [Int] = []
        order.reserveCapacity(operators.count)
        while let next = ready.popLast() {
            order.append(next)
            for c in consumers[next] {
                waiting[c] -= 1
                if waiting[c] == 0 { ready.append(c) }
            }
        }
        if order.count < operators.count, let stuck = (0..<operators.count).first(where: { waiting[$0] > 0 }) {
            throw .cycle(node: operators[stuck].name)
        }

        // Translate the nodes in that order.
        var nodes: [GraphNode] = []
        nodes.reserveCapacity(order.count)
        for index in order {
            let (node, name) = operators[index]
            let translator = try ONNXNodeTranslator(node: node, name: name, opset: opset)
            let constants = self.constants
            let ids = self.ids
            let op = try translator.translate { n in ids[n].flatMap { constants[$0] } }
            var inputs: [Int] = []
            for input in node.input { inputs.append(input.isEmpty ? -1 : id(input)) }
            while inputs.last == -1 { inputs.removeLast() }
            nodes.append(GraphNode(name: name, op: op, inputs: inputs, output: id(node.output[0])))
        }

        // The one output, computed by a node.
        guard graph.output.count == 1 else {
            throw .invalidGraphOutput(reason: "\(graph.output.count) outputs (expected 1)")
        }
        guard let output = ids[graph.output[0].name], producer[graph.output[0].name] != nil else {
            throw .invalidGraphOutput(reason: "\(graph.output[0].name) is not computed by a node")
        }
        var outputShape = (try? declaredShape(graph.output[0], role: "output")) ?? []
        var result = GraphModel(
            inputShape: inputShape, outputShape: outputShape, output: output, valueNames: names,
            constants: constants, nodes: nodes)
        // Plan once for the declared input size: shape errors surface here, naming their node.
        if inputShape[1] > 0 && inputShape[2] > 0 && inputShape[3] > 0 {
            do {
                outputShape = try GraphNetwork.outputShape(
                    of: result, channels: inputShape[1], height: inputShape[2], width: inputShape[3])
            } catch {
                throw .graph(error)
            }
            if result.outputShape.isEmpty { result.outputShape = outputShape }
        }
        return result
    }

    /// The declared shape of a graph input or output (-1 for a symbolic or missing dimension).
    func declaredShape(_ value: Onnx_ValueInfoProto, role: String) throws(ONNXModelError) -> [Int] {
        guard case .tensorType(let t) = value.type.value, t.hasShape else {
            if role == "input" { throw .invalidGraphInput(reason: "\(value.name) declares no tensor shape") }
            return []
        }
        guard t.shape.dim.count <= 8 else { throw .invalidGraphInput(reason: "\(role) of rank \(t.shape.dim.count)") }
        var dims: [Int] = []
        for d in t.shape.dim {
            switch d.value {
            case .dimValue(let v):
                guard v > 0, v <= 1 << 20 else {
                    if role == "input" { throw .invalidGraphInput(reason: "dimension \(v) of \(value.name)") }
                    throw .invalidGraphOutput(reason: "dimension \(v) of \(value.name)")
                }
                dims.append(Int(v))
            case .dimParam, nil:
                dims.append(-1)
            }
        }
        return dims
    }

    /// The tensor of a Constant node (`value`, or one of the scalar/list forms).
    func constantValue(_ node: Onnx_NodeProto, name: String) throws(ONNXModelError) -> GraphConstant {
        guard node.attribute.count == 1 else {
            throw .invalidNode(node: name, reason: "Constant needs exactly one value attribute")
        }
        let a = node.attribute[0]
        switch a.name {
        case "value": return try ONNXTensorDecoder.decode(a.t, name: node.output[0])
        case "value_float": return GraphConstant(shape: [], floats: [a.f])
        case "value_floats":
            guard !a.floats.isEmpty else { throw .invalidTensor(name: node.output[0], reason: "empty value_floats") }
            return GraphConstant(shape: [a.floats.count], floats: a.floats)
        case "value_int": return GraphConstant(shape: [], integers: [Int(clamping: a.i)])
        case "value_ints":
            guard !a.ints.isEmpty else { throw .invalidTensor(name: node.output[0], reason: "empty value_ints") }
            return GraphConstant(shape: [a.ints.count], integers: a.ints.map { Int(clamping: $0) })
        default: throw .unsupportedAttribute(name: a.name, op: "Constant", node: name)
        }
    }
}
