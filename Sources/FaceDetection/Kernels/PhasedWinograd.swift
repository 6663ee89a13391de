/// A 5×5, stride-2, unpadded convolution (the MMOD downsampler's second and third layers) computed from its
/// input's phase planes with Winograd's minimal filtering F(4×4, 3×3).
///
/// With the input kept as phase planes `P_ab[c](i, j) = x[c](2i + a, 2j + b)` (``PlaneGeometry``), output cell
/// `(y, x)` is `Σ_ab Σ_{u,v<3} w[c][2u + a][2v + b] · P_ab[c](y + u, x + v)` (taps past the kernel's edge are
/// zero): a 3×3 stride-1 convolution over `4·in` channels. F(4×4, 3×3) gives a 4×4 block of outputs from a
/// 6×6 tile of each channel with 36 multiplications, so each output costs 9 multiply-adds per input channel
/// instead of the 25 of the 5×5 kernel (2.78× fewer, no im2col) — 36 GEMMs `M[e] = U[e] (out × 4·in) ·
/// V[e] (4·in × tiles)` per batch of tiles.
///
/// Transforms (the points of ``WinogradPoints``): `V = Bᵀ d B`, `U = G g Gᵀ` with `G` (6×3) the rows `[¼ 0 0]`,
/// `−⅙[1 1 1]`, `−⅙[1 −1 1]`, `[1/24 1/12 ⅙]`, `[1/24 −1/12 ⅙]`, `[0 0 1]`, and `Y = Aᵀ M A` with
/// `Aᵀ = [1 1 1 1 1 0; 0 1 −1 2 −2 0; 0 1 1 4 4 0; 0 1 −1 8 −8 1]`. Results equal the direct convolution up to
/// float rounding (a few 1e-6 of the output's magnitude); bias and ReLU are applied in the output transform.
///
/// A tile at output `(y, x)` reads phase cells `(y ..< y + 6, x ..< x + 6)`, input cells `2y ..< 2y + 12`:
/// one row and column past its outputs' receptive field (read with zero weight, but read). So the detector
/// marks whole 4×4 output blocks (``CellMask/alignedToBlocks(size:)``) and dilates the mask to the previous
/// layer with a 6-wide kernel (``reach``): every cell a tile reads holds its real value, or lies outside the
/// grid and reads zero.
struct PhasedWinograd: Sendable {
    let inChannels: Int, outChannels: Int
    /// Transformed filters, `[36][outChannels][4·inChannels]`; input channel `phase·inChannels + c` is channel
    /// `c` of phase plane `phase = 2a + b` (rows `2i + a`, columns `2j + b`).
    let u: [Float]
    let bias: [Float]
    let relu: Bool
    /// Tiles per GEMM batch: the transformed input and products of a batch (36·(4·in + out)·tiles floats) stay
    /// within about 1 MB, one core's L2 cache; a multiple of 16 (``GEMMShape``), from 16 to 64.
    let tilesPerBatch: Int

    /// Input cells a tile reads along each axis, per output cell of stride: a 5×5 kernel's reach plus one.
    static let reach = 6
    /// Output cells per tile along each axis.
    static let tileSize = 4
    /// Fewest input channels for which the Winograd form is used: below, the transforms cost more than the
    /// multiplications they save (and the first layer, with 3 channels, keeps its phase-plane im2col).
    static let minimumInChannels = 8

    /// Prepares the transformed filters of a convolution (weights OIHW); nil unless it is 5×5, stride 2,
    /// unpadded, with at least ``minimumInChannels`` input channels.
    init?(
        inChannels c: Int, outChannels k: Int, kernel: Int, stride: Int, pad: Int, weights: [Float], bias: [Float],
        relu: Bool
    ) {
        guard kernel == 5, stride == 2, pad == 0, c >= Self.minimumInChannels, weights.count == k * c * 25,
            bias.count == k
        else { return nil }
        inChannels = c
        outChannels = k
        let g: [[Double]] = [
            [1.0 / 4, 0, 0],
            [-1.0 / 6, -1.0 / 6, -1.0 / 6],
            [-1.0 / 6, 1.0 / 6, -1.0 / 6],
            [1.0 / 24, 1.0 / 12, 1.0 / 6],
            [1.0 / 24, -1.0 / 12, 1.0 / 6],
            [0, 0, 1],
        ]
        let c4 = 4 * c
        var u = [Float](repeating: 0, count: 36 * k * c4)
        for o in 0..<k {
            for i in 0..<c {
                let f = (o * c + i) * 25
                for a in 0..<2 {
                    for b in 0..<2 {
                        // The phase's 3×3 sub-kernel: taps (2u + a, 2v + b) of the 5×5 kernel, zero past its edge.
                        let t = WinogradPoints.kernelTransform(g) { uy, vx in
                            let ky = 2 * uy + a
                            let kx = 2 * vx + b
                            return ky < 5 && kx < 5 ? Double(weights[f + ky * 5 + kx]) : 0
                        }
                        let column = (2 * a + b) * c + i
                        for e in 0..<36 { u[(e * k + o) * c4 + column] = Float(t[e]) }
                    }
                }
            }
        }
        self.u = u
        self.bias = bias
        self.relu = relu
        let bytesPerTile = 36 * (c4 + k) * MemoryLayout<Float>.size
        tilesPerBatch = max(16, min(64, (1 << 20) / bytesPerTile) & ~15)
    }

