/// Why a ``GraphModel`` cannot be planned or run for an input size: a shape that does not fit an operator, a
/// tensor too large, or an operator form the executor does not run. Each case names the node.
public enum GraphError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The input size given to the executor does not fit the model's declared input.
    case inputShape(expected: [Int], got: [Int])
    /// A node's inputs have shapes the operator cannot take (e.g. a Reshape to a different element count).
    case shapeMismatch(node: String, detail: String)
    /// A node's operands are valid ONNX but outside what the executor runs (e.g. a non-constant weight).
    case unsupported(node: String, detail: String)
    /// A tensor of the plan would hold more than ``GraphNetwork/maximumElements`` values.
    case tooLarge(node: String, elements: String)
    /// The graph refers to a value no node, constant or input provides.
    case missingValue(node: String, value: Int)

    public var description: String {
        switch self {
        case .inputShape(let expected, let got):
            return "graph input: the model takes \(expected), the executor was given \(got)"
        case .shapeMismatch(let node, let detail): return "graph node \(node): shape mismatch: \(detail)"
        case .unsupported(let node, let detail): return "graph node \(node): not supported: \(detail)"
        case .tooLarge(let node, let elements): return "graph node \(node): tensor too large (\(elements) elements)"
        case .missingValue(let node, let value): return "graph node \(node): value \(value) is not defined"
        }
    }
}
