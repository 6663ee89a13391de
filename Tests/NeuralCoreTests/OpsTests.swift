import Testing

@testable import NeuralCore

@Suite("tensor ops")
struct OpsTests {
    /// Direct (naive) cross-correlation for checking the im2col path.
    static func naive(_ x: Tensor, _ c: Convolution) -> Tensor {
        let o = c.outputShape(for: x.shape)!
        var y = Tensor(shape: o)
        for n in 0..<o.n {
            for oc in 0..<o.c {
                for oy in 0..<o.h {
                    for ox in 0..<o.w {
                        var s = c.bias[oc]
                        for ic in 0..<c.inChannels {
                            for ky in 0..<c.kernelHeight {
                                for kx in 0..<c.kernelWidth {
                                    let iy = oy * c.strideY - c.padY + ky
                                    let ix = ox * c.strideX - c.padX + kx
                                    if iy >= 0, iy < x.shape.h, ix >= 0, ix < x.shape.w {
                                        s +=
                                            c.weights[
                                                ((oc * c.inChannels + ic) * c.kernelHeight + ky) * c.kernelWidth + kx]
                                            * x[n, ic, iy, ix]
                                    }
                                }
                            }
                        }
                        if let g = c.scale, let b = c.shift { s = g[oc] * s + b[oc] }
                        y[n, oc, oy, ox] = c.relu ? max(s, 0) : s
                    }
                }
            }
        }
        return y
    }

    @Test("a 2×2 kernel on a 3×3 input gives the hand-computed values")
    func tinyConvolution() throws {
        let x = Tensor(shape: .init(n: 1, c: 1, h: 3, w: 3), data: [1, 2, 3, 4, 5, 6, 7, 8, 9])
        let c = try Convolution(
            inChannels: 1, outChannels: 1, kernelHeight: 2, kernelWidth: 2,
            weights: [1, 0, 0, -1], bias: [10])
        let y = try c(x)
        #expect(y.shape == .init(n: 1, c: 1, h: 2, w: 2))
        #expect(y.data == [6, 6, 6, 6])  // x[i,j] − x[i+1,j+1] = −4, +10
        var p = try Convolution(
            inChannels: 1, outChannels: 1, kernelHeight: 3, kernelWidth: 3, strideY: 2, strideX: 2,
            padY: 1, padX: 1, weights: [Float](repeating: 1, count: 9))
        #expect(try p(x).data == [12, 16, 24, 28])
        p.relu = true
        try p.setAffine(scale: [-1], shift: [13])
        #expect(try p(x).data == [1, 0, 0, 0])
    }

