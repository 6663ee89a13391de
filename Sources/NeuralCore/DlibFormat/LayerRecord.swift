// The layer records found in dlib DNN files (`dnn/layers.h`, `dnn/input.h`, `dnn/loss.h`), read with
// ``DlibReader``. Each record keeps the hyper-parameters and weights exactly as stored; conversion into
// runnable ops (``Convolution``, ``Pooling``, ``Linear``) is a method on the record.

/// A convolution record (`con_4`, `con_5`, `con_6`).
package struct ConvolutionRecord: Sendable, Equatable {
    /// Output channels.
    package var filters: Int
    /// Input channels (from the filter alias tensor).
    package var inChannels: Int
    /// Kernel rows, columns.
    package var kernelHeight: Int, kernelWidth: Int
    /// Strides, y and x.
    package var strideY: Int, strideX: Int
    /// Zero padding, y and x.
    package var padY: Int, padX: Int
    /// Filters, OIHW.
    package var weights: [Float]
    /// Biases (nil when `use_bias` is false).
    package var bias: [Float]?
    /// `con_6`'s fused ReLU flag.
    package var relu: Bool

    /// The runnable op (the record's own bias and ReLU).
    /// - Throws: ``NeuralCoreError/invalidLayer(_:)`` for inconsistent hyper-parameters.
    package func makeConvolution() throws(NeuralCoreError) -> Convolution {
        try Convolution(
            inChannels: inChannels, outChannels: filters, kernelHeight: kernelHeight, kernelWidth: kernelWidth,
            strideY: strideY, strideX: strideX, padY: padY, padX: padX,
            weights: weights, bias: bias, relu: relu)
    }
}

/// A per-channel affine record (`affine_`, `affine_2`): `y = γ·x + β`.
package struct AffineRecord: Sendable, Equatable {
    /// γ, one per channel (conv mode) or per element (fc mode).
    package var gamma: [Float]
    /// β, same count as γ.
    package var beta: [Float]
    /// dlib's layer mode: 0 = conv (per channel), 1 = fc (per element).
    package var mode: Int
    /// `affine_2`'s disabled flag (a disabled affine is the identity).
    package var disabled: Bool
}

/// A batch-normalisation record in inference form (`bn_con2`, `bn_fc2`).
package struct BatchNormRecord: Sendable, Equatable {
    /// Learned scale γ and shift β, per channel.
    package var gamma: [Float], beta: [Float]
    /// Running statistics used at inference.
    package var runningMeans: [Float], runningVariances: [Float]
    /// ε added to the variance.
    package var epsilon: Double
    /// True for `bn_fc2` (per element) rather than `bn_con2` (per channel).
    package var fcMode: Bool

    /// The equivalent affine: `scale = γ/√(var+ε)`, `shift = β − scale·mean` (computed in Double).
    package func foldedAffine() -> (scale: [Float], shift: [Float]) {
        var scale = [Float]()
        var shift = [Float]()
        scale.reserveCapacity(gamma.count)
        shift.reserveCapacity(gamma.count)
        for i in gamma.indices {
            let g = Double(gamma[i]) / (Double(runningVariances[i]) + epsilon).squareRoot()
            scale.append(Float(g))
            shift.append(Float(Double(beta[i]) - g * Double(runningMeans[i])))
        }
        return (scale, shift)
    }
}

/// A pooling record (`max_pool_2`, `avg_pool_2`).
package struct PoolRecord: Sendable, Equatable {
    /// Window rows and columns (0 = whole input, as `avg_pool_everything`).
    package var windowHeight: Int, windowWidth: Int
    /// Strides.
    package var strideY: Int, strideX: Int
    /// Padding.
    package var padY: Int, padX: Int

    /// The runnable op.
    /// - Throws: ``NeuralCoreError/invalidLayer(_:)`` for inconsistent hyper-parameters.
    package func makePooling(_ kind: Pooling.Kind) throws(NeuralCoreError) -> Pooling {
        try Pooling(
            kind: kind, windowHeight: windowHeight, windowWidth: windowWidth,
            strideY: strideY, strideX: strideX, padY: padY, padX: padX)
    }
}

/// A fully connected record (`fc_2`, `fc_3`); weights `[inputs][outputs]`.
package struct FullyConnectedRecord: Sendable, Equatable {
    package var inputs: Int, outputs: Int
    /// `[inputs][outputs]` row-major.
    package var weights: [Float]
    /// nil for `FC_NO_BIAS`.
    package var bias: [Float]?

    /// The runnable op.
    /// - Throws: ``NeuralCoreError/invalidLayer(_:)`` when counts disagree.
    package func makeLinear() throws(NeuralCoreError) -> Linear {
        try Linear(inputs: inputs, outputs: outputs, weights: weights, bias: bias)
    }
}

