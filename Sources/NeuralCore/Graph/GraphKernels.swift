import CBLAS
import Foundation

/// The executor's kernels that ``Convolution`` and ``Winograd3x3`` do not cover: depthwise and grouped
/// convolutions, element-wise and broadcast operations, pooling, dense layers and data movement. Each works on one
/// NCHW sample (batch 1) in caller storage, on the share of the work given to it, and never allocates.
enum GraphKernels {
    // MARK: convolution

    /// Scratch floats one part of ``depthwise(_:input:output:channels:scratch:)`` needs: one zero-padded plane.
    static func depthwiseScratch(_ conv: LoweredConv) -> Int {
        let (ih, iw) = conv.inSize
        return ((ih + conv.pads.0 + conv.pads.2) * (iw + conv.pads.1 + conv.pads.3) + 32 + 15) & ~15
    }

    /// Depthwise convolution (one filter per channel) of `channels`, with the conv's bias and fused activation.
    ///
    /// Each channel's plane is first copied into `scratch` with its zero padding, so that the inner loops have no
    /// bounds: eight output pixels at a time accumulate all the filter's taps in registers, then are stored once.
    static func depthwise(
        _ conv: LoweredConv, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, channels: Range<Int>,
        scratch: UnsafeMutablePointer<Float>
    ) {
        let (ih, iw) = conv.inSize
        let (oh, ow) = conv.outSize
        let (kh, kw) = conv.kernel
        let (sy, sx) = conv.strides
        let (dy, dx) = conv.dilations
        let (pt, pl, pb, pr) = conv.pads
        let pw = iw + pl + pr
        conv.weights.withUnsafeBufferPointer { wb in
            for c in channels {
                // The padded plane (plus 32 zero floats past its end for the last vector loads).
                let src = input + c * ih * iw
                scratch.update(repeating: 0, count: pt * pw)
                for y in 0..<ih {
                    let row = scratch + (pt + y) * pw
                    row.update(repeating: 0, count: pl)
                    (row + pl).update(from: src + y * iw, count: iw)
                    (row + pl + iw).update(repeating: 0, count: pr)
                }
                (scratch + (pt + ih) * pw).update(repeating: 0, count: pb * pw + 32)
                let dst = output + c * oh * ow
                let w = wb.baseAddress! + c * kh * kw
                let bias = conv.bias[c]
                let bv = SIMD8<Float>(repeating: bias)
                for oy in 0..<oh {
                    let out = dst + oy * ow
                    let top = scratch + oy * sy * pw
                    var ox = 0
                    // The last vector block ends at the last pixel (recomputing some): no scalar tail.
                    @inline(__always) func next(_ ox: inout Int) -> Bool {
                        if ox + 8 <= ow { return true }
                        if ox < ow && ow >= 8 {
                            ox = ow - 8
                            return true
                        }
                        return false
                    }
                    if sx == 1 {
                        while next(&ox) {
                            var acc = bv
                            for ky in 0..<kh {
                                let r = top + ky * dy * pw + ox
                                for kx in 0..<kw {
                                    acc +=
                                        SIMD8(repeating: w[ky * kw + kx])
                                        * UnsafeRawPointer(r + kx * dx).loadUnaligned(as: SIMD8<Float>.self)
                                }
                            }
                            UnsafeMutableRawPointer(out + ox).storeBytes(of: acc, as: SIMD8<Float>.self)
                            ox += 8
                        }
                    } else if sx == 2 {
                        // 16 floats from column 2·ox + kx·dx: inside the padded plane (+32) for every block.
                        while next(&ox) {
                            var acc = bv
                            for ky in 0..<kh {
                                let r = top + ky * dy * pw + 2 * ox
                                for kx in 0..<kw {
                                    acc +=
                                        SIMD8(repeating: w[ky * kw + kx])
                                        * UnsafeRawPointer(r + kx * dx).loadUnaligned(as: SIMD16<Float>.self).evenHalf
                                }
                            }
                            UnsafeMutableRawPointer(out + ox).storeBytes(of: acc, as: SIMD8<Float>.self)
                            ox += 8
                        }
                    }
                    while ox < ow {
                        var acc = bias
                        for ky in 0..<kh {
                            let r = top + ky * dy * pw + ox * sx
                            for kx in 0..<kw { acc += w[ky * kw + kx] * r[kx * dx] }
                        }
                        out[ox] = acc
                        ox += 1
                    }
                }
                activate(conv.activation, dst, count: oh * ow, channel: c)
            }
        }
    }