    /// Batch row stride: room for the 8-lane stores that run past a batch's last tile.
    var batchStride: Int { tilesPerBatch + 8 }

    /// Scratch floats one worker needs: transformed input, products, one phase row, its four column phases,
    /// the horizontal transforms.
    var scratchCount: Int {
        let s = batchStride
        return 36
            * (WinogradPoints.vStride(inChannels: 4 * inChannels, stride: s)
                + WinogradPoints.mStride(outChannels: outChannels, stride: s))
            + 4 * (s + 8) + 4 * s + 36 * s
    }

    /// Cuts runs of 4×4 tiles into GEMM batches of at most ``tilesPerBatch`` tiles.
    func batches(_ runs: [TileRun]) -> Batches<TileRun> {
        Batches.tiles(runs, size: Self.tileSize, limit: tilesPerBatch)
    }

    /// Convolves the tiles of `work` (one worker's share, cut by ``batches(_:)``) from the `inChannels` phase-plane
    /// channels of `input` into the `outChannels` planes of `output` (row-major or phase planes; cells outside its
    /// grid are not written).
    ///
    /// Each batch's GEMMs run on its tile count rounded up to a multiple of 16 (``GEMMShape``), with the
    /// transformed input of the padding tiles set to zero.
    func forward(_ work: Batches<TileRun>, input: FeatureMap, output: FeatureMap, scratch: UnsafeMutablePointer<Float>)
    {
        precondition(input.geometry.phased)
        let s = batchStride
        let c = inChannels
        let c4 = 4 * c
        let k = outChannels
        let vs = WinogradPoints.vStride(inChannels: c4, stride: s)
        let ms = WinogradPoints.mStride(outChannels: k, stride: s)
        let v = scratch
        let m = v + 36 * vs
        let line = m + 36 * ms
        let phases = line + 4 * (s + 8)
        let hb = phases + 4 * s
        work.runs.withUnsafeBufferPointer { allRuns in
            u.withUnsafeBufferPointer { ub in
                for batch in work.batches {
                    let runs = UnsafeBufferPointer(rebasing: allRuns[batch.runs])
                    let n = batch.items
                    let lanes = (n + 7) & ~7
                    for phase in 0..<4 {
                        for ch in 0..<c {
                            var t0 = 0
                            for run in runs {
                                rowTransforms(
                                    run, input: input, channel: ch, phase: phase, line: line, phases: phases,
                                    into: hb + t0)
                                t0 += run.count
                            }
                            WinogradPoints.columnTransform(
                                hb, stride: s, lanes: lanes, into: v + (phase * c + ch) * s,
                                eStride: vs)
                        }
                    }
                    WinogradPoints.multiply(
                        ub.baseAddress!, v, into: m, outChannels: k, inChannels: c4, tiles: n, stride: s)
                    for co in 0..<k {
                        var t0 = 0
                        for run in runs {
                            outputTransform(
                                run, m + co * s + t0, eStride: ms, bias: bias[co], into: output, channel: co)
                            t0 += run.count
                        }
                    }
                }
            }
        }
    }

    /// The horizontal half of `V = Bᵀ d B` for the tiles of `run` on one channel of one phase plane, 8 tiles at
    /// a time: row `r` of tile `j` at `hb + (r·6 + e)·batchStride + j` (and up to 7 lanes past the run, which the
    /// next run overwrites; the vertical half then runs once over the whole batch).
    @inline(__always)
    private func rowTransforms(
        _ run: TileRun, input: FeatureMap, channel: Int, phase: Int,
        line: UnsafeMutablePointer<Float>, phases: UnsafeMutablePointer<Float>,
        into hb: UnsafeMutablePointer<Float>
    ) {
        let s = batchStride
        let lanes = (run.count + 7) & ~7
        // Tile j reads phase columns x0 + 4j … x0 + 4j + 5: q0[j], q1[j], q2[j], q3[j], q0[j + 1], q1[j + 1],
        // where q_k[j] is phase column x0 + 4j + k.
        let q0 = phases
        let q1 = phases + s
        let q2 = phases + 2 * s
        let q3 = phases + 3 * s
        let samples = (run.count + 8) & ~7  // ≥ count + 1, a multiple of 8
        for r in 0..<6 {
            let y = 2 * (run.y + r) + (phase >> 1)
            // The run's tiles read 4·count + 2 phase columns; the vector loads read on to 4·samples.
            if let cells = input.phaseRow(
                channel: channel, y: y, parity: phase & 1, from: run.x0, count: 4 * samples,
                needed: 4 * run.count + 2, scratch: line)
            {
                var i = 0
                while i < samples {
                    let x = UnsafeRawPointer(cells + 4 * i).loadUnaligned(as: SIMD32<Float>.self)
                    let even = x.evenHalf
                    let odd = x.oddHalf
                    store8(q0 + i, even.evenHalf)
                    store8(q2 + i, even.oddHalf)
                    store8(q1 + i, odd.evenHalf)
                    store8(q3 + i, odd.oddHalf)
                    i += 8
                }
            } else {
                q0.update(repeating: 0, count: samples)
                q1.update(repeating: 0, count: samples)
                q2.update(repeating: 0, count: samples)
                q3.update(repeating: 0, count: samples)
            }
            WinogradPoints.rowTransform((q0, q1, q2, q3, q0 + 1, q1 + 1), row: r, lanes: lanes, into: hb, stride: s)
        }
    }

