import CBLAS
import Foundation
import NeuralCore

/// A run of cells on one grid row: row `y`, columns `x0 ..< x1`.
typealias CellSpan = (y: Int, x0: Int, x1: Int)

/// Runs the MMOD convolutions, computing only masked cells.
///
/// Each layer is computed the cheapest way its shape allows, each equal to the direct convolution up to
/// float rounding:
/// - stride-2 layers without padding (the downsampler): their input is kept as phase planes (even/odd rows
///   × even/odd columns — the pyramid is built that way, and the previous layer writes that way). With enough
///   input channels (the second and third layers) as a 3×3 convolution over the four phase planes with
///   Winograd F(4×4, 3×3), 2.78× fewer multiplications and no im2col (``PhasedWinograd``); otherwise (the first
///   layer, 3 channels) every im2col row is one contiguous copy, then `cblas_sgemm` and a scatter with bias and
///   ReLU;
/// - 5×5 stride-1 layers (the three 45-channel layers): Winograd F(2×2, 5×5) over 2×2 tiles of the
///   (block-aligned) mask, 2.78× fewer multiplications (``Winograd5x5``);
/// - layers with one output channel (the 9×9 score layer): one GEMM gives every tap's product at every
///   stored input cell (`taps × channels` · `channels × cells`), then each output cell sums its taps'
///   products — an im2col GEMM with one output row would spend its time building a 3645-row im2col;
/// - any other layer: im2col over the masked cells in chunks, `cblas_sgemm`, scatter.
///
/// Each layer's output is stored for the bounding box of its masked cells only (``PlaneGeometry``), so no
/// page is touched for cells nobody computes. The masked cells of each layer are split into contiguous runs
/// of equal size, ``partsPerWorkerOfTeam`` per thread of the scratch's ``WorkerTeam``, handed out to whichever
/// thread asks first (``TeamContext/shared(_:)``: a thread whose core is slowed by another process does fewer
/// of them), BLAS set to one thread meanwhile (``BLASThreads/withSingleThread(_:)``). Every cell is computed
/// from the same taps in the same order whatever the split, so the split does not change any value. All
/// memory comes from a ``DetectorScratch`` reused across detections, and every split and GEMM chunk is worked
/// out once per frame size (``Plan``), so a pass allocates nothing (GEMM shapes avoid OpenBLAS's allocating
/// path too: ``GEMMShape``).
enum MaskedNetwork {
    /// Floats of im2col scratch per chunk and worker (1 MB: stays in the L2 cache while `cblas_sgemm` reads it).
    static let chunkFloats = 1 << 18
    /// Fewest cells per worker worth a thread of its own.
    static let minimumCellsPerWorker = 256
    /// Parts of a layer per thread when the team has more than one.
    static let partsPerWorkerOfTeam = 4
    /// Floats allocated past the end of each feature map: a Winograd input transform reads a run's cells in place
    /// with vector loads that may run up to 32 floats past them (into lanes whose tiles are not used).
    static let readSlack = 64
    /// Fewest stored input cells per worker worth a thread of its own for the tap products.
    static let minimumTapCellsPerWorker = 4096

    /// How a layer is computed.
    enum Method: Equatable, Sendable {
        case im2col
        case phased
        case phasedWinograd
        case taps
        case winograd
    }

    /// Cells per im2col chunk (one GEMM) of a layer with `patch` inputs per cell and `outChannels` outputs.
    ///
    /// As many as keep the GEMM within OpenBLAS's small-matrix kernel (``GEMMShape/smallKernelLimit``, a
    /// multiple of 16 cells) when that is at least ``GEMMShape/minimumBlockColumns`` cells: that kernel reads the im2col
    /// rows where they are, while the blocked path first copies them into its packed layout — a second pass
    /// over the largest buffer of the layer (measured on the first layer, 3 → 16 channels: 9.5 → 6 ms per
    /// 1280×720 frame; the second, 16 → 32: about 0.8 ms less). Otherwise ``chunkFloats`` of im2col.
    static func chunkCells(patch: Int, outChannels: Int) -> Int {
        GEMMShape.smallBlockColumns(rows: outChannels, depth: patch) ?? max(64, chunkFloats / patch)
    }

