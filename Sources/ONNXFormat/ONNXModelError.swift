import NeuralCore

/// Why an ONNX model file was refused. Every case names what was wrong and where (node, tensor or value name), so
/// that an integrator can tell an unsupported model from a damaged or hostile file.
public enum ONNXModelError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file could not be read (missing, unreadable, not a regular file).
    case unreadableFile(path: String, reason: String)
    /// The file (or byte buffer) is larger than ``ONNXModelReader/maximumFileBytes``.
    case fileTooLarge(bytes: Int, limit: Int)
    /// The bytes are not a protobuf-encoded ModelProto (truncated, corrupt, or another format).
    case notProtobuf(reason: String)
    /// The model has no graph, or its graph is empty.
    case missingGraph
    /// The model imports no default-domain operator set, or one outside the versions the reader knows.
    case unsupportedOpset(domain: String, version: Int)
    /// The graph has more nodes or initializers than the reader accepts.
    case tooManyNodes(count: Int, limit: Int)
    /// An operator the executor does not run (or one of another domain).
    case unsupportedOperator(op: String, node: String)
    /// An attribute value (or attribute) the executor does not support for this operator.
    case unsupportedAttribute(name: String, op: String, node: String)
    /// A node is malformed: wrong number of inputs or outputs, a required attribute missing or of the wrong type.
    case invalidNode(node: String, reason: String)
    /// A tensor (initializer or constant) is malformed: dims ≤ 0 or too many, data not matching the dims.
    case invalidTensor(name: String, reason: String)
    /// A tensor's declared element count is above ``ONNXModelReader/maximumTensorElements`` (or overflows).
    case tensorTooLarge(name: String, dims: [Int])
    /// A tensor's element type is not one the executor reads (float32, and int64 for shapes and pads).
    case unsupportedDataType(tensor: String, dataType: Int)
    /// A tensor keeps its data in an external file (not supported: a model must be one self-contained file).
    case externalData(tensor: String)
    /// A node reads a value that no node, initializer or graph input provides (e.g. a missing initializer).
    case missingInput(name: String, node: String)
    /// Two nodes or initializers define the same value.
    case duplicateValue(name: String)
    /// The nodes' dependencies form a cycle (the node is one that can never run).
    case cycle(node: String)
    /// The graph's input is not the one float tensor of rank 4 (NCHW) the executor takes, or a dim is invalid.
    case invalidGraphInput(reason: String)
    /// The graph's output is not exactly one value computed by the graph.
    case invalidGraphOutput(reason: String)
    /// Planning the graph for its declared input size failed (a shape that does not fit, an unsupported form).
    case graph(GraphError)

    public var description: String {
        switch self {
        case .unreadableFile(let path, let reason): return "ONNX model \(path): cannot read: \(reason)"
        case .fileTooLarge(let bytes, let limit): return "ONNX model: \(bytes) bytes, above the limit of \(limit)"
        case .notProtobuf(let reason): return "ONNX model: not a valid protobuf ModelProto: \(reason)"
        case .missingGraph: return "ONNX model: no graph"
        case .unsupportedOpset(let domain, let version):
            return "ONNX model: operator set \(domain.isEmpty ? "ai.onnx" : domain) version \(version) not supported"
        case .tooManyNodes(let count, let limit): return "ONNX model: \(count) nodes/tensors, above the limit of \(limit)"
        case .unsupportedOperator(let op, let node): return "ONNX node \(node): operator \(op) not supported"
        case .unsupportedAttribute(let name, let op, let node):
            return "ONNX node \(node): attribute \(name) of \(op) not supported (or its value)"
        case .invalidNode(let node, let reason): return "ONNX node \(node): \(reason)"
        case .invalidTensor(let name, let reason): return "ONNX tensor \(name): \(reason)"
        case .tensorTooLarge(let name, let dims): return "ONNX tensor \(name): dims \(dims) are too large"
        case .unsupportedDataType(let tensor, let dataType):
            return "ONNX tensor \(tensor): element type \(dataType) not supported"
        case .externalData(let tensor): return "ONNX tensor \(tensor): external data not supported"
        case .missingInput(let name, let node): return "ONNX node \(node): input \(name) is not defined"
        case .duplicateValue(let name): return "ONNX model: value \(name) is defined twice"
        case .cycle(let node): return "ONNX model: node \(node) is part of a cycle"
        case .invalidGraphInput(let reason): return "ONNX model input: \(reason)"
        case .invalidGraphOutput(let reason): return "ONNX model output: \(reason)"
        case .graph(let error): return "ONNX model: \(error)"
        }
    }
}
