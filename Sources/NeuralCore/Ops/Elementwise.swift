/// Element-wise operations over a batch of feature maps: per-channel affine, ReLU and dlib's
/// zero-extending residual add. All work in place or into caller storage and never allocate.
package enum Elementwise {
    /// `x = relu?(scale[ch]·(x + bias[ch]) + shift[ch])` over every plane (scale/shift optional).
    package static func biasAffineRelu(
        _ x: UnsafeMutablePointer<Float>, shape: TensorShape, layout: TensorLayout,
        bias: [Float], scale: [Float]?, shift: [Float]?, relu: Bool
    ) {
        let planes = shape.n * shape.c
        let p = shape.planeSize
        for plane in 0..<planes {
            let ch = layout.channel(ofPlane: plane, shape: shape)
            var g: Float = 1
            var b = bias[ch]
            if let scale, let shift {
                g = scale[ch]
                b = b * g + shift[ch]
            }
            apply(x + plane * p, count: p, scale: g, shift: b, relu: relu)
        }
    }

    /// Per-channel affine `x = scale[ch]·x + shift[ch]` (dlib's `affine_` in conv mode), optional ReLU, in place.
    package static func affine(
        _ x: UnsafeMutableBufferPointer<Float>, shape: TensorShape, layout: TensorLayout = .nchw,
        scale: [Float], shift: [Float], relu: Bool = false
    ) {
        precondition(scale.count == shape.c && shift.count == shape.c && x.count >= shape.count)
        let p = shape.planeSize
        for plane in 0..<(shape.n * shape.c) {
            let ch = layout.channel(ofPlane: plane, shape: shape)
            apply(x.baseAddress! + plane * p, count: p, scale: scale[ch], shift: shift[ch], relu: relu)
        }
    }

    /// `x = max(x, 0)` in place.
    package static func relu(_ x: UnsafeMutableBufferPointer<Float>) {
        guard let base = x.baseAddress else { return }
        apply(base, count: x.count, scale: 1, shift: 0, relu: true)
    }

    @inline(__always)
    static func apply(_ x: UnsafeMutablePointer<Float>, count: Int, scale g: Float, shift b: Float, relu: Bool) {
        var i = 0
        let gv = SIMD8<Float>(repeating: g)
        let bv = SIMD8<Float>(repeating: b)
        let raw = UnsafeMutableRawPointer(x)
        if relu {
            while i + 8 <= count {
                let v = raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
                raw.storeBytes(of: relu8(v * gv + bv), toByteOffset: i * 4, as: SIMD8<Float>.self)
                i += 8
            }
            while i < count {
                x[i] = max(x[i] * g + b, 0)
                i += 1
            }
        } else {
            if g == 1 && b == 0 { return }
            while i + 8 <= count {
                let v = raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
                raw.storeBytes(of: v * gv + bv, toByteOffset: i * 4, as: SIMD8<Float>.self)
                i += 8
            }
            while i < count {
                x[i] = x[i] * g + b
                i += 1
            }
        }
    }

    /// The output shape of dlib's `add_prev_`: the element-wise maximum of the two shapes.
    package static func zeroExtendedShape(_ a: TensorShape, _ b: TensorShape) -> TensorShape {
        TensorShape(n: max(a.n, b.n), c: max(a.c, b.c), h: max(a.h, b.h), w: max(a.w, b.w))
    }

    /// dlib's `add_prev_`: `out = a + b` where the output shape is the element-wise maximum of the two
    /// shapes and each operand contributes zero wherever it does not reach (extra channels, rows, columns).
    /// Optionally applies ReLU to the sum. `out` must not alias `a` or `b` unless it has the same shape as
    /// that operand (then the add is in place). `channels` limits the work to those output channels (a
    /// parallel part's share; default all).
    /// - Precondition: both operands have the same batch size `n`.
    package static func addZeroExtended(
        _ a: UnsafeBufferPointer<Float>, shape sa: TensorShape,
        _ b: UnsafeBufferPointer<Float>, shape sb: TensorShape,
        into out: UnsafeMutableBufferPointer<Float>, layout: TensorLayout = .nchw,
        relu: Bool = false, channels: Range<Int>? = nil
    ) {
        precondition(sa.n == sb.n)
        let so = zeroExtendedShape(sa, sb)
        precondition(out.count >= so.count && a.count >= sa.count && b.count >= sb.count)
        let sameAB = sa == sb
        for s in 0..<so.n {
            for ch in channels ?? 0..<so.c {
                let po = out.baseAddress! + layout.planeIndex(sample: s, channel: ch, shape: so) * so.planeSize
                let pa: UnsafePointer<Float>? =
                    ch < sa.c
                    ? a.baseAddress! + layout.planeIndex(sample: s, channel: ch, shape: sa) * sa.planeSize : nil
                let pb: UnsafePointer<Float>? =
                    ch < sb.c
                    ? b.baseAddress! + layout.planeIndex(sample: s, channel: ch, shape: sb) * sb.planeSize : nil
                if sameAB, sa == so, let pa, let pb {
                    addPlane(pa, pb, po, count: so.planeSize, relu: relu)
                    continue
                }
                for y in 0..<so.h {
                    for x in 0..<so.w {
                        var v: Float = 0
                        if let pa, y < sa.h, x < sa.w { v += pa[y * sa.w + x] }
                        if let pb, y < sb.h, x < sb.w { v += pb[y * sb.w + x] }
                        po[y * so.w + x] = relu ? max(v, 0) : v
                    }
                }
            }
        }
    }

    @inline(__always)
    static func addPlane(
        _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ o: UnsafeMutablePointer<Float>,
        count: Int, relu: Bool
    ) {
        var i = 0
        let ra = UnsafeRawPointer(a)
        let rb = UnsafeRawPointer(b)
        let ro = UnsafeMutableRawPointer(o)
        while i + 8 <= count {
            var v =
                ra.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
                + rb.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            if relu { v = relu8(v) }
            ro.storeBytes(of: v, toByteOffset: i * 4, as: SIMD8<Float>.self)
            i += 8
        }
        while i < count {
            let v = a[i] + b[i]
            o[i] = relu ? max(v, 0) : v
            i += 1
        }
    }
}