    @Test(
        "im2col convolution equals the direct sum for strides, paddings, batches and both layouts",
        arguments: [
            (5, 5, 2, 2, 0, 0), (5, 5, 1, 1, 2, 2), (3, 3, 1, 1, 1, 1), (3, 3, 2, 2, 0, 0),
            (7, 7, 2, 2, 0, 0), (1, 1, 1, 1, 0, 0), (9, 9, 1, 1, 4, 4), (3, 2, 2, 1, 1, 0),
        ])
    func matchesNaive(_ kh: Int, _ kw: Int, _ sy: Int, _ sx: Int, _ py: Int, _ px: Int) throws {
        var seed: UInt32 = 12345
        func rnd() -> Float {
            seed = seed &* 1_664_525 &+ 1_013_904_223
            return Float(Int(seed >> 9) % 2001 - 1000) / 1000
        }
        let shape = TensorShape(n: 2, c: 3, h: 13, w: 41)
        let x = Tensor(shape: shape, data: (0..<shape.count).map { _ in rnd() })
        var c = try Convolution(
            inChannels: 3, outChannels: 4, kernelHeight: kh, kernelWidth: kw, strideY: sy, strideX: sx,
            padY: py, padX: px, weights: (0..<(4 * 3 * kh * kw)).map { _ in rnd() },
            bias: [0.1, -0.2, 0.3, 0], relu: true)
        try c.setAffine(scale: [1, 2, -1, 0.5], shift: [0, 0.1, 0.2, -0.3])
        let want = Self.naive(x, c)
        let got = try c(x)
        #expect(got.shape == want.shape)
        #expect(zip(got.data, want.data).allSatisfy { abs($0 - $1) < 1e-4 })
        // channel-major batch layout gives the same values, permuted
        let o = want.shape
        var xc = [Float](repeating: 0, count: shape.count)
        for n in 0..<2 {
            for ch in 0..<3 {
                for i in 0..<shape.planeSize {
                    xc[(ch * 2 + n) * shape.planeSize + i] = x.data[(n * 3 + ch) * shape.planeSize + i]
                }
            }
        }
        var yc = [Float](repeating: 0, count: o.count)
        var scratch = [Float](repeating: 0, count: max(1, c.scratchCount(for: shape, layout: .cnhw)))
        xc.withUnsafeBufferPointer { src in
            yc.withUnsafeMutableBufferPointer { dst in
                scratch.withUnsafeMutableBufferPointer { s in
                    c.forward(src, shape: shape, layout: .cnhw, output: dst, scratch: s)
                }
            }
        }
        for n in 0..<2 {
            for ch in 0..<4 {
                for i in 0..<o.planeSize {
                    #expect(abs(yc[(ch * 2 + n) * o.planeSize + i] - want.data[(n * 4 + ch) * o.planeSize + i]) < 1e-4)
                }
            }
        }
        // folding the affine into the weights is exact up to rounding
        var folded = try Convolution(
            inChannels: 3, outChannels: 4, kernelHeight: kh, kernelWidth: kw, strideY: sy, strideX: sx,
            padY: py, padX: px, weights: c.weights, bias: c.bias, relu: true)
        try folded.foldAffine(scale: c.scale!, shift: c.shift!)
        #expect(zip(try folded(x).data, want.data).allSatisfy { abs($0 - $1) < 1e-4 })
    }

    @Test("pooling uses dlib's output size 1+(H+2p−k)/s and windows at r·s")
    func pooling() throws {
        let x = Tensor(shape: .init(n: 1, c: 1, h: 5, w: 5), data: (0..<25).map(Float.init))
        let mp = try Pooling(kind: .max, windowHeight: 3, windowWidth: 3, strideY: 2, strideX: 2)
        #expect(try mp(x).data == [12, 14, 22, 24])
        let ap = try Pooling(kind: .average, windowHeight: 2, windowWidth: 2, strideY: 2, strideX: 2)
        let a = try ap(x)
        #expect(a.shape == .init(n: 1, c: 1, h: 2, w: 2))
        #expect(a.data == [3, 5, 13, 15])
        #expect(try Pooling.averageEverything(x).data == [12])
        // dlib's ResNet: 72 → maxpool 3/2 → 35; 35 → avg 2/2 → 17
        #expect(mp.outputShape(for: .init(n: 1, c: 32, h: 72, w: 72))?.h == 35)
        #expect(ap.outputShape(for: .init(n: 1, c: 32, h: 35, w: 35))?.h == 17)
    }

