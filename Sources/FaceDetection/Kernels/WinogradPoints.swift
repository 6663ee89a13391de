import CBLAS
import NeuralCore

/// What the detector's two Winograd layers share: Toom–Cook at the points 0, 1, −1, 2, −2, ∞, six-point tiles.
///
/// F(2×2, 5×5) (``Winograd5x5``) and F(4×4, 3×3) (``PhasedWinograd``) both transform a 6×6 input tile `d` with
/// the same `V = Bᵀ d B`,
/// `Bᵀ = [4 0 −5 0 1 0; 0 −4 −4 1 1 0; 0 4 −4 −1 1 0; 0 −2 −1 2 1 0; 0 2 −1 −2 1 0; 0 4 0 −5 0 1]`;
/// they differ in the kernel transform `G` (6 × r) and the output transform `Aᵀ` (m × 6).
/// Transforms run on eight tiles at a time, one per SIMD lane.
enum WinogradPoints {
    /// `Bᵀ d` for one column of six values (also used for rows), eight tiles per lane vector.
    @inline(__always)
    static func bt(
        _ d0: SIMD8<Float>, _ d1: SIMD8<Float>, _ d2: SIMD8<Float>, _ d3: SIMD8<Float>,
        _ d4: SIMD8<Float>, _ d5: SIMD8<Float>
    )
        -> (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>)
    {
        let e0 = 4 * d0 - 5 * d2 + d4
        let e1 = d3 + d4 - 4 * (d1 + d2)
        let e2 = d4 - d3 + 4 * (d1 - d2)
        let e3 = d4 - d2 + 2 * (d3 - d1)
        let e4 = d4 - d2 + 2 * (d1 - d3)
        let e5 = 4 * d1 - 5 * d3 + d5
        return (e0, e1, e2, e3, e4, e5)
    }

    /// The horizontal half of `Bᵀ d B` for row `r` of the tiles: `d[k]` points at the row's `k`-th sample of
    /// tile 0 (tile `j`'s at `d[k] + j`); writes `hb[(r·6 + e)·stride + j]` for `j < lanes` (a multiple of 8).
    @inline(__always)
    static func rowTransform(
        _ d: (
            UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>,
            UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>
        ),
        row r: Int, lanes: Int, into hb: UnsafeMutablePointer<Float>, stride s: Int
    ) {
        var j = 0
        while j < lanes {
            let e = bt(load8(d.0 + j), load8(d.1 + j), load8(d.2 + j), load8(d.3 + j), load8(d.4 + j), load8(d.5 + j))
            let base = hb + r * 6 * s + j
            store8(base, e.0)
            store8(base + s, e.1)
            store8(base + 2 * s, e.2)
            store8(base + 3 * s, e.3)
            store8(base + 4 * s, e.4)
            store8(base + 5 * s, e.5)
            j += 8
        }
    }

    /// The vertical half: `V[e1·6 + e2] = Σ_r Bᵀ[e1][r] · hb[r][e2]`, written at `into + (e1·6 + e2)·eStride + j`.
    @inline(__always)
    static func columnTransform(
        _ hb: UnsafeMutablePointer<Float>, stride s: Int, lanes: Int,
        into: UnsafeMutablePointer<Float>, eStride: Int
    ) {
        for e2 in 0..<6 {
            var j = 0
            while j < lanes {
                let p = hb + e2 * s + j
                let e = bt(
                    load8(p), load8(p + 6 * s), load8(p + 12 * s), load8(p + 18 * s), load8(p + 24 * s),
                    load8(p + 30 * s))
                let out = into + j
                store8(out + e2 * eStride, e.0)
                store8(out + (6 + e2) * eStride, e.1)
                store8(out + (12 + e2) * eStride, e.2)
                store8(out + (18 + e2) * eStride, e.3)
                store8(out + (24 + e2) * eStride, e.4)
                store8(out + (30 + e2) * eStride, e.5)
                j += 8
            }
        }
    }

    /// The 36 GEMMs `M[e] (out × tiles) = U[e] (out × in) · V[e] (in × tiles)` of a batch of `n` tiles (`U` as
    /// `[36][out][in]`, rows of `V` and `M` `stride` floats apart, their matrices ``vStride(inChannels:stride:)`` and
    /// ``mStride(outChannels:stride:)`` apart). They run on `n` rounded up to a multiple of 16
    /// where OpenBLAS's small-matrix kernel would otherwise allocate (``GEMMShape``), with `V`'s padding columns set
    /// to zero first (the transforms may leave up to 7 lanes of junk there).
    static func multiply(
        _ u: UnsafePointer<Float>, _ v: UnsafeMutablePointer<Float>, into m: UnsafeMutablePointer<Float>,
        outChannels k: Int, inChannels c: Int, tiles n: Int, stride s: Int
    ) {
        let columns = GEMMShape.paddedColumns(n, rows: k, depth: c)
        assert(columns <= s)
        let vs = vStride(inChannels: c, stride: s)
        let ms = mStride(outChannels: k, stride: s)
        if columns > n {
            for e in 0..<36 {
                for row in 0..<c { (v + e * vs + row * s + n).update(repeating: 0, count: columns - n) }
            }
        }
        for e in 0..<36 {
            cblas_sgemm(
                CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(k), Int32(columns), Int32(c), 1,
                u + e * k * c, Int32(c), v + e * vs, Int32(s), 0, m + e * ms, Int32(s))
        }
    }

    /// Floats from one matrix of `V` (`inChannels` rows of `stride`) to the next (``GEMMShape/matrixStride(_:)``).
    @inline(__always) static func vStride(inChannels c: Int, stride s: Int) -> Int { GEMMShape.matrixStride(c * s) }
    /// Floats from one matrix of `M` (`outChannels` rows of `stride`) to the next.
    @inline(__always) static func mStride(outChannels k: Int, stride s: Int) -> Int { GEMMShape.matrixStride(k * s) }

    /// `U = G f Gᵀ` (6×6, row-major) of an `r × r` kernel `f(row, column)`, in double; `g` is `G`'s six rows of `r`.
    static func kernelTransform(_ g: [[Double]], _ f: (Int, Int) -> Double) -> [Double] {
        let r = g[0].count
        var t = [Double](repeating: 0, count: 6 * r)
        for a in 0..<6 {
            for col in 0..<r {
                var s = 0.0
                for k in 0..<r { s += g[a][k] * f(k, col) }
                t[a * r + col] = s
            }
        }
        var u = [Double](repeating: 0, count: 36)
        for a in 0..<6 {
            for b in 0..<6 {
                var s = 0.0
                for col in 0..<r { s += t[a * r + col] * g[b][col] }
                u[a * 6 + b] = s
            }
        }
        return u
    }
}

/// Eight floats from `p` (any alignment).
@inline(__always) func load8(_ p: UnsafeMutablePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
}

/// Stores eight floats at `p` (any alignment).
@inline(__always) func store8(_ p: UnsafeMutablePointer<Float>, _ v: SIMD8<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
}
