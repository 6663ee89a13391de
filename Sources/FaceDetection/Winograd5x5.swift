import CBLAS
import NeuralCore

/// A 5×5, stride-1, pad-2 convolution of the MMOD network computed with Winograd's minimal filtering
/// F(2×2, 5×5) over runs of 2×2 output tiles: 36 multiplications per tile instead of 100 (2.78× fewer),
/// as 36 GEMMs `M[e] = U[e] (out × in) · V[e] (in × tiles)`.
///
/// Transforms (Toom–Cook at the points 0, 1, −1, 2, −2, ∞): `U = G g Gᵀ`, `V = Bᵀ d B`, `Y = Aᵀ M A` with
/// `Bᵀ = [4 0 −5 0 1 0; 0 −4 −4 1 1 0; 0 4 −4 −1 1 0; 0 −2 −1 2 1 0; 0 2 −1 −2 1 0; 0 4 0 −5 0 1]`,
/// `Aᵀ = [1 1 1 1 1 0; 0 1 −1 2 −2 1]` and `G` (6×5) the rows `[¼ 0 0 0 0]`, `−⅙[1 1 1 1 1]`,
/// `−⅙[1 −1 1 −1 1]`, `[1/24 1/12 ⅙ ⅓ ⅔]`, `[1/24 −1/12 ⅙ −⅓ ⅔]`, `[0 0 0 0 1]`.
/// Results equal the direct convolution up to float rounding (about 1e-6 of the output's magnitude).
/// Bias and ReLU are applied in the output transform.
///
/// A tile reads the 6×6 input cells around it (zero outside the grid), so every input cell of a tile must
/// hold its real value: the detector marks whole 2×2 output blocks (``CellMask/alignedToBlocks()``) before
/// dilating the mask to the previous layer.
struct Winograd5x5: Sendable {
    let inChannels: Int, outChannels: Int
    /// Transformed filters, `[36][outChannels][inChannels]`.
    let u: [Float]
    let bias: [Float]
    let relu: Bool

    /// A run of tiles on one tile row: tile `j` covers output cells `(y…y+1, x0+2j…x0+2j+1)`.
    struct TileRun: Sendable {
        var y: Int, x0: Int, count: Int
    }

    /// Tiles per GEMM batch: the transformed input and products of a batch (36·(in + out)·tiles floats)
    /// stay within about 1 MB, the L2 cache of one core. A multiple of 16, so that a batch's GEMMs, padded to
    /// a multiple of 16 tiles (``GEMMShape``), fit in its rows.
    static let tilesPerBatch = 64
    /// Batch row stride: room for the 8-lane stores that run past a batch's last tile.
    static let batchStride = tilesPerBatch + 8

    /// Prepares the transformed filters of a convolution (weights OIHW); nil unless it is 5×5 with stride 1
    /// and padding 2.
    init?(inChannels c: Int, outChannels k: Int, kernel: Int, stride: Int, pad: Int, weights: [Float], bias: [Float],
          relu: Bool) {
        guard kernel == 5, stride == 1, pad == 2, weights.count == k * c * 25, bias.count == k else { return nil }
        inChannels = c; outChannels = k
        let g: [[Double]] = [
            [1.0 / 4, 0, 0, 0, 0],
            [-1.0 / 6, -1.0 / 6, -1.0 / 6, -1.0 / 6, -1.0 / 6],
            [-1.0 / 6, 1.0 / 6, -1.0 / 6, 1.0 / 6, -1.0 / 6],
            [1.0 / 24, 1.0 / 12, 1.0 / 6, 1.0 / 3, 2.0 / 3],
            [1.0 / 24, -1.0 / 12, 1.0 / 6, -1.0 / 3, 2.0 / 3],
            [0, 0, 0, 0, 1],
        ]
        var u = [Float](repeating: 0, count: 36 * k * c)
        var t = [Double](repeating: 0, count: 30)
        for o in 0..<k {
            for i in 0..<c {
                let f = (o * c + i) * 25
                // t = G · f (6×5), then U = t · Gᵀ (6×6), in double.
                for a in 0..<6 {
                    for col in 0..<5 {
                        var s = 0.0
                        for r in 0..<5 { s += g[a][r] * Double(weights[f + r * 5 + col]) }
                        t[a * 5 + col] = s
                    }
                }
                for a in 0..<6 {
                    for b in 0..<6 {
                        var s = 0.0
                        for col in 0..<5 { s += t[a * 5 + col] * g[b][col] }
                        u[((a * 6 + b) * k + o) * c + i] = Float(s)
                    }
                }
            }
        }
        self.u = u
        self.bias = bias; self.relu = relu
    }

    /// Scratch floats one worker needs.
    var scratchCount: Int {
        let s = Self.batchStride
        return 36 * (inChannels + outChannels) * s + 4 * (s + 24) + 36 * s
    }