    @Test("add_prev_ zero-extends: output is the elementwise max shape, missing regions are zero")
    func zeroExtendedAdd() {
        let sa = TensorShape(n: 1, c: 1, h: 2, w: 2)
        let sb = TensorShape(n: 1, c: 2, h: 1, w: 1)
        let a: [Float] = [1, 2, 3, 4]
        let b: [Float] = [10, 20]
        let so = Elementwise.zeroExtendedShape(sa, sb)
        #expect(so == TensorShape(n: 1, c: 2, h: 2, w: 2))
        var out = [Float](repeating: -1, count: so.count)
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                out.withUnsafeMutableBufferPointer { po in
                    Elementwise.addZeroExtended(pa, shape: sa, pb, shape: sb, into: po)
                }
            }
        }
        #expect(out == [11, 2, 3, 4, 20, 0, 0, 0])
    }

    @Test("fc computes y = x·W with W stored [in][out]")
    func linear() throws {
        let fc = try Linear(inputs: 2, outputs: 3, weights: [1, 2, 3, 4, 5, 6])
        var y = [Float](repeating: 0, count: 3)
        let x: [Float] = [1, -1]
        x.withUnsafeBufferPointer { px in y.withUnsafeMutableBufferPointer { fc.forward(px, rows: 1, output: $0) } }
        #expect(y == [-3, -3, -3])
    }

    @Test("bad layer hyper-parameters throw")
    func badLayers() {
        #expect(throws: NeuralCoreError.self) {
            try Convolution(inChannels: 1, outChannels: 1, kernelHeight: 3, kernelWidth: 3, weights: [1])
        }
        #expect(throws: NeuralCoreError.self) {
            try Pooling(kind: .max, windowHeight: 2, windowWidth: 2, strideY: 0, strideX: 1)
        }
        #expect(throws: NeuralCoreError.self) { try Linear(inputs: 2, outputs: 2, weights: [1, 2, 3]) }
    }
}

@Suite("Winograd F(2×2,3×3)")
struct WinogradTests {
    @Test(
        "equals the direct convolution for odd and even sizes, batches and both layouts",
        arguments: [(1, 7, 7), (2, 8, 6), (3, 35, 35), (2, 4, 4), (1, 1, 1), (2, 2, 3)])
    func matchesDirect(_ n: Int, _ h: Int, _ w: Int) throws {
        var seed: UInt32 = 99
        func rnd() -> Float {
            seed = seed &* 1_664_525 &+ 1_013_904_223
            return Float(Int(seed >> 9) % 2001 - 1000) / 1000
        }
        let shape = TensorShape(n: n, c: 5, h: h, w: w)
        let x = Tensor(shape: shape, data: (0..<shape.count).map { _ in rnd() })
        var conv = try Convolution(
            inChannels: 5, outChannels: 6, kernelHeight: 3, kernelWidth: 3, padY: 1, padX: 1,
            weights: (0..<(6 * 5 * 9)).map { _ in rnd() }, bias: (0..<6).map { _ in rnd() }, relu: true)
        try conv.setAffine(scale: [1, -1, 2, 0.5, 1, 3], shift: [0, 0.1, -0.2, 0, 0.3, 0])
        let want = OpsTests.naive(x, conv)
        let wino = try #require(Winograd3x3(conv))
        for layout in [TensorLayout.nchw, .cnhw] {
            var src = x.data
            if layout == .cnhw {
                for s in 0..<n {
                    for c in 0..<5 {
                        for i in 0..<shape.planeSize {
                            src[(c * n + s) * shape.planeSize + i] = x.data[(s * 5 + c) * shape.planeSize + i]
                        }
                    }
                }
            }
            let o = want.shape
            var out = [Float](repeating: .nan, count: o.count)
            var scratch = [Float](repeating: 0, count: wino.scratchCount(for: shape))
            src.withUnsafeBufferPointer { s in
                out.withUnsafeMutableBufferPointer { d in
                    scratch.withUnsafeMutableBufferPointer { t in
                        wino.forward(s, shape: shape, layout: layout, output: d, scratch: t)
                    }
                }
            }
            for s in 0..<n {
                for c in 0..<6 {
                    for i in 0..<o.planeSize {
                        let got = out[layout.planeIndex(sample: s, channel: c, shape: o) * o.planeSize + i]
                        #expect(abs(got - want.data[(s * 6 + c) * o.planeSize + i]) < 1e-4)
                    }
                }
            }
        }
        #expect(
            Winograd3x3(
                try Convolution(
                    inChannels: 1, outChannels: 1, kernelHeight: 3, kernelWidth: 3, strideY: 2, strideX: 2,
                    weights: [Float](repeating: 1, count: 9))) == nil)
    }
}

