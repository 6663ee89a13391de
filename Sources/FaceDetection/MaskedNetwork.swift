import CBLAS
import Foundation
import NeuralCore

/// The cells of one feature-map grid that must be computed, as row spans `[x0, x1)` in row-major order.
///
/// The detector computes each layer only where a later layer needs it: the score map on the cells that
/// belong to the kept pyramid levels, and every earlier layer on the union of the receptive fields of
/// those cells. Inside that region the values are exactly the full-tensor values (same taps, same zero
/// padding at the tensor border), so skipping levels does not change any kept score.
struct CellMask: Sendable {
    let rows: Int
    let columns: Int
    private(set) var mask: [UInt8]

    init(rows: Int, columns: Int) {
        self.rows = rows; self.columns = columns
        mask = [UInt8](repeating: 0, count: rows * columns)
    }

    /// Marks the cells of `[x0, x1) × [y0, y1)` (clipped to the grid).
    mutating func mark(x0: Int, x1: Int, y0: Int, y1: Int) {
        let a = max(0, x0), b = min(columns, x1), c = max(0, y0), d = min(rows, y1)
        guard a < b, c < d else { return }
        mask.withUnsafeMutableBufferPointer { m in
            for y in c..<d { (m.baseAddress! + y * columns + a).update(repeating: 1, count: b - a) }
        }
    }

    /// Every marked run, row by row.
    var spans: [(y: Int, x0: Int, x1: Int)] {
        var out: [(y: Int, x0: Int, x1: Int)] = []
        mask.withUnsafeBufferPointer { m in
            for y in 0..<rows {
                var x = 0
                let row = m.baseAddress! + y * columns
                while x < columns {
                    if row[x] == 0 { x += 1; continue }
                    let s = x
                    while x < columns && row[x] != 0 { x += 1 }
                    out.append((y, s, x))
                }
            }
        }
        return out
    }

    /// Number of marked cells.
    var count: Int { mask.reduce(0) { $0 + Int($1) } }

    /// The input cells a layer needs to compute these output cells.
    func dilated(through layer: MMODConvolution, inputRows: Int, inputColumns: Int) -> CellMask {
        var m = CellMask(rows: inputRows, columns: inputColumns)
        for s in spans {
            let y0 = s.y * layer.stride - layer.pad
            let x0 = s.x0 * layer.stride - layer.pad
            let x1 = (s.x1 - 1) * layer.stride - layer.pad + layer.kernel
            m.mark(x0: x0, x1: x1, y0: y0, y1: y0 + layer.kernel)
        }
        return m
    }
}

/// A pointer handed to the worker threads of one layer; every worker writes disjoint cells.
private struct SharedPointer: @unchecked Sendable {
    let base: UnsafeMutablePointer<Float>
}

/// Sets BLAS to one thread while at least one detection runs its own worker threads, and restores the
/// previous count when the last one ends (so overlapping detections do not restore each other's setting).
private enum SingleThreadedBLAS {
    private final class State: @unchecked Sendable {
        let lock = NSLock()
        var depth = 0
        var saved: Int?
    }
    private static let state = State()

    static func enter() {
        state.lock.lock(); defer { state.lock.unlock() }
        if state.depth == 0 {
            state.saved = BLASThreads.current
            if state.saved != nil { BLASThreads.set(1) }
        }
        state.depth += 1
    }

    static func leave() {
        state.lock.lock(); defer { state.lock.unlock() }
        state.depth -= 1
        if state.depth == 0, let saved = state.saved { BLASThreads.set(saved) }
    }
}

/// Runs the MMOD convolutions over full-size planar feature maps, computing only masked cells
/// (im2col over the masked cells in chunks, `cblas_sgemm`, scatter with bias and ReLU).
///
/// The masked cells of each layer are split into contiguous runs of equal size, one per worker thread
/// (`DispatchQueue.concurrentPerform`, BLAS set to one thread meanwhile and restored after). Every cell is
/// computed from the same taps in the same order whatever the split, so the split does not change any value.
enum MaskedNetwork {
    /// Floats of im2col scratch per chunk and worker (1 MB: stays in the L2 cache while `cblas_sgemm` reads it).
    static let chunkFloats = 1 << 18
    /// Fewest cells per worker worth a thread of its own.
    static let minimumCellsPerWorker = 256

