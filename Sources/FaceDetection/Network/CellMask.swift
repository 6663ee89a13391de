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
        self.rows = rows
        self.columns = columns
        mask = [UInt8](repeating: 0, count: rows * columns)
    }

    /// Marks the cells of `[x0, x1) × [y0, y1)` (clipped to the grid).
    mutating func mark(x0: Int, x1: Int, y0: Int, y1: Int) {
        let a = max(0, x0)
        let b = min(columns, x1)
        let c = max(0, y0)
        let d = min(rows, y1)
        guard a < b, c < d else { return }
        mask.withUnsafeMutableBufferPointer { m in
            for y in c..<d { (m.baseAddress! + y * columns + a).update(repeating: 1, count: b - a) }
        }
    }

    /// The mask with every `size × size` block (rows `size·i …< size·(i + 1)`, likewise columns) that holds a
    /// marked cell marked whole (clipped to the grid): the output cells of a Winograd F(m×m) layer are computed
    /// a block of `m × m` at a time.
    func alignedToBlocks(size: Int = 2) -> CellMask {
        var out = CellMask(rows: rows, columns: columns)
        for s in spans {
            let y0 = s.y - s.y % size
            out.mark(x0: s.x0 - s.x0 % size, x1: (s.x1 + size - 1) / size * size, y0: y0, y1: y0 + size)
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
                    if row[x] == 0 {
                        x += 1
                        continue
                    }
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

    /// The input cells read for these output cells by a computation with the given stride and padding that reads
    /// `reach` cells along each axis from each output cell's first (the kernel size, or one more for
    /// ``PhasedWinograd``'s tiles).
    func dilated(stride: Int, pad: Int, reach: Int, inputRows: Int, inputColumns: Int) -> CellMask {
        var m = CellMask(rows: inputRows, columns: inputColumns)
        for s in spans {
            let y0 = s.y * stride - pad
            let x0 = s.x0 * stride - pad
            let x1 = (s.x1 - 1) * stride - pad + reach
            m.mark(x0: x0, x1: x1, y0: y0, y1: y0 + reach)
        }
        return m
    }
}