    /// The method of every layer: a stride-2 unpadded layer reads phase planes when it is the first layer
    /// (the pyramid is built as phase planes) or follows a layer that can write them.
    static func methods(for layers: [MMODConvolution]) -> [Method] {
        var out: [Method] = []
        for layer in layers {
            if layer.outChannels == 1 && layer.stride == 1 {
                out.append(.taps)
            } else if layer.winograd != nil {
                out.append(.winograd)
            } else if layer.stride == 2 && layer.pad == 0 && (out.last.map(writesPhasePlanes) ?? true) {
                out.append(layer.phasedWinograd != nil ? .phasedWinograd : .phased)
            } else {
                out.append(.im2col)
            }
        }
        return out
    }

    /// Whether a method can write its output as phase planes for the next layer (the scatters and the F(4×4)
    /// output transform write either layout; the F(2×2, 5×5) output transform and the tap sums write row-major).
    static func writesPhasePlanes(_ m: Method) -> Bool { m == .im2col || m == .phased || m == .phasedWinograd }

    /// Whether a method reads its input as phase planes.
    static func readsPhasePlanes(_ m: Method) -> Bool { m == .phased || m == .phasedWinograd }

    /// The needed-cell mask of every layer's input grid, from the score-map cells wanted: `masks[i]` for layer
    /// `i`'s input, `masks[layers.count]` the score map's. Each is the union of what the next layer's computation
    /// reads for its needed cells — its Winograd outputs widened to whole tiles (2×2 for ``Winograd5x5``, 4×4 for
    /// ``PhasedWinograd``, whose tiles read one cell past the kernel's reach).
    /// - Parameter grids: every layer's input grid, then the score map's.
    static func masks(for layers: [MMODConvolution], scoreMask: CellMask, grids: [(h: Int, w: Int)]) -> [CellMask] {
        let how = methods(for: layers)
        var masks = [scoreMask]
        for i in stride(from: layers.count - 1, through: 0, by: -1) {
            let layer = layers[i]
            var reach = layer.kernel
            switch how[i] {
            case .winograd:
                masks[0] = masks[0].alignedToBlocks(size: 2)
            case .phasedWinograd:
                masks[0] = masks[0].alignedToBlocks(size: PhasedWinograd.tileSize)
                reach = PhasedWinograd.reach
            case .im2col, .phased, .taps:
                break
            }
            masks.insert(masks[0].dilated(stride: layer.stride, pad: layer.pad, reach: reach, inputRows: grids[i].h,
                                          inputColumns: grids[i].w), at: 0)
        }
        return masks
    }

    /// Everything about running the layers that depends only on the pyramid layout and the kept levels:
    /// grids, where each output is stored, block sizes, and each layer's work split between the workers and
    /// cut into GEMMs. Built once per frame size (``DetectionPlan``) and reused for every frame of that size.
    struct Plan: Sendable {
        /// One layer's share of the work.
        struct Layer: Sendable {
            let method: Method
            let grid: (h: Int, w: Int)
            let outGrid: (h: Int, w: Int)
            let input: PlaneGeometry
            let output: PlaneGeometry
            /// Per worker (taps): runs of output cells, each summed in one go.
            let pieces: [[CellSpan]]
            /// Per worker (im2col, phased): runs of output cells cut into im2col chunks, one GEMM each.
            let chunks: [Batches<CellSpan>]
            /// Per worker (Winograd): runs of output tiles (2×2, or 4×4 for ``PhasedWinograd``) cut into GEMM batches.
            let tiles: [Batches<TileRun>]
            /// Per worker (taps): its columns (stored input cells) of the tap-product GEMM; every bound but the
            /// last is a multiple of 16, so a padded last GEMM stays within its own columns.
            let tapColumns: [Range<Int>]
            /// Floats between two taps' planes of products: the stored input cells rounded up to 16, room for
            /// the padded columns of a small GEMM (``GEMMShape``).
            let tapStride: Int
            /// Multiply-adds performed (Winograd and tap products: those of their GEMMs).
            let multiplyAdds: Int
            /// Parallel parts of the layer's main step.
            var parts: Int { max(pieces.count, chunks.count, tiles.count) }
        }
        let layers: [Layer]
        let workers: Int
        let mapCounts: (a: Int, b: Int)
        /// Floats of the tap products of a one-output-channel layer (`k² ×` its padded stored input cells).
        let tapCount: Int
        /// Floats per worker: im2col columns (or Winograd's, or tap sums') scratch, then GEMM products.
        let colsPer: Int, prodPer: Int
        /// Where the score map is stored.
        var scoreGeometry: PlaneGeometry { layers.last?.output ?? PlaneGeometry(rows: 0, columns: 0) }
        var multiplyAdds: Int { layers.reduce(0) { $0 + $1.multiplyAdds } }

