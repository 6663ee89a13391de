import FaceImaging
import Foundation
import TestSupport
import Testing

@testable import FaceDetection

/// The detector's masked network on small synthetic networks, against a plain full-tensor convolution in
/// double precision: every computed cell must equal the full-tensor value whatever method computes it
/// (phase-plane im2col, Winograd F(2×2, 5×5), phase-plane Winograd F(4×4, 3×3), tap products) and wherever its
/// map is stored.
@Suite("masked network: methods and storage")
struct MaskedNetworkTests {
    /// A layer with seeded random weights and biases.
    static func layer(
        _ cin: Int, _ cout: Int, kernel: Int, stride: Int, pad: Int, relu: Bool,
        rng: inout SplitMix64
    ) -> MMODConvolution {
        let w = (0..<(cout * cin * kernel * kernel)).map { _ in Float.random(in: -0.5...0.5, using: &rng) }
        let b = (0..<cout).map { _ in Float.random(in: -0.2...0.2, using: &rng) }
        return MMODConvolution(
            inChannels: cin, outChannels: cout, kernel: kernel, stride: stride, pad: pad,
            weights: w, bias: b, relu: relu)
    }

    /// A layer's work without the data it carries, so that a network's methods compare as a list.
    enum Method: Equatable {
        case im2col, phased, phasedWinograd, taps, winograd

        init(_ work: LayerWork) {
            switch work {
            case .im2col: self = .im2col
            case .phased: self = .phased
            case .phasedWinograd: self = .phasedWinograd
            case .taps: self = .taps
            case .winograd: self = .winograd
            }
        }
    }

    /// The method of every layer of `net` (``MaskedNetwork/work(for:)``).
    static func methods(for net: [MMODConvolution]) -> [Method] { MaskedNetwork.work(for: net).map(Method.init) }

    /// Full-tensor reference: `relu?(Σ w·x + b)`, taps outside the input read zero, in double.
    static func reference(_ layer: MMODConvolution, _ x: [Double], h: Int, w: Int) -> (out: [Double], h: Int, w: Int) {
        let oh = layer.outputCount(h)
        let ow = layer.outputCount(w)
        let k = layer.kernel
        var out = [Double](repeating: 0, count: layer.outChannels * oh * ow)
        for co in 0..<layer.outChannels {
            for oy in 0..<oh {
                for ox in 0..<ow {
                    var s = Double(layer.bias[co])
                    for ci in 0..<layer.inChannels {
                        for ky in 0..<k {
                            let iy = oy * layer.stride - layer.pad + ky
                            guard iy >= 0, iy < h else { continue }
                            for kx in 0..<k {
                                let ix = ox * layer.stride - layer.pad + kx
                                guard ix >= 0, ix < w else { continue }
                                s +=
                                    Double(layer.weights[((co * layer.inChannels + ci) * k + ky) * k + kx])
                                    * x[(ci * h + iy) * w + ix]
                            }
                        }
                    }
                    out[(co * oh + oy) * ow + ox] = layer.relu ? max(s, 0) : s
                }
            }
        }
        return (out, oh, ow)
    }