    /// Convolves the tiles of `work` (one worker's share, cut into batches of at most ``tilesPerBatch`` tiles)
    /// from the `inChannels` row-major planes of `input` into the `outChannels` row-major planes of `output`
    /// (same grid; cells outside it are not written).
    ///
    /// Each batch's GEMMs run on its tile count rounded up to a multiple of 16 (``GEMMShape``), with the
    /// transformed input of the padding tiles set to zero.
    func forward(_ work: Batches<TileRun>, input: FeatureMap, output: FeatureMap, scratch: UnsafeMutablePointer<Float>) {
        precondition(!input.geometry.phased && !output.geometry.phased)
        let s = Self.batchStride, c = inChannels, k = outChannels
        let v = scratch, m = v + 36 * c * s
        let line = m + 36 * k * s, even = line + 2 * (s + 24), odd = even + s + 24, hb = odd + s + 24
        work.runs.withUnsafeBufferPointer { allRuns in
            u.withUnsafeBufferPointer { ub in
                for batch in work.batches {
                    let runs = UnsafeBufferPointer(rebasing: allRuns[batch.runs])
                    let n = batch.items
                    let columns = GEMMShape.paddedColumns(n, rows: k, depth: c)
                    assert(columns <= s)
                    for ch in 0..<c {
                        var t0 = 0
                        for run in runs {
                            inputTransform(run, input: input, channel: ch, line: line, even: even, odd: odd, hb: hb,
                                           into: v + ch * s + t0, eStride: c * s)
                            t0 += run.count
                        }
                    }
                    // Padding tiles read zero (the transforms above may have left up to 7 lanes of junk there).
                    if columns > n {
                        for row in 0..<(36 * c) { (v + row * s + n).update(repeating: 0, count: columns - n) }
                    }
                    for e in 0..<36 {
                        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(k), Int32(columns), Int32(c), 1,
                                    ub.baseAddress! + e * k * c, Int32(c), v + e * c * s, Int32(s), 0,
                                    m + e * k * s, Int32(s))
                    }
                    for co in 0..<k {
                        let b = bias[co]
                        var t0 = 0
                        for run in runs {
                            outputTransform(run, m + co * s + t0, eStride: k * s, bias: b, into: output, channel: co)
                            t0 += run.count
                        }
                    }
                }
            }
        }
    }

    /// Cuts tile runs into GEMM batches of at most ``tilesPerBatch`` tiles.
    static func batches(_ runs: [TileRun]) -> Batches<TileRun> {
        Batches(runs, limit: tilesPerBatch, length: \.count) { run, offset, count in
            TileRun(y: run.y, x0: run.x0 + 2 * offset, count: count)
        }
    }

    /// `Bᵀ d` for one column of six values (also used for rows).
    @inline(__always)
    private static func bt(_ d0: SIMD8<Float>, _ d1: SIMD8<Float>, _ d2: SIMD8<Float>, _ d3: SIMD8<Float>,
                           _ d4: SIMD8<Float>, _ d5: SIMD8<Float>)
        -> (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>) {
        let e0 = 4 * d0 - 5 * d2 + d4
        let e1 = d3 + d4 - 4 * (d1 + d2)
        let e2 = d4 - d3 + 4 * (d1 - d2)
        let e3 = d4 - d2 + 2 * (d3 - d1)
        let e4 = d4 - d2 + 2 * (d1 - d3)
        let e5 = 4 * d1 - 5 * d3 + d5
        return (e0, e1, e2, e3, e4, e5)
    }

    /// `V = Bᵀ d B` for the tiles of `run` on one channel, 8 tiles at a time; writes `V[e]` at
    /// `into + e·eStride + j` for tile `j` (and up to 7 lanes past the run, which later runs overwrite).
    @inline(__always)
    private func inputTransform(_ run: TileRun, input: FeatureMap, channel: Int,
                                line: UnsafeMutablePointer<Float>, even: UnsafeMutablePointer<Float>,
                                odd: UnsafeMutablePointer<Float>, hb: UnsafeMutablePointer<Float>,
                                into: UnsafeMutablePointer<Float>, eStride: Int) {
        let s = Self.batchStride
        let lanes = (run.count + 7) & ~7
        let q = lanes + 3  // samples per phase row: tile j reads even[j…j+2], odd[j…j+2]
        for r in 0..<6 {
            // line[i] = cell (y − 2 + r, x0 − 2 + i), zero outside the grid; then split into even/odd samples.
            if input.readRow(channel: channel, y: run.y - 2 + r, from: run.x0 - 2, count: 2 * q, into: line) {
                var i = 0
                while i + 8 <= q {
                    let x = UnsafeRawPointer(line + 2 * i).loadUnaligned(as: SIMD16<Float>.self)
                    UnsafeMutableRawPointer(even + i).storeBytes(of: x.evenHalf, as: SIMD8<Float>.self)
                    UnsafeMutableRawPointer(odd + i).storeBytes(of: x.oddHalf, as: SIMD8<Float>.self)
                    i += 8
                }
                while i < q { even[i] = line[2 * i]; odd[i] = line[2 * i + 1]; i += 1 }
            } else {
                even.update(repeating: 0, count: q); odd.update(repeating: 0, count: q)
            }
            // Horizontal transform of row r: hb[(r·6 + e)·s + j].
            var j = 0
            while j < lanes {
                let d0 = ld(even + j), d1 = ld(odd + j), d2 = ld(even + j + 1)
                let d3 = ld(odd + j + 1), d4 = ld(even + j + 2), d5 = ld(odd + j + 2)
                let e = Self.bt(d0, d1, d2, d3, d4, d5)
                let base = hb + r * 6 * s + j
                st(base, e.0); st(base + s, e.1); st(base + 2 * s, e.2)
                st(base + 3 * s, e.3); st(base + 4 * s, e.4); st(base + 5 * s, e.5)
                j += 8
            }
        }
        // Vertical transform: V[e1·6 + e2] = Σ_r Bᵀ[e1][r] · hb[r][e2].
        for e2 in 0..<6 {
            var j = 0
            while j < lanes {
                let p = hb + e2 * s + j
                let e = Self.bt(ld(p), ld(p + 6 * s), ld(p + 12 * s), ld(p + 18 * s), ld(p + 24 * s), ld(p + 30 * s))
                let out = into + j
                st(out + e2 * eStride, e.0); st(out + (6 + e2) * eStride, e.1)
                st(out + (12 + e2) * eStride, e.2); st(out + (18 + e2) * eStride, e.3)
                st(out + (24 + e2) * eStride, e.4); st(out + (30 + e2) * eStride, e.5)
                j += 8
            }
        }
    }

    /// `Y = Aᵀ M A` + bias (and ReLU) for the tiles of `run` on one output channel; `m + e·eStride + j` holds
    /// `M[e]` of tile `j`. Cells outside the grid are not written.
    @inline(__always)
    private func outputTransform(_ run: TileRun, _ m: UnsafeMutablePointer<Float>, eStride: Int, bias: Float,
                                 into output: FeatureMap, channel: Int) {
        let h = output.grid.h, w = output.grid.w
        let hasRow2 = run.y + 1 < h
        // row0[x − x0]: cell (y, x); row1 likewise for y + 1.
        let x0 = output.geometry.x0
        let row0 = output.row(channel: channel, y: run.y)
        let row1 = hasRow2 ? output.row(channel: channel, y: run.y + 1) : row0
        var j = 0
        while j < run.count {
            // s_a[e2] = Σ_e1 Aᵀ[a][e1] · M[e1][e2]
            var s0 = (SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>())
            var s1 = s0
            let mj = m + j
            @inline(__always) func col(_ e2: Int) -> (SIMD8<Float>, SIMD8<Float>) {
                let p = mj + e2 * eStride
                let m0 = ld(p), m1 = ld(p + 6 * eStride), m2 = ld(p + 12 * eStride)
                let m3 = ld(p + 18 * eStride), m4 = ld(p + 24 * eStride), m5 = ld(p + 30 * eStride)
                return (m0 + m1 + m2 + m3 + m4, m1 - m2 + 2 * (m3 - m4) + m5)
            }
            (s0.0, s1.0) = col(0); (s0.1, s1.1) = col(1); (s0.2, s1.2) = col(2)
            (s0.3, s1.3) = col(3); (s0.4, s1.4) = col(4); (s0.5, s1.5) = col(5)
            let bv = SIMD8<Float>(repeating: bias)
            var y00 = s0.0 + s0.1 + s0.2 + s0.3 + s0.4 + bv
            var y01 = s0.1 - s0.2 + 2 * (s0.3 - s0.4) + s0.5 + bv
            var y10 = s1.0 + s1.1 + s1.2 + s1.3 + s1.4 + bv
            var y11 = s1.1 - s1.2 + 2 * (s1.3 - s1.4) + s1.5 + bv
            if relu {
                let z = SIMD8<Float>()
                y00 = y00.replacing(with: z, where: y00 .< z); y01 = y01.replacing(with: z, where: y01 .< z)
                y10 = y10.replacing(with: z, where: y10 .< z); y11 = y11.replacing(with: z, where: y11 .< z)
            }
            let lanes = min(8, run.count - j)
            for l in 0..<lanes {
                let x = run.x0 + 2 * (j + l)
                row0[x - x0] = y00[l]
                if x + 1 < w { row0[x + 1 - x0] = y01[l] }
                if hasRow2 {
                    row1[x - x0] = y10[l]
                    if x + 1 < w { row1[x + 1 - x0] = y11[l] }
                }
            }
            j += 8
        }
    }
}

@inline(__always) private func ld(_ p: UnsafeMutablePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
}
@inline(__always) private func st(_ p: UnsafeMutablePointer<Float>, _ v: SIMD8<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
}
