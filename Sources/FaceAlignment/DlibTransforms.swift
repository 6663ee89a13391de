// Bit-exact reproductions of dlib's small linear-algebra routines that the alignment geometry goes
// through: the Golub–Reinsch SVD (dlib's `svd4`, itself a translation of the Algol procedure of the
// "Handbook for Automatic Computation, vol. II"), the pseudo-inverse built on it, and the
// transforms `find_affine_transform` and `find_similarity_transform` (Umeyama).
//
// Why not closed forms: a chip pixel is a bilinear blend *truncated* to 8 bits, so in flat image
// regions (a white wall, a saturated sky) a blend of four equal pixels lands within 1e-13 of an
// integer and the last bit of the sampling coordinate decides the byte. Closed forms differ from
// dlib's SVD route in those last bits, which showed up as one-level differences on 4 of 756 photo
// chips; the same arithmetic in the same order removes them. Every operation below follows dlib's
// evaluation order (left-to-right sums, matrix/scalar as multiplication by the reciprocal, …).

/// A dense row-major matrix of doubles of at most 3×3, stored inline: building, copying and
/// multiplying one never touches the heap.
struct SmallMatrix: Sendable {
    /// The inline storage: room for 3×3 elements, row-major, of which the first `rows · cols` are used.
    typealias Storage = (Double, Double, Double, Double, Double, Double, Double, Double, Double)
    /// The largest number of elements (`rows · cols`) a matrix can hold.
    static let capacity = 9

    let rows: Int
    let cols: Int
    private var storage: Storage

    /// A `rows × cols` matrix with every element `v`.
    init(rows: Int, cols: Int, repeating v: Double = 0) {
        self.init(rows: rows, cols: cols, rowMajor: (v, v, v, v, v, v, v, v, v))
    }

    /// A `rows × cols` matrix whose elements are the first `rows · cols` entries of `rowMajor`.
    init(rows: Int, cols: Int, rowMajor: Storage) {
        precondition(rows >= 0 && cols >= 0 && rows * cols <= Self.capacity, "SmallMatrix holds at most 3×3 elements")
        self.rows = rows
        self.cols = cols
        self.storage = rowMajor
    }

    subscript(_ r: Int, _ c: Int) -> Double {
        get { withUnsafeBytes(of: storage) { $0.load(fromByteOffset: offset(r, c), as: Double.self) } }
        set {
            let o = offset(r, c)
            withUnsafeMutableBytes(of: &storage) { $0.storeBytes(of: newValue, toByteOffset: o, as: Double.self) }
        }
    }

    /// The byte offset of element `(r, c)` in the storage.
    private func offset(_ r: Int, _ c: Int) -> Int {
        assert(r >= 0 && r < rows && c >= 0 && c < cols, "SmallMatrix index out of range")
        return (r * cols + c) * MemoryLayout<Double>.stride
    }

    /// dlib's matrix product: `temp = l(r,0)·r(0,c); temp += l(r,k)·r(k,c)` for k = 1….
    static func * (l: SmallMatrix, r: SmallMatrix) -> SmallMatrix {
        var out = SmallMatrix(rows: l.rows, cols: r.cols)
        for i in 0..<l.rows {
            for j in 0..<r.cols {
                var t = l[i, 0] * r[0, j]
                var k = 1
                while k < l.cols {
                    t += l[i, k] * r[k, j]
                    k += 1
                }
                out[i, j] = t
            }
        }
        return out
    }

    var transposed: SmallMatrix {
        var out = SmallMatrix(rows: cols, cols: rows)
        for i in 0..<rows { for j in 0..<cols { out[j, i] = self[i, j] } }
        return out
    }
}

/// A vector of at most three doubles, stored inline (the singular values and the superdiagonal of
/// the SVD below).
struct SmallVector: Sendable {
    /// The largest number of elements a vector can hold.
    static let capacity = 3

    let count: Int
    private var storage: (Double, Double, Double)

    /// A vector of `count` zeros.
    init(zeros count: Int) {
        precondition(count >= 0 && count <= Self.capacity, "SmallVector holds at most 3 elements")
        self.count = count
        self.storage = (0, 0, 0)
    }

