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
        var runs: [Run] = [], batches: [(runs: Range<Int>, items: Int)] = []
        var start = 0, items = 0
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

/// GEMM shapes that keep OpenBLAS off its allocating path.
///
/// OpenBLAS (0.3.21, Skylake-X/Cooper Lake kernels) computes an SGEMM with `M·N·K ≤ 10⁶` in its small-matrix
/// kernel, which `malloc`s a buffer on every call whose column-major `M` — the row-major column count `N` of
/// `C` here — leaves a remainder of 1…8 modulo 16 (measured; remainders 0 and 9…15 do not allocate, larger
/// products take the blocked path, which does not allocate either). The detector runs such GEMMs on the last,
/// short chunk of a cell run, on Winograd's tile batches and on the tap products of small maps, so it pads
/// their column count to a multiple of 16: the padding columns hold zeros and their products are ignored.
/// A column of `C` depends only on the same column of `B`, so the real columns stay the same dot products;
/// OpenBLAS then computes the last few with its 16-wide kernel instead of its narrow remainder kernel, which
/// can change their last bit (float rounding, as any other choice of GEMM shape).
enum GEMMShape {
    /// The small-matrix kernel's limit on `M·N·K`.
    static let smallKernelLimit = 1_000_000

    /// The column count to run an `m × k · k × n` row-major SGEMM with: `n` rounded up to a multiple of 16
    /// when OpenBLAS would take its small-matrix kernel, else `n`.
    @inline(__always)
    static func paddedColumns(_ n: Int, rows m: Int, depth k: Int) -> Int {
        m * n * k <= smallKernelLimit ? (n + 15) & ~15 : n
    }
}
