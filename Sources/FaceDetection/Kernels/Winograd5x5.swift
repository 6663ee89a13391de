/// A 5×5, stride-1, pad-2 convolution of the MMOD network computed with Winograd's minimal filtering
/// F(2×2, 5×5) over runs of 2×2 output tiles: 36 multiplications per tile instead of 100 (2.78× fewer),
/// as 36 GEMMs `M[e] = U[e] (out × in) · V[e] (in × tiles)`.
///
/// Transforms (Toom–Cook at the points 0, 1, −1, 2, −2, ∞: ``WinogradPoints``): `U = G g Gᵀ`, `V = Bᵀ d B`,
/// `Y = Aᵀ M A` with `Aᵀ = [1 1 1 1 1 0; 0 1 −1 2 −2 1]` and `G` (6×5) the rows `[¼ 0 0 0 0]`, `−⅙[1 1 1 1 1]`,
/// `−⅙[1 −1 1 −1 1]`, `[1/24 1/12 ⅙ ⅓ ⅔]`, `[1/24 −1/12 ⅙ −⅓ ⅔]`, `[0 0 0 0 1]`.
/// Results equal the direct convolution up to float rounding (about 1e-6 of the output's magnitude).
/// Bias and ReLU are applied in the output transform.
///
/// A tile reads the 6×6 input cells around it (zero outside the grid), so every input cell of a tile must
/// hold its real value: the detector marks whole 2×2 output blocks (``CellMask/alignedToBlocks(size:)``) before
/// dilating the mask to the previous layer.
struct Winograd5x5: Sendable {
    let inChannels: Int, outChannels: Int
    /// Transformed filters, `[36][outChannels][inChannels]`.
    let u: [Float]
    let bias: [Float]
    let relu: Bool

    /// Tiles per GEMM batch: the transformed input and products of a batch (36·(in + out)·tiles floats)
    /// stay within about 1 MB, the L2 cache of one core. A multiple of 16, so that a batch's GEMMs, padded to
    /// a multiple of 16 tiles (``GEMMShape``), fit in its rows.
    static let tilesPerBatch = 64
    /// Batch row stride: room for the 8-lane stores that run past a batch's last tile.
    static let batchStride = tilesPerBatch + 8

    /// Prepares the transformed filters of a convolution (weights OIHW); nil unless it is 5×5 with stride 1
    /// and padding 2.
    init?(
        inChannels c: Int, outChannels k: Int, kernel: Int, stride: Int, pad: Int, weights: [Float], bias: [Float],
        relu: Bool
    ) {
        guard kernel == 5, stride == 1, pad == 2, weights.count == k * c * 25, bias.count == k else { return nil }
        inChannels = c
        outChannels = k
        let g: [[Double]] = [
            [1.0 / 4, 0, 0, 0, 0],
            [-1.0 / 6, -1.0 / 6, -1.0 / 6, -1.0 / 6, -1.0 / 6],
            [-1.0 / 6, 1.0 / 6, -1.0 / 6, 1.0 / 6, -1.0 / 6],
            [1.0 / 24, 1.0 / 12, 1.0 / 6, 1.0 / 3, 2.0 / 3],
            [1.0 / 24, -1.0 / 12, 1.0 / 6, -1.0 / 3, 2.0 / 3],
            [0, 0, 0, 0, 1],
        ]
        var u = [Float](repeating: 0, count: 36 * k * c)
        for o in 0..<k {
            for i in 0..<c {
                let f = (o * c + i) * 25
                let t = WinogradPoints.kernelTransform(g) { row, col in Double(weights[f + row * 5 + col]) }
                for e in 0..<36 { u[(e * k + o) * c + i] = Float(t[e]) }
            }
        }
        self.u = u
        self.bias = bias
        self.relu = relu
    }

    /// Scratch floats one worker needs.
    var scratchCount: Int {
        let s = Self.batchStride
        return 36
            * (WinogradPoints.vStride(inChannels: inChannels, stride: s)
                + WinogradPoints.mStride(outChannels: outChannels, stride: s))
            + 4 * (s + 24) + 36 * s
    }

    /// Convolves the tiles of `work` (one worker's share, cut into batches of at most ``tilesPerBatch`` tiles)
    /// from the `inChannels` row-major planes of `input` into the `outChannels` row-major planes of `output`
    /// (same grid; cells outside it are not written).
    ///
    /// Each batch's GEMMs run on its tile count rounded up to a multiple of 16 (``GEMMShape``), with the
    /// transformed input of the padding tiles set to zero.
    func forward(_ work: Batches<TileRun>, input: FeatureMap, output: FeatureMap, scratch: UnsafeMutablePointer<Float>)
    {
        precondition(!input.geometry.phased && !output.geometry.phased)
        let s = Self.batchStride
        let c = inChannels
        let k = outChannels
        let vs = WinogradPoints.vStride(inChannels: c, stride: s)
        let ms = WinogradPoints.mStride(outChannels: k, stride: s)
        let v = scratch
        let m = v + 36 * vs
        let line = m + 36 * ms
        let even = line + 2 * (s + 24)
        let odd = even + s + 24
        let hb = odd + s + 24
        work.runs.withUnsafeBufferPointer { allRuns in
            u.withUnsafeBufferPointer { ub in
                for batch in work.batches {
                    let runs = UnsafeBufferPointer(rebasing: allRuns[batch.runs])
                    let n = batch.items
                    let lanes = (n + 7) & ~7
                    for ch in 0..<c {
                        var t0 = 0
                        for run in runs {
                            rowTransforms(
                                run, input: input, channel: ch, line: line, even: even, odd: odd, into: hb + t0)
                            t0 += run.count
                        }
                        WinogradPoints.columnTransform(hb, stride: s, lanes: lanes, into: v + ch * s, eStride: vs)
                    }
                    WinogradPoints.multiply(
                        ub.baseAddress!, v, into: m, outChannels: k, inChannels: c, tiles: n, stride: s)
                    for co in 0..<k {
                        let b = bias[co]
                        var t0 = 0
                        for run in runs {
                            outputTransform(run, m + co * s + t0, eStride: ms, bias: b, into: output, channel: co)
                            t0 += run.count
                        }
                    }
                }
            }
        }
    }