    subscript(_ i: Int) -> Double {
        get { withUnsafeBytes(of: storage) { $0.load(fromByteOffset: offset(i), as: Double.self) } }
        set {
            let o = offset(i)
            withUnsafeMutableBytes(of: &storage) { $0.storeBytes(of: newValue, toByteOffset: o, as: Double.self) }
        }
    }

    /// The byte offset of element `i` in the storage.
    private func offset(_ i: Int) -> Int {
        assert(i >= 0 && i < count, "SmallVector index out of range")
        return i * MemoryLayout<Double>.stride
    }

    /// dlib's `max(m)`: the first element, replaced by every later one that is greater (so a NaN
    /// never wins over an earlier number). 0 for an empty vector.
    var maximum: Double {
        guard count > 0 else { return 0 }
        var best = self[0]
        for i in 1..<count where best < self[i] { best = self[i] }
        return best
    }
}

/// dlib's `svd4(SVD_SKINNY_U, withv: true, a, u, q, v)` for an m×n matrix with m ≥ n:
/// `a = u · diag(q) · vᵀ`, singular values unsorted, as dlib leaves them. `input` is at most 3×3.
func dlibSVD(_ input: SmallMatrix) -> (u: SmallMatrix, q: SmallVector, v: SmallMatrix) {
    let m = input.rows
    let n = input.cols
    var eps = Double.ulpOfOne
    let tol = Double.leastNormalMagnitude / eps
    var u = input  // m×n (skinny)
    var q = SmallVector(zeros: n)
    var e = SmallVector(zeros: n)
    var v = SmallMatrix(rows: n, cols: n)
    var c = 0.0
    var f = 0.0
    var g = 0.0
    var h = 0.0
    var s = 0.0
    var x = 0.0
    var y = 0.0
    var z = 0.0
    var l = 0

    // Householder reduction to bidiagonal form.
    for i in 0..<n {
        e[i] = g
        s = 0
        l = i + 1
        for j in i..<m { s += u[j, i] * u[j, i] }
        if s < tol {
            g = 0
        } else {
            f = u[i, i]
            g = f < 0 ? s.squareRoot() : -s.squareRoot()
            h = f * g - s
            u[i, i] = f - g
            var j = l
            while j < n {
                s = 0
                for k in i..<m { s += u[k, i] * u[k, j] }
                f = s / h
                for k in i..<m { u[k, j] += f * u[k, i] }
                j += 1
            }
        }
        q[i] = g
        s = 0
        var j = l
        while j < n {
            s += u[i, j] * u[i, j]
            j += 1
        }
        if s < tol {
            g = 0
        } else {
            f = u[i, i + 1]
            g = f < 0 ? s.squareRoot() : -s.squareRoot()
            h = f * g - s
            u[i, i + 1] = f - g
            j = l
            while j < n {
                e[j] = u[i, j] / h
                j += 1
            }
            j = l
            while j < m {
                s = 0
                var k = l
                while k < n {
                    s += u[j, k] * u[i, k]
                    k += 1
                }
                k = l
                while k < n {
                    u[j, k] += s * e[k]
                    k += 1
                }
                j += 1
            }
        }
        y = abs(q[i]) + abs(e[i])
        if y > x { x = y }
    }

    // Accumulation of right-hand transformations.
    var i = n - 1
    while i >= 0 {
        if g != 0 {
            h = u[i, i + 1] * g
            var j = l
            while j < n {
                v[j, i] = u[i, j] / h
                j += 1
            }
            j = l
            while j < n {
                s = 0
                var k = l
                while k < n {
                    s += u[i, k] * v[k, j]
                    k += 1
                }
                k = l
                while k < n {
                    v[k, j] += s * v[k, i]
                    k += 1
                }
                j += 1
            }
        }
        var j = l
        while j < n {
            v[i, j] = 0
            v[j, i] = 0
            j += 1
        }
        v[i, i] = 1
        g = e[i]
        l = i
        i -= 1
    }

    // Accumulation of left-hand transformations (skinny u: u.cols == n, so no padding rows).
    i = n - 1
    while i >= 0 {
        l = i + 1
        g = q[i]
        var j = l
        while j < n {
            u[i, j] = 0
            j += 1
        }
        if g != 0 {
            h = u[i, i] * g
            j = l
            while j < n {
                s = 0
                var k = l
                while k < m {
                    s += u[k, i] * u[k, j]
                    k += 1
                }
                f = s / h
                for k in i..<m { u[k, j] += f * u[k, i] }
                j += 1
            }
            for j in i..<m { u[j, i] /= g }
        } else {
            for j in i..<m { u[j, i] = 0 }
        }
        u[i, i] += 1
        i -= 1
    }

    // Diagonalisation of the bidiagonal form.
    eps *= x
    var k = n - 1
    kLoop: while k >= 0 {
        var iteration = 0
        splitting: while true {
            // Test for splitting. e[0] is always 0, so the scan stops at l = 0 at the latest.
            var cancel = false
            l = k
            while l >= 0 {
                // l == 0 stops here: e[0] is 0 (dlib reaches the same point through `|e[0]| <= eps`, which
                // a NaN input would otherwise turn into a read before the start of q).
                if l == 0 || abs(e[l]) <= eps { break }
                if abs(q[l - 1]) <= eps {
                    cancel = true
                    break
                }
                l -= 1
            }
            if cancel {
                c = 0
                s = 1
                let l1 = l - 1
                var ii = l
                while ii <= k {
                    f = s * e[ii]
                    e[ii] *= c
                    if abs(f) <= eps { break }
                    g = q[ii]
                    h = (f * f + g * g).squareRoot()
                    q[ii] = h
                    c = g / h
                    s = -f / h
                    for jj in 0..<m {
                        y = u[jj, l1]
                        z = u[jj, ii]
                        u[jj, l1] = y * c + z * s
                        u[jj, ii] = -y * s + z * c
                    }
                    ii += 1
                }
            }
            // Test for convergence.
            z = q[k]
            if l == k {
                if z < 0 {
                    q[k] = -z
                    for jj in 0..<n { v[jj, k] = -v[jj, k] }
                }
                break splitting
            }
            // Shift from the bottom 2×2 minor.
            iteration += 1
            if iteration > 300 { break kLoop }
            x = q[l]
            y = q[k - 1]
            g = e[k - 1]
            h = e[k]
            f = ((y - z) * (y + z) + (g - h) * (g + h)) / (2 * h * y)
            g = (f * f + 1.0).squareRoot()
            f = ((x - z) * (x + z) + h * (y / (f < 0 ? f - g : f + g) - h)) / x
            // Next QR transformation.
            c = 1
            s = 1
            var ii = l + 1
            while ii <= k {
                g = e[ii]
                y = q[ii]
                h = s * g
                g *= c
                z = (f * f + h * h).squareRoot()
                e[ii - 1] = z
                c = f / z
                s = h / z
                f = x * c + g * s
                g = -x * s + g * c
                h = y * s
                y *= c
                for jj in 0..<n {
                    x = v[jj, ii - 1]
                    z = v[jj, ii]
                    v[jj, ii - 1] = x * c + z * s
                    v[jj, ii] = -x * s + z * c
                }
                z = (f * f + h * h).squareRoot()
                q[ii - 1] = z
                if z != 0 {
                    c = f / z
                    s = h / z
                }
                f = c * g + s * y
                x = -s * g + c * y
                for jj in 0..<m {
                    y = u[jj, ii - 1]
                    z = u[jj, ii]
                    u[jj, ii - 1] = y * c + z * s
                    u[jj, ii] = -y * s + z * c
                }
                ii += 1
            }
            e[l] = 0
            e[k] = f
            q[k] = x
        }
        k -= 1
    }
    return (u, q, v)
}

