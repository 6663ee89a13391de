import CBLAS

/// A 3×3, stride-1, pad-1 convolution computed with Winograd's minimal filtering F(2×2, 3×3):
/// 16 multiplications per 2×2 output tile instead of 36 (2.25× fewer), as 16 GEMMs
/// `M[e] = U[e] (K×C) · V[e] (C×T)` over all tiles T of the batch.
///
/// Transforms (Lavin & Gray 2015): `U = G g Gᵀ`, `V = Bᵀ d B`, `Y = Aᵀ M A` with
/// `Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1]`, `G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1]`,
/// `Aᵀ = [1 1 1 0; 0 1 −1 −1]`. The results equal the direct convolution up to float rounding
/// (a few ulps per term). Bias, per-channel affine and ReLU of the source ``Convolution`` are applied
/// in the output transform.
package struct Winograd3x3: Sendable {
    /// Input and output channels.
    package let inChannels: Int, outChannels: Int
    /// Transformed filters, `[16][outChannels][inChannels]`.
    let u: [Float]
    let bias: [Float]
    let scale: [Float]?
    let shift: [Float]?
    let relu: Bool

    /// Prepares the transformed filters; nil unless `conv` is 3×3 with stride 1 and padding 1.
    package init?(_ conv: Convolution) {
        guard conv.kernelHeight == 3, conv.kernelWidth == 3, conv.strideY == 1, conv.strideX == 1,
            conv.padY == 1, conv.padX == 1
        else { return nil }
        let k = conv.outChannels
        let c = conv.inChannels
        inChannels = c
        outChannels = k
        // Transform pair by pair into [o][i][16] (one write stream), then transpose to [16][o][i]; writing
        // 16 streams a power-of-two apart directly thrashes the cache.
        let kc = k * c
        let pairs = [Float](unsafeUninitializedCapacity: 16 * kc) { pb, initialized in
            conv.weights.withUnsafeBufferPointer { w in
                for p in 0..<kc {
                    let f = w.baseAddress! + p * 9
                    // rows of G·f (G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1]), each a 3-vector across filter columns
                    let f0 = SIMD4<Float>(f[0], f[1], f[2], 0)
                    let f1 = SIMD4<Float>(f[3], f[4], f[5], 0)
                    let f2 = SIMD4<Float>(f[6], f[7], f[8], 0)
                    let r0 = f0
                    let r1 = (f0 + f1 + f2) * 0.5
                    let r2 = (f0 - f1 + f2) * 0.5
                    let r3 = f2
                    // each row times Gᵀ: (x, (x+y+z)/2, (x−y+z)/2, z)
                    @inline(__always) func tr(_ t: SIMD4<Float>) -> SIMD4<Float> {
                        SIMD4(t.x, (t.x + t.y + t.z) * 0.5, (t.x - t.y + t.z) * 0.5, t.z)
                    }
                    let out = UnsafeMutableRawPointer(pb.baseAddress! + p * 16)
                    out.storeBytes(
                        of: SIMD16(
                            lowHalf: SIMD8(lowHalf: tr(r0), highHalf: tr(r1)),
                            highHalf: SIMD8(lowHalf: tr(r2), highHalf: tr(r3))), as: SIMD16<Float>.self)
                }
            }
            initialized = 16 * kc
        }
        let u = [Float](unsafeUninitializedCapacity: 16 * kc) { ub, initialized in
            pairs.withUnsafeBufferPointer { pb in
                var p0 = 0
                while p0 < kc {  // blocks of 64 pairs (4 KiB) stay in L1 while 16 rows are written
                    let p1 = min(kc, p0 + 64)
                    for e in 0..<16 {
                        let dst = ub.baseAddress! + e * kc
                        let src = pb.baseAddress! + e
                        for p in p0..<p1 { dst[p] = src[p * 16] }
                    }
                    p0 = p1
                }
            }
            initialized = 16 * kc
        }
        self.u = u
        bias = conv.bias
        scale = conv.scale
        shift = conv.shift
        relu = conv.relu
    }

    /// Tiles per axis for an input of h×w.
    @inline(__always) static func tiles(_ h: Int, _ w: Int) -> (Int, Int) { ((h + 1) / 2, (w + 1) / 2) }

    /// Scratch floats ``forward(_:shape:layout:output:scratch:context:)`` needs: the 16 matrices of `V` (C×T) and
    /// of `M` (K×T), each ``GEMMShape/matrixStride(_:)`` apart, plus row buffers for each of `parts` parallel parts (a
    /// ``WorkerTeam``'s size).
    package func scratchCount(for input: TensorShape, parts: Int = 1) -> Int {
        let (th, tw) = Self.tiles(input.h, input.w)
        let t = Self.paddedTiles(th * tw * input.n)
        return 16 * (GEMMShape.matrixStride(inChannels * t) + GEMMShape.matrixStride(outChannels * t)) + max(1, parts)
            * Self.rowBufferCount(tw)
    }

    /// The tile count rounded up to a multiple of 16: the GEMMs' column count and stride. OpenBLAS's small-matrix
    /// kernel copies a remainder of 1…8 columns into a buffer it `malloc`s on every call; whole blocks of 16
    /// avoid that allocation and that slow path (the padding columns are zero and their products unused).
    @inline(__always) static func paddedTiles(_ t: Int) -> Int { (t + 15) & ~15 }

    /// Lanes of the vector loops over one tile row: `tw` rounded up to whole 8-float vectors.
    @inline(__always) static func rowLanes(_ tw: Int) -> Int { (tw + 7) & ~7 }

    /// Floats of one part's row buffers: the even and odd samples of one zero-padded input row (2 × (lanes + 16)),
    /// then the horizontal transforms of 4 input rows (4 rows × 4 components × lanes); the output transform uses
    /// the first 8 × tw of them.
    @inline(__always) static func rowBufferCount(_ tw: Int) -> Int { 2 * (rowLanes(tw) + 16) + 16 * rowLanes(tw) }

    /// Convolves a batch (output shape = input shape with `outChannels` channels), same layout in and out.
    ///
    /// Called by every thread of a ``WorkerTeam`` region with its `context`, it runs in three phases: the
    /// input transform shared out by groups of input channels, the 16 GEMMs by matrix, the output transform by
    /// groups of output channels, each handed out as threads ask; it returns on every thread when the whole
    /// output is written. Every value is computed the same way whatever the split. `scratch` must hold
    /// ``scratchCount(for:parts:)`` floats for the team size.
    package func forward(
        _ input: UnsafeBufferPointer<Float>, shape: TensorShape, layout: TensorLayout,
        output: UnsafeMutableBufferPointer<Float>, scratch: UnsafeMutableBufferPointer<Float>,
        context: TeamContext = .serial
    ) {
        let part = context.part
        precondition(shape.c == inChannels && scratch.count >= scratchCount(for: shape, parts: part.count))
        let h = shape.h
        let w = shape.w
        let n = shape.n
        let c = inChannels
        let k = outChannels
        let (th, tw) = Self.tiles(h, w)
        let t = Self.paddedTiles(n * th * tw)
        let outShape = TensorShape(n: n, c: k, h: h, w: w)
        precondition(output.count >= outShape.count)
        let v = scratch.baseAddress!
        let m = scratch.baseAddress! + 16 * GEMMShape.matrixStride(c * t)
        let rows = m + 16 * GEMMShape.matrixStride(k * t) + part.index * Self.rowBufferCount(tw)
        // Each phase's items are claimed as threads come (``TeamContext/shared(_:)``): a few channel groups per
        // thread for the transforms, one matrix at a time for the GEMMs.
        let groups = part.count == 1 ? 1 : Self.groupsPerThread * part.count
        for g in context.shared(groups) {
            inputTransform(
                input.baseAddress!, shape: shape, layout: layout, channels: WorkPart(g, of: groups).range(c),
                into: v, rows: rows)
        }
        context.sync()
        for e in context.shared(16) { multiply(v, into: m, tiles: t, matrix: e) }
        context.sync()
        for g in context.shared(groups) {
            outputTransform(
                m, shape: shape, layout: layout, outputs: WorkPart(g, of: groups).range(k),
                into: output.baseAddress!, rows: rows)
        }
        context.sync()
    }

    /// Channel groups per thread in the transforms when the team has more than one.
    static let groupsPerThread = 4

    /// The GEMM `M[e] (K×T) = U[e] (K×C) · V[e] (C×T)` of matrix `e`.
    private func multiply(_ v: UnsafePointer<Float>, into m: UnsafeMutablePointer<Float>, tiles t: Int, matrix e: Int) {
        let c = inChannels
        let k = outChannels
        let vs = GEMMShape.matrixStride(c * t)
        let ms = GEMMShape.matrixStride(k * t)
        u.withUnsafeBufferPointer { ub in
            cblas_sgemm(
                CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(k), Int32(t), Int32(c),
                1, ub.baseAddress! + e * k * c, Int32(c), v + e * vs, Int32(t), 0, m + e * ms, Int32(t))
        }
    }

    /// Input transform of `channels`: `V[e][ch][tile] = (Bᵀ d B)[e]`, computed row-wise and vectorised over a
    /// tile row; `rows` is this part's row buffers (``rowBufferCount(_:)`` floats).
    ///
    /// Consecutive tile rows share two input rows, so each input row is deinterleaved and transformed
    /// horizontally once, into one of 4 row slots used in rotation. The vector loops run over whole 8-float
    /// vectors (``rowLanes(_:)``): lanes past the tile row read zeros and their stores land on the next tile
    /// row (overwritten next) or on the zeroed padding columns — never past this channel's own row of `V`,
    /// where the last vector falls back to scalar code.
    private func inputTransform(
        _ input: UnsafePointer<Float>, shape: TensorShape, layout: TensorLayout,
        channels: Range<Int>, into v: UnsafeMutablePointer<Float>, rows: UnsafeMutablePointer<Float>
    ) {
        let h = shape.h
        let w = shape.w
        let n = shape.n
        let c = inChannels
        let (th, tw) = Self.tiles(h, w)
        let t = Self.paddedTiles(n * th * tw)
        let ct = GEMMShape.matrixStride(c * t)
        let real = n * th * tw
        let lanes = Self.rowLanes(tw)
        // even[i] = p[2i], odd[i] = p[2i + 1] of the zero-padded row p[j] = x[j − 1]; zero past tw for good.
        let even = rows
        let odd = rows + (lanes + 16)
        let hb = rows + 2 * (lanes + 16)  // 4 slots × 4 components × lanes
        rows.update(repeating: 0, count: 2 * (lanes + 16))
        for ch in channels {
            for s in 0..<n {
                let plane = input + layout.planeIndex(sample: s, channel: ch, shape: shape) * h * w
                for ty in 0..<th {
                    // Input rows 2ty − 1 + r, r = 0…3; rows 0 and 1 are rows 2 and 3 of the tile row above.
                    for r in (ty == 0 ? 0 : 2)..<4 {
                        let y = 2 * ty - 1 + r
                        if y < 0 || y >= h {
                            even.update(repeating: 0, count: tw + 1)
                            odd.update(repeating: 0, count: tw + 1)
                        } else {
                            let row = plane + y * w
                            even[0] = 0
                            odd[0] = row[0]
                            var i = 1
                            while 2 * i + 15 <= w {  // row[2i−1 ..< 2i+15] deinterleaved
                                let v = ld16(row + 2 * i - 1)
                                st8(even + i, v.evenHalf)
                                st8(odd + i, v.oddHalf)
                                i += 8
                            }
                            while i <= tw {
                                let xe = 2 * i - 1
                                let xo = 2 * i
                                even[i] = xe < w ? row[xe] : 0
                                odd[i] = xo < w ? row[xo] : 0
                                i += 1
                            }
                        }
                        let h0 = hb + 4 * ((2 * ty + r) & 3) * lanes
                        let h1 = h0 + lanes
                        let h2 = h1 + lanes
                        let h3 = h2 + lanes
                        var i = 0
                        while i < lanes {
                            let e0 = ld8(even + i)
                            let e1 = ld8(even + i + 1)
                            let o0 = ld8(odd + i)
                            let o1 = ld8(odd + i + 1)
                            st8(h0 + i, e0 - e1)
                            st8(h1 + i, o0 + e1)
                            st8(h2 + i, e1 - o0)
                            st8(h3 + i, o0 - o1)
                            i += 8
                        }
                    }
                    let tile0 = (s * th + ty) * tw
                    let vectorEnd = tile0 + lanes <= t ? lanes : tw & ~7
                    let r0 = hb + 4 * ((2 * ty) & 3) * lanes
                    let r1 = hb + 4 * ((2 * ty + 1) & 3) * lanes
                    let r2 = hb + 4 * ((2 * ty + 2) & 3) * lanes
                    let r3 = hb + 4 * ((2 * ty + 3) & 3) * lanes
                    for col in 0..<4 {
                        let a0 = r0 + col * lanes
                        let a1 = r1 + col * lanes
                        let a2 = r2 + col * lanes
                        let a3 = r3 + col * lanes
                        let d0 = v + (0 * 4 + col) * ct + ch * t + tile0
                        let d1 = v + (1 * 4 + col) * ct + ch * t + tile0
                        let d2 = v + (2 * 4 + col) * ct + ch * t + tile0
                        let d3 = v + (3 * 4 + col) * ct + ch * t + tile0
                        var i = 0
                        while i < vectorEnd {
                            let x0 = ld8(a0 + i)
                            let x1 = ld8(a1 + i)
                            let x2 = ld8(a2 + i)
                            let x3 = ld8(a3 + i)
                            st8(d0 + i, x0 - x2)
                            st8(d1 + i, x1 + x2)
                            st8(d2 + i, x2 - x1)
                            st8(d3 + i, x1 - x3)
                            i += 8
                        }
                        while i < tw {
                            d0[i] = a0[i] - a2[i]
                            d1[i] = a1[i] + a2[i]
                            d2[i] = a2[i] - a1[i]
                            d3[i] = a1[i] - a3[i]
                            i += 1
                        }
                    }
                }
            }
            for e in 0..<16 { (v + e * ct + ch * t + real).update(repeating: 0, count: t - real) }
        }
    }

    /// The output transform `Y = Aᵀ M A` of channels `outputs`, with bias, affine and ReLU, vectorised over
    /// a tile row; `rows` is this part's row buffers.
    private func outputTransform(
        _ m: UnsafePointer<Float>, shape: TensorShape, layout: TensorLayout,
        outputs: Range<Int>, into output: UnsafeMutablePointer<Float>,
        rows: UnsafeMutablePointer<Float>
    ) {
        let h = shape.h
        let w = shape.w
        let n = shape.n
        let k = outChannels
        let (th, tw) = Self.tiles(h, w)
        let t = Self.paddedTiles(n * th * tw)
        let outShape = TensorShape(n: n, c: k, h: h, w: w)
        let kt = GEMMShape.matrixStride(k * t)
        let q = rows  // 8 × tw: q0[0..3], q1[0..3]
        for o in outputs {
            var g: Float = 1
            var b = bias[o]
            if let scale, let shift {
                g = scale[o]
                b = b * g + shift[o]
            }
            for s in 0..<n {
                let plane = output + layout.planeIndex(sample: s, channel: o, shape: outShape) * h * w
                for ty in 0..<th {
                    let tile0 = (s * th + ty) * tw
                    let src = m + o * t + tile0
                    for col in 0..<4 {
                        let m0 = src + (0 * 4 + col) * kt
                        let m1 = src + (1 * 4 + col) * kt
                        let m2 = src + (2 * 4 + col) * kt
                        let m3 = src + (3 * 4 + col) * kt
                        let q0 = q + col * tw
                        let q1 = q + (4 + col) * tw
                        var i = 0
                        while i + 8 <= tw {
                            let x0 = ld8(m0 + i)
                            let x1 = ld8(m1 + i)
                            let x2 = ld8(m2 + i)
                            let x3 = ld8(m3 + i)
                            st8(q0 + i, x0 + x1 + x2)
                            st8(q1 + i, x1 - x2 - x3)
                            i += 8
                        }
                        while i < tw {
                            q0[i] = m0[i] + m1[i] + m2[i]
                            q1[i] = m1[i] - m2[i] - m3[i]
                            i += 1
                        }
                    }
                    for r in 0..<2 {
                        let oy = 2 * ty + r
                        if oy >= h { break }
                        let a0 = q + (4 * r) * tw
                        let a1 = a0 + tw
                        let a2 = a1 + tw
                        let a3 = a2 + tw
                        let row = plane + oy * w
                        let full = w / 2
                        let gv = SIMD8<Float>(repeating: g)
                        let bv = SIMD8<Float>(repeating: b)
                        var i0 = 0
                        while i0 + 8 <= full {
                            let x0 = ld8(a0 + i0)
                            let x1 = ld8(a1 + i0)
                            let x2 = ld8(a2 + i0)
                            let x3 = ld8(a3 + i0)
                            var ye = (x0 + x1 + x2) * gv + bv
                            var yo = (x1 - x2 - x3) * gv + bv
                            if relu {
                                ye = relu8(ye)
                                yo = relu8(yo)
                            }
                            var v = SIMD16<Float>()
                            v.evenHalf = ye
                            v.oddHalf = yo
                            UnsafeMutableRawPointer(row + 2 * i0).storeBytes(of: v, as: SIMD16<Float>.self)
                            i0 += 8
                        }
                        if relu {
                            for i in i0..<full {
                                row[2 * i] = max((a0[i] + a1[i] + a2[i]) * g + b, 0)
                                row[2 * i + 1] = max((a1[i] - a2[i] - a3[i]) * g + b, 0)
                            }
                        } else {
                            for i in i0..<full {
                                row[2 * i] = (a0[i] + a1[i] + a2[i]) * g + b
                                row[2 * i + 1] = (a1[i] - a2[i] - a3[i]) * g + b
                            }
                        }
                        if w & 1 == 1 {
                            let y = (a0[full] + a1[full] + a2[full]) * g + b
                            row[w - 1] = relu ? max(y, 0) : y
                        }
                    }
                }
            }
        }
    }
}

@inline(__always) private func ld8(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
}
@inline(__always) private func ld8(_ p: UnsafeMutablePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
}
@inline(__always) private func ld16(_ p: UnsafePointer<Float>) -> SIMD16<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
}
@inline(__always) private func st8(_ p: UnsafeMutablePointer<Float>, _ v: SIMD8<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
}
