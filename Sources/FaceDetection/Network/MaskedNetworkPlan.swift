import NeuralCore

extension MaskedNetwork {
    /// Everything about running the layers that depends only on the pyramid layout and the kept levels:
    /// grids, where each output is stored, block sizes, and each layer's work split between the workers and
    /// cut into GEMMs. Built once per frame size (``DetectionPlan``) and reused for every frame of that size.
    struct Plan: Sendable {
        /// One layer's share of the work.
        struct Layer: Sendable {
            /// How the layer is computed, with its prepared weights.
            let work: LayerWork
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
            let how = work(for: convs)
            precondition(
                geometry.phased == (how.first?.readsPhasePlanes ?? false),
                "pyramid layout does not match the first layer")
            workers = min(WorkerTeam.processorCount, 8)
            let partsPerWorker = workers > 1 ? MaskedNetwork.partsPerWorkerOfTeam : 1
            var grids = [(h: geometry.rows, w: geometry.columns)]
            for layer in convs { grids.append((layer.outputCount(grids.last!.h), layer.outputCount(grids.last!.w))) }
            var geometries = [geometry]
            var counts = [0, 0]
            var taps = 0
            var cols = 1
            var prod = 1
            var layers: [Layer] = []
            for (i, layer) in convs.enumerated() {
                let g = PlaneGeometry(
                    bounding: masks[i + 1], phased: i + 1 < convs.count && how[i + 1].readsPhasePlanes)
                geometries.append(g)
                counts[i % 2] = max(counts[i % 2], layer.outChannels * g.count)
                let spans = masks[i + 1].spans
                var total = 0
                for s in spans { total += s.x1 - s.x0 }
                let parts = max(1, min(workers * partsPerWorker, total / minimumCellsPerWorker))
                var pieces: [[CellSpan]] = []
                var chunks: [Batches<CellSpan>] = []
                var tiles: [Batches<TileRun>] = []
                var tapColumns: [Range<Int>] = []
                var tapStride = 0
                // Multiply-adds performed: Winograd's GEMMs per tile, the tap GEMM per stored input cell.
                let macs: Int
                switch how[i] {
                case .winograd(let wino):
                    tiles = tileRuns(spans, size: 2, parts: parts).map(Winograd5x5.batches)
                    macs = tiles.reduce(0) { $0 + $1.items } * 36 * layer.inChannels * layer.outChannels
                    cols = max(cols, wino.scratchCount)
                case .phasedWinograd(let wino):
                    tiles = tileRuns(spans, size: PhasedWinograd.tileSize, parts: parts).map(wino.batches)
                    macs = tiles.reduce(0) { $0 + $1.items } * 36 * 4 * layer.inChannels * layer.outChannels
                    cols = max(cols, wino.scratchCount)
                case .taps:
                    pieces = split(spans, parts: parts)
                    let cells = geometries[i].count
                    let k2 = layer.kernel * layer.kernel
                    tapStride = (cells + 15) & ~15
                    tapColumns = tapSplit(
                        cells, parts: max(1, min(workers * partsPerWorker, cells / minimumTapCellsPerWorker)))
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
                layers.append(
                    Layer(
                        work: how[i], grid: grids[i], outGrid: grids[i + 1], input: geometries[i],
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

    /// Splits runs of `lengths[r]` items, in order, into `parts` contiguous pieces of (nearly) equal size;
    /// calls `take(piece, run, offset, count)` for every share of a run a piece gets.
    static func share(_ lengths: [Int], parts: Int, _ take: (Int, Int, Int, Int) -> Void) {
        let total = lengths.reduce(0, +)
        var piece = 0
        var filled = 0
        for (run, length) in lengths.enumerated() {
            var offset = 0
            while offset < length {
                let quota = (total * (piece + 1)) / parts - filled
                if quota <= 0 && piece < parts - 1 {
                    piece += 1
                    continue
                }
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
}
