/// GEMM shapes chosen for OpenBLAS's small-matrix kernel: no packing copy, and no allocation.
///
/// OpenBLAS (0.3.21, Skylake-X/Cooper Lake kernels) computes an SGEMM with `M·N·K ≤ 10⁶` in a small-matrix
/// kernel that reads `A` and `B` where they are. A larger product takes the blocked path, which first copies
/// both operands into packed panels: for the shapes of these networks — a few output channels over many
/// im2col columns, or many weights over a few columns of a small map — that copy is a second pass over the
/// largest operand and costs about as much as the multiply-adds. So the networks cut such a GEMM into blocks
/// of the small kernel's size (``blocks(rows:columns:depth:byColumns:)``).
///
/// The small kernel `malloc`s a buffer on every call whose column-major `M` — the row-major column count `N`
/// of `C` here — leaves a remainder of 1…8 modulo 16 (measured; remainders 0 and 9…15 do not allocate). Callers
/// therefore run it on column counts rounded up to a multiple of 16 (``paddedColumns(_:rows:depth:)``, the
/// padding columns zero and their products ignored), or on blocks whose column count does not leave such a
/// remainder. A column of `C` depends only on the same column of `B`, so the real columns stay the same dot
/// products; OpenBLAS may compute them with a different kernel width, which can change their last bit (float
/// rounding, as any other choice of GEMM shape).
package enum GEMMShape {
    /// The small-matrix kernel's limit on `M·N·K`.
    package static let smallKernelLimit = 1_000_000
    /// Fewest columns per block when a GEMM is cut by columns.
    package static let minimumBlockColumns = 64
    /// Fewest rows per block when a GEMM is cut by rows.
    package static let minimumBlockRows = 8

    /// The column count to run an `m × k · k × n` row-major SGEMM with: `n` rounded up to a multiple of 16
    /// when OpenBLAS would take its small-matrix kernel, else `n`.
    @inline(__always)
    package static func paddedColumns(_ n: Int, rows m: Int, depth k: Int) -> Int {
        m * n * k <= smallKernelLimit ? (n + 15) & ~15 : n
    }

    /// The widest column block (a multiple of 16) an `m`-row GEMM of depth `k` can have within the small
    /// kernel's limit; nil when that is narrower than ``minimumBlockColumns``.
    @inline(__always)
    package static func smallBlockColumns(rows m: Int, depth k: Int) -> Int? {
        let width = (smallKernelLimit / (m * k)) & ~15
        return width >= minimumBlockColumns ? width : nil
    }

    /// The distance, in floats, between consecutive matrices of a batch of GEMM operands that are `count` floats
    /// each: `count` plus one or two blocks of 16, so that it is an odd number of 64-byte lines.
    ///
    /// The Winograd transforms read or write all the matrices of a batch at once (16 or 36 streams); at a distance
    /// that is a multiple of 4 KiB (64 channels × 96 tiles, 128 channels × 72 tiles) the streams fall into the same
    /// L1 sets and evict each other (measured: a 64-channel F(2×2, 3×3) layer of the ResNet 0.153 → 0.128 ms).
    @inline(__always)
    package static func matrixStride(_ count: Int) -> Int {
        count + ((count / 16) & 1 == 0 ? 16 : 32)
    }

    /// Whether the small kernel allocates for a row-major column count `n`.
    @inline(__always)
    package static func allocates(columns n: Int) -> Bool {
        let r = n & 15
        return r >= 1 && r <= 8
    }

    /// The blocks to compute `C[rows, columns] = A[rows, :] · B[:, columns]` (`depth` = K) with, in order.
    ///
    /// A GEMM within the small kernel's limit is one block. A larger one is cut along `columns` (when
    /// `byColumns`) into blocks of an equal multiple of 16 columns — the last block ends at the last column and
    /// may overlap the one before, which it then recomputes — or along `rows` into blocks of equal height; it
    /// stays whole when the blocks would be narrower than ``minimumBlockColumns`` or lower than
    /// ``minimumBlockRows`` (too little work per call), or when row blocks would have an allocating column count.
    package static func blocks(rows: Range<Int>, columns: Range<Int>, depth: Int, byColumns: Bool) -> Blocks {
        var step = 0
        if rows.count * columns.count * depth > smallKernelLimit {
            if byColumns {
                if let width = smallBlockColumns(rows: rows.count, depth: depth), width < columns.count { step = width }
            } else {
                let height = smallKernelLimit / (columns.count * depth)
                if height >= minimumBlockRows && height < rows.count && !allocates(columns: columns.count) {
                    step = height
                }
            }
        }
        return Blocks(rows: rows, columns: columns, step: step, byColumns: byColumns)
    }

    /// `columns` cut so that no piece makes OpenBLAS's small kernel allocate, for an `m`-row GEMM of depth `k`.
    ///
    /// A GEMM the small kernel does not take (``smallKernelLimit``), or whose column count does not allocate
    /// (``allocates(columns:)``), stays whole. Otherwise the columns are cut at 9 (remainders 2…8 modulo 16 leave
    /// `n − 9` with a remainder of 9…15) or at 9 and 18 (remainder 1 leaves `n − 18` ≡ 15): every piece's count
    /// then has a remainder of 0 or 9…15. Fewer columns than that (17 and under, or 32 and under with remainder 1)
    /// stay whole. A column of `C` depends only on the same column of `B`, so the pieces give the same dot products.
    @inline(__always)
    package static func columnPieces(_ columns: Range<Int>, rows m: Int, depth k: Int) -> ColumnPieces {
        let n = columns.count
        let r = n & 15
        guard m * n * k <= smallKernelLimit, allocates(columns: n) else { return ColumnPieces(columns, cuts: 0) }
        if r >= 2 && n >= 18 { return ColumnPieces(columns, cuts: 1) }
        if r == 1 && n >= 33 { return ColumnPieces(columns, cuts: 2) }
        return ColumnPieces(columns, cuts: 0)
    }

    /// The pieces of ``columnPieces(_:rows:depth:)``: the first `cuts` pieces are 9 columns wide, the last takes the
    /// rest (iterating allocates nothing).
    package struct ColumnPieces: Sequence, IteratorProtocol {
        private let columns: Range<Int>
        private var cutsLeft: Int
        private var start: Int

        init(_ columns: Range<Int>, cuts: Int) {
            self.columns = columns
            cutsLeft = cuts
            start = columns.lowerBound
        }

        package mutating func next() -> Range<Int>? {
            guard start < columns.upperBound else { return nil }
            let end = cutsLeft > 0 ? start + 9 : columns.upperBound
            cutsLeft -= 1
            defer { start = end }
            return start..<end
        }
    }

    /// The blocks of one GEMM (a sequence of `(rows, columns)` ranges; iterating allocates nothing).
    package struct Blocks: Sequence, IteratorProtocol {
        let rows: Range<Int>, columns: Range<Int>
        /// Columns (or rows) per block; 0 for one block.
        let step: Int
        let byColumns: Bool
        private var start: Int
        private var done = false

        init(rows: Range<Int>, columns: Range<Int>, step: Int, byColumns: Bool) {
            self.rows = rows
            self.columns = columns
            self.step = step
            self.byColumns = byColumns
            start = byColumns ? columns.lowerBound : rows.lowerBound
        }

        package mutating func next() -> (rows: Range<Int>, columns: Range<Int>)? {
            if done { return nil }
            if step == 0 {
                done = true
                return (rows, columns)
            }
            if byColumns {
                var lo = start
                if lo + step >= columns.upperBound {
                    lo = columns.upperBound - step
                    done = true
                }
                start = lo + step
                return (rows, lo..<(lo + step))
            }
            let lo = start
            let hi = Swift.min(rows.upperBound, lo + step)
            if hi == rows.upperBound { done = true }
            start = hi
            return (lo..<hi, columns)
        }
    }
}
