/// A failure in the neural core: a layer that cannot be built or an input it cannot take.
package enum NeuralCoreError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A layer's hyper-parameters or weight counts are inconsistent (the detail names them).
    case invalidLayer(String)
    /// An input tensor's shape does not fit the layer or model (the detail names both).
    case shapeMismatch(String)

    package var description: String {
        switch self {
        case .invalidLayer(let d): return "invalid neural layer: \(d)"
        case .shapeMismatch(let d): return "tensor shape mismatch: \(d)"
        }
    }
}