    /// `Aᵀ` applied to one column (or row) of six values: four outputs.
    @inline(__always)
    private static func at(
        _ m0: SIMD8<Float>, _ m1: SIMD8<Float>, _ m2: SIMD8<Float>, _ m3: SIMD8<Float>,
        _ m4: SIMD8<Float>, _ m5: SIMD8<Float>
    ) -> (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>) {
        let p = m1 + m2
        let q = m1 - m2
        let r = m3 + m4
        let t = m3 - m4
        return (m0 + p + r, q + 2 * t, p + 4 * r, q + 8 * t + m5)
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
        let g = output.geometry
        let rows = min(4, h - run.y)
        var j = 0
        while j < run.count {
            // s_i[e2] = Σ_e1 Aᵀ[i][e1] · M[e1][e2], for the four output rows i.
            var s0 = (SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>())
            var s1 = s0
            var s2 = s0
            var s3 = s0
            let mj = m + j
            @inline(__always) func col(_ e2: Int) -> (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>) {
                let p = mj + e2 * eStride
                return Self.at(
                    load8(p), load8(p + 6 * eStride), load8(p + 12 * eStride), load8(p + 18 * eStride),
                    load8(p + 24 * eStride), load8(p + 30 * eStride))
            }
            (s0.0, s1.0, s2.0, s3.0) = col(0)
            (s0.1, s1.1, s2.1, s3.1) = col(1)
            (s0.2, s1.2, s2.2, s3.2) = col(2)
            (s0.3, s1.3, s2.3, s3.3) = col(3)
            (s0.4, s1.4, s2.4, s3.4) = col(4)
            (s0.5, s1.5, s2.5, s3.5) = col(5)
            let lanes = min(8, run.count - j)
            let x = run.x0 + 4 * j
            // Eight whole tiles inside the grid are stored as vectors: a row's cells x, x + 2 of each tile are
            // consecutive floats of the even phase plane (x + 1, x + 3 of the odd one), or all four of a row-major one.
            let whole = lanes == 8 && x + 32 <= w
            let bv = SIMD8<Float>(repeating: bias)
            let z = SIMD8<Float>()
            for i in 0..<rows {
                let si = i == 0 ? s0 : i == 1 ? s1 : i == 2 ? s2 : s3
                var y = Self.at(si.0, si.1, si.2, si.3, si.4, si.5)
                y.0 += bv
                y.1 += bv
                y.2 += bv
                y.3 += bv
                if relu {
                    y.0 = y.0.replacing(with: z, where: y.0 .< z)
                    y.1 = y.1.replacing(with: z, where: y.1 .< z)
                    y.2 = y.2.replacing(with: z, where: y.2 .< z)
                    y.3 = y.3.replacing(with: z, where: y.3 .< z)
                }
                let row = output.row(channel: channel, y: run.y + i)
                if whole {
                    var even = SIMD16<Float>()
                    var odd = SIMD16<Float>()
                    even.evenHalf = y.0
                    even.oddHalf = y.2
                    odd.evenHalf = y.1
                    odd.oddHalf = y.3
                    if g.phased {
                        UnsafeMutableRawPointer(row + g.columnOffset(x)).storeBytes(of: even, as: SIMD16<Float>.self)
                        UnsafeMutableRawPointer(row + g.columnOffset(x + 1)).storeBytes(of: odd, as: SIMD16<Float>.self)
                    } else {
                        var all = SIMD32<Float>()
                        all.evenHalf = even
                        all.oddHalf = odd
                        UnsafeMutableRawPointer(row + g.columnOffset(x)).storeBytes(of: all, as: SIMD32<Float>.self)
                    }
                    continue
                }
                for l in 0..<lanes {
                    let xl = x + 4 * l
                    row[g.columnOffset(xl)] = y.0[l]
                    if xl + 1 < w { row[g.columnOffset(xl + 1)] = y.1[l] }
                    if xl + 2 < w { row[g.columnOffset(xl + 2)] = y.2[l] }
                    if xl + 3 < w { row[g.columnOffset(xl + 3)] = y.3[l] }
                }
            }
            j += 8
        }
    }
}
