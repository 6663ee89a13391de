/// One convolution of the MMOD network with its batch norm folded in, ready for inference.
///
/// Output per axis: `1 + (H + 2·pad − k) / stride`. Value: `relu?(Σ w·x + bias)` (cross-correlation, taps
/// outside the input read zero), weights OIHW.
struct MMODConvolution: Sendable {
    let inChannels: Int
    let outChannels: Int
    let kernel: Int
    let stride: Int
    let pad: Int
    /// OIHW, folded (γ′·w).
    let weights: [Float]
    /// Folded bias (γ′·b + β′).
    let bias: [Float]
    let relu: Bool
    /// The fastest way the layer's shape allows to compute it, with its prepared weights
    /// (``LayerWork/init(inChannels:outChannels:kernel:stride:pad:weights:bias:relu:)``). A phase-plane form
    /// holds only where the layer's input is stored as phase planes: ``MaskedNetwork/work(for:)`` picks each
    /// layer's work in its network.
    let preferredWork: LayerWork

    /// - Parameter weights: `outChannels · inChannels · kernel²` floats, OIHW; `bias`: `outChannels` floats.
    init(
        inChannels: Int, outChannels: Int, kernel: Int, stride: Int, pad: Int, weights: [Float], bias: [Float],
        relu: Bool
    ) {
        precondition(
            weights.count == outChannels * inChannels * kernel * kernel && bias.count == outChannels,
            "weights or bias do not fit the convolution's shape")
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernel = kernel
        self.stride = stride
        self.pad = pad
        self.weights = weights
        self.bias = bias
        self.relu = relu
        preferredWork = LayerWork(
            inChannels: inChannels, outChannels: outChannels, kernel: kernel, stride: stride,
            pad: pad, weights: weights, bias: bias, relu: relu)
    }

    var patchSize: Int { inChannels * kernel * kernel }

    /// Output cells along an axis of `n` input cells (0 when the input is too small).
    func outputCount(_ n: Int) -> Int {
        let span = n + 2 * pad - kernel
        return span < 0 ? 0 : 1 + span / stride
    }

    /// dlib's `map_output_to_input` for this layer: `p·stride − pad + k/2`.
    func mapOutputToInput(_ p: Double) -> Double { p * Double(stride) - Double(pad) + Double(kernel / 2) }
}
