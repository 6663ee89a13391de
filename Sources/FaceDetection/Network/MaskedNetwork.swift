import Foundation
import NeuralCore

/// A run of cells on one grid row: row `y`, columns `x0 ..< x1`.
typealias CellSpan = (y: Int, x0: Int, x1: Int)

/// Runs the MMOD convolutions, computing only masked cells.
///
/// Each layer is computed the cheapest way its shape allows (its ``LayerWork``), each equal to the direct
/// convolution up to float rounding:
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

    /// The work of every layer: its ``MMODConvolution/preferredWork``, except that a stride-2 unpadded layer
    /// reads phase planes only when it is the first layer (the pyramid is built as phase planes) or follows a
    /// layer that can write them; otherwise it is computed with ``LayerWork/im2col``.
    static func work(for layers: [MMODConvolution]) -> [LayerWork] {
        var out: [LayerWork] = []
        for layer in layers {
            let work = layer.preferredWork
            out.append(work.readsPhasePlanes && !(out.last?.writesPhasePlanes ?? true) ? .im2col : work)
        }
        return out
    }

    /// The needed-cell mask of every layer's input grid, from the score-map cells wanted: `masks[i]` for layer
    /// `i`'s input, `masks[layers.count]` the score map's. Each is the union of what the next layer's computation
    /// reads for its needed cells — its Winograd outputs widened to whole tiles (2×2 for ``Winograd5x5``, 4×4 for
    /// ``PhasedWinograd``, whose tiles read one cell past the kernel's reach).
    /// - Parameter grids: every layer's input grid, then the score map's.
    static func masks(for layers: [MMODConvolution], scoreMask: CellMask, grids: [(h: Int, w: Int)]) -> [CellMask] {
        let how = work(for: layers)
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
            masks.insert(
                masks[0].dilated(
                    stride: layer.stride, pad: layer.pad, reach: reach, inputRows: grids[i].h,
                    inputColumns: grids[i].w), at: 0)
        }
        return masks
    }

    /// Runs every layer of `plan` and hands `body` the score-map plane (stored as `plan.scoreGeometry`, only
    /// the cells of the score mask defined); nil when the scratch memory cannot be had.
    /// `input` holds the 3 planes of the tiled pyramid in the plan's pyramid geometry.
    static func run<R>(
        _ convs: [MMODConvolution], plan: Plan, input: UnsafePointer<Float>, scratch: DetectorScratch,
        _ body: (UnsafePointer<Float>) -> R
    ) -> R? {
        BLASThreads.withSingleThread { runLayers(convs, plan: plan, input: input, scratch: scratch, body) }
    }

    private static func runLayers<R>(
        _ convs: [MMODConvolution], plan: Plan, input: UnsafePointer<Float>,
        scratch: DetectorScratch, _ body: (UnsafePointer<Float>) -> R
    ) -> R? {
        let team = scratch.team
        let workers = max(plan.workers, team.size)
        guard let mapA = scratch.block(.mapA, count: plan.mapCounts.a + readSlack),
            let mapB = scratch.block(.mapB, count: plan.mapCounts.b + readSlack),
            let products = scratch.block(.taps, count: plan.tapCount),
            let perWorker = scratch.block(.workers, count: workers * (plan.colsPer + plan.prodPer))
        else { return nil }
        team.run(
            Pass(
                convs: convs, plan: plan, input: UnsafeMutablePointer(mutating: input), mapA: mapA, mapB: mapB,
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
            let cols = perWorker + me * (plan.colsPer + plan.prodPer)
            let prod = cols + plan.colsPer
            var current = input
            for (index, layer) in convs.enumerated() {
                if index > 0 { context.sync() }
                let step = plan.layers[index]
                let next = index % 2 == 0 ? mapA : mapB
                let inMap = FeatureMap(base: current, grid: step.grid, geometry: step.input)
                let outMap = FeatureMap(base: next, grid: step.outGrid, geometry: step.output)
                switch step.work {
                case .winograd(let wino):
                    for p in context.shared(step.tiles.count) {
                        wino.forward(step.tiles[p], input: inMap, output: outMap, scratch: cols)
                    }
                case .phasedWinograd(let wino):
                    for p in context.shared(step.tiles.count) {
                        wino.forward(step.tiles[p], input: inMap, output: outMap, scratch: cols)
                    }
                case .taps(let weights):
                    // Every tap's product at every stored input cell, then each cell's sum of its taps.
                    for p in context.shared(step.tapColumns.count) {
                        tapProducts(
                            layer, weights: weights, input: current, cells: step.input.count,
                            columns: step.tapColumns[p], stride: step.tapStride, into: products, scratch: cols)
                    }
                    context.sync()
                    for p in context.shared(step.pieces.count) {
                        sumTaps(
                            layer, step.pieces[p], products: products, stride: step.tapStride, input: inMap,
                            output: outMap, scratch: cols)
                    }
                case .im2col, .phased:
                    for p in context.shared(step.chunks.count) {
                        gemm(
                            layer, step.chunks[p], phased: step.work.readsPhasePlanes, input: inMap, cols: cols,
                            prod: prod, output: outMap)
                    }
                }
                current = next
            }
        }
    }
}