    /// Grouped convolution (not depthwise) of group `g` as im2col + sgemm; `scratch` holds
    /// ``groupScratch(_:)`` floats.
    static func grouped(
        _ conv: LoweredConv, group g: Int, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
        scratch: UnsafeMutablePointer<Float>
    ) {
        let (ih, iw) = conv.inSize
        let (oh, ow) = conv.outSize
        let (kh, kw) = conv.kernel
        let (sy, sx) = conv.strides
        let (dy, dx) = conv.dilations
        let ig = conv.inChannels / conv.groups
        let og = conv.outChannels / conv.groups
        let k = ig * kh * kw
        let p = oh * ow
        for ci in 0..<ig {
            let plane = input + (g * ig + ci) * ih * iw
            for ky in 0..<kh {
                for kx in 0..<kw {
                    let dst = scratch + ((ci * kh + ky) * kw + kx) * p
                    for oy in 0..<oh {
                        let iy = oy * sy - conv.pads.0 + ky * dy
                        let d = dst + oy * ow
                        if iy < 0 || iy >= ih {
                            d.update(repeating: 0, count: ow)
                            continue
                        }
                        let srow = plane + iy * iw
                        for ox in 0..<ow {
                            let ix = ox * sx - conv.pads.1 + kx * dx
                            d[ox] = ix >= 0 && ix < iw ? srow[ix] : 0
                        }
                    }
                }
            }
        }
        let y = output + g * og * p
        conv.weights.withUnsafeBufferPointer { w in
            // In column pieces that keep OpenBLAS's small-matrix kernel from allocating (GEMMShape.columnPieces).
            for cc in GEMMShape.columnPieces(0..<p, rows: og, depth: k) {
                cblas_sgemm(
                    CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(og), Int32(cc.count), Int32(k), 1,
                    w.baseAddress! + g * og * k, Int32(k), scratch + cc.lowerBound, Int32(p), 0, y + cc.lowerBound,
                    Int32(p))
            }
        }
        for o in 0..<og {
            let c = g * og + o
            let plane = y + o * p
            let b = conv.bias[c]
            for i in 0..<p { plane[i] += b }
            activate(conv.activation, plane, count: p, channel: c)
        }
    }

    static func groupScratch(_ conv: LoweredConv) -> Int {
        conv.inChannels / conv.groups * conv.kernel.0 * conv.kernel.1 * conv.outSize.0 * conv.outSize.1
    }

    /// Applies a fused activation to one channel's plane.
    @inline(__always)
    static func activate(
        _ activation: LoweredConv.Activation, _ x: UnsafeMutablePointer<Float>, count: Int, channel: Int
    ) {
        switch activation {
        case .none: break
        case .relu: Elementwise.apply(x, count: count, scale: 1, shift: 0, relu: true)
        case .prelu(let slope): prelu(x, count: count, slope: slope[channel])
        }
    }

    // MARK: element-wise

    /// `x = x < 0 ? slope·x : x` in place.
    @inline(__always)
    static func prelu(_ x: UnsafeMutablePointer<Float>, count: Int, slope: Float) {
        let s = SIMD8<Float>(repeating: slope)
        var i = 0
        let raw = UnsafeMutableRawPointer(x)
        while i + 8 <= count {
            let v = raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            raw.storeBytes(of: v.replacing(with: v * s, where: v .< 0), toByteOffset: i * 4, as: SIMD8<Float>.self)
            i += 8
        }
        while i < count {
            if x[i] < 0 { x[i] *= slope }
            i += 1
        }
    }

    /// `y = x` then `y = scale·y + shift` for `count` floats.
    @inline(__always)
    static func affine(
        _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int, scale: Float, shift: Float
    ) {
        if x != UnsafePointer(y) { y.update(from: x, count: count) }
        Elementwise.apply(y, count: count, scale: scale, shift: shift, relu: false)
    }

    /// How an operand of a broadcast add or multiply covers the output.
    enum Broadcast { case full, channel, scalar }

    /// `y = a ∘ b` over `range` (elements, or channels for a per-channel `b`), `∘` = + or ×.
    static func binary(
        add: Bool, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, kind: Broadcast, spatial: Int,
        _ y: UnsafeMutablePointer<Float>, range: Range<Int>
    ) {
        switch kind {
        case .full:
            var i = range.lowerBound
            while i + 8 <= range.upperBound {
                let u = UnsafeRawPointer(a + i).loadUnaligned(as: SIMD8<Float>.self)
                let v = UnsafeRawPointer(b + i).loadUnaligned(as: SIMD8<Float>.self)
                UnsafeMutableRawPointer(y + i).storeBytes(of: add ? u + v : u * v, as: SIMD8<Float>.self)
                i += 8
            }
            while i < range.upperBound {
                y[i] = add ? a[i] + b[i] : a[i] * b[i]
                i += 1
            }
        case .scalar:
            let n = range.count
            affine(a + range.lowerBound, y + range.lowerBound, count: n, scale: add ? 1 : b[0], shift: add ? b[0] : 0)
        case .channel:
            for c in range {
                affine(a + c * spatial, y + c * spatial, count: spatial, scale: add ? 1 : b[c], shift: add ? b[c] : 0)
            }
        }
    }

    static func sigmoid(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, range: Range<Int>) {
        for i in range { y[i] = 1 / (1 + Foundation.exp(-x[i])) }
    }

    // MARK: pooling

