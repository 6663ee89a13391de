import Foundation

/// The cells of one feature-map grid that must be computed, as row spans `[x0, x1)` in row-major order.
///
/// The detector computes each layer only where a later layer needs it: the score map on the cells that
/// belong to the kept pyramid levels, and every earlier layer on the union of the receptive fields of
/// those cells. Inside that region the values are the full-tensor values (same taps, same zero padding at
/// the tensor border; up to float rounding where Winograd computes them), so skipping levels does not
/// change any kept score.
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