        /// - Parameters:
        ///   - geometry: the pyramid tensor's (phase planes exactly when the first layer reads them).
        ///   - masks: the needed-cell masks of every layer's input grid and the score map (``masks(for:scoreMask:grids:)``).
        init(layers convs: [MMODConvolution], geometry: PlaneGeometry, masks: [CellMask]) {
            let how = methods(for: convs)
            precondition(geometry.phased == (how.first.map(readsPhasePlanes) ?? false), "pyramid layout does not match the first layer")
            workers = min(WorkerTeam.processorCount, 8)
            let partsPerWorker = workers > 1 ? MaskedNetwork.partsPerWorkerOfTeam : 1
            var grids = [(h: geometry.rows, w: geometry.columns)]
            for layer in convs { grids.append((layer.outputCount(grids.last!.h), layer.outputCount(grids.last!.w))) }
            var geometries = [geometry]
            var counts = [0, 0]
            var taps = 0, cols = 1, prod = 1
            var layers: [Layer] = []
            for (i, layer) in convs.enumerated() {
                let g = PlaneGeometry(bounding: masks[i + 1], phased: i + 1 < convs.count && readsPhasePlanes(how[i + 1]))
                geometries.append(g)
                counts[i % 2] = max(counts[i % 2], layer.outChannels * g.count)
                let spans = masks[i + 1].spans
                var total = 0
                for s in spans { total += s.x1 - s.x0 }
                let parts = max(1, min(workers * partsPerWorker, total / minimumCellsPerWorker))
                var pieces: [[CellSpan]] = [], chunks: [Batches<CellSpan>] = [], tiles: [Batches<TileRun>] = []
                var tapColumns: [Range<Int>] = [], tapStride = 0
                // Multiply-adds performed: Winograd's GEMMs per tile, the tap GEMM per stored input cell.
                let macs: Int
                switch how[i] {
                case .winograd:
                    let wino = layer.winograd!
                    tiles = tileRuns(spans, size: 2, parts: parts).map(Winograd5x5.batches)
                    macs = tiles.reduce(0) { $0 + $1.items } * 36 * layer.inChannels * layer.outChannels
                    cols = max(cols, wino.scratchCount)
                case .phasedWinograd:
                    let wino = layer.phasedWinograd!
                    tiles = tileRuns(spans, size: PhasedWinograd.tileSize, parts: parts).map(wino.batches)
                    macs = tiles.reduce(0) { $0 + $1.items } * 36 * 4 * layer.inChannels * layer.outChannels
                    cols = max(cols, wino.scratchCount)
                case .taps:
                    pieces = split(spans, parts: parts)
                    let cells = geometries[i].count, k2 = layer.kernel * layer.kernel
                    tapStride = (cells + 15) & ~15
                    tapColumns = tapSplit(cells, parts: max(1, min(workers * partsPerWorker, cells / minimumTapCellsPerWorker)))
                    taps = max(taps, k2 * tapStride)
                    for c in tapColumns {
                        // A padded GEMM reads its input from a zero-padded copy in the worker's scratch.
                        let ld = GEMMShape.paddedColumns(c.count, rows: k2, depth: layer.inChannels)
                        if ld > c.count { cols = max(cols, layer.inChannels * ld) }
                    }
                    cols = max(cols, grids[i + 1].w)  // one row of sums
                    macs = cells * k2 * layer.inChannels
                case .im2col, .phased:
                    let chunk = chunkCells(patch: layer.patchSize, outChannels: layer.outChannels)
                    chunks = split(spans, parts: parts).map { piece in
                        Batches(piece, limit: chunk, length: { $0.x1 - $0.x0 }) { s, offset, count in
                            (s.y, s.x0 + offset, s.x0 + offset + count)
                        }
                    }
                    // A chunk's GEMM may be padded to a multiple of 16 columns.
                    cols = max(cols, layer.patchSize * (chunk + 15))
                    prod = max(prod, layer.outChannels * (chunk + 15))
                    macs = total * layer.patchSize * layer.outChannels
                }
                layers.append(Layer(method: how[i], grid: grids[i], outGrid: grids[i + 1], input: geometries[i],
                                    output: g, pieces: pieces, chunks: chunks, tiles: tiles, tapColumns: tapColumns,
                                    tapStride: tapStride, multiplyAdds: macs))
            }
            self.layers = layers
            mapCounts = (counts[0], counts[1])
            tapCount = taps
            colsPer = cols
            prodPer = prod
        }
    }

