import Foundation
import NeuralCore

/// The MMOD face detector read from `mmod_human_face_detector.dat`: the layers as data, the input means,
/// the pyramid padding and the loss options (detection window, NMS overlap test).
struct MMODModel: Sendable {
    /// Per-channel means subtracted from R, G, B (pixel units, 0…255) before dividing by 256.
    let means: (r: Float, g: Float, b: Float)
    /// Padding between pyramid tiles and around the tiled image (pixels).
    let pyramidPadding: Int
    let pyramidOuterPadding: Int
    /// Convolutions in input → output order; the last one produces the score map.
    let layers: [MMODConvolution]
    /// The network for a greyscale image: ``layers`` with the first layer taking two planes, the pyramid of
    /// `(pixel − mean.r)/256` and the tile indicator (``greyFirstLayer(_:means:)``).
    let greyLayers: [MMODConvolution]
    /// The sliding window (pixels, at the pyramid level).
    let windowWidth: Int
    let windowHeight: Int
    /// NMS overlap test (`test_box_overlap`): IoU (over the bounding box of both) and percent covered.
    let nmsIOU: Double
    let nmsPercentCovered: Double

    /// The layers for a greyscale (`grey`) or colour image.
    func layers(grey: Bool) -> [MMODConvolution] { grey ? greyLayers : layers }

    /// Total stride of the network (input pixels per score-map cell).
    var totalStride: Int { layers.reduce(1) { $0 * $1.stride } }

    /// Maps a score-map cell back to the tensor (dlib's `output_tensor_to_input_tensor`).
    func outputToInput(_ p: Double) -> Double {
        var v = p
        for layer in layers.reversed() { v = layer.mapOutputToInput(v) }
        return v
    }

    /// The receptive field of a score-map cell `c` along one axis: `[lo, hi]` input pixels
    /// (`lo = a·c + lo0`, `hi = a·c + hi0`).
    var receptiveField: (scale: Int, lo: Int, hi: Int) {
        var scale = 1
        var lo = 0
        var hi = 0
        for layer in layers.reversed() {
            // cell range [lo, hi] (at scale·c) at this layer's output → its input.
            lo = lo * layer.stride - layer.pad
            hi = hi * layer.stride - layer.pad + layer.kernel - 1
            scale *= layer.stride
        }
        return (scale, lo, hi)
    }

    /// The first layer for a greyscale image, which dlib reads as R = G = B.
    ///
    /// On the pyramid's tiles the three input planes are then `q_c = (g − m_c)/256 = q_r + δ_c` with
    /// `δ_c = (m_r − m_c)/256` (the bilinear resampling keeps a constant offset), and zero elsewhere; so
    /// `Σ_c w_c ∗ q_c = (Σ_c w_c) ∗ q_r + (Σ_c δ_c·w_c) ∗ T`, where `T` is 1 on the tiles and 0 elsewhere.
    /// This layer takes those two planes: one pyramid instead of three, and 50 instead of 75 multiply-adds per
    /// output. Equal to the three-plane layer up to float rounding.
    static func greyFirstLayer(_ layer: MMODConvolution, means m: (Float, Float, Float)) -> MMODConvolution {
        precondition(layer.inChannels == 3)
        let taps = layer.kernel * layer.kernel
        let delta = [0, (Double(m.0) - Double(m.1)) / 256, (Double(m.0) - Double(m.2)) / 256]
        var w = [Float](repeating: 0, count: layer.outChannels * 2 * taps)
        for o in 0..<layer.outChannels {
            for t in 0..<taps {
                var sum = 0.0
                var offset = 0.0
                for c in 0..<3 {
                    let v = Double(layer.weights[(o * 3 + c) * taps + t])
                    sum += v
                    offset += delta[c] * v
                }
                w[(o * 2) * taps + t] = Float(sum)
                w[(o * 2 + 1) * taps + t] = Float(offset)
            }
        }
        return MMODConvolution(
            inChannels: 2, outChannels: layer.outChannels, kernel: layer.kernel, stride: layer.stride,
            pad: layer.pad, weights: w, bias: layer.bias, relu: layer.relu)
    }

    /// The records of a dlib DNN file without tag/skip layers: loss, input, layers (input → output).
    ///
    /// Layout (`dnn/core.h`): int 1 + loss record; one int-2 header per `add_layer`; int 3 (or 2) + input record
    /// + first layer record; then each remaining layer record; every layer record is followed by 3 bools and
    /// 3 tensors, and the first one (v3) by the sample expansion factor.
    static func records(_ bytes: [UInt8]) throws(DlibFormatError) -> (
        loss: DlibLayer, input: DlibLayer, layers: [DlibLayer]
    ) {
        var r = DlibReader(bytes: bytes)
        guard try r.int64() == 1 else { throw .unsupported(offset: 0, detail: "no loss-layer header") }
        let loss = try r.layerRecord()
        var wrappers = 0
        var inputVersion: Int64 = 0
        while inputVersion == 0 {
            let at = r.offset
            let v = try r.int64()
            let next = try r.peekInt()
            if (v == 2 || v == 3) && !(1...3).contains(next) {
                inputVersion = v
            } else if v == 2 {
                wrappers += 1
                if wrappers > 1000 { throw .unsupported(offset: at, detail: "too many layers") }
            } else {
                throw .unsupported(
                    offset: at, detail: "layer header \(v) (tag/skip layers are not part of the MMOD net)")
            }
        }
        let input = try r.layerRecord()
        var layers: [DlibLayer] = []
        for i in 0...wrappers {
            layers.append(try r.layerRecord())
            for _ in 0..<3 { _ = try r.bool() }
            for _ in 0..<3 { _ = try r.tensor() }
            if i == 0 && inputVersion == 3 { _ = try r.int64() }
        }
        try r.expectEnd()
        return (loss, input, layers)
    }