/// dlib's `pinv(m)` for a square or tall matrix: `v · diag(1/w) · uᵀ` with singular values below
/// `ε·max(rows, cols)·max(w)` treated as zero.
func dlibPseudoInverse(_ m: SmallMatrix) -> SmallMatrix {
    let (u, w, v) = dlibSVD(m)
    let maxW = w.maximum
    let eps = Double.ulpOfOne * Double(max(m.rows, m.cols)) * maxW
    var scaled = v
    for col in 0..<v.cols {
        let wi = abs(w[col]) >= eps ? w[col] : 0
        let r = wi != 0 ? 1 / wi : 0
        for row in 0..<v.rows { scaled[row, col] = v[row, col] * r }
    }
    return scaled * u.transposed
}

/// dlib's `find_affine_transform(from, to)` for three point pairs: `[M | b] = Q · pinv(P)` with P the
/// 3×3 matrix of `(x, y, 1)` columns of `from` and Q the 2×3 matrix of `to`.
func dlibAffineTransform(
    from: ((Double, Double), (Double, Double), (Double, Double)),
    to: ((Double, Double), (Double, Double), (Double, Double))
) -> Affine2D {
    let p = SmallMatrix(
        rows: 3, cols: 3,
        rowMajor: (
            from.0.0, from.1.0, from.2.0,
            from.0.1, from.1.1, from.2.1,
            1, 1, 1
        ))
    let q = SmallMatrix(
        rows: 2, cols: 3,
        rowMajor: (
            to.0.0, to.1.0, to.2.0,
            to.0.1, to.1.1, to.2.1,
            0, 0, 0
        ))
    // P is square, so dlib takes its pseudo-inverse directly (only a wide matrix goes through its transpose).
    let m = q * dlibPseudoInverse(p)
    return Affine2D(m00: m[0, 0], m01: m[0, 1], m10: m[1, 0], m11: m[1, 1], b0: m[0, 2], b1: m[1, 2])
}