    /// Runs every layer of `plan` and hands `body` the score-map plane (stored as `plan.scoreGeometry`, only
    /// the cells of the score mask defined); nil when the scratch memory cannot be had.
    /// `input` holds the 3 planes of the tiled pyramid in the plan's pyramid geometry.
    static func run<R>(_ convs: [MMODConvolution], plan: Plan, input: UnsafePointer<Float>, scratch: DetectorScratch,
                       _ body: (UnsafePointer<Float>) -> R) -> R? {
        BLASThreads.withSingleThread { runLayers(convs, plan: plan, input: input, scratch: scratch, body) }
    }

    private static func runLayers<R>(_ convs: [MMODConvolution], plan: Plan, input: UnsafePointer<Float>,
                                     scratch: DetectorScratch, _ body: (UnsafePointer<Float>) -> R) -> R? {
        let team = scratch.team
        let workers = max(plan.workers, team.size)
        guard let mapA = scratch.block(.mapA, count: plan.mapCounts.a + readSlack),
              let mapB = scratch.block(.mapB, count: plan.mapCounts.b + readSlack),
              let products = scratch.block(.taps, count: plan.tapCount),
              let perWorker = scratch.block(.workers, count: workers * (plan.colsPer + plan.prodPer)) else { return nil }
        team.run(Pass(convs: convs, plan: plan, input: UnsafeMutablePointer(mutating: input), mapA: mapA, mapB: mapB,
                      products: products, perWorker: perWorker))
        let scores = convs.isEmpty ? UnsafeMutablePointer(mutating: input) : (convs.count % 2 == 1 ? mapA : mapB)
        return body(UnsafePointer(scores))
    }

    /// One pass through the layers: a single region of the scratch's ``WorkerTeam``. Each thread computes the
    /// parts of a layer it claims (``TeamContext/shared(_:)``; the plan has a few parts per worker), then waits
    /// at the barrier until the layer's map is complete before the next layer reads it. Maps alternate
    /// between `mapA` (even layers' outputs) and `mapB`.
    private struct Pass: TeamWork {
        let convs: [MMODConvolution]
        let plan: Plan
        let input, mapA, mapB, products, perWorker: UnsafeMutablePointer<Float>

        func run(_ context: TeamContext) {
            let me = context.part.index
            let cols = perWorker + me * (plan.colsPer + plan.prodPer), prod = cols + plan.colsPer
            var current = input
            for (index, layer) in convs.enumerated() {
                if index > 0 { context.sync() }
                let step = plan.layers[index]
                let next = index % 2 == 0 ? mapA : mapB
                let inMap = FeatureMap(base: current, grid: step.grid, geometry: step.input)
                let outMap = FeatureMap(base: next, grid: step.outGrid, geometry: step.output)
                switch step.method {
                case .winograd:
                    for p in context.shared(step.tiles.count) {
                        layer.winograd!.forward(step.tiles[p], input: inMap, output: outMap, scratch: cols)
                    }
                case .phasedWinograd:
                    for p in context.shared(step.tiles.count) {
                        layer.phasedWinograd!.forward(step.tiles[p], input: inMap, output: outMap, scratch: cols)
                    }
                case .taps:
                    // Every tap's product at every stored input cell, then each cell's sum of its taps.
                    for p in context.shared(step.tapColumns.count) {
                        tapProducts(layer, input: current, cells: step.input.count, columns: step.tapColumns[p],
                                    stride: step.tapStride, into: products, scratch: cols)
                    }
                    context.sync()
                    for p in context.shared(step.pieces.count) {
                        sumTaps(layer, step.pieces[p], products: products, stride: step.tapStride, input: inMap,
                                output: outMap, scratch: cols)
                    }
                case .im2col, .phased:
                    for p in context.shared(step.chunks.count) {
                        gemm(layer, step.chunks[p], phased: step.method == .phased, input: inMap, cols: cols,
                             prod: prod, output: outMap)
                    }
                }
                current = next
            }
        }
    }

