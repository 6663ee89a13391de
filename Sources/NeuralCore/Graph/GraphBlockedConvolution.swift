import CBLAS

/// A dense (one-group) convolution computed block by block: each block of output pixels is unfolded (im2col) into a
/// thread's own scratch, small enough to stay in its cache, and multiplied by all the filters at once. Any stride,
/// dilation and (asymmetric) padding. Used for the convolutions that Winograd and the pointwise path do not take —
/// a whole-map im2col of a 112×112 layer would be tens of megabytes, written once and read once.
enum GraphBlockedConvolution {
    /// Bytes of one block's im2col matrix (about half a typical L2).
    static let blockBytes = 512 * 1024

    /// Output pixels per block: a multiple of 16, at least 64 (or the whole map).
    static func blockWidth(_ conv: LoweredConv) -> Int {
        let k = conv.inChannels * conv.kernel.0 * conv.kernel.1
        let p = conv.outSize.0 * conv.outSize.1
        let width = max(64, (blockBytes / 4 / k) & ~15)
        return width >= p ? p : width
    }

    /// Scratch floats one of `parts` parts needs: a block's im2col matrix, or the whole map's when the map is split
    /// by filters (fewer than two blocks per part).
    static func scratchPerPart(_ conv: LoweredConv, parts: Int) -> Int {
        let k = conv.inChannels * conv.kernel.0 * conv.kernel.1
        let p = conv.outSize.0 * conv.outSize.1
        let width = blockWidth(conv)
        let blocks = (p + width - 1) / width
        return ((blocks >= 2 * parts || parts == 1 ? k * width : k * p) + 15) & ~15
    }

    /// Runs on every thread of a region: blocks of pixels shared out as threads ask, or — when the map has fewer
    /// blocks than threads — every thread unfolds the (small) map and multiplies its share of the filters.
    static func forward(
        _ conv: LoweredConv, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
        scratch base: UnsafeMutablePointer<Float>, context: TeamContext
    ) {
        let scratch = base + context.part.index * scratchPerPart(conv, parts: context.part.count)
        let k = conv.inChannels * conv.kernel.0 * conv.kernel.1
        let p = conv.outSize.0 * conv.outSize.1
        let o = conv.outChannels
        let width = blockWidth(conv)
        let blocks = (p + width - 1) / width
        conv.weights.withUnsafeBufferPointer { wb in
            let w = wb.baseAddress!
            if blocks >= 2 * context.part.count || context.part.count == 1 {
                for b in context.shared(blocks) {
                    // Blocks never overlap: two threads must not run the epilogue over the same pixels.
                    let start = b * width
                    let n = min(width, p - start)
                    unfold(conv, input, columns: start..<(start + n), into: scratch)
                    // In column pieces that keep OpenBLAS's small-matrix kernel from allocating.
                    for cc in GEMMShape.columnPieces(0..<n, rows: o, depth: k) {
                        cblas_sgemm(
                            CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(o), Int32(cc.count), Int32(k), 1, w,
                            Int32(k), scratch + cc.lowerBound, Int32(n), 0, output + start + cc.lowerBound, Int32(p))
                    }
                    for c in 0..<o {
                        epilogue(conv, output + c * p + start, count: n, channel: c)
                    }
                }
            } else {
                let rows = context.range(o)
                if rows.isEmpty { return }
                unfold(conv, input, columns: 0..<p, into: scratch)
                for cc in GEMMShape.columnPieces(0..<p, rows: rows.count, depth: k) {
                    cblas_sgemm(
                        CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(rows.count), Int32(cc.count), Int32(k), 1,
                        w + rows.lowerBound * k, Int32(k), scratch + cc.lowerBound, Int32(p), 0,
                        output + rows.lowerBound * p + cc.lowerBound, Int32(p))
                }
                for c in rows { epilogue(conv, output + c * p, count: p, channel: c) }
            }
        }
    }

    @inline(__always)
    static func epilogue(_ conv: LoweredConv, _ x: UnsafeMutablePointer<Float>, count: Int, channel c: Int) {
        switch conv.activation {
        case .relu: Elementwise.apply(x, count: count, scale: 1, shift: conv.bias[c], relu: true)
        default:
            Elementwise.apply(x, count: count, scale: 1, shift: conv.bias[c], relu: false)
            GraphKernels.activate(conv.activation, x, count: count, channel: c)
        }
    }

    /// im2col of output pixels `columns`: row `(ci, ky, kx)`, column `j − columns.lowerBound`, zero where the tap
    /// falls in the padding.
    static func unfold(
        _ conv: LoweredConv, _ input: UnsafePointer<Float>, columns: Range<Int>, into dst: UnsafeMutablePointer<Float>
    ) {
        let (ih, iw) = conv.inSize
        let ow = conv.outSize.1
        let (kh, kw) = conv.kernel
        let (sy, sx) = conv.strides
        let (dy, dx) = conv.dilations
        let (pt, pl) = (conv.pads.0, conv.pads.1)
        let n = columns.count
        let firstRow = columns.lowerBound / ow
        let lastRow = (columns.upperBound - 1) / ow
        for ci in 0..<conv.inChannels {
            let plane = input + ci * ih * iw
            for ky in 0..<kh {
                for kx in 0..<kw {
                    let d = dst + ((ci * kh + ky) * kw + kx) * n - columns.lowerBound
                    let off = kx * dx - pl
                    let valid0 = off >= 0 ? 0 : (-off + sx - 1) / sx
                    let valid1 = iw - 1 - off < 0 ? 0 : min(ow, (iw - 1 - off) / sx + 1)
                    for oy in firstRow...lastRow {
                        let lo = max(0, columns.lowerBound - oy * ow)
                        let hi = min(ow, columns.upperBound - oy * ow)
                        let row = d + oy * ow
                        let iy = oy * sy - pt + ky * dy
                        let x0 = min(max(valid0, lo), hi)
                        let x1 = max(min(valid1, hi), x0)
                        if iy < 0 || iy >= ih || x1 <= x0 {
                            (row + lo).update(repeating: 0, count: hi - lo)
                            continue
                        }
                        if x0 > lo { (row + lo).update(repeating: 0, count: x0 - lo) }
                        let src = plane + iy * iw + off
                        if sx == 1 {
                            (row + x0).update(from: src + x0, count: x1 - x0)
                        } else {
                            for ox in x0..<x1 { row[ox] = src[ox * sx] }
                        }
                        if x1 < hi { (row + x1).update(repeating: 0, count: hi - x1) }
                    }
                }
            }
        }
    }
}
