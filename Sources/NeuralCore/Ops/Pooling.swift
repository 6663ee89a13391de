/// Max or average pooling with dlib's geometry: output size per axis `1 + (H + 2·pad − k) / stride`,
/// window `r` starting at `r·stride − pad`. Windows are clipped to the image; max ignores the padding
/// and average divides by the number of in-image taps (as dlib's CPU code does).
package struct Pooling: Sendable, Hashable {
    /// Max or average.
    package enum Kind: Sendable, Hashable { case max, average }
    /// The reduction.
    package let kind: Kind
    /// Window rows and columns; 0 means "the whole input" (dlib's `avg_pool_everything`).
    package let windowHeight: Int, windowWidth: Int
    /// Strides along y and x.
    package let strideY: Int, strideX: Int
    /// Padding along y and x.
    package let padY: Int, padX: Int

    /// Creates a pooling layer.
    /// - Throws: ``NeuralCoreError/invalidLayer(_:)`` for non-positive strides, negative sizes or padding.
    package init(
        kind: Kind, windowHeight: Int, windowWidth: Int, strideY: Int, strideX: Int,
        padY: Int = 0, padX: Int = 0
    ) throws(NeuralCoreError) {
        guard windowHeight >= 0, windowWidth >= 0, strideY > 0, strideX > 0, padY >= 0, padX >= 0,
            (windowHeight == 0) == (windowWidth == 0)
        else {
            throw .invalidLayer(
                "pooling window \(windowHeight)×\(windowWidth) stride \(strideY),\(strideX) pad \(padY),\(padX)")
        }
        self.kind = kind
        self.windowHeight = windowHeight
        self.windowWidth = windowWidth
        self.strideY = strideY
        self.strideX = strideX
        self.padY = padY
        self.padX = padX
    }

    /// dlib's `avg_pool_everything`: one average per plane.
    package static let averageEverything = try! Pooling(
        kind: .average, windowHeight: 0, windowWidth: 0, strideY: 1, strideX: 1)

    /// The output shape, or nil when the window does not fit.
    package func outputShape(for s: TensorShape) -> TensorShape? {
        if windowHeight == 0 { return TensorShape(n: s.n, c: s.c, h: 1, w: 1) }
        let hh = s.h + 2 * padY - windowHeight
        let ww = s.w + 2 * padX - windowWidth
        guard hh >= 0, ww >= 0 else { return nil }
        return TensorShape(n: s.n, c: s.c, h: 1 + hh / strideY, w: 1 + ww / strideX)
    }

    /// Pools every plane of `input` (any layout: planes are independent) into `output`.
    package func forward(
        _ input: UnsafeBufferPointer<Float>, shape: TensorShape, output: UnsafeMutableBufferPointer<Float>
    ) {
        forward(input, shape: shape, output: output, planes: 0..<(shape.n * shape.c))
    }

    /// Pools the planes `planes` (indices in units of planes, any layout) of `input` into the same planes of
    /// `output`; parallel callers give each part its own range.
    package func forward(
        _ input: UnsafeBufferPointer<Float>, shape: TensorShape, output: UnsafeMutableBufferPointer<Float>,
        planes: Range<Int>
    ) {
        guard let out = outputShape(for: shape) else { preconditionFailure("pooling: bad input shape \(shape)") }
        precondition(input.count >= shape.count && output.count >= out.count)
        precondition(planes.lowerBound >= 0 && planes.upperBound <= shape.n * shape.c)
        let kh = windowHeight == 0 ? shape.h : windowHeight
        let kw = windowWidth == 0 ? shape.w : windowWidth
        let py = windowHeight == 0 ? 0 : padY
        let px = windowWidth == 0 ? 0 : padX
        if kind == .max && kh == 3 && kw == 3 && strideY == 2 && strideX == 2 && py == 0 && px == 0 {
            maxPool3x3s2(input.baseAddress!, shape: shape, output: output.baseAddress!, out: out, planes: planes)
            return
        }
        for plane in planes {
            let src = input.baseAddress! + plane * shape.planeSize
            let dst = output.baseAddress! + plane * out.planeSize
            for oy in 0..<out.h {
                let y0 = max(0, oy * strideY - py)
                let y1 = min(shape.h, oy * strideY - py + kh)
                for ox in 0..<out.w {
                    let x0 = max(0, ox * strideX - px)
                    let x1 = min(shape.w, ox * strideX - px + kw)
                    switch kind {
                    case .max:
                        var m = -Float.infinity
                        for y in y0..<max(y0, y1) { for x in x0..<max(x0, x1) { m = max(m, src[y * shape.w + x]) } }
                        dst[oy * out.w + ox] = y1 > y0 && x1 > x0 ? m : 0
                    case .average:
                        var sum: Float = 0
                        for y in y0..<max(y0, y1) { for x in x0..<max(x0, x1) { sum += src[y * shape.w + x] } }
                        let n = max(0, y1 - y0) * max(0, x1 - x0)
                        dst[oy * out.w + ox] = n > 0 ? sum / Float(n) : 0
                    }
                }
            }
        }
    }

    /// 3×3 stride-2 unpadded max pooling (every window lies inside the input), eight outputs at a time.
    private func maxPool3x3s2(
        _ input: UnsafePointer<Float>, shape: TensorShape, output: UnsafeMutablePointer<Float>,
        out: TensorShape, planes: Range<Int>
    ) {
        let w = shape.w
        for plane in planes {
            let src = input + plane * shape.planeSize
            let dst = output + plane * out.planeSize
            for oy in 0..<out.h {
                let r0 = src + 2 * oy * w
                let r1 = r0 + w
                let r2 = r1 + w
                let d = dst + oy * out.w
                var ox = 0
                while ox + 8 <= out.w && 2 * ox + 18 <= w {
                    var m = SIMD8<Float>(repeating: -.infinity)
                    m = Self.fold3(m, r0 + 2 * ox)
                    m = Self.fold3(m, r1 + 2 * ox)
                    m = Self.fold3(m, r2 + 2 * ox)
                    UnsafeMutableRawPointer(d + ox).storeBytes(of: m, as: SIMD8<Float>.self)
                    ox += 8
                }
                while ox < out.w {
                    var m = -Float.infinity
                    for j in 0..<3 {
                        m = Swift.max(Swift.max(m, r0[2 * ox + j]), Swift.max(r1[2 * ox + j], r2[2 * ox + j]))
                    }
                    d[ox] = m
                    ox += 1
                }
            }
        }
    }

    /// The running maximum `m` folded with the 3-wide, stride-2 windows of one row starting at `r`, 8 outputs
    /// at a time (a pure function: a nested function capturing `m` would box it on the heap per call).
    @inline(__always)
    private static func fold3(_ m: SIMD8<Float>, _ r: UnsafePointer<Float>) -> SIMD8<Float> {
        let a = UnsafeRawPointer(r).loadUnaligned(as: SIMD16<Float>.self)
        let b = UnsafeRawPointer(r + 2).loadUnaligned(as: SIMD16<Float>.self)
        var m = m
        m = m.replacing(with: a.evenHalf, where: a.evenHalf .> m)
        m = m.replacing(with: a.oddHalf, where: a.oddHalf .> m)
        m = m.replacing(with: b.evenHalf, where: b.evenHalf .> m)
        return m
    }

    /// Convenience: pools an NCHW tensor into a new tensor (allocates).
    /// - Throws: ``NeuralCoreError/shapeMismatch(_:)`` when the window does not fit.
    package func callAsFunction(_ input: Tensor) throws(NeuralCoreError) -> Tensor {
        guard let out = outputShape(for: input.shape) else {
            throw .shapeMismatch("pooling window \(windowHeight)×\(windowWidth) does not fit input \(input.shape)")
        }
        var result = Tensor(shape: out)
        input.data.withUnsafeBufferPointer { src in
            result.data.withUnsafeMutableBufferPointer { dst in forward(src, shape: input.shape, output: dst) }
        }
        return result
    }
}