    /// Splits runs of `lengths[r]` items, in order, into `parts` contiguous pieces of (nearly) equal size;
    /// calls `take(piece, run, offset, count)` for every share of a run a piece gets.
    static func share(_ lengths: [Int], parts: Int, _ take: (Int, Int, Int, Int) -> Void) {
        let total = lengths.reduce(0, +)
        var piece = 0, filled = 0
        for (run, length) in lengths.enumerated() {
            var offset = 0
            while offset < length {
                let quota = (total * (piece + 1)) / parts - filled
                if quota <= 0 && piece < parts - 1 { piece += 1; continue }
                let count = piece == parts - 1 ? length - offset : min(length - offset, quota)
                take(piece, run, offset, count)
                filled += count
                offset += count
            }
        }
    }

    /// Splits the row-major runs of cells into `parts` contiguous pieces of (nearly) equal size.
    static func split(_ spans: [CellSpan], parts: Int) -> [[CellSpan]] {
        var pieces: [[CellSpan]] = Array(repeating: [], count: parts)
        share(spans.map { $0.x1 - $0.x0 }, parts: parts) { piece, run, offset, count in
            let s = spans[run]
            pieces[piece].append((s.y, s.x0 + offset, s.x0 + offset + count))
        }
        return pieces
    }

    /// The `size × size` tiles of a block-aligned mask (the spans of its rows `y` with `y % size == 0`), split
    /// into `parts` pieces of (nearly) equal tile count.
    static func tileRuns(_ spans: [CellSpan], size: Int, parts: Int) -> [[TileRun]] {
        let rows = spans.filter { $0.y % size == 0 }
        var pieces: [[TileRun]] = Array(repeating: [], count: parts)
        share(rows.map { ($0.x1 - $0.x0 + size - 1) / size }, parts: parts) { piece, run, offset, count in
            pieces[piece].append(.init(y: rows[run].y, x0: rows[run].x0 + size * offset, count: count))
        }
        return pieces
    }

    /// `0 ..< cells` in `parts` contiguous ranges of (nearly) equal size whose inner bounds are multiples of 16.
    static func tapSplit(_ cells: Int, parts: Int) -> [Range<Int>] {
        let bound = { (p: Int) in p == parts ? cells : (cells * p / parts) & ~15 }
        return (0..<parts).map { bound($0)..<bound($0 + 1) }
    }