    /// Cuts runs of 2×2 tiles into GEMM batches of at most ``tilesPerBatch`` tiles.
    static func batches(_ runs: [TileRun]) -> Batches<TileRun> {
        Batches.tiles(runs, size: 2, limit: tilesPerBatch)
    }

    /// The horizontal half of `V = Bᵀ d B` for the tiles of `run` on one channel, 8 tiles at a time: row `r` of
    /// tile `j` at `hb + (r·6 + e)·batchStride + j` (and up to 7 lanes past the run, which the next run
    /// overwrites; the vertical half then runs once over the whole batch).
    @inline(__always)
    private func rowTransforms(
        _ run: TileRun, input: FeatureMap, channel: Int, line: UnsafeMutablePointer<Float>,
        even: UnsafeMutablePointer<Float>, odd: UnsafeMutablePointer<Float>,
        into hb: UnsafeMutablePointer<Float>
    ) {
        let s = Self.batchStride
        let lanes = (run.count + 7) & ~7
        let q = lanes + 3  // samples per phase row: tile j reads even[j…j+2], odd[j…j+2]
        for r in 0..<6 {
            // cells[i] = cell (y − 2 + r, x0 − 2 + i), zero outside the grid; split into even/odd samples. The run's
            // tiles read 2·count + 4 cells; the vector loads read on to 2q.
            if let cells = input.row(
                channel: channel, y: run.y - 2 + r, from: run.x0 - 2, count: 2 * q,
                needed: 2 * run.count + 4, scratch: line)
            {
                var i = 0
                while i + 8 <= q {
                    let x = UnsafeRawPointer(cells + 2 * i).loadUnaligned(as: SIMD16<Float>.self)
                    store8(even + i, x.evenHalf)
                    store8(odd + i, x.oddHalf)
                    i += 8
                }
                while i < q {
                    even[i] = cells[2 * i]
                    odd[i] = cells[2 * i + 1]
                    i += 1
                }
            } else {
                even.update(repeating: 0, count: q)
                odd.update(repeating: 0, count: q)
            }
            // Tile j reads even[j…j+2] and odd[j…j+2].
            WinogradPoints.rowTransform(
                (even, odd, even + 1, odd + 1, even + 2, odd + 2), row: r, lanes: lanes,
                into: hb, stride: s)
        }
    }

    /// `Y = Aᵀ M A` + bias (and ReLU) for the tiles of `run` on one output channel; `m + e·eStride + j` holds
    /// `M[e]` of tile `j`. Cells outside the grid are not written.
    @inline(__always)
    private func outputTransform(
        _ run: TileRun, _ m: UnsafeMutablePointer<Float>, eStride: Int, bias: Float,
        into output: FeatureMap, channel: Int
    ) {
        let h = output.grid.h
        let w = output.grid.w
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
                let m0 = load8(p)
                let m1 = load8(p + 6 * eStride)
                let m2 = load8(p + 12 * eStride)
                let m3 = load8(p + 18 * eStride)
                let m4 = load8(p + 24 * eStride)
                let m5 = load8(p + 30 * eStride)
                return (m0 + m1 + m2 + m3 + m4, m1 - m2 + 2 * (m3 - m4) + m5)
            }
            (s0.0, s1.0) = col(0)
            (s0.1, s1.1) = col(1)
            (s0.2, s1.2) = col(2)
            (s0.3, s1.3) = col(3)
            (s0.4, s1.4) = col(4)
            (s0.5, s1.5) = col(5)
            let bv = SIMD8<Float>(repeating: bias)
            var y00 = s0.0 + s0.1 + s0.2 + s0.3 + s0.4 + bv
            var y01 = s0.1 - s0.2 + 2 * (s0.3 - s0.4) + s0.5 + bv
            var y10 = s1.0 + s1.1 + s1.2 + s1.3 + s1.4 + bv
            var y11 = s1.1 - s1.2 + 2 * (s1.3 - s1.4) + s1.5 + bv
            if relu {
                let z = SIMD8<Float>()
                y00 = y00.replacing(with: z, where: y00 .< z)
                y01 = y01.replacing(with: z, where: y01 .< z)
                y10 = y10.replacing(with: z, where: y10 .< z)
                y11 = y11.replacing(with: z, where: y11 .< z)
            }
            let lanes = min(8, run.count - j)
            if lanes == 8 && run.x0 + 2 * j + 16 <= w {
                // Eight whole tiles in the grid: each row's 16 cells as one vector.
                var top = SIMD16<Float>()
                var bottom = SIMD16<Float>()
                top.evenHalf = y00
                top.oddHalf = y01
                bottom.evenHalf = y10
                bottom.oddHalf = y11
                let x = run.x0 + 2 * j - x0
                UnsafeMutableRawPointer(row0 + x).storeBytes(of: top, as: SIMD16<Float>.self)
                if hasRow2 { UnsafeMutableRawPointer(row1 + x).storeBytes(of: bottom, as: SIMD16<Float>.self) }
                j += 8
                continue
            }
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
