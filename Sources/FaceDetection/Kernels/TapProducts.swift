import CBLAS
import NeuralCore

/// The layers with one output channel (``LayerWork/taps(tapMajorWeights:)``): every tap's product at every stored
/// input cell in one GEMM, then each output cell's sum of its taps' products.
extension MaskedNetwork {
    /// `products[t][c] = Σ_ci w[ci][t] · input[ci][c]` for every tap `t` and stored input cell `c` in
    /// `columns` (row-major input, `cells` floats per channel plane; products `stride` floats per tap plane), with
    /// `weights` the layer's weights tap-major (``LayerWork/taps(tapMajorWeights:)``).
    /// A GEMM that ``GEMMShape`` pads reads a zero-padded copy of its input columns from `scratch` and writes
    /// its padding columns past `columns` — within the plane stride, whose inner column bounds are multiples of 16.
    static func tapProducts(
        _ layer: MMODConvolution, weights w: [Float], input: UnsafePointer<Float>, cells: Int,
        columns: Range<Int>, stride: Int, into products: UnsafeMutablePointer<Float>,
        scratch: UnsafeMutablePointer<Float>
    ) {
        guard !columns.isEmpty else { return }
        let taps = layer.kernel * layer.kernel
        let cin = layer.inChannels
        let n = columns.count
        let ld = GEMMShape.paddedColumns(n, rows: taps, depth: cin)
        var b = input + columns.lowerBound
        var ldb = cells
        if ld > n {
            for ci in 0..<cin {
                let d = scratch + ci * ld
                d.update(from: input + ci * cells + columns.lowerBound, count: n)
                (d + n).update(repeating: 0, count: ld - n)
            }
            b = UnsafePointer(scratch)
            ldb = ld
        }
        w.withUnsafeBufferPointer { wt in
            cblas_sgemm(
                CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(taps), Int32(ld), Int32(cin),
                1, wt.baseAddress!, Int32(cin), b, Int32(ldb), 0, products + columns.lowerBound, Int32(stride))
        }
    }

    /// Each output cell of a one-output-channel, stride-1 layer: the bias plus its taps' products (taps that
    /// fall outside the grid read zero), a row of cells at a time in SIMD registers.
    static func sumTaps(
        _ layer: MMODConvolution, _ spans: [CellSpan], products: UnsafePointer<Float>,
        stride plane: Int, input: FeatureMap, output: FeatureMap,
        scratch acc: UnsafeMutablePointer<Float>
    ) {
        let kk = layer.kernel
        let p = layer.pad
        let g = input.geometry
        let h = input.grid.h
        let w = input.grid.w
        let bias = layer.bias[0]
        for s in spans {
            let n = s.x1 - s.x0
            acc.update(repeating: bias, count: n)
            for ky in 0..<kk {
                let iy = s.y - p + ky
                guard iy >= 0, iy < h else { continue }
                let row = products + (ky * kk) * plane + g.rowOffset(iy)
                for kx in 0..<kk {
                    // Cells x of the span whose tap column x − p + kx lies in the grid.
                    let lo = max(s.x0, p - kx)
                    let hi = min(s.x1, w + p - kx)
                    guard hi > lo else { continue }
                    let src = row + kx * plane + g.columnOffset(lo - p + kx)
                    let dst = acc + (lo - s.x0)
                    var i = 0
                    while i + 8 <= hi - lo {
                        let a = UnsafeRawPointer(dst + i).loadUnaligned(as: SIMD8<Float>.self)
                        let b = UnsafeRawPointer(src + i).loadUnaligned(as: SIMD8<Float>.self)
                        UnsafeMutableRawPointer(dst + i).storeBytes(of: a + b, as: SIMD8<Float>.self)
                        i += 8
                    }
                    while i < hi - lo {
                        dst[i] += src[i]
                        i += 1
                    }
                }
            }
            let out = output.row(channel: 0, y: s.y) + output.geometry.columnOffset(s.x0)
            if layer.relu {
                for i in 0..<n { out[i] = max(acc[i], 0) }
            } else {
                out.update(from: acc, count: n)
            }
        }
    }
}
