import CBLAS
import NeuralCore

/// The im2col layers (``LayerWork/im2col``, ``LayerWork/phased``): im2col of a chunk of cells, `cblas_sgemm`,
/// then a scatter of the products with bias and ReLU.
extension MaskedNetwork {
    /// im2col, `cblas_sgemm` and scatter over the chunks of `work`. A chunk of `n` cells is laid out with
    /// ``GEMMShape/paddedColumns(_:rows:depth:)`` columns (the padding zero, its products unused).
    static func gemm(
        _ layer: MMODConvolution, _ work: Batches<CellSpan>, phased: Bool, input: FeatureMap,
        cols: UnsafeMutablePointer<Float>, prod: UnsafeMutablePointer<Float>, output: FeatureMap
    ) {
        let k = layer.patchSize
        let m = layer.outChannels
        work.runs.withUnsafeBufferPointer { runs in
            layer.weights.withUnsafeBufferPointer { wts in
                for batch in work.batches {
                    let segments = UnsafeBufferPointer(rebasing: runs[batch.runs])
                    let n = batch.items
                    let ld = GEMMShape.paddedColumns(n, rows: m, depth: k)
                    if phased {
                        im2colPhased(layer, input, segments: segments, n: n, ld: ld, into: cols)
                    } else {
                        im2col(layer, input, segments: segments, n: n, ld: ld, into: cols)
                    }
                    cblas_sgemm(
                        CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(ld), Int32(k), 1,
                        wts.baseAddress!, Int32(k), cols, Int32(ld), 0, prod, Int32(ld))
                    scatter(layer, prod, ld: ld, segments: segments, into: output)
                }
            }
        }
    }

    /// im2col of a stride-2, unpadded layer from phase planes: input cell `(2y + ky, 2x + kx)` has the phase
    /// `(ky & 1, kx & 1)`, and consecutive `x` are consecutive floats of it, so each row of a segment is one copy.
    /// Rows are `ld` floats apart, `n` cells and then `ld − n` zeros.
    @inline(__always)
    static func im2colPhased(
        _ layer: MMODConvolution, _ input: FeatureMap, segments: UnsafeBufferPointer<CellSpan>,
        n: Int, ld: Int, into dst: UnsafeMutablePointer<Float>
    ) {
        let kk = layer.kernel
        let g = input.geometry
        var d = dst
        for ci in 0..<layer.inChannels {
            let plane = input.base + ci * g.count
            for ky in 0..<kk {
                for kx in 0..<kk {
                    for seg in segments {
                        let count = seg.x1 - seg.x0
                        d.update(
                            from: plane + g.rowOffset(2 * seg.y + ky) + g.columnOffset(2 * seg.x0 + kx), count: count)
                        d += count
                    }
                    if ld > n {
                        d.update(repeating: 0, count: ld - n)
                        d += ld - n
                    }
                }
            }
        }
    }

    /// General im2col over row-major input (zero outside the grid); rows `ld` floats apart, `n` cells and
    /// then `ld − n` zeros.
    @inline(__always)
    static func im2col(
        _ layer: MMODConvolution, _ input: FeatureMap, segments: UnsafeBufferPointer<CellSpan>,
        n: Int, ld: Int, into dst: UnsafeMutablePointer<Float>
    ) {
        precondition(!input.geometry.phased)
        let s = layer.stride
        let p = layer.pad
        let kk = layer.kernel
        let h = input.grid.h
        let w = input.grid.w
        var row = 0
        for ci in 0..<layer.inChannels {
            for ky in 0..<kk {
                for kx in 0..<kk {
                    var d = dst + row * ld
                    row += 1
                    for seg in segments {
                        let count = seg.x1 - seg.x0
                        let iy = seg.y * s - p + ky
                        if iy < 0 || iy >= h {
                            d.update(repeating: 0, count: count)
                            d += count
                            continue
                        }
                        // Valid x: 0 ≤ x·s − p + kx < w.
                        let lo = min(seg.x1, max(seg.x0, (p - kx + s - 1) / s))
                        let hi = min(seg.x1, max(lo, (w + p - kx + s - 1) / s))
                        // srow[x·s] is input cell (iy, x·s − p + kx).
                        let srow = input.row(channel: ci, y: iy) + input.geometry.columnOffset(kx - p)
                        var x = seg.x0
                        while x < lo {
                            d[x - seg.x0] = 0
                            x += 1
                        }
                        if s == 1 {
                            if hi > lo { (d + (lo - seg.x0)).update(from: srow + lo, count: hi - lo) }
                        } else {
                            var xx = lo
                            while xx < hi {
                                d[xx - seg.x0] = srow[xx * s]
                                xx += 1
                            }
                        }
                        x = max(hi, seg.x0)
                        while x < seg.x1 {
                            d[x - seg.x0] = 0
                            x += 1
                        }
                        d += count
                    }
                    if ld > n { d.update(repeating: 0, count: ld - n) }
                }
            }
        }
    }

    /// Adds the bias (and ReLU) to the GEMM products (`ld` floats per output channel) and writes them to their
    /// cells — row-major, or as phase planes for a stride-2 next layer (even columns to one plane, odd to the other).
    @inline(__always)
    static func scatter(
        _ layer: MMODConvolution, _ prod: UnsafePointer<Float>, ld: Int,
        segments: UnsafeBufferPointer<CellSpan>, into output: FeatureMap
    ) {
        let g = output.geometry
        let relu = layer.relu
        let zero = SIMD16<Float>()
        for co in 0..<layer.outChannels {
            let b = layer.bias[co]
            let bv = SIMD16<Float>(repeating: b)
            var src = prod + co * ld
            for seg in segments {
                let n = seg.x1 - seg.x0
                let row = output.row(channel: co, y: seg.y)
                // Phase planes: cells x0, x0 + 2, … are consecutive floats of one plane, x0 + 1, x0 + 3, … of the
                // other; 16 cells at a time are split into the two. Row-major: 16 cells at a time in place.
                let first = row + g.columnOffset(seg.x0)
                let second = g.phased ? row + g.columnOffset(seg.x0 + 1) : first + 1
                var i = 0
                while i + 16 <= n {
                    var v = UnsafeRawPointer(src + i).loadUnaligned(as: SIMD16<Float>.self) + bv
                    if relu { v = v.replacing(with: zero, where: v .< zero) }
                    if g.phased {
                        UnsafeMutableRawPointer(first + i / 2).storeBytes(of: v.evenHalf, as: SIMD8<Float>.self)
                        UnsafeMutableRawPointer(second + i / 2).storeBytes(of: v.oddHalf, as: SIMD8<Float>.self)
                    } else {
                        UnsafeMutableRawPointer(first + i).storeBytes(of: v, as: SIMD16<Float>.self)
                    }
                    i += 16
                }
                while i < n {
                    let v = relu ? max(src[i] + b, 0) : src[i] + b
                    if g.phased { (i & 1 == 0 ? first : second)[i / 2] = v } else { first[i] = v }
                    i += 1
                }
                src += n
            }
        }
    }
}