    /// Parses the model from the bytes of `mmod_human_face_detector.dat`.
    /// - Throws: ``FaceDetectionError/invalidModel(_:)`` when the file is not the MMOD detector network.
    init(bytes: [UInt8]) throws(FaceDetectionError) {
        let network: (loss: DlibLayer, input: DlibLayer, layers: [DlibLayer])
        do { network = try Self.records(bytes) } catch { throw .invalidModel(error.description) }
        guard case .inputRGBImagePyramid(let m, let padding, let outer) = network.input, m.count == 3 else {
            throw .invalidModel("input layer is \(network.input.kind), expected input_rgb_image_pyramid")
        }
        guard padding >= 0, padding <= 1000, outer >= 0, outer <= 1000 else {
            throw .invalidModel("pyramid padding \(padding)/\(outer) out of range")
        }
        guard case .lossMMOD(let loss) = network.loss else {
            throw .invalidModel("loss layer is \(network.loss.kind), expected loss_mmod_")
        }
        guard loss.windows.count == 1, let window = loss.windows.first,
            (1...4096).contains(window.width), (1...4096).contains(window.height)
        else {
            throw .invalidModel("expected one detection window, found \(loss.windows.count)")
        }
        if loss.boundingBoxRegression == true {
            throw .invalidModel("bounding-box regression is not supported")
        }
        guard (0...1).contains(loss.nmsIOU), (0...1).contains(loss.nmsPercentCovered) else {
            throw .invalidModel("NMS thresholds \(loss.nmsIOU)/\(loss.nmsPercentCovered) outside 0…1")
        }
        var convs: [MMODConvolution] = []
        var pending: ConvolutionRecord?
        var scale: [Float]?
        var shift: [Float]?
        var relu = false
        func flush() throws(FaceDetectionError) {
            guard let c = pending else { return }
            let k = c.kernelHeight
            guard c.kernelWidth == k, c.strideX == c.strideY, c.padX == c.padY, k > 0, c.strideY > 0,
                c.padY >= 0, c.padY < k, c.weights.count == c.filters * c.inChannels * k * k
            else {
                throw .invalidModel("unsupported convolution \(c.filters)×\(c.inChannels)×\(k)×\(c.kernelWidth)")
            }
            if let prev = convs.last, prev.outChannels != c.inChannels {
                throw .invalidModel(
                    "convolution expects \(c.inChannels) channels, previous layer gives \(prev.outChannels)")
            }
            if convs.isEmpty, c.inChannels != 3 {
                throw .invalidModel("first convolution takes \(c.inChannels) channels, expected 3")
            }
            var w = c.weights
            var b = c.bias ?? [Float](repeating: 0, count: c.filters)
            if let scale, let shift {
                let patch = c.inChannels * k * k
                for o in 0..<c.filters {
                    let g = scale[o]
                    for i in 0..<patch { w[o * patch + i] *= g }
                    b[o] = b[o] * g + shift[o]
                }
            }
            convs.append(
                MMODConvolution(
                    inChannels: c.inChannels, outChannels: c.filters, kernel: k,
                    stride: c.strideY, pad: c.padY, weights: w, bias: b, relu: relu || c.relu))
            pending = nil
            scale = nil
            shift = nil
            relu = false
        }
        for layer in network.layers {
            switch layer {
            case .convolution(let c):
                try flush()
                pending = c
            case .batchNorm(let bn):
                guard let c = pending, scale == nil, !relu, !bn.fcMode, bn.gamma.count == c.filters,
                    bn.beta.count == c.filters, bn.runningMeans.count == c.filters,
                    bn.runningVariances.count == c.filters
                else {
                    throw .invalidModel("batch norm does not follow a convolution of matching width")
                }
                let f = bn.foldedAffine()
                scale = f.scale
                shift = f.shift
            case .affine(let a):
                guard let c = pending, scale == nil, !relu, a.mode == 0, a.gamma.count == c.filters,
                    a.beta.count == c.filters
                else {
                    throw .invalidModel("affine does not follow a convolution of matching width")
                }
                if !a.disabled {
                    scale = a.gamma
                    shift = a.beta
                }
            case .relu(let disabled):
                guard pending != nil else { throw .invalidModel("relu does not follow a convolution") }
                if !disabled { relu = true }
            default:
                throw .invalidModel("unexpected layer \(layer.kind) in the MMOD network")
            }
        }
        try flush()
        guard convs.count >= 1, convs.last!.outChannels == 1, convs.count <= 64 else {
            throw .invalidModel("the network must end in a one-filter convolution")
        }
        self.means = (m[0], m[1], m[2])
        self.pyramidPadding = padding
        self.pyramidOuterPadding = outer
        self.layers = convs
        self.greyLayers = [Self.greyFirstLayer(convs[0], means: (m[0], m[1], m[2]))] + convs.dropFirst()
        self.windowWidth = window.width
        self.windowHeight = window.height
        self.nmsIOU = loss.nmsIOU
        self.nmsPercentCovered = loss.nmsPercentCovered
    }
}
