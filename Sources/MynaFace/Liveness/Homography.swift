/// A plane-to-image projective map (3×3, h₃₃ = 1), fitted to point correspondences.
///
/// Every point of a flat photo — held still, moved, tilted or turned — maps from one frame to another by one such
/// map; the landmarks of a real head do not, because the nose stands out of the plane of the eyes.
public struct Homography: Sendable, Equatable {
    /// Row-major h₁₁…h₃₃.
    public var m: [Double]

    /// The identity map.
    public static let identity = Homography(m: [1, 0, 0, 0, 1, 0, 0, 0, 1])

    /// A map from its nine row-major entries.
    public init(m: [Double]) { self.m = m }

    /// The image of `p`; nil where the point maps to infinity.
    public func apply(_ p: SIMD2<Double>) -> SIMD2<Double>? {
        let w = m[6] * p.x + m[7] * p.y + m[8]
        guard abs(w) > 1e-12 else { return nil }
        return SIMD2((m[0] * p.x + m[1] * p.y + m[2]) / w, (m[3] * p.x + m[4] * p.y + m[5]) / w)
    }

    /// The least-squares homography taking `source[i]` to `target[i]` (at least 4 pairs; exact for 4 in general
    /// position), by the direct linear transform on Hartley-normalised points.
    /// - Returns: nil for fewer than 4 pairs, mismatched counts or a degenerate configuration.
    public static func fit(from source: [SIMD2<Double>], to target: [SIMD2<Double>]) -> Homography? {
        guard source.count >= 4, source.count == target.count else { return nil }
        guard let ns = normalisation(source), let nt = normalisation(target) else { return nil }
        let ts = ns.scale
        let tt = nt.scale
        let a = source.map { ($0 - ns.offset) * ns.scale }
        let b = target.map { ($0 - nt.offset) * nt.scale }
        // Normal equations of the 2n × 8 system (h₃₃ = 1).
        var ata = [Double](repeating: 0, count: 64)
        var atb = [Double](repeating: 0, count: 8)
        for (p, q) in zip(a, b) {
            let r1: [Double] = [p.x, p.y, 1, 0, 0, 0, -p.x * q.x, -p.y * q.x]
            let r2: [Double] = [0, 0, 0, p.x, p.y, 1, -p.x * q.y, -p.y * q.y]
            for (row, rhs) in [(r1, q.x), (r2, q.y)] {
                for i in 0..<8 {
                    atb[i] += row[i] * rhs
                    for j in 0..<8 { ata[i * 8 + j] += row[i] * row[j] }
                }
            }
        }
        guard let h = solve(ata, atb, n: 8) else { return nil }
        // Undo the normalisations: H = Tt⁻¹ · Hn · Ts.
        let hn = h + [1]
        let tsM: [Double] = [ts, 0, -ts * ns.offset.x, 0, ts, -ts * ns.offset.y, 0, 0, 1]
        let ttInv: [Double] = [1 / tt, 0, nt.offset.x, 0, 1 / tt, nt.offset.y, 0, 0, 1]
        let full = multiply(ttInv, multiply(hn, tsM))
        guard abs(full[8]) > 1e-12 else { return nil }
        return Homography(m: full.map { $0 / full[8] })
    }

    /// Centroid and the scale that brings the mean distance from it to √2.
    private static func normalisation(_ p: [SIMD2<Double>]) -> (offset: SIMD2<Double>, scale: Double)? {
        let c = p.reduce(SIMD2<Double>.zero, +) / Double(p.count)
        let mean = p.reduce(0.0) { $0 + (($1 - c) * ($1 - c)).sum().squareRoot() } / Double(p.count)
        guard mean > 1e-12 else { return nil }
        let s = 2.0.squareRoot() / mean
        return (c, s)
    }

    private static func multiply(_ a: [Double], _ b: [Double]) -> [Double] {
        var c = [Double](repeating: 0, count: 9)
        for i in 0..<3 { for j in 0..<3 { for k in 0..<3 { c[i * 3 + j] += a[i * 3 + k] * b[k * 3 + j] } } }
        return c
    }

    /// Solves `a x = b` (n × n, row-major) by Gaussian elimination with partial pivoting; nil when singular.
    static func solve(_ a: [Double], _ b: [Double], n: Int) -> [Double]? {
        var a = a
        var b = b
        let scale = a.reduce(0) { max($0, abs($1)) }
        guard scale > 0 else { return nil }
        for col in 0..<n {
            var pivot = col
            for r in (col + 1)..<n where abs(a[r * n + col]) > abs(a[pivot * n + col]) { pivot = r }
            guard abs(a[pivot * n + col]) > 1e-12 * scale else { return nil }
            if pivot != col {
                for k in 0..<n { a.swapAt(col * n + k, pivot * n + k) }
                b.swapAt(col, pivot)
            }
            for r in (col + 1)..<n {
                let f = a[r * n + col] / a[col * n + col]
                guard f != 0 else { continue }
                for k in col..<n { a[r * n + k] -= f * a[col * n + k] }
                b[r] -= f * b[col]
            }
        }
        var x = [Double](repeating: 0, count: n)
        for r in stride(from: n - 1, through: 0, by: -1) {
            var s = b[r]
            for k in (r + 1)..<n { s -= a[r * n + k] * x[k] }
            x[r] = s / a[r * n + r]
        }
        return x
    }
}
