/// How the detector computes one layer of the network, with what that way needs beyond the layer's own weights
/// and bias (``MaskedNetwork`` explains each way and when it pays).
///
/// A convolution holds the work its shape allows (``MMODConvolution/preferredWork``); the network gives each
/// layer that work, or ``im2col`` where it would read phase planes that the layer before does not write
/// (``MaskedNetwork/work(for:)``). Each way equals the direct convolution up to float rounding.
enum LayerWork: Sendable {
    /// im2col over row-major input (zero outside the grid) in chunks, `cblas_sgemm`, scatter with bias and ReLU.
    case im2col
    /// im2col of a stride-2 unpadded layer from its input's phase planes (every im2col row one contiguous
    /// copy), `cblas_sgemm`, scatter.
    case phased
    /// A 5×5 stride-2 unpadded layer with enough input channels: Winograd F(4×4, 3×3) over its input's phase
    /// planes, with the transformed filters.
    case phasedWinograd(PhasedWinograd)
    /// A layer with one output channel and stride 1: one GEMM of every tap's product at every stored input cell,
    /// then each output cell's sum of its taps. The weights tap-major, `[ky·k + kx][inChannel]`.
    case taps(tapMajorWeights: [Float])
    /// A 5×5 stride-1 pad-2 layer: Winograd F(2×2, 5×5), with the transformed filters.
    case winograd(Winograd5x5)

    /// The fastest work a convolution's shape allows, its input taken in the layout that work reads (weights
    /// OIHW, `outChannels · inChannels · kernel²` floats): tap products for one output channel at stride 1,
    /// Winograd F(2×2, 5×5) for 5×5 stride 1 pad 2, phase-plane Winograd F(4×4, 3×3) or phase-plane im2col
    /// for stride 2 unpadded, im2col otherwise.
    init(
        inChannels: Int, outChannels: Int, kernel: Int, stride: Int, pad: Int, weights: [Float], bias: [Float],
        relu: Bool
    ) {
        if outChannels == 1 && stride == 1 {
            let taps = kernel * kernel
            self = .taps(
                tapMajorWeights: (0..<(taps * inChannels)).map { weights[($0 % inChannels) * taps + $0 / inChannels] })
        } else if let wino = Winograd5x5(
            inChannels: inChannels, outChannels: outChannels, kernel: kernel, stride: stride,
            pad: pad, weights: weights, bias: bias, relu: relu)
        {
            self = .winograd(wino)
        } else if stride == 2 && pad == 0 {
            self =
                PhasedWinograd(
                    inChannels: inChannels, outChannels: outChannels, kernel: kernel, stride: stride,
                    pad: pad, weights: weights, bias: bias, relu: relu
                ).map { .phasedWinograd($0) } ?? .phased
        } else {
            self = .im2col
        }
    }

    /// Whether the work reads its input as phase planes (even/odd rows × even/odd columns, ``PlaneGeometry``).
    var readsPhasePlanes: Bool {
        switch self {
        case .phased, .phasedWinograd: true
        case .im2col, .taps, .winograd: false
        }
    }

    /// Whether the work can write its output as phase planes for the next layer (the scatters and the F(4×4)
    /// output transform write either layout; the F(2×2, 5×5) output transform and the tap sums write row-major).
    var writesPhasePlanes: Bool {
        switch self {
        case .im2col, .phased, .phasedWinograd: true
        case .taps, .winograd: false
        }
    }
}
