/// Where the cells of one channel plane of a feature-map grid live in memory.
///
/// A plane stores the cells of a rectangle of its grid — rows `y0 ..< y0 + rows`, columns
/// `x0 ..< x0 + columns` (the whole grid for the pyramid, the bounding box of the computed cells for a layer's
/// output, so a map holds no pages of cells nobody computes) — either row-major or split into four phase
/// planes (even/odd rows × even/odd columns of the grid, each `⌈rows/2⌉ × ⌈columns/2⌉`), the layout a
/// stride-2 convolution reads with one copy per im2col row. A phased plane starts at an even row and column,
/// so a cell's phase is the parity of its grid coordinates.
struct PlaneGeometry: Sendable, Equatable {
    let y0: Int
    let x0: Int
    let rows: Int
    let columns: Int
    let phased: Bool

    /// The whole `rows × columns` grid.
    init(rows: Int, columns: Int, phased: Bool = false) {
        self.init(y0: 0, x0: 0, rows: rows, columns: columns, phased: phased)
    }

    init(y0: Int, x0: Int, rows: Int, columns: Int, phased: Bool) {
        precondition(!phased || (y0 & 1 == 0 && x0 & 1 == 0), "a phased plane starts at an even cell")
        self.y0 = y0
        self.x0 = x0
        self.rows = max(0, rows)
        self.columns = max(0, columns)
        self.phased = phased
    }

    /// The bounding box of `mask`'s cells (widened to even origins when `phased`).
    init(bounding mask: CellMask, phased: Bool) {
        var top = Int.max
        var bottom = -1
        var left = Int.max
        var right = -1
        for s in mask.spans {
            top = min(top, s.y)
            bottom = max(bottom, s.y)
            left = min(left, s.x0)
            right = max(right, s.x1 - 1)
        }
        guard bottom >= 0 else {
            self.init(y0: 0, x0: 0, rows: 0, columns: 0, phased: phased)
            return
        }
        if phased {
            top &= ~1
            left &= ~1
        }
        self.init(y0: top, x0: left, rows: bottom - top + 1, columns: right - left + 1, phased: phased)
    }

    var phaseRows: Int { (rows + 1) / 2 }
    var phaseColumns: Int { (columns + 1) / 2 }
    /// Floats per channel plane.
    var count: Int { phased ? 4 * phaseRows * phaseColumns : rows * columns }

    /// Offset of grid row `y` (its stored cell at column `x0`, or the phase row's start when phased).
    @inline(__always) func rowOffset(_ y: Int) -> Int {
        phased ? (y & 1) * 2 * phaseRows * phaseColumns + ((y - y0) >> 1) * phaseColumns : (y - y0) * columns
    }

    /// Offset of grid column `x` from its row's ``rowOffset(_:)``. Row-major: `x − x0`, so consecutive
    /// columns are consecutive floats; phased: consecutive columns of one parity are.
    @inline(__always) func columnOffset(_ x: Int) -> Int {
        phased ? (x & 1) * phaseRows * phaseColumns + ((x - x0) >> 1) : x - x0
    }
}

/// A feature map as the kernels read and write it: the channel planes at `base`, each stored in `geometry`,
/// of a `grid.h × grid.w` grid (cells outside the grid read zero; cells outside the stored box are never
/// needed).
struct FeatureMap {
    let base: UnsafeMutablePointer<Float>
    let grid: (h: Int, w: Int)
    let geometry: PlaneGeometry

    /// The start of grid row `y` of `channel` (indexed by ``PlaneGeometry/columnOffset(_:)``).
    @inline(__always) func row(channel: Int, y: Int) -> UnsafeMutablePointer<Float> {
        base + channel * geometry.count + geometry.rowOffset(y)
    }

    /// Cells `(y, x …< x + count)` of a row-major map as consecutive floats, zero outside the grid and the stored
    /// box; nil when row `y` holds no stored cell. When the first `needed` (≤ `count`) are all stored cells of the
    /// grid, the map itself — the rest of the `count` floats are then whatever follows them in the map (or up to
    /// ``MaskedNetwork/readSlack`` floats past its end), for vector loads whose extra lanes are not used; else
    /// all `count` are copied into `scratch`.
    @inline(__always)
    func row(
        channel: Int, y: Int, from x: Int, count: Int, needed: Int,
        scratch dst: UnsafeMutablePointer<Float>
    ) -> UnsafePointer<Float>? {
        let g = geometry
        precondition(!g.phased && needed <= count)
        guard y >= max(0, g.y0), y < min(grid.h, g.y0 + g.rows) else { return nil }
        let left = max(0, g.x0)
        let right = min(grid.w, g.x0 + g.columns)
        let source = row(channel: channel, y: y) + (x - g.x0)
        if x >= left && x + needed <= right { return UnsafePointer(source) }
        let lo = min(count, max(0, left - x))
        let hi = max(lo, min(count, right - x))
        if lo > 0 { dst.update(repeating: 0, count: lo) }
        if hi > lo { (dst + lo).update(from: source + lo, count: hi - lo) }
        if hi < count { (dst + hi).update(repeating: 0, count: count - hi) }
        return UnsafePointer(dst)
    }

    /// Cells `(y, 2·(c + i) + parity)`, `i < count`, of a phase-plane map — one parity's columns, from phase
    /// column `c` — as consecutive floats, zero outside the grid and the stored box; nil when row `y` holds no
    /// stored cell. When the first `needed` are all stored cells of the grid, the map itself (the rest as in
    /// ``row(channel:y:from:count:needed:scratch:)``); else all `count` are copied into `scratch`.
    @inline(__always)
    func phaseRow(
        channel: Int, y: Int, parity: Int, from c: Int, count: Int, needed: Int,
        scratch dst: UnsafeMutablePointer<Float>
    ) -> UnsafePointer<Float>? {
        precondition(needed <= count)
        guard let valid = storedPhaseColumns(y: y, parity: parity) else { return nil }
        let source = row(channel: channel, y: y) + geometry.columnOffset(2 * c + parity)
        if c >= valid.lowerBound && c + needed <= valid.upperBound { return UnsafePointer(source) }
        copy(source, valid: valid, from: c, count: count, into: dst)
        return UnsafePointer(dst)
    }

    /// The phase columns `p` of row `y` whose cells `(y, 2p + parity)` are stored cells of the grid; nil when the
    /// row holds none.
    @inline(__always)
    private func storedPhaseColumns(y: Int, parity: Int) -> Range<Int>? {
        let g = geometry
        precondition(g.phased)
        guard y >= max(0, g.y0), y < min(grid.h, g.y0 + g.rows) else { return nil }
        let left = max(0, g.x0)
        let right = min(grid.w, g.x0 + g.columns)
        let first = (left - parity + 1) >> 1
        let end = max(first, (right - parity + 1) >> 1)
        return first..<end
    }

    /// Copies `count` floats from `source` (phase column `c`) into `dst`, zero outside the `valid` columns.
    @inline(__always)
    private func copy(
        _ source: UnsafeMutablePointer<Float>, valid: Range<Int>, from c: Int, count: Int,
        into dst: UnsafeMutablePointer<Float>
    ) {
        let lo = min(count, max(0, valid.lowerBound - c))
        let hi = max(lo, min(count, valid.upperBound - c))
        if lo > 0 { dst.update(repeating: 0, count: lo) }
        if hi > lo { (dst + lo).update(from: source + lo, count: hi - lo) }
        if hi < count { (dst + hi).update(repeating: 0, count: count - hi) }
    }
}
