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

    /// The mask with every 2×2 block (rows `2i…2i+1`, columns `2j…2j+1`) that holds a marked cell marked
    /// whole (clipped to the grid): the output cells of a Winograd F(2×2) layer are computed a block at a time.
    func alignedToBlocks() -> CellMask {
        var out = CellMask(rows: rows, columns: columns)
        for s in spans {
            let y0 = s.y & ~1
            out.mark(x0: s.x0 & ~1, x1: (s.x1 + 1) & ~1, y0: y0, y1: y0 + 2)
        }
        return out
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
struct SharedPointer: @unchecked Sendable {
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

/// Runs the MMOD convolutions over full-size planar feature maps, computing only masked cells.
///
/// Each layer is computed the cheapest exact way its shape allows:
/// - stride-2 layers without padding (the downsampler): the needed input cells are first split into four
///   phase planes (even/odd rows × even/odd columns), so every im2col row is one contiguous copy; then
///   `cblas_sgemm` and a scatter with bias and ReLU;
/// - 5×5 stride-1 layers (the three 45-channel layers): Winograd F(2×2, 5×5) over 2×2 tiles of the
///   (block-aligned) mask, 2.78× fewer multiplications (``Winograd5x5``);
/// - layers with one output channel (the 9×9 score layer): direct convolution, a row of taps at a time in
///   SIMD registers — a GEMM with one output row would spend its time building a 3645-row im2col;
/// - every other layer: im2col over the masked cells in chunks, `cblas_sgemm`, scatter.
///
/// The masked cells of each layer are split into contiguous runs of equal size, one per worker thread
/// (`DispatchQueue.concurrentPerform`, BLAS set to one thread meanwhile and restored after). Every cell is
/// computed from the same taps in the same order whatever the split, so the split does not change any value.
/// All memory comes from a ``DetectorScratch`` that is reused across detections.
enum MaskedNetwork {
    /// Floats of im2col scratch per chunk and worker (1 MB: stays in the L2 cache while `cblas_sgemm` reads it).
    static let chunkFloats = 1 << 18
    /// Fewest cells per worker worth a thread of its own.
    static let minimumCellsPerWorker = 256
    /// Cells per direct-convolution run (the accumulator row and the padded input row stay in L1).
    static let directChunk = 512

    /// How a layer is computed.
    enum Method: Equatable {
        case im2col
        case phased
        case direct
        case winograd
    }

    static func method(for layer: MMODConvolution) -> Method {
        if layer.outChannels == 1 && layer.stride == 1 { return .direct }
        if layer.winograd != nil { return .winograd }
        if layer.stride == 2 && layer.pad == 0 { return .phased }
        return .im2col
    }

    /// Runs every layer and hands `body` the score-map plane (`rows × columns` of the last grid, only the
    /// cells of `masks.last` defined) and the multiply-adds performed; nil when the scratch memory cannot be had.
    /// `input` holds the 3 planes of the tiled pyramid in `geometry` (read only where `masks[0]` needs).
    /// `masks[i]` is the needed-cell mask of layer `i`'s input grid; `masks[layers.count]` is the score map's.
    static func run<R>(layers: [MMODConvolution], input: UnsafePointer<Float>, geometry: PlaneGeometry,
                       masks: [CellMask], scratch: DetectorScratch,
                       _ body: (UnsafePointer<Float>, Int) -> R) -> R? {
        let workers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, 8))
        if workers > 1 { SingleThreadedBLAS.enter() }
        defer { if workers > 1 { SingleThreadedBLAS.leave() } }

        // Grid sizes, and every block's size up front (so no block grows while another layer reads it).
        var grids = [(h: geometry.rows, w: geometry.columns)]
        for layer in layers { grids.append((layer.outputCount(grids.last!.h), layer.outputCount(grids.last!.w))) }
        var mapCounts = [0, 0], phaseCount = 0
        for (i, layer) in layers.enumerated() {
            let (oh, ow) = grids[i + 1]
            let planar = layer.outChannels * oh * ow
            let phased = layer.outChannels * 4 * ((oh + 1) / 2) * ((ow + 1) / 2)
            mapCounts[i % 2] = max(mapCounts[i % 2], writesPhases(layers, i) ? phased : planar)
            if method(for: layer) == .phased && (i == 0 ? !geometry.phased : !writesPhases(layers, i - 1)) {
                phaseCount = max(phaseCount, layer.inChannels * 4 * ((grids[i].h + 1) / 2) * ((grids[i].w + 1) / 2))
            }
        }
        let maxOut = layers.map(\.outChannels).max() ?? 1
        let minPatch = layers.map(\.patchSize).min() ?? 1
        let maxChunk = max(64, chunkFloats / max(1, minPatch))
        let colsPer = max(chunkFloats, 64 * (layers.map(\.patchSize).max() ?? 1),
                          layers.map { $0.winograd?.scratchCount ?? 0 }.max() ?? 0)
        let prodPer = maxChunk * maxOut
        guard let mapA = scratch.block(.mapA, count: mapCounts[0]),
              let mapB = scratch.block(.mapB, count: mapCounts[1]),
              let phases = scratch.block(.phases, count: phaseCount),
              let workBase = scratch.block(.workers, count: workers * (colsPer + prodPer)) else { return nil }
        let shared = SharedPointer(base: workBase)

        var current = UnsafeMutablePointer(mutating: input)
        var currentIsPhased = geometry.phased
        var macs = 0
        for (index, layer) in layers.enumerated() {
            let (h, w) = grids[index], (oh, ow) = grids[index + 1]
            let next = index % 2 == 0 ? mapA : mapB
            let how = method(for: layer)
            let spans = masks[index + 1].spans
            var total = 0
            for s in spans { total += s.x1 - s.x0 }
            let parts = max(1, min(workers, total / minimumCellsPerWorker))
            let parted = how == .winograd ? [] : split(spans, total: total, parts: parts)
            let tiles = how == .winograd ? tileRuns(spans, parts: parts) : []
            if how == .phased && !currentIsPhased {
                splitPhases(SharedPointer(base: current), channels: layer.inChannels, h: h, w: w,
                            spans: masks[index].spans, into: SharedPointer(base: phases), workers: workers)
                current = phases
            }
            let src = SharedPointer(base: current)
            let dst = SharedPointer(base: next)
            let outPhased = writesPhases(layers, index)
            let work = { @Sendable (p: Int) in
                let cols = shared.base + p * (colsPer + prodPer)
                switch how {
                case .winograd:
                    layer.winograd!.forward(tiles[p], src: UnsafePointer(src.base), h: h, w: w, dst: dst.base, scratch: cols)
                case .direct:
                    direct(layer, parted[p], src: UnsafePointer(src.base), h: h, w: w, scratch: cols,
                           dst: dst.base, oh: oh, ow: ow)
                case .im2col, .phased:
                    let chunk = max(64, chunkFloats / layer.patchSize)
                    gemm(layer, parted[p], chunk: chunk, phased: how == .phased, src: UnsafePointer(src.base),
                         h: h, w: w, cols: cols, prod: cols + colsPer, dst: dst.base, oh: oh, ow: ow,
                         phasedOutput: outPhased)
                }
            }
            if parts == 1 { work(0) } else { DispatchQueue.concurrentPerform(iterations: parts, execute: work) }
            if how == .winograd {
                macs += tiles.joined().reduce(0) { $0 + $1.count } * 36 * layer.inChannels * layer.outChannels
            } else {
                macs += total * layer.patchSize * layer.outChannels
            }
            current = next
            currentIsPhased = outPhased
        }
        return body(UnsafePointer(current), macs)
    }

    /// Whether layer `i` writes its output as phase planes: when the next layer reads phase planes and this
    /// layer ends in a scatter (so the split costs nothing extra).
    static func writesPhases(_ layers: [MMODConvolution], _ i: Int) -> Bool {
        guard i + 1 < layers.count, method(for: layers[i + 1]) == .phased else { return false }
        let how = method(for: layers[i])
        return how == .im2col || how == .phased
    }

    /// Splits the row-major run of cells into `parts` contiguous pieces of (nearly) equal size.
    static func split(_ spans: [(y: Int, x0: Int, x1: Int)], total: Int, parts: Int) -> [[(y: Int, x0: Int, x1: Int)]] {
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
        return pieces
    }

    /// The 2×2 tiles of a block-aligned mask (the spans of its even rows), split into `parts` pieces of
    /// (nearly) equal tile count.
    static func tileRuns(_ spans: [(y: Int, x0: Int, x1: Int)], parts: Int) -> [[Winograd5x5.TileRun]] {
        var runs: [Winograd5x5.TileRun] = []
        var total = 0
        for s in spans where s.y & 1 == 0 {
            let n = (s.x1 - s.x0 + 1) / 2
            runs.append(.init(y: s.y, x0: s.x0, count: n))
            total += n
        }
        var pieces: [[Winograd5x5.TileRun]] = Array(repeating: [], count: parts)
        var piece = 0, filled = 0
        for r in runs {
            var j = 0
            while j < r.count {
                let quota = (total * (piece + 1)) / parts - filled
                if quota <= 0 && piece < parts - 1 { piece += 1; continue }
                let take = piece == parts - 1 ? r.count - j : min(r.count - j, quota)
                pieces[piece].append(.init(y: r.y, x0: r.x0 + 2 * j, count: take))
                filled += take
                j += take
            }
        }
        return pieces
    }

    /// Copies the masked cells of each `h × w` channel plane into its four phase planes
    /// (`(y & 1, x & 1)`, each `⌈h/2⌉ × ⌈w/2⌉`, cell `(y >> 1, x >> 1)`); the spans are split between the
    /// workers, every channel of a span by the same worker.
    static func splitPhases(_ src: SharedPointer, channels: Int, h: Int, w: Int, spans: [(y: Int, x0: Int, x1: Int)],
                            into dst: SharedPointer, workers: Int) {
        let ph = (h + 1) / 2, pw = (w + 1) / 2
        let parts = max(1, min(workers, spans.count / 16))
        DispatchQueue.concurrentPerform(iterations: parts) { p in
            for c in 0..<channels {
                let plane = UnsafePointer(src.base + c * h * w)
                let out = dst.base + c * 4 * ph * pw
                for s in spans[(spans.count * p / parts)..<(spans.count * (p + 1) / parts)] {
                    let row = plane + s.y * w
                    let base = out + ((s.y & 1) * 2) * ph * pw + (s.y >> 1) * pw
                    var even = base + ((s.x0 + 1) >> 1), odd = base + ph * pw + (s.x0 >> 1)
                    var x = s.x0
                    if x & 1 == 1 && x < s.x1 { odd.pointee = row[x]; odd += 1; x += 1 }
                    while x + 16 <= s.x1 {
                        let v = UnsafeRawPointer(row + x).loadUnaligned(as: SIMD16<Float>.self)
                        UnsafeMutableRawPointer(even).storeBytes(of: v.evenHalf, as: SIMD8<Float>.self)
                        UnsafeMutableRawPointer(odd).storeBytes(of: v.oddHalf, as: SIMD8<Float>.self)
                        even += 8; odd += 8; x += 16
                    }
                    while x < s.x1 {
                        if x & 1 == 0 { even.pointee = row[x]; even += 1 } else { odd.pointee = row[x]; odd += 1 }
                        x += 1
                    }
                }
            }
        }
    }

    /// im2col, `cblas_sgemm` and scatter over `spans`, `chunk` cells at a time.
    private static func gemm(_ layer: MMODConvolution, _ spans: [(y: Int, x0: Int, x1: Int)], chunk: Int, phased: Bool,
                             src: UnsafePointer<Float>, h: Int, w: Int,
                             cols: UnsafeMutablePointer<Float>, prod: UnsafeMutablePointer<Float>,
                             dst: UnsafeMutablePointer<Float>, oh: Int, ow: Int, phasedOutput: Bool) {
        let k = layer.patchSize
        var spanIndex = 0, spanOffset = 0
        var segments: [(y: Int, x0: Int, x1: Int)] = []
        segments.reserveCapacity(64)
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
            if phased {
                im2colPhased(layer, src, h: h, w: w, segments: segments, n: n, into: cols)
            } else {
                im2col(layer, src, h: h, w: w, segments: segments, n: n, into: cols)
            }
            layer.weights.withUnsafeBufferPointer { wts in
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(layer.outChannels), Int32(n),
                            Int32(k), 1, wts.baseAddress!, Int32(k), cols, Int32(n), 0, prod, Int32(n))
            }
            if phasedOutput {
                scatterPhases(layer, prod, n: n, segments: segments, into: dst, oh: oh, ow: ow)
            } else {
                scatter(layer, prod, n: n, segments: segments, into: dst, oh: oh, ow: ow)
            }
        }
    }

    /// im2col of a stride-2, unpadded layer from phase planes: input cell `(2y + ky, 2x + kx)` is phase
    /// `(ky & 1, kx & 1)` at `(y + ky >> 1, x + kx >> 1)`, so each row of a segment is one copy.
    @inline(__always)
    private static func im2colPhased(_ layer: MMODConvolution, _ phases: UnsafePointer<Float>, h: Int, w: Int,
                                     segments: [(y: Int, x0: Int, x1: Int)], n: Int, into dst: UnsafeMutablePointer<Float>) {
        let ph = (h + 1) / 2, pw = (w + 1) / 2, kk = layer.kernel
        var d = dst
        for ci in 0..<layer.inChannels {
            for ky in 0..<kk {
                for kx in 0..<kk {
                    let plane = phases + (ci * 4 + (ky & 1) * 2 + (kx & 1)) * ph * pw + (ky >> 1) * pw + (kx >> 1)
                    for seg in segments {
                        let count = seg.x1 - seg.x0
                        d.update(from: plane + seg.y * pw + seg.x0, count: count)
                        d += count
                    }
                }
            }
        }
    }

    /// Direct convolution for a layer with one output channel and stride 1: for each masked run of cells,
    /// for each input channel and kernel row, the zero-padded input row is copied once and its `kernel`
    /// taps are accumulated into SIMD registers 8 cells at a time.
    private static func direct(_ layer: MMODConvolution, _ spans: [(y: Int, x0: Int, x1: Int)],
                               src: UnsafePointer<Float>, h: Int, w: Int, scratch: UnsafeMutablePointer<Float>,
                               dst: UnsafeMutablePointer<Float>, oh: Int, ow: Int) {
        let kk = layer.kernel, p = layer.pad
        let acc = scratch, row = scratch + directChunk + 8
        let bias = layer.bias[0]
        layer.weights.withUnsafeBufferPointer { wts in
            for s in spans {
                var x0 = s.x0
                while x0 < s.x1 {
                    let n = min(directChunk, s.x1 - x0)
                    acc.update(repeating: 0, count: n)
                    let width = n + kk - 1
                    let left = x0 - p
                    let lo = max(0, -left), hi = min(width, w - left)  // row[j] valid for lo ≤ j < hi
                    for ci in 0..<layer.inChannels {
                        let plane = src + ci * h * w
                        for ky in 0..<kk {
                            let iy = s.y - p + ky
                            guard iy >= 0, iy < h else { continue }
                            if lo > 0 { row.update(repeating: 0, count: min(lo, width)) }
                            if hi > lo { (row + lo).update(from: plane + iy * w + left + lo, count: hi - lo) }
                            if hi < width { (row + max(hi, 0)).update(repeating: 0, count: width - max(hi, 0)) }
                            let taps = wts.baseAddress! + (ci * kk + ky) * kk
                            var i = 0
                            while i + 8 <= n {
                                var a = UnsafeRawPointer(acc + i).loadUnaligned(as: SIMD8<Float>.self)
                                for kx in 0..<kk {
                                    a += SIMD8(repeating: taps[kx]) * UnsafeRawPointer(row + i + kx).loadUnaligned(as: SIMD8<Float>.self)
                                }
                                UnsafeMutableRawPointer(acc + i).storeBytes(of: a, as: SIMD8<Float>.self)
                                i += 8
                            }
                            while i < n {
                                var a = acc[i]
                                for kx in 0..<kk { a += taps[kx] * row[i + kx] }
                                acc[i] = a
                                i += 1
                            }
                        }
                    }
                    let out = dst + s.y * ow + x0
                    if layer.relu {
                        for i in 0..<n { out[i] = max(acc[i] + bias, 0) }
                    } else {
                        for i in 0..<n { out[i] = acc[i] + bias }
                    }
                    x0 += n
                }
            }
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

    /// ``scatter(_:_:n:segments:into:oh:ow:)`` into phase planes (the layout ``splitPhases`` makes).
    @inline(__always)
    private static func scatterPhases(_ layer: MMODConvolution, _ prod: UnsafePointer<Float>, n: Int,
                                      segments: [(y: Int, x0: Int, x1: Int)], into dst: UnsafeMutablePointer<Float>,
                                      oh: Int, ow: Int) {
        let ph = (oh + 1) / 2, pw = (ow + 1) / 2, phase = ph * pw
        for co in 0..<layer.outChannels {
            let b = layer.bias[co]
            var srcRow = prod + co * n
            let planes = dst + co * 4 * phase
            for seg in segments {
                let row = planes + (seg.y & 1) * 2 * phase + (seg.y >> 1) * pw
                // Even columns to the first phase plane of the row, odd ones to the second.
                for parity in 0..<2 {
                    let out = row + parity * phase
                    var x = seg.x0 + ((seg.x0 & 1) ^ parity)
                    if layer.relu {
                        while x < seg.x1 { out[x >> 1] = max(srcRow[x - seg.x0] + b, 0); x += 2 }
                    } else {
                        while x < seg.x1 { out[x >> 1] = srcRow[x - seg.x0] + b; x += 2 }
                    }
                }
                srcRow += seg.x1 - seg.x0
            }
        }
    }
}