    /// im2col, `cblas_sgemm` and scatter over the chunks of `work`. A chunk of `n` cells is laid out with
    /// ``GEMMShape/paddedColumns(_:rows:depth:)`` columns (the padding zero, its products unused).
    private static func gemm(_ layer: MMODConvolution, _ work: Batches<CellSpan>, phased: Bool, input: FeatureMap,
                             cols: UnsafeMutablePointer<Float>, prod: UnsafeMutablePointer<Float>, output: FeatureMap) {
        let k = layer.patchSize, m = layer.outChannels
        work.runs.withUnsafeBufferPointer { runs in
            layer.weights.withUnsafeBufferPointer { wts in
                for batch in work.batches {
                    let segments = UnsafeBufferPointer(rebasing: runs[batch.runs])
                    let n = batch.items, ld = GEMMShape.paddedColumns(n, rows: m, depth: k)
                    if phased {
                        im2colPhased(layer, input, segments: segments, n: n, ld: ld, into: cols)
                    } else {
                        im2col(layer, input, segments: segments, n: n, ld: ld, into: cols)
                    }
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(ld), Int32(k), 1,
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
    private static func im2colPhased(_ layer: MMODConvolution, _ input: FeatureMap, segments: UnsafeBufferPointer<CellSpan>,
                                     n: Int, ld: Int, into dst: UnsafeMutablePointer<Float>) {
        let kk = layer.kernel, g = input.geometry
        var d = dst
        for ci in 0..<layer.inChannels {
            let plane = input.base + ci * g.count
            for ky in 0..<kk {
                for kx in 0..<kk {
                    for seg in segments {
                        let count = seg.x1 - seg.x0
                        d.update(from: plane + g.rowOffset(2 * seg.y + ky) + g.columnOffset(2 * seg.x0 + kx), count: count)
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

    /// `products[t][c] = Σ_ci w[ci][t] · input[ci][c]` for every tap `t` and stored input cell `c` in
    /// `columns` (row-major input, `cells` floats per channel plane; products `stride` floats per tap plane).
    /// A GEMM that ``GEMMShape`` pads reads a zero-padded copy of its input columns from `scratch` and writes
    /// its padding columns past `columns` — within the plane stride, whose inner column bounds are multiples of 16.
    private static func tapProducts(_ layer: MMODConvolution, input: UnsafePointer<Float>, cells: Int,
                                    columns: Range<Int>, stride: Int, into products: UnsafeMutablePointer<Float>,
                                    scratch: UnsafeMutablePointer<Float>) {
        guard !columns.isEmpty, let w = layer.tapWeights else { return }
        let taps = layer.kernel * layer.kernel, cin = layer.inChannels, n = columns.count
        let ld = GEMMShape.paddedColumns(n, rows: taps, depth: cin)
        var b = input + columns.lowerBound, ldb = cells
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
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(taps), Int32(ld), Int32(cin),
                        1, wt.baseAddress!, Int32(cin), b, Int32(ldb), 0, products + columns.lowerBound, Int32(stride))
        }
    }

    /// Each output cell of a one-output-channel, stride-1 layer: the bias plus its taps' products (taps that
    /// fall outside the grid read zero), a row of cells at a time in SIMD registers.
    private static func sumTaps(_ layer: MMODConvolution, _ spans: [CellSpan], products: UnsafePointer<Float>,
                                stride plane: Int, input: FeatureMap, output: FeatureMap,
                                scratch acc: UnsafeMutablePointer<Float>) {
        let kk = layer.kernel, p = layer.pad, g = input.geometry, h = input.grid.h, w = input.grid.w
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
                    let lo = max(s.x0, p - kx), hi = min(s.x1, w + p - kx)
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
                    while i < hi - lo { dst[i] += src[i]; i += 1 }
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

    /// General im2col over row-major input (zero outside the grid); rows `ld` floats apart, `n` cells and
    /// then `ld − n` zeros.
    @inline(__always)
    private static func im2col(_ layer: MMODConvolution, _ input: FeatureMap, segments: UnsafeBufferPointer<CellSpan>,
                               n: Int, ld: Int, into dst: UnsafeMutablePointer<Float>) {
        precondition(!input.geometry.phased)
        let s = layer.stride, p = layer.pad, kk = layer.kernel, h = input.grid.h, w = input.grid.w
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
                    if ld > n { d.update(repeating: 0, count: ld - n) }
                }
            }
        }
    }

    /// Adds the bias (and ReLU) to the GEMM products (`ld` floats per output channel) and writes them to their
    /// cells — row-major, or as phase planes for a stride-2 next layer (even columns to one plane, odd to the other).
    @inline(__always)
    private static func scatter(_ layer: MMODConvolution, _ prod: UnsafePointer<Float>, ld: Int,
                                segments: UnsafeBufferPointer<CellSpan>, into output: FeatureMap) {
        let g = output.geometry, relu = layer.relu, zero = SIMD16<Float>()
        for co in 0..<layer.outChannels {
            let b = layer.bias[co], bv = SIMD16<Float>(repeating: b)
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
