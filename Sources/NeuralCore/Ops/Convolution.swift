import CBLAS

/// A 2-D convolution (cross-correlation, as dlib's `con_`), with bias, an optional fused per-channel
/// affine and an optional fused ReLU, computed as im2col + `cblas_sgemm`.
///
/// Output size per axis: `1 + (H + 2·pad − k) / stride` (integer division), as dlib.
/// Output value: `relu?(scale[o] · (Σ w[o,i,ky,kx] · x[i, oy·sy − py + ky, ox·sx − px + kx] + bias[o]) + shift[o])`,
/// with taps outside the input reading zero. ``foldAffine(scale:shift:)`` moves the affine into the weights
/// (mathematically exact; rounding differs by ~1 ulp per term).
package struct Convolution: Sendable {
    /// Input channels.
    package let inChannels: Int
    /// Output channels (filters).
    package let outChannels: Int
    /// Kernel rows and columns.
    package let kernelHeight: Int, kernelWidth: Int
    /// Strides along y and x.
    package let strideY: Int, strideX: Int
    /// Zero padding along y and x (pixels on each side).
    package let padY: Int, padX: Int
    /// Filters, OIHW: `[outChannels][inChannels][kernelHeight][kernelWidth]`.
    package private(set) var weights: [Float]
    /// One bias per output channel (zeros when the layer has none).
    package private(set) var bias: [Float]
    /// Optional fused per-channel affine applied after the bias (`nil` = identity).
    package private(set) var scale: [Float]?
    /// The shift paired with ``scale``.
    package private(set) var shift: [Float]?
    /// Whether a ReLU is applied last.
    package var relu: Bool

    /// Creates a convolution.
    /// - Throws: ``NeuralCoreError/invalidLayer(_:)`` when a size is non-positive, padding is not smaller
    ///   than the kernel, or the weight/bias counts do not match.
    package init(
        inChannels: Int, outChannels: Int, kernelHeight: Int, kernelWidth: Int,
        strideY: Int = 1, strideX: Int = 1, padY: Int = 0, padX: Int = 0,
        weights: [Float], bias: [Float]? = nil, relu: Bool = false
    ) throws(NeuralCoreError) {
        guard inChannels > 0, outChannels > 0, kernelHeight > 0, kernelWidth > 0, strideY > 0, strideX > 0,
            padY >= 0, padX >= 0, padY < kernelHeight, padX < kernelWidth
        else {
            throw .invalidLayer(
                "convolution \(outChannels)×\(inChannels)×\(kernelHeight)×\(kernelWidth) stride \(strideY),\(strideX) pad \(padY),\(padX)"
            )
        }
        guard weights.count == outChannels * inChannels * kernelHeight * kernelWidth else {
            throw .invalidLayer(
                "convolution expects \(outChannels * inChannels * kernelHeight * kernelWidth) weights, got \(weights.count)"
            )
        }
        if let bias, bias.count != outChannels {
            throw .invalidLayer("convolution expects \(outChannels) biases, got \(bias.count)")
        }
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernelHeight = kernelHeight
        self.kernelWidth = kernelWidth
        self.strideY = strideY
        self.strideX = strideX
        self.padY = padY
        self.padX = padX
        self.weights = weights
        self.bias = bias ?? [Float](repeating: 0, count: outChannels)
        self.relu = relu
    }

    /// Number of multiply-adds per output element (inChannels·kh·kw).
    package var patchSize: Int { inChannels * kernelHeight * kernelWidth }

    /// The output shape for an input shape, or nil when the input is smaller than the kernel allows.
    package func outputShape(for input: TensorShape) -> TensorShape? {
        let hh = input.h + 2 * padY - kernelHeight
        let ww = input.w + 2 * padX - kernelWidth
        guard input.c == inChannels, hh >= 0, ww >= 0 else { return nil }
        return TensorShape(n: input.n, c: outChannels, h: 1 + hh / strideY, w: 1 + ww / strideX)
    }

    /// True when the layer is a 1×1, stride-1, unpadded convolution (no im2col needed).
    package var isPointwise: Bool {
        kernelHeight == 1 && kernelWidth == 1 && strideY == 1 && strideX == 1 && padY == 0 && padX == 0
    }

    /// Floats of scratch ``forward(_:shape:layout:output:scratch:)`` needs for this input (im2col matrix).
    package func scratchCount(for input: TensorShape, layout: TensorLayout = .nchw) -> Int {
        guard let out = outputShape(for: input), !isPointwise else { return 0 }
        let perSample = patchSize * out.planeSize
        return layout == .cnhw && !Self.gemmPerSample(out) ? perSample * input.n : perSample
    }

    /// Sets a fused per-channel affine `y = scale·x + shift` after the bias (kept separate from the weights).
    package mutating func setAffine(scale: [Float], shift: [Float]) throws(NeuralCoreError) {
        guard scale.count == outChannels, shift.count == outChannels else {
            throw .invalidLayer("affine expects \(outChannels) channels, got \(scale.count)/\(shift.count)")
        }
        self.scale = scale
        self.shift = shift
    }

    /// Folds a following per-channel affine `y = scale·x + shift` into the weights and bias.
    package mutating func foldAffine(scale: [Float], shift: [Float]) throws(NeuralCoreError) {
        guard scale.count == outChannels, shift.count == outChannels else {
            throw .invalidLayer("affine expects \(outChannels) channels, got \(scale.count)/\(shift.count)")
        }
        let k = patchSize
        for o in 0..<outChannels {
            let g = scale[o]
            for i in 0..<k { weights[o * k + i] *= g }
            bias[o] = bias[o] * g + shift[o]
        }
    }

    /// Convolves a batch stored in `layout`, writing `outputShape(for: shape)` values into `output` (same
    /// layout). `scratch` must hold at least ``scratchCount(for:layout:)`` floats.
    ///
    /// Called by every thread of a ``WorkerTeam`` region with its `context`, the channel-major path shares the
    /// work out by output columns on wide maps: each thread unfolds a block of its columns and multiplies it at
    /// once (``fusedBlockColumns(columns:rows:depth:parts:)``). On small maps it runs in two phases: the im2col
    /// rows are shared out, then the GEMM is split by output channels. Each thread runs its single-threaded
    /// `cblas_sgemm` calls and its share of the bias/affine/ReLU epilogue. It returns on every thread when the whole output is written. The result
    /// is the same for a given team size; between sizes it can differ by float rounding (BLAS may block a
    /// narrower GEMM differently).
    ///
    /// - Precondition: `shape.c == inChannels`, the input is large enough, and the buffers are big enough.
    package func forward(
        _ input: UnsafeBufferPointer<Float>, shape: TensorShape, layout: TensorLayout = .nchw,
        output: UnsafeMutableBufferPointer<Float>, scratch: UnsafeMutableBufferPointer<Float>,
        context: TeamContext = .serial
    ) {
        guard let out = outputShape(for: shape) else { preconditionFailure("convolution: bad input shape \(shape)") }
        precondition(input.count >= shape.count && output.count >= out.count)
        precondition(scratch.count >= scratchCount(for: shape, layout: layout))
        let k = patchSize
        let p = out.planeSize
        let src = input.baseAddress!
        let dst = output.baseAddress!
        let tmp = scratch.baseAddress!
        if layout == .nchw && shape.n > 1 {
            // Sample-major batches (the Tensor convenience API): one GEMM per sample, on the first thread.
            if context.isFirst {
                weights.withUnsafeBufferPointer { w in
                    for s in 0..<shape.n {
                        let x = src + s * shape.sampleSize
                        let b: UnsafePointer<Float>
                        if isPointwise {
                            b = x
                        } else {
                            im2col(
                                x, shape: shape, planeStride: shape.planeSize, into: tmp, rowStride: p, out: out,
                                rows: 0..<k)
                            b = UnsafePointer(tmp)
                        }
                        cblas_sgemm(
                            CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(outChannels), Int32(p), Int32(k),
                            1, w.baseAddress!, Int32(k), b, Int32(p), 0, dst + s * out.sampleSize, Int32(p))
                    }
                }
                Elementwise.biasAffineRelu(
                    dst, shape: out, layout: layout, bias: bias, scale: scale, shift: shift, relu: relu)
            }
            context.sync()
            return
        }
        // Channel-major (for n = 1 the same as sample-major): output rows are channels of n·p columns.
        let np = p * shape.n
        if !isPointwise && (shape.n == 1 || Self.gemmPerSample(out)),
            let width = Self.fusedBlockColumns(columns: p, rows: outChannels, depth: k, parts: context.part.count)
        {
            // Wide maps, sample by sample: each part unfolds and multiplies its own columns of the sample a block
            // at a time, the block's im2col rows (k × width) staying in the core's cache between the two; the
            // parts never wait for each other inside the layer.
            let part = context.part
            let columns = part.range(p)
            let block = tmp + part.index * k * width
            weights.withUnsafeBufferPointer { w in
                for s in 0..<shape.n {
                    let x = src + s * shape.planeSize
                    let y = dst + s * p
                    for (_, cc) in GEMMShape.Blocks(
                        rows: 0..<outChannels, columns: columns, step: width, byColumns: true)
                    {
                        im2col(
                            x, shape: shape, planeStride: shape.planeSize * shape.n, into: block, rowStride: cc.count,
                            out: out, rows: 0..<k, columns: cc)
                        cblas_sgemm(
                            CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(outChannels), Int32(cc.count), Int32(k),
                            1, w.baseAddress!, Int32(k), block, Int32(cc.count), 0, y + cc.lowerBound, Int32(np))
                    }
                    epilogue(y, ldc: np, rows: 0..<outChannels, columns: columns)
                }
            }
            context.sync()
            return
        }
        if !isPointwise && Self.gemmPerSample(out) {
            // Large maps: one GEMM per sample (already large), writing its columns of the [c][n·p] output
            // with leading dimension n·p; the im2col buffer holds one sample only.
            for s in 0..<shape.n {
                im2col(
                    src + s * shape.planeSize, shape: shape, planeStride: shape.planeSize * shape.n,
                    into: tmp, rowStride: p, out: out, rows: context.range(k))
                context.sync()
                gemm(
                    UnsafePointer(tmp), ldb: p, columns: p, into: dst + s * p, ldc: np, part: context.part,
                    epilogue: false)
                context.sync()
            }
            epilogue(dst, ldc: np, rows: context.range(outChannels), columns: 0..<np)
            context.sync()
            return
        }
        let b: UnsafePointer<Float>
        if isPointwise {
            b = src
        } else {
            for s in 0..<shape.n {
                im2col(
                    src + s * shape.planeSize, shape: shape, planeStride: shape.planeSize * shape.n,
                    into: tmp + s * p, rowStride: np, out: out, rows: context.range(k))
            }
            context.sync()
            b = UnsafePointer(tmp)
        }
        gemm(b, ldb: np, columns: np, into: dst, ldc: np, part: context.part, epilogue: true)
        context.sync()
    }

    /// This part's share of `C = W · B` (`outChannels × columns`, B is `patchSize × columns`): its columns
    /// when there are many (each part packs only its own columns), else its output channels. With
    /// `epilogue`, the part also applies bias, affine and ReLU to what it wrote.
    private func gemm(
        _ b: UnsafePointer<Float>, ldb: Int, columns: Int, into c: UnsafeMutablePointer<Float>, ldc: Int,
        part: WorkPart, epilogue applyEpilogue: Bool
    ) {
        let k = patchSize
        let byColumns = columns >= 256 * part.count
        let rows = byColumns ? 0..<outChannels : part.range(outChannels)
        let cols = byColumns ? part.range(columns) : 0..<columns
        guard !rows.isEmpty, !cols.isEmpty else { return }
        weights.withUnsafeBufferPointer { w in
            if cols.count == 1 {
                // One column (a 1×1 map): a matrix–vector product. OpenBLAS's small-matrix GEMM would `malloc`
                // a buffer for a single column on every call.
                cblas_sgemv(
                    CblasRowMajor, CblasNoTrans, Int32(rows.count), Int32(k), 1, w.baseAddress! + rows.lowerBound * k,
                    Int32(k), b + cols.lowerBound, Int32(ldb), 0, c + rows.lowerBound * ldc + cols.lowerBound,
                    Int32(ldc))
            } else {
                // In blocks of OpenBLAS's small-matrix kernel: no packing copy of the weights or the im2col rows;
                // a block whose column count would make that kernel allocate (e.g. a 7×7 map's 49 columns, split
                // by output channels over a team) runs in column pieces that do not.
                for (r, block) in GEMMShape.blocks(rows: rows, columns: cols, depth: k, byColumns: byColumns) {
                    for cc in GEMMShape.columnPieces(block, rows: r.count, depth: k) {
                        cblas_sgemm(
                            CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(r.count), Int32(cc.count), Int32(k),
                            1, w.baseAddress! + r.lowerBound * k, Int32(k), b + cc.lowerBound, Int32(ldb), 0,
                            c + r.lowerBound * ldc + cc.lowerBound, Int32(ldc))
                    }
                }
            }
        }
        if applyEpilogue { epilogue(c, ldc: ldc, rows: rows, columns: cols) }
    }

    /// Bias, affine and ReLU over `rows × columns` of a channel-major output (row = output channel).
    private func epilogue(_ c: UnsafeMutablePointer<Float>, ldc: Int, rows: Range<Int>, columns: Range<Int>) {
        for o in rows {
            var g: Float = 1
            var sh = bias[o]
            if let scale, let shift {
                g = scale[o]
                sh = sh * g + shift[o]
            }
            Elementwise.apply(c + o * ldc + columns.lowerBound, count: columns.count, scale: g, shift: sh, relu: relu)
        }
    }

    /// The block width (columns, a multiple of 16) at which a sample's GEMM of `columns` output pixels is unfolded
    /// and multiplied block by block on each of `parts` parts (``forward(_:shape:layout:output:scratch:context:)``),
    /// or nil when the map is too narrow for that (fewer than 256 columns per part: the GEMM is split by output
    /// channels instead) or the layer too deep for the small-matrix kernel's blocks
    /// (``GEMMShape/smallBlockColumns(rows:depth:)``). At most a part's share, so that `parts` blocks fit in the
    /// one-sample im2col buffer ``scratchCount(for:layout:)`` provides.
    static func fusedBlockColumns(columns: Int, rows: Int, depth: Int, parts: Int) -> Int? {
        guard columns >= 256 * parts, let width = GEMMShape.smallBlockColumns(rows: rows, depth: depth) else {
            return nil
        }
        let share = (columns / parts) & ~15
        return min(width, share)
    }

    /// In the channel-major layout, maps of at least 1024 output pixels are convolved sample by sample
    /// (each GEMM is large enough on its own, and the im2col buffer stays one sample big).
    static func gemmPerSample(_ out: TensorShape) -> Bool { out.planeSize >= 1024 && out.n > 1 }

    /// Convenience: convolves an NCHW tensor into a new tensor (allocates).
    /// - Throws: ``NeuralCoreError/shapeMismatch(_:)`` when the input does not fit the layer.
    package func callAsFunction(_ input: Tensor) throws(NeuralCoreError) -> Tensor {
        guard let out = outputShape(for: input.shape) else {
            throw .shapeMismatch(
                "convolution \(inChannels)→\(outChannels) k\(kernelHeight)×\(kernelWidth) cannot take input \(input.shape)"
            )
        }
        var result = Tensor(shape: out)
        var scratch = [Float](repeating: 0, count: max(1, scratchCount(for: input.shape)))
        input.data.withUnsafeBufferPointer { src in
            result.data.withUnsafeMutableBufferPointer { dst in
                scratch.withUnsafeMutableBufferPointer { tmp in
                    forward(src, shape: input.shape, output: dst, scratch: tmp)
                }
            }
        }
        return result
    }

    /// Unfolds rows `rows` of one sample's patches: row `(ci, ky, kx)` × columns `(oy, ox)`, the columns
    /// `columns` of `0 ..< oh·ow` only (column `j` at `dst + row·rowStride + j − columns.lowerBound`).
    /// `src` points at channel 0's plane; channel `ci`'s plane is at `src + ci·planeStride`.
    @inline(__always)
    private func im2col(
        _ src: UnsafePointer<Float>, shape: TensorShape, planeStride: Int,
        into dst: UnsafeMutablePointer<Float>, rowStride: Int, out: TensorShape, rows: Range<Int>,
        columns: Range<Int>? = nil
    ) {
        let ih = shape.h
        let iw = shape.w
        let oh = out.h
        let ow = out.w
        let taps = kernelHeight * kernelWidth
        let columns = columns ?? 0..<(oh * ow)
        guard !columns.isEmpty else { return }
        let firstRow = columns.lowerBound / ow
        let lastRow = (columns.upperBound - 1) / ow
        for row in rows {
            let ci = row / taps
            let ky = (row % taps) / kernelWidth
            let kx = row % kernelWidth
            let plane = src + ci * planeStride
            let d = dst + row * rowStride - columns.lowerBound
            // Valid output columns: 0 ≤ ox·sx − px + kx < iw.
            let valid0 = max(0, (padX - kx + strideX - 1) / strideX)
            let valid1 = min(ow, max(0, (iw + padX - kx + strideX - 1) / strideX))
            for oy in firstRow...lastRow {
                // This output row's share of `columns`: ox in lo ..< hi.
                let lo = max(0, columns.lowerBound - oy * ow)
                let hi = min(ow, columns.upperBound - oy * ow)
                let iy = oy * strideY - padY + ky
                let drow = d + oy * ow
                let x0 = min(max(valid0, lo), hi)
                let x1 = max(min(valid1, hi), x0)
                if iy < 0 || iy >= ih || x1 <= x0 {
                    (drow + lo).update(repeating: 0, count: hi - lo)
                    continue
                }
                if x0 > lo { (drow + lo).update(repeating: 0, count: x0 - lo) }
                let srow = plane + iy * iw - padX + kx
                if strideX == 1 {
                    (drow + x0).update(from: srow + x0, count: x1 - x0)
                } else if strideX == 2 {
                    var ox = x0
                    // srow[2·ox ..< 2·ox + 16] must stay inside the input row: 2·ox − padX + kx + 15 < iw
                    while ox + 8 <= x1 && 2 * ox - padX + kx + 16 <= iw {
                        let v = UnsafeRawPointer(srow + 2 * ox).loadUnaligned(as: SIMD16<Float>.self)
                        UnsafeMutableRawPointer(drow + ox).storeBytes(of: v.evenHalf, as: SIMD8<Float>.self)
                        ox += 8
                    }
                    while ox < x1 {
                        drow[ox] = srow[2 * ox]
                        ox += 1
                    }
                } else {
                    var ox = x0
                    while ox < x1 {
                        drow[ox] = srow[ox * strideX]
                        ox += 1
                    }
                }
                if x1 < hi { (drow + x1).update(repeating: 0, count: hi - x1) }
            }
        }
    }
}
