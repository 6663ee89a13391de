import Foundation
import NeuralCore

/// dlib's face-recognition ResNet (`dlib_face_recognition_resnet_model_v1`), declared once here; the
/// weights come from the `.dat` file (or the compiled cache).
///
/// Graph (input 150×150 RGB, NCHW, R,G,B planes, `(pixel − mean)/256`):
/// stem conv7×7/2 (32) → affine → relu → maxpool 3×3/2; then blocks
/// `res(N) = relu(x + B(x))`, `res_down(N) = relu(avgpool2×2/2(x) ⊕ B₂(x))` with
/// `B(x) = affine(conv3×3(relu(affine(conv3×3/s(x)))))` (stride-2 convs unpadded) and ⊕ dlib's zero-extending
/// add; levels 3×res(32), res_down(64)+3×res(64), res_down(128)+2×res(128), res_down(256)+2×res(256),
/// res_down(256); then average over the whole 2×2 map and fc 256→128 without bias.
/// Each affine is folded into the convolution before it. Batches run channel-major (`[c][n][h][w]`), so each
/// convolution is one GEMM over the whole batch; the 3×3 stride-1 convolutions run as Winograd F(2×2,3×3) when
/// the batch holds at least ``winogradMinimumTiles`` 2×2 tiles (for one chip: the maps of 8×8 and more).
struct ResNetModel: Sendable {
    /// One residual block: two 3×3 convolutions (affines folded, the first with ReLU) and, for a
    /// downsampling block, the 2×2/2 average pool of its skip path.
    struct Block: Sendable {
        var conv1: Convolution
        var conv2: Convolution
        var skipPool: Pooling?
        var winograd1: Winograd3x3?
        var winograd2: Winograd3x3?
    }

    /// (output channels, downsampling) of each block, input → output.
    static let blockPlan: [(channels: Int, down: Bool)] =
        [
            (32, false), (32, false), (32, false),
            (64, true), (64, false), (64, false), (64, false),
            (128, true), (128, false), (128, false),
            (256, true), (256, false), (256, false),
            (256, true),
        ]
    /// The chip side, pixels.
    static let chipSize = 150
    /// Channel means subtracted before the 1/256 scaling (R, G, B).
    static let means: [Float] = [122.782, 117.001, 104.298]
    /// Floats stored per model: every conv's weights and biases, then the fc weights.
    static var floatCount: Int {
        var n = 32 * 3 * 49 + 32
        var cin = 32
        for (c, _) in blockPlan {
            n += c * cin * 9 + c + c * c * 9 + c
            cin = c
        }
        return n + 256 * 128
    }

    var stem: Convolution
    var stemPool: Pooling
    var blocks: [Block]
    var head: Linear

    /// Builds the model from a parsed dlib file, checking every record against the declared graph.
    init(file: DlibNetworkFile) throws(FaceEmbeddingError) {
        guard case .inputRGBImageSized(let means, let rows, let cols) = file.input, rows == Self.chipSize,
            cols == Self.chipSize,
            zip(means, Self.means).allSatisfy({ abs($0 - $1) < 1e-3 })
        else {
            throw .unexpectedModel(layer: -1, expected: "input_rgb_image_sized 150×150", found: file.input.kind)
        }
        var cursor = file.layers.makeIterator()
        var index = 0
        func next(_ expected: String) throws(FaceEmbeddingError) -> DlibLayer {
            guard let l = cursor.next() else {
                throw .unexpectedModel(layer: index, expected: expected, found: "end of file")
            }
            defer { index += 1 }
            guard l.kind == expected else { throw .unexpectedModel(layer: index, expected: expected, found: l.kind) }
            return l
        }
        func conv(_ cin: Int, _ cout: Int, _ k: Int, _ s: Int, _ p: Int, relu: Bool) throws(FaceEmbeddingError)
            -> Convolution
        {
            let at = index
            guard case .convolution(let rec) = try next("con"),
                rec.inChannels == cin, rec.filters == cout, rec.kernelHeight == k, rec.kernelWidth == k,
                rec.strideY == s, rec.strideX == s, rec.padY == p, rec.padX == p, !rec.relu
            else {
                throw .unexpectedModel(
                    layer: at, expected: "con \(cin)→\(cout) \(k)×\(k)/\(s) pad \(p)", found: "a different convolution")
            }
            let at2 = index
            guard case .affine(let aff) = try next("affine"), aff.mode == 0, aff.gamma.count == cout else {
                throw .unexpectedModel(
                    layer: at2, expected: "affine (conv mode, \(cout) channels)", found: "a different affine")
            }
            do {
                var c = try rec.makeConvolution()
                if !aff.disabled { try c.foldAffine(scale: aff.gamma, shift: aff.beta) }
                c.relu = relu
                if relu { _ = try next("relu") }
                return c
            } catch let e as FaceEmbeddingError { throw e } catch {
                throw .modelFile("\(error)")
            }
        }
        func pool(_ kind: Pooling.Kind, _ k: Int, _ s: Int) throws(FaceEmbeddingError) -> Pooling {
            let at = index
            let l = try next(kind == .max ? "max_pool" : "avg_pool")
            let rec: PoolRecord
            switch l {
            case .maxPool(let r), .avgPool(let r): rec = r
            default: fatalError("unreachable")
            }
            guard rec.windowHeight == k, rec.windowWidth == k, rec.strideY == s, rec.strideX == s,
                let p = try? rec.makePooling(kind)
            else {
                throw .unexpectedModel(
                    layer: at, expected: "\(l.kind) \(k)×\(k)/\(s)",
                    found: "window \(rec.windowHeight)×\(rec.windowWidth)/\(rec.strideY)")
            }
            return p
        }
        stem = try conv(3, 32, 7, 2, 0, relu: true)
        stemPool = try pool(.max, 3, 2)
        var cin = 32
        var blocks: [Block] = []
        for (c, down) in Self.blockPlan {
            let c1 = try conv(cin, c, 3, down ? 2 : 1, down ? 0 : 1, relu: true)
            let c2 = try conv(c, c, 3, 1, 1, relu: false)
            let sp: Pooling? = down ? try pool(.average, 2, 2) : nil
            _ = try next("add_prev")
            _ = try next("relu")
            blocks.append(Block(conv1: c1, conv2: c2, skipPool: sp))
            cin = c
        }
        let at = index
        guard case .avgPool(let everything) = try next("avg_pool"), everything.windowHeight == 0 else {
            throw .unexpectedModel(layer: at, expected: "avg_pool_everything", found: "a windowed pool")
        }
        let at2 = index
        guard case .fullyConnected(let fc) = try next("fc"), fc.inputs == 256, fc.outputs == 128, fc.bias == nil,
            let head = try? fc.makeLinear()
        else {
            throw .unexpectedModel(layer: at2, expected: "fc 256→128 without bias", found: "a different fc")
        }
        if let extra = cursor.next() {
            throw .unexpectedModel(layer: index, expected: "end of network", found: extra.kind)
        }
        self.blocks = blocks
        self.head = head
        self.prepareFastPaths()
    }

