/// Runs of work items (cells of a row, or Winograd tiles) cut into batches of at most `limit` items — one
/// GEMM each — where every batch is a range of whole runs (a run that crosses a batch boundary is cut in two).
///
/// Made once per frame size (``MaskedNetwork/Plan``), so that a detection iterates plain arrays instead of
/// gathering each batch's runs into a fresh array. Batches are filled greedily in run order, so the cut
/// depends only on the runs and the limit.
struct Batches<Run: Sendable>: Sendable {
    /// The runs, cut at batch boundaries.
    let runs: [Run]
    /// Each batch: the range of ``runs`` it covers and its item count.
    let batches: [(runs: Range<Int>, items: Int)]

    /// - Parameters:
    ///   - source: the runs, in order.
    ///   - limit: the most items per batch (> 0).
    ///   - length: the items of a run.
    ///   - cut: the part of a run from item `offset`, `count` items long.
    init(_ source: [Run], limit: Int, length: (Run) -> Int, cut: (Run, _ offset: Int, _ count: Int) -> Run) {
        precondition(limit > 0)
        var runs: [Run] = []
        var batches: [(runs: Range<Int>, items: Int)] = []
        var start = 0
        var items = 0
        for run in source {
            let total = length(run)
            var offset = 0
            while offset < total {
                let take = min(total - offset, limit - items)
                runs.append(take == total ? run : cut(run, offset, take))
                items += take
                offset += take
                if items == limit {
                    batches.append((start..<runs.count, items))
                    start = runs.count
                    items = 0
                }
            }
        }
        if items > 0 { batches.append((start..<runs.count, items)) }
        self.runs = runs
        self.batches = batches
    }

    /// Total items.
    var items: Int { batches.reduce(0) { $0 + $1.items } }
}

/// A run of square output tiles of a Winograd layer on one tile row: tile `j` of a run of `size × size` tiles
/// covers output cells `(y ..< y + size, x0 + size·j ..< x0 + size·(j + 1))`.
struct TileRun: Sendable {
    var y: Int, x0: Int, count: Int
}

extension Batches where Run == TileRun {
    /// Cuts runs of `size × size` tiles into GEMM batches of at most `limit` tiles.
    static func tiles(_ runs: [TileRun], size: Int, limit: Int) -> Batches<TileRun> {
        Batches(runs, limit: limit, length: \.count) { run, offset, count in
            TileRun(y: run.y, x0: run.x0 + size * offset, count: count)
        }
    }
}