@Suite("BLAS threads")
struct BLASThreadsTests {
    @Test("OpenBLAS's thread count can be set and read back")
    func setAndGet() {
        guard BLASThreads.set(1) else {
            print("this BLAS has no openblas_set_num_threads: skipped")
            return
        }
        #expect(BLASThreads.current == 1)
        BLASThreads.set(2)
        #expect(BLASThreads.current == 2)
    }
}

@Suite("channel-major batches")
struct ChannelMajorTests {
    @Test("large maps (≥ 1024 output pixels) convolved sample by sample equal the direct sum")
    func perSampleGEMM() throws {
        var seed: UInt32 = 7
        func rnd() -> Float {
            seed = seed &* 1_664_525 &+ 1_013_904_223
            return Float(Int(seed >> 9) % 2001 - 1000) / 1000
        }
        let shape = TensorShape(n: 3, c: 2, h: 40, w: 30)
        let x = Tensor(shape: shape, data: (0..<shape.count).map { _ in rnd() })
        let conv = try Convolution(
            inChannels: 2, outChannels: 3, kernelHeight: 3, kernelWidth: 3, padY: 1, padX: 1,
            weights: (0..<54).map { _ in rnd() }, bias: [0.5, 0, -0.5])
        let want = OpsTests.naive(x, conv)
        let o = want.shape
        #expect(o.planeSize >= 1024)
        var xc = [Float](repeating: 0, count: shape.count)
        for n in 0..<3 {
            for ch in 0..<2 {
                for i in 0..<shape.planeSize {
                    xc[(ch * 3 + n) * shape.planeSize + i] = x.data[(n * 2 + ch) * shape.planeSize + i]
                }
            }
        }
        var yc = [Float](repeating: .nan, count: o.count)
        let need = conv.scratchCount(for: shape, layout: .cnhw)
        #expect(need == 18 * o.planeSize)  // one sample's im2col
        var scratch = [Float](repeating: 0, count: need)
        xc.withUnsafeBufferPointer { src in
            yc.withUnsafeMutableBufferPointer { dst in
                scratch.withUnsafeMutableBufferPointer { s in
                    conv.forward(src, shape: shape, layout: .cnhw, output: dst, scratch: s)
                }
            }
        }
        for n in 0..<3 {
            for ch in 0..<3 {
                for i in 0..<o.planeSize {
                    #expect(abs(yc[(ch * 3 + n) * o.planeSize + i] - want.data[(n * 3 + ch) * o.planeSize + i]) < 1e-4)
                }
            }
        }
    }
}

@Suite("max pooling fast path")
struct MaxPoolFastPathTests {
    @Test("3×3/2 max pooling on wide maps equals the window maxima", arguments: [(41, 45), (72, 72), (7, 20)])
    func wide(_ h: Int, _ w: Int) throws {
        var seed: UInt32 = 3
        func rnd() -> Float {
            seed = seed &* 1_664_525 &+ 1_013_904_223
            return Float(Int(seed >> 9) % 2001 - 1000) / 1000
        }
        let shape = TensorShape(n: 2, c: 3, h: h, w: w)
        let x = Tensor(shape: shape, data: (0..<shape.count).map { _ in rnd() })
        let pool = try Pooling(kind: .max, windowHeight: 3, windowWidth: 3, strideY: 2, strideX: 2)
        let y = try pool(x)
        #expect(y.shape == TensorShape(n: 2, c: 3, h: 1 + (h - 3) / 2, w: 1 + (w - 3) / 2))
        for n in 0..<2 {
            for c in 0..<3 {
                for oy in 0..<y.shape.h {
                    for ox in 0..<y.shape.w {
                        var m = -Float.infinity
                        for dy in 0..<3 { for dx in 0..<3 { m = max(m, x[n, c, 2 * oy + dy, 2 * ox + dx]) } }
                        #expect(y[n, c, oy, ox] == m)
                    }
                }
            }
        }
    }
}