/// dlib's `find_similarity_transform(from, to)` (Umeyama, eqs. 34–43), operation for operation.
/// `from` and `to` hold `count` interleaved `x, y` pairs.
func dlibSimilarityTransform(from: UnsafeBufferPointer<Double>, to: UnsafeBufferPointer<Double>, count n: Int)
    -> Affine2D
{
    var mfx = 0.0
    var mfy = 0.0
    var mtx = 0.0
    var mty = 0.0
    for i in 0..<n {
        mfx += from[2 * i]
        mfy += from[2 * i + 1]
        mtx += to[2 * i]
        mty += to[2 * i + 1]
    }
    let dn = Double(n)
    mfx /= dn
    mfy /= dn
    mtx /= dn
    mty /= dn
    var sigmaFrom = 0.0
    var cov = SmallMatrix(rows: 2, cols: 2)
    for i in 0..<n {
        let fx = from[2 * i] - mfx
        let fy = from[2 * i + 1] - mfy
        let tx = to[2 * i] - mtx
        let ty = to[2 * i + 1] - mty
        sigmaFrom += fx * fx + fy * fy
        cov[0, 0] += tx * fx
        cov[0, 1] += tx * fy
        cov[1, 0] += ty * fx
        cov[1, 1] += ty * fy
    }
    sigmaFrom /= dn
    // matrix /= scalar is multiplication by the reciprocal in dlib.
    let inv = 1.0 / dn
    for i in 0..<2 { for j in 0..<2 { cov[i, j] = cov[i, j] * inv } }

    let (u, d, v) = dlibSVD(cov)
    var s0 = 1.0
    var s1 = 1.0
    let detCov = cov[0, 0] * cov[1, 1] - cov[0, 1] * cov[1, 0]
    let detU = u[0, 0] * u[1, 1] - u[0, 1] * u[1, 0]
    let detV = v[0, 0] * v[1, 1] - v[0, 1] * v[1, 0]
    if detCov < 0 || (detCov == 0 && detU * detV < 0) {
        if d[1] < d[0] { s1 = -1 } else { s0 = -1 }
    }
    // r = u·s·vᵀ; (u·s)(i,k) = ±u(i,k) exactly.
    var sign = SmallMatrix(rows: 2, cols: 2)
    sign[0, 0] = s0
    sign[1, 1] = s1
    let us = u * sign
    let r = us * v.transposed
    var c = 1.0
    if sigmaFrom != 0 {
        let trace = d[0] * s0 + d[1] * s1
        c = 1.0 / sigmaFrom * trace
    }
    // t = mean_to − c·(r·mean_from)
    let rm0 = r[0, 0] * mfx + r[0, 1] * mfy
    let rm1 = r[1, 0] * mfx + r[1, 1] * mfy
    let tx = mtx - rm0 * c
    let ty = mty - rm1 * c
    return Affine2D(m00: c * r[0, 0], m01: c * r[0, 1], m10: c * r[1, 0], m11: c * r[1, 1], b0: tx, b1: ty)
}