    /// Runs every layer; returns the score-map plane (`rows × columns` of the last grid) with only the
    /// cells of `outputMask` defined, plus the multiply-adds performed.
    /// `input` holds the `3 × rows × columns` planes of the tiled pyramid (read only where `masks[0]` needs).
    /// `masks[i]` is the needed-cell mask of layer `i`'s input grid; `masks[layers.count]` is the score map's.
    static func run(layers: [MMODConvolution], input: UnsafePointer<Float>, rows: Int, columns: Int,
                    masks: [CellMask]) -> (scores: [Float], macs: Int) {
        let workers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, 8))
        if workers > 1 { SingleThreadedBLAS.enter() }
        defer { if workers > 1 { SingleThreadedBLAS.leave() } }

        let maxOut = layers.map(\.outChannels).max() ?? 1
        let minPatch = layers.map(\.patchSize).min() ?? 1
        let maxChunk = max(64, chunkFloats / max(1, minPatch))
        let colsPer = max(chunkFloats, 64 * (layers.map(\.patchSize).max() ?? 1))
        let prodPer = maxChunk * maxOut
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: workers * (colsPer + prodPer))
        defer { scratch.deallocate() }
        let shared = SharedPointer(base: scratch)

        var current: [Float] = []
        var h = rows, w = columns
        var macs = 0
        for (index, layer) in layers.enumerated() {
            let oh = layer.outputCount(h), ow = layer.outputCount(w)
            // Only masked cells are ever written or read, so the rest is left uninitialised.
            var next = [Float](unsafeUninitializedCapacity: layer.outChannels * oh * ow) { _, n in
                n = layer.outChannels * oh * ow
            }
            let spans = masks[index + 1].spans
            var total = 0
            for s in spans { total += s.x1 - s.x0 }
            let parts = max(1, min(workers, total / minimumCellsPerWorker))
            // Split the row-major run of cells into `parts` contiguous pieces of (nearly) equal size.
            var pieces: [[(y: Int, x0: Int, x1: Int)]] = Array(repeating: [], count: parts)
            var piece = 0, filled = 0
            for s in spans {
                var x = s.x0
                while x < s.x1 {
                    let quota = (total * (piece + 1)) / parts - filled
                    if quota <= 0 && piece < parts - 1 { piece += 1; continue }
                    let take = piece == parts - 1 ? s.x1 - x : min(s.x1 - x, quota)
                    pieces[piece].append((s.y, x, x + take))
                    filled += take
                    x += take
                }
            }
            let k = layer.patchSize
            let chunk = max(64, chunkFloats / k)
            let inH = h, inW = w
            let parted = pieces
            func layerPass(_ srcBase: UnsafePointer<Float>) {
                next.withUnsafeMutableBufferPointer { dstBuf in
                    let src = SharedPointer(base: UnsafeMutablePointer(mutating: srcBase))
                    let dst = SharedPointer(base: dstBuf.baseAddress!)
                    let work = { @Sendable (p: Int) in
                        let cols = shared.base + p * (colsPer + prodPer)
                        let prod = cols + colsPer
                        compute(layer, parted[p], chunk: chunk, src: UnsafePointer(src.base), h: inH, w: inW,
                                cols: cols, prod: prod, dst: dst.base, oh: oh, ow: ow)
                    }
                    if parts == 1 { work(0) } else { DispatchQueue.concurrentPerform(iterations: parts, execute: work) }
                }
            }
            if index == 0 {
                layerPass(input)
            } else {
                current.withUnsafeBufferPointer { layerPass($0.baseAddress!) }
            }
            macs += total * k * layer.outChannels
            current = next
            h = oh; w = ow
        }
        return (current, macs)
    }

    /// im2col, `cblas_sgemm` and scatter over `spans`, `chunk` cells at a time.
    private static func compute(_ layer: MMODConvolution, _ spans: [(y: Int, x0: Int, x1: Int)], chunk: Int,
                                src: UnsafePointer<Float>, h: Int, w: Int,
                                cols: UnsafeMutablePointer<Float>, prod: UnsafeMutablePointer<Float>,
                                dst: UnsafeMutablePointer<Float>, oh: Int, ow: Int) {
        let k = layer.patchSize
        var spanIndex = 0, spanOffset = 0
        var segments: [(y: Int, x0: Int, x1: Int)] = []
        while spanIndex < spans.count {
            segments.removeAll(keepingCapacity: true)
            var n = 0
            while spanIndex < spans.count && n < chunk {
                let s = spans[spanIndex]
                let start = s.x0 + spanOffset
                let take = min(s.x1 - start, chunk - n)
                segments.append((s.y, start, start + take))
                n += take
                if start + take == s.x1 { spanIndex += 1; spanOffset = 0 } else { spanOffset += take }
            }
            im2col(layer, src, h: h, w: w, segments: segments, n: n, into: cols)
            layer.weights.withUnsafeBufferPointer { wts in
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(layer.outChannels), Int32(n),
                            Int32(k), 1, wts.baseAddress!, Int32(k), cols, Int32(n), 0, prod, Int32(n))
            }
            scatter(layer, prod, n: n, segments: segments, into: dst, oh: oh, ow: ow)
        }
    }

    @inline(__always)
    private static func im2col(_ layer: MMODConvolution, _ src: UnsafePointer<Float>, h: Int, w: Int,
                               segments: [(y: Int, x0: Int, x1: Int)], n: Int, into dst: UnsafeMutablePointer<Float>) {
        let s = layer.stride, p = layer.pad, kk = layer.kernel
        var row = 0
        for ci in 0..<layer.inChannels {
            let plane = src + ci * h * w
            for ky in 0..<kk {
                for kx in 0..<kk {
                    var d = dst + row * n
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
                        let srow = plane + iy * w - p + kx
                        var x = seg.x0
                        while x < lo { d[x - seg.x0] = 0; x += 1 }
                        if s == 1 {
                            if hi > lo { (d + (lo - seg.x0)).update(from: srow + lo, count: hi - lo) }
                        } else {
                            var xx = lo
                            while xx < hi { d[xx - seg.x0] = srow[xx * s]; xx += 1 }
                        }
                        x = max(hi, seg.x0)
                        while x < seg.x1 { d[x - seg.x0] = 0; x += 1 }
                        d += count
                    }
                }
            }
        }
    }

    @inline(__always)
    private static func scatter(_ layer: MMODConvolution, _ prod: UnsafePointer<Float>, n: Int,
                                segments: [(y: Int, x0: Int, x1: Int)], into dst: UnsafeMutablePointer<Float>, oh: Int, ow: Int) {
        for co in 0..<layer.outChannels {
            let b = layer.bias[co]
            var srcRow = prod + co * n
            let plane = dst + co * oh * ow
            for seg in segments {
                let d = plane + seg.y * ow
                if layer.relu {
                    for x in seg.x0..<seg.x1 { d[x] = max(srcRow[x - seg.x0] + b, 0) }
                } else {
                    for x in seg.x0..<seg.x1 { d[x] = srcRow[x - seg.x0] + b }
                }
                srcRow += seg.x1 - seg.x0
            }
        }
    }
}