    /// Rebuilds the model from the flat float array of ``flatWeights`` (the compiled cache).
    init(flat: UnsafeBufferPointer<Float>) throws(FaceEmbeddingError) {
        guard flat.count == Self.floatCount else {
            throw .modelFile("compiled weights hold \(flat.count) floats, expected \(Self.floatCount)")
        }
        var at = 0
        func take(_ n: Int) -> [Float] {
            defer { at += n }
            return Array(flat[at..<(at + n)])
        }
        func conv(_ cin: Int, _ cout: Int, _ k: Int, _ s: Int, _ p: Int, relu: Bool) -> Convolution {
            let w = take(cout * cin * k * k)
            let b = take(cout)
            return try! Convolution(
                inChannels: cin, outChannels: cout, kernelHeight: k, kernelWidth: k,
                strideY: s, strideX: s, padY: p, padX: p, weights: w, bias: b, relu: relu)
        }
        stem = conv(3, 32, 7, 2, 0, relu: true)
        stemPool = try! Pooling(kind: .max, windowHeight: 3, windowWidth: 3, strideY: 2, strideX: 2)
        var cin = 32
        blocks = []
        for (c, down) in Self.blockPlan {
            let c1 = conv(cin, c, 3, down ? 2 : 1, down ? 0 : 1, relu: true)
            let c2 = conv(c, c, 3, 1, 1, relu: false)
            blocks.append(
                Block(
                    conv1: c1, conv2: c2,
                    skipPool: down
                        ? try! Pooling(kind: .average, windowHeight: 2, windowWidth: 2, strideY: 2, strideX: 2) : nil))
            cin = c
        }
        head = try! Linear(inputs: 256, outputs: 128, weights: take(256 * 128))
        prepareFastPaths()
    }

    /// Every weight in the order ``init(flat:)`` reads them.
    var flatWeights: [Float] {
        var out: [Float] = []
        out.reserveCapacity(Self.floatCount)
        out += stem.weights
        out += stem.bias
        for b in blocks {
            out += b.conv1.weights
            out += b.conv1.bias
            out += b.conv2.weights
            out += b.conv2.bias
        }
        out += head.weights
        return out
    }

    /// Precomputes Winograd-transformed filters for the 3×3 stride-1 convolutions.
    mutating func prepareFastPaths() {
        // Only maps of 8×8 and more (levels 4, 3, 2: ≤ 128 channels): on the 4×4 and 2×2 maps Winograd saved
        // ~3% of a 16-chip batch (nothing for one chip) but its filters took 25 MB more memory and load time.
        for i in blocks.indices where blocks[i].conv2.outChannels <= 128 {
            blocks[i].winograd1 = Winograd3x3(blocks[i].conv1)
            blocks[i].winograd2 = Winograd3x3(blocks[i].conv2)
        }
    }
}