    /// Max or average pooling of `channels` (pads resolved in `window`).
    static func pool(
        max: Bool, countIncludePad: Bool, window: GraphWindow, input: UnsafePointer<Float>, inSize: (Int, Int),
        output: UnsafeMutablePointer<Float>, outSize: (Int, Int), channels: Range<Int>
    ) {
        let (ih, iw) = inSize
        let (oh, ow) = outSize
        let (kh, kw) = window.kernel ?? (1, 1)
        let (sy, sx) = window.strides
        for c in channels {
            let src = input + c * ih * iw
            let dst = output + c * oh * ow
            for oy in 0..<oh {
                let y0 = oy * sy - window.pads.0
                let ya = Swift.max(0, y0)
                let yb = Swift.min(ih, y0 + kh)
                for ox in 0..<ow {
                    let x0 = ox * sx - window.pads.1
                    let xa = Swift.max(0, x0)
                    let xb = Swift.min(iw, x0 + kw)
                    if max {
                        var m = -Float.infinity
                        for y in ya..<yb { for x in xa..<xb { m = Swift.max(m, src[y * iw + x]) } }
                        dst[oy * ow + ox] = m
                    } else {
                        var s: Float = 0
                        for y in ya..<yb { for x in xa..<xb { s += src[y * iw + x] } }
                        let n = countIncludePad ? kh * kw : Swift.max(1, (yb - ya) * (xb - xa))
                        dst[oy * ow + ox] = s / Float(n)
                    }
                }
            }
        }
    }

    /// Mean of each channel's plane.
    static func globalAverage(
        _ x: UnsafePointer<Float>, plane: Int, _ y: UnsafeMutablePointer<Float>, channels: Range<Int>
    ) {
        for c in channels {
            let p = x + c * plane
            var acc = SIMD8<Float>()
            var i = 0
            while i + 8 <= plane {
                acc += UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self)
                i += 8
            }
            var s = acc.sum()
            while i < plane {
                s += p[i]
                i += 1
            }
            y[c] = s / Float(plane)
        }
    }

    // MARK: dense

    /// Rows `rows` of `y[m, :] = W · a[m, :] + bias[m, :]` (W `n × k`).
    static func dense(
        weights: [Float], bias: [Float], m: Int, n: Int, k: Int, _ a: UnsafePointer<Float>,
        _ y: UnsafeMutablePointer<Float>, rows: Range<Int>
    ) {
        guard !rows.isEmpty else { return }
        weights.withUnsafeBufferPointer { w in
            let wr = w.baseAddress! + rows.lowerBound * k
            if m == 1 {
                cblas_sgemv(
                    CblasRowMajor, CblasNoTrans, Int32(rows.count), Int32(k), 1, wr, Int32(k), a, 1, 0,
                    y + rows.lowerBound, 1)
            } else {
                cblas_sgemm(
                    CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(rows.count), Int32(k), 1, a, Int32(k),
                    wr, Int32(k), 0, y + rows.lowerBound, Int32(n))
            }
        }
        for r in 0..<m { for j in rows { y[r * n + j] += bias[r * n + j] } }
    }

    // MARK: data movement

    /// Permutes the axes of `x` (shape `shape`) into `y`: `y`'s axis `i` is `x`'s axis `perm[i]`.
    static func transpose(_ x: UnsafePointer<Float>, shape: [Int], perm: [Int], into y: UnsafeMutablePointer<Float>) {
        let r = shape.count
        var strides = [Int](repeating: 1, count: r)
        for i in stride(from: r - 2, through: 0, by: -1) { strides[i] = strides[i + 1] * shape[i + 1] }
        let outShape = perm.map { shape[$0] }
        let inStride = perm.map { strides[$0] }
        let total = shape.reduce(1, *)
        var index = [Int](repeating: 0, count: r)
        var src = 0
        for i in 0..<total {
            y[i] = x[src]
            var axis = r - 1
            while axis >= 0 {
                index[axis] += 1
                src += inStride[axis]
                if index[axis] < outShape[axis] { break }
                src -= inStride[axis] * outShape[axis]
                index[axis] = 0
                axis -= 1
            }
        }
    }

    /// Constant padding of `x` (shape `shape`) by `pads` (all begins, then all ends) into `y`.
    static func pad(
        _ x: UnsafePointer<Float>, shape: [Int], pads: [Int], value: Float, into y: UnsafeMutablePointer<Float>
    ) {
        let r = shape.count
        let out = shape.indices.map { shape[$0] + pads[$0] + pads[$0 + r] }
        y.update(repeating: value, count: out.reduce(1, *))
        var outStrides = [Int](repeating: 1, count: r)
        for i in stride(from: r - 2, through: 0, by: -1) { outStrides[i] = outStrides[i + 1] * out[i + 1] }
        let row = shape[r - 1]
        let rows = shape.reduce(1, *) / row
        var index = [Int](repeating: 0, count: r)
        for q in 0..<rows {
            var dst = pads[r - 1]
            for a in 0..<(r - 1) { dst += (index[a] + pads[a]) * outStrides[a] }
            (y + dst).update(from: x + q * row, count: row)
            var axis = r - 2
            while axis >= 0 {
                index[axis] += 1
                if index[axis] < shape[axis] { break }
                index[axis] = 0
                axis -= 1
            }
        }
    }
}