    @Test("each method is the one the layer shape calls for")
    func methods() {
        var rng = SplitMix64(seed: 1)
        let net = [
            Self.layer(3, 4, kernel: 5, stride: 2, pad: 0, relu: true, rng: &rng),
            Self.layer(4, 4, kernel: 5, stride: 2, pad: 0, relu: true, rng: &rng),
            Self.layer(4, 5, kernel: 5, stride: 1, pad: 2, relu: true, rng: &rng),
            Self.layer(5, 3, kernel: 3, stride: 1, pad: 1, relu: true, rng: &rng),
            Self.layer(3, 3, kernel: 5, stride: 2, pad: 0, relu: false, rng: &rng),
            Self.layer(3, 1, kernel: 9, stride: 1, pad: 4, relu: false, rng: &rng),
        ]
        // A stride-2 layer reads phase planes only where the layer before it scatters (or it comes first).
        #expect(Self.methods(for: net) == [.phased, .phased, .winograd, .im2col, .phased, .taps])
        #expect(Self.methods(for: [net[2], net[4]]) == [.winograd, .im2col])
        // From 8 input channels a phase-plane layer is computed with Winograd F(4×4, 3×3).
        let wide = [
            Self.layer(3, 8, kernel: 5, stride: 2, pad: 0, relu: true, rng: &rng),
            Self.layer(8, 8, kernel: 5, stride: 2, pad: 0, relu: true, rng: &rng),
            Self.layer(8, 5, kernel: 5, stride: 2, pad: 0, relu: true, rng: &rng),
            Self.layer(5, 8, kernel: 5, stride: 1, pad: 2, relu: true, rng: &rng),
            Self.layer(8, 3, kernel: 5, stride: 2, pad: 0, relu: true, rng: &rng),
        ]
        #expect(Self.methods(for: wide) == [.phased, .phasedWinograd, .phasedWinograd, .winograd, .im2col])
        // Each work carries what it computes with: the transformed filters of its layer, the tap-major weights.
        let work = MaskedNetwork.work(for: wide + [net[5]])
        guard case .phasedWinograd(let phased) = work[1], case .winograd(let wino) = work[3],
            case .taps(let tapMajor) = work[5]
        else {
            Issue.record("unexpected work \(work.map(Method.init))")
            return
        }
        #expect(phased.inChannels == 8 && phased.outChannels == 8 && phased.u.count == 36 * 8 * 4 * 8)
        #expect(wino.inChannels == 5 && wino.outChannels == 8 && wino.u.count == 36 * 8 * 5)
        let score = net[5]
        let taps = score.kernel * score.kernel
        #expect(tapMajor.count == taps * score.inChannels)
        #expect(
            (0..<taps).allSatisfy { t in
                (0..<score.inChannels).allSatisfy { c in
                    tapMajor[t * score.inChannels + c] == score.weights[c * taps + t]
                }
            })
    }

    @Test("phase-plane geometry: every stored cell has its own offset; one parity's columns are consecutive")
    func geometry() {
        for phased in [false, true] {
            let g = PlaneGeometry(y0: 2, x0: 4, rows: 5, columns: 7, phased: phased)
            var seen = Set<Int>()
            for y in 2..<7 {
                for x in 4..<11 {
                    let o = g.rowOffset(y) + g.columnOffset(x)
                    #expect(o >= 0 && o < g.count)
                    seen.insert(o)
                    if x + (phased ? 2 : 1) < 11 {
                        #expect(g.columnOffset(x + (phased ? 2 : 1)) - g.columnOffset(x) == 1)
                    }
                }
            }
            #expect(seen.count == 35)
        }
        // The bounding box of a mask, widened to even corners for phase planes.
        var mask = CellMask(rows: 20, columns: 30)
        mask.mark(x0: 5, x1: 9, y0: 3, y1: 6)
        mask.mark(x0: 12, x1: 13, y0: 10, y1: 11)
        let box = PlaneGeometry(bounding: mask, phased: true)
        #expect(box.y0 == 2 && box.x0 == 4 && box.rows == 9 && box.columns == 9)
        let plain = PlaneGeometry(bounding: mask, phased: false)
        #expect(plain.y0 == 3 && plain.x0 == 5 && plain.rows == 8 && plain.columns == 8)
    }

    @Test(
        "a masked run of a small network equals the full-tensor convolution on every score cell",
        arguments: [(41, 57, 1 as UInt64), (64, 50, 2), (38, 39, 3)])
    func maskedRun(height: Int, width: Int, seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        let net = [
            Self.layer(3, 4, kernel: 5, stride: 2, pad: 0, relu: true, rng: &rng),
            Self.layer(4, 6, kernel: 5, stride: 2, pad: 0, relu: true, rng: &rng),
            Self.layer(6, 5, kernel: 5, stride: 1, pad: 2, relu: true, rng: &rng),
            Self.layer(5, 5, kernel: 5, stride: 1, pad: 2, relu: true, rng: &rng),
            Self.layer(5, 1, kernel: 9, stride: 1, pad: 4, relu: false, rng: &rng),
        ]
        #expect(Self.methods(for: net) == [.phased, .phased, .winograd, .winograd, .taps])
        try Self.checkMaskedRun(net, height: height, width: width, rng: &rng)
    }

    @Test(
        "phase-plane Winograd layers (writing phase planes, then row-major planes) match the full-tensor convolution",
        arguments: [(93, 101, 6 as UInt64), (88, 120, 7), (97, 90, 8)])
    func phasedWinograd(height: Int, width: Int, seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        let net = [
            Self.layer(3, 8, kernel: 5, stride: 2, pad: 0, relu: true, rng: &rng),
            Self.layer(8, 9, kernel: 5, stride: 2, pad: 0, relu: true, rng: &rng),
            Self.layer(9, 10, kernel: 5, stride: 2, pad: 0, relu: false, rng: &rng),
            Self.layer(10, 5, kernel: 5, stride: 1, pad: 2, relu: true, rng: &rng),
            Self.layer(5, 1, kernel: 9, stride: 1, pad: 4, relu: false, rng: &rng),
        ]
        #expect(Self.methods(for: net) == [.phased, .phasedWinograd, .phasedWinograd, .winograd, .taps])
        try Self.checkMaskedRun(net, height: height, width: width, rng: &rng)
    }

    @Test(
        "the general im2col path (a stride-2 layer after Winograd, a padded 3×3 layer) matches the full-tensor convolution too",
        arguments: [(61, 70, 4 as UInt64), (58, 63, 5)])
    func generalIm2col(height: Int, width: Int, seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        let net = [
            Self.layer(3, 4, kernel: 5, stride: 2, pad: 0, relu: true, rng: &rng),
            Self.layer(4, 4, kernel: 5, stride: 1, pad: 2, relu: true, rng: &rng),
            Self.layer(4, 3, kernel: 5, stride: 2, pad: 0, relu: true, rng: &rng),
            Self.layer(3, 3, kernel: 3, stride: 1, pad: 1, relu: false, rng: &rng),
            Self.layer(3, 1, kernel: 9, stride: 1, pad: 4, relu: false, rng: &rng),
        ]
        #expect(Self.methods(for: net) == [.phased, .winograd, .im2col, .im2col, .taps])
        try Self.checkMaskedRun(net, height: height, width: width, rng: &rng)
    }

    /// Runs `net` masked on random input (3 planes of `height × width`) and compares every score cell of an
    /// irregular score mask with the full-tensor reference.
    static func checkMaskedRun(_ net: [MMODConvolution], height: Int, width: Int, rng: inout SplitMix64) throws {
        // Input: 3 random planes, stored as phase planes when the first layer reads them so.
        let input = (0..<(3 * height * width)).map { _ in Double(Float.random(in: -1...1, using: &rng)) }
        let geometry = PlaneGeometry(
            rows: height, columns: width, phased: MaskedNetwork.work(for: net)[0].readsPhasePlanes)
        var stored = [Float](repeating: .nan, count: 3 * geometry.count)
        for c in 0..<3 {
            for y in 0..<height {
                for x in 0..<width {
                    stored[c * geometry.count + geometry.rowOffset(y) + geometry.columnOffset(x)] = Float(
                        input[(c * height + y) * width + x])
                }
            }
        }
        // Reference score map.
        var ref = (out: input, h: height, w: width)
        for layer in net { ref = Self.reference(layer, ref.out, h: ref.h, w: ref.w) }
        // Score mask: an irregular set of cells (a block, a single cell, a row end), then dilated back.
        var grids = [(height, width)]
        for layer in net { grids.append((layer.outputCount(grids.last!.0), layer.outputCount(grids.last!.1))) }
        let (oh, ow) = grids.last!
        var outMask = CellMask(rows: oh, columns: ow)
        outMask.mark(x0: 1, x1: 3, y0: 0, y1: 2)
        outMask.mark(x0: ow - 1, x1: ow, y0: oh / 2, y1: oh / 2 + 1)
        outMask.mark(x0: ow / 2, x1: ow / 2 + 1, y0: oh - 1, y1: oh)
        let masks = MaskedNetwork.masks(for: net, scoreMask: outMask, grids: grids.map { (h: $0.0, w: $0.1) })
        let plan = MaskedNetwork.Plan(layers: net, geometry: geometry, masks: masks)
        let scratch = DetectorScratch()
        let scores = try #require(
            stored.withUnsafeBufferPointer { p in
                MaskedNetwork.run(net, plan: plan, input: p.baseAddress!, scratch: scratch) { scores in
                    outMask.spans.flatMap { s in
                        (s.x0..<s.x1).map { x in
                            (
                                s.y, x,
                                Double(scores[plan.scoreGeometry.rowOffset(s.y) + plan.scoreGeometry.columnOffset(x)])
                            )
                        }
                    }
                }
            })
        #expect(scores.count == outMask.count)
        for (y, x, v) in scores {
            let expected = ref.out[y * ref.w + x]
            #expect(abs(v - expected) <= 1e-4 * max(1, abs(expected)), "score (\(y), \(x)): \(v) vs \(expected)")
        }
    }

    @Test(
        "one detector reused across frame sizes gives what a fresh detector gives",
        .enabled(if: sharedDetector != nil, "\(TestEnvironment.modelsAbsentMessage)"))
    func reuseAcrossSizes() throws {
        let names = ["obama.jpg", "biden.jpg", "obama2.jpg"]
        let urls = names.compactMap { TestEnvironment.sample($0) }
        guard urls.count == names.count else {
            print("skipping: sample photos not fetched (Scripts/fetch-models.sh)")
            return
        }
        let url = try #require(TestEnvironment.model("mmod_human_face_detector.dat"))
        let reused = try FaceDetector(modelURL: url)
        let images = try urls.map(loadImage)
        // Sizes change between calls, so the kept scratch clears old tiles and remakes its plan; a frame of
        // the size before reuses both.
        for index in [0, 1, 0, 0, 2, 1] {
            let fresh = try FaceDetector(modelURL: url).detect(in: images[index])
            let again = try reused.detect(in: images[index])
            #expect(again.faces == fresh.faces, "\(names[index])")
            #expect(!again.faces.isEmpty)
        }
    }
}