/// The options of dlib's MMOD loss (`loss_mmod_`).
package struct MMODLossRecord: Sendable, Equatable {
    /// One detection window: width, height (pixels), label.
    package struct Window: Sendable, Equatable {
        package var width: Int, height: Int, label: String
    }
    /// Options version (1…4).
    package var version: Int
    /// Detector windows.
    package var windows: [Window]
    package var lossPerFalseAlarm: Double, lossPerMissedTarget: Double, truthMatchIOU: Double
    /// Non-max suppression overlap test: IoU threshold and percent-covered threshold.
    package var nmsIOU: Double, nmsPercentCovered: Double
    /// Overlap test for ignored boxes.
    package var ignoreIOU: Double, ignorePercentCovered: Double
    /// v≥3: `assume_image_pyramid` (0 = no, 1 = yes).
    package var assumeImagePyramid: Int?
    /// v≥4: bounding-box regression flag and λ.
    package var boundingBoxRegression: Bool?
    package var boundingBoxRegressionLambda: Double?
}

/// One layer record of a dlib DNN file.
package enum DlibLayer: Sendable, Equatable {
    /// `input_rgb_image_sized`: per-channel means (R, G, B) and the fixed input size.
    case inputRGBImageSized(means: [Float], rows: Int, columns: Int)
    /// `input_rgb_image_pyramid`: means (R, G, B) and the tiled-pyramid padding (10 and 11 when not stored).
    case inputRGBImagePyramid(means: [Float], padding: Int, outerPadding: Int)
    case convolution(ConvolutionRecord)
    case affine(AffineRecord)
    case batchNorm(BatchNormRecord)
    /// `relu_` / `relu_2` (a disabled ReLU is the identity).
    case relu(disabled: Bool)
    case maxPool(PoolRecord)
    case avgPool(PoolRecord)
    /// `add_prev_`: adds the tagged earlier output (which one is fixed by the model's declared graph).
    case addPrev
    case fullyConnected(FullyConnectedRecord)
    /// `loss_metric_` / `loss_metric_2`.
    case lossMetric(margin: Double, distanceThreshold: Double)
    case lossMMOD(MMODLossRecord)

    /// The dlib record kind as a short name (for messages and graph checks).
    package var kind: String {
        switch self {
        case .inputRGBImageSized: return "input_rgb_image_sized"
        case .inputRGBImagePyramid: return "input_rgb_image_pyramid"
        case .convolution: return "con"
        case .affine: return "affine"
        case .batchNorm: return "bn"
        case .relu: return "relu"
        case .maxPool: return "max_pool"
        case .avgPool: return "avg_pool"
        case .addPrev: return "add_prev"
        case .fullyConnected: return "fc"
        case .lossMetric: return "loss_metric"
        case .lossMMOD: return "loss_mmod"
        }
    }

    /// Trainable parameters the record holds (as counted by dlib: the `params` tensor).
    package var parameterCount: Int {
        switch self {
        case .convolution(let c): return c.weights.count + (c.bias?.count ?? 0)
        case .affine(let a): return a.gamma.count + a.beta.count
        case .batchNorm(let b): return b.gamma.count + b.beta.count
        case .fullyConnected(let f): return f.weights.count + (f.bias?.count ?? 0)
        default: return 0
        }
    }
}

