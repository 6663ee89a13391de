import CBLAS

/// A fully connected layer as dlib's `fc_`: `y = x·W (+ b)`, with W stored `[inputs][outputs]` row-major.
package struct Linear: Sendable {
    /// Input features.
    package let inputs: Int
    /// Output features.
    package let outputs: Int
    /// `[inputs][outputs]`.
    package let weights: [Float]
    /// One bias per output, or nil (dlib's `FC_NO_BIAS`).
    package let bias: [Float]?

    /// Creates the layer.
    /// - Throws: ``NeuralCoreError/invalidLayer(_:)`` when counts do not match.
    package init(inputs: Int, outputs: Int, weights: [Float], bias: [Float]? = nil) throws(NeuralCoreError) {
        guard inputs > 0, outputs > 0, weights.count == inputs * outputs, bias == nil || bias!.count == outputs else {
            throw .invalidLayer("fc \(inputs)→\(outputs) with \(weights.count) weights and \(bias?.count ?? 0) biases")
        }
        self.inputs = inputs
        self.outputs = outputs
        self.weights = weights
        self.bias = bias
    }

    /// Maps `rows` input vectors (`rows × inputs`, row-major) to `rows × outputs`.
    package func forward(_ x: UnsafeBufferPointer<Float>, rows: Int, output: UnsafeMutableBufferPointer<Float>) {
        precondition(x.count >= rows * inputs && output.count >= rows * outputs)
        guard rows > 0 else { return }
        weights.withUnsafeBufferPointer { w in
            cblas_sgemm(
                CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(rows), Int32(outputs), Int32(inputs),
                1, x.baseAddress!, Int32(inputs), w.baseAddress!, Int32(outputs), 0, output.baseAddress!, Int32(outputs)
            )
        }
        if let bias {
            for r in 0..<rows { for j in 0..<outputs { output[r * outputs + j] += bias[j] } }
        }
    }
}