extension DlibReader {
    /// Reads one layer record (its name string, then its fields).
    /// - Throws: ``DlibFormatError`` on truncation, unknown record names or inconsistent sizes.
    package mutating func layerRecord() throws(DlibFormatError) -> DlibLayer {
        let start = offset
        let name = try string(maxLength: 64)
        switch name {
        case "input_rgb_image_sized":
            let means = [try float(), try float(), try float()]
            let nr = try int(in: 1...65536)
            let nc = try int(in: 1...65536)
            return .inputRGBImageSized(means: means, rows: nr, columns: nc)
        case "input_rgb_image_pyramid", "input_rgb_image_pyramid2":
            let means = [try float(), try float(), try float()]
            var pad = 10
            var outer = 11
            if name.hasSuffix("2") {
                pad = try int(in: 0...65536)
                outer = try int(in: 0...65536)
            }
            return .inputRGBImagePyramid(means: means, padding: pad, outerPadding: outer)
        case "con_4", "con_5", "con_6":
            let params = try tensor()
            let filters = try int(in: 1...65536)
            let nr = try int(in: 1...4096)
            let nc = try int(in: 1...4096)
            let sy = try int(in: 1...4096)
            let sx = try int(in: 1...4096)
            let py = try int(in: 0...4096)
            let px = try int(in: 0...4096)
            let fa = try aliasTensor()
            let ba = try aliasTensor()
            for _ in 0..<4 { _ = try double() }
            var useBias = true
            var relu = false
            if name != "con_4" { useBias = try bool() }
            if name == "con_6" { relu = try bool() }
            let fCount = fa.n * fa.k * fa.nr * fa.nc
            let bCount = ba.n * ba.k * ba.nr * ba.nc
            guard fa.n == filters, fa.nr == nr, fa.nc == nc, fa.k > 0,
                params.count == fCount + (useBias ? bCount : 0) || params.count == fCount + bCount,
                !useBias || bCount == filters
            else {
                throw .invalidShape(
                    offset: start, detail: "\(name) params \(params.count) vs filters \(fa) biases \(ba)")
            }
            return .convolution(
                ConvolutionRecord(
                    filters: filters, inChannels: fa.k, kernelHeight: nr, kernelWidth: nc,
                    strideY: sy, strideX: sx, padY: py, padX: px,
                    weights: Array(params.data[0..<fCount]),
                    bias: useBias ? Array(params.data[fCount..<(fCount + bCount)]) : nil, relu: relu))
        case "affine_", "affine_2":
            let params = try tensor()
            let ga = try aliasTensor()
            let be = try aliasTensor()
            let mode = try int(in: 0...1)
            let disabled = name == "affine_2" ? try bool() : false
            let g = ga.n * ga.k * ga.nr * ga.nc
            let b = be.n * be.k * be.nr * be.nc
            guard g == b, params.count == g + b else {
                throw .invalidShape(offset: start, detail: "\(name) params \(params.count) vs γ \(g) β \(b)")
            }
            return .affine(
                AffineRecord(
                    gamma: Array(params.data[0..<g]), beta: Array(params.data[g..<(2 * g)]),
                    mode: mode, disabled: disabled))
        case "bn_con2", "bn_fc2":
            let params = try tensor()
            let ga = try aliasTensor()
            _ = try aliasTensor()
            _ = try tensor()
            _ = try tensor()  // means, invstds (training statistics)
            let rm = try tensor()
            let rv = try tensor()
            _ = try int64()
            _ = try int64()  // num_updates, running_stats_window_size
            for _ in 0..<4 { _ = try double() }
            let eps = try double()
            let g = ga.n * ga.k * ga.nr * ga.nc
            guard params.count == 2 * g, rm.count == g, rv.count == g, eps >= 0 else {
                throw .invalidShape(
                    offset: start, detail: "\(name) params \(params.count), γ \(g), running \(rm.count)/\(rv.count)")
            }
            return .batchNorm(
                BatchNormRecord(
                    gamma: Array(params.data[0..<g]), beta: Array(params.data[g..<(2 * g)]),
                    runningMeans: rm.data, runningVariances: rv.data,
                    epsilon: eps, fcMode: name == "bn_fc2"))
        case "relu_": return .relu(disabled: false)
        case "relu_2": return .relu(disabled: try bool())
        case "max_pool_2", "avg_pool_2":
            let rec = PoolRecord(
                windowHeight: try int(in: 0...4096), windowWidth: try int(in: 0...4096),
                strideY: try int(in: 1...4096), strideX: try int(in: 1...4096),
                padY: try int(in: 0...4096), padX: try int(in: 0...4096))
            return name == "max_pool_2" ? .maxPool(rec) : .avgPool(rec)
        case "add_prev_":
            return .addPrev
        case "fc_2", "fc_3":
            let nout = try int(in: 1...(1 << 24))
            let nin = try int(in: 1...(1 << 24))
            let params = try tensor()
            _ = try aliasTensor()
            _ = try aliasTensor()
            let biasMode = try int(in: 0...1)
            for _ in 0..<4 { _ = try double() }
            if name == "fc_3" { _ = try bool() }
            let hasBias = biasMode == 0
            let w = nin * nout
            guard params.count == w + (hasBias ? nout : 0) else {
                throw .invalidShape(offset: start, detail: "\(name) params \(params.count) for \(nin)→\(nout)")
            }
            return .fullyConnected(
                FullyConnectedRecord(
                    inputs: nin, outputs: nout, weights: Array(params.data[0..<w]),
                    bias: hasBias ? Array(params.data[w...]) : nil))
        case "loss_metric_":
            return .lossMetric(margin: 0.04, distanceThreshold: 0.6)
        case "loss_metric_2":
            return .lossMetric(margin: try double(), distanceThreshold: try double())
        case "loss_mmod_":
            let version = try int(in: 1...4)
            var windows: [MMODLossRecord.Window] = []
            if version == 1 {
                windows.append(.init(width: try int(in: 1...65536), height: try int(in: 1...65536), label: ""))
            } else {
                let count = try int(in: 0...1024)
                for _ in 0..<count {
                    let wv = try int(in: 1...2)
                    let w = try int(in: 1...65536)
                    let h = try int(in: 1...65536)
                    windows.append(.init(width: w, height: h, label: wv == 2 ? try string() : ""))
                }
            }
            var rec = MMODLossRecord(
                version: version, windows: windows,
                lossPerFalseAlarm: try double(), lossPerMissedTarget: try double(),
                truthMatchIOU: try double(), nmsIOU: try double(), nmsPercentCovered: try double(),
                ignoreIOU: try double(), ignorePercentCovered: try double())
            if version >= 3 { rec.assumeImagePyramid = try int(in: 0...255) }
            if version >= 4 {
                rec.boundingBoxRegression = try bool()
                rec.boundingBoxRegressionLambda = try double()
            }
            return .lossMMOD(rec)
        default:
            throw .unsupported(offset: start, detail: "unknown layer record '\(name)'")
        }
    }
}
