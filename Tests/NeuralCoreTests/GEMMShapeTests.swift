import Testing

@testable import NeuralCore

/// GEMMs cut into blocks of OpenBLAS's small-matrix kernel: the blocks cover the product exactly, each stays
/// within the kernel's limit without an allocating column count, and a convolution computed in blocks equals
/// the direct sum.
@Suite("GEMM blocks for the small-matrix kernel")
struct GEMMShapeTests {
    /// Checks the blocks of one GEMM and returns them.
    @discardableResult
    static func check(rows: Range<Int>, columns: Range<Int>, depth: Int, byColumns: Bool) -> [(
        rows: Range<Int>, columns: Range<Int>
    )] {
        let blocks = Array(GEMMShape.blocks(rows: rows, columns: columns, depth: depth, byColumns: byColumns))
        #expect(!blocks.isEmpty)
        // Every (row, column) of the product is in some block, and no block leaves the product.
        var covered = Set<Int>()
        for b in blocks {
            #expect(b.rows.clamped(to: rows) == b.rows && b.columns.clamped(to: columns) == b.columns)
            for r in b.rows { for c in b.columns { covered.insert(r * 1_000_000 + c) } }
        }
        #expect(covered.count == rows.count * columns.count)
        if blocks.count > 1 {
            for b in blocks {
                #expect(b.rows.count * b.columns.count * depth <= GEMMShape.smallKernelLimit)
                #expect(!GEMMShape.allocates(columns: b.columns.count))
                if byColumns {
                    #expect(b.columns.count % 16 == 0 && b.columns.count >= GEMMShape.minimumBlockColumns)
                } else if b.rows.upperBound < rows.upperBound {
                    #expect(b.rows.count == blocks[0].rows.count && b.rows.count >= GEMMShape.minimumBlockRows)
                }
            }
        }
        return blocks
    }

    @Test("column pieces cover the columns in order and none has an allocating count where a cut is possible")
    func columnPieces() {
        for n in 1...200 {
            let columns = 7..<(7 + n)
            let pieces = Array(GEMMShape.columnPieces(columns, rows: 8, depth: 8))
            #expect(pieces.first?.lowerBound == columns.lowerBound && pieces.last?.upperBound == columns.upperBound)
            #expect(zip(pieces, pieces.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound })
            let r = n & 15
            let cuttable = (2...8).contains(r) ? n >= 18 : r == 1 ? n >= 33 : true
            if cuttable {
                #expect(pieces.allSatisfy { !GEMMShape.allocates(columns: $0.count) }, "n = \(n): \(pieces)")
            } else {
                #expect(pieces == [columns])
            }
            if !GEMMShape.allocates(columns: n) { #expect(pieces == [columns]) }
        }
        // 49 columns (a 7×7 map): 9 + 9 + 31; 196 (14×14): 9 + 187. The blocked path (over the limit) stays whole.
        #expect(Array(GEMMShape.columnPieces(0..<49, rows: 256, depth: 64)) == [0..<9, 9..<18, 18..<49])
        #expect(Array(GEMMShape.columnPieces(0..<196, rows: 64, depth: 64)) == [0..<9, 9..<196])
        #expect(Array(GEMMShape.columnPieces(0..<49, rows: 512, depth: 512)) == [0..<49])
    }

    @Test("a GEMM within the kernel's limit stays whole")
    func smallStaysWhole() {
        let blocks = Self.check(rows: 0..<16, columns: 0..<832, depth: 75, byColumns: true)
        #expect(blocks.count == 1 && blocks[0].rows == 0..<16 && blocks[0].columns == 0..<832)
    }

    @Test(
        "cut by columns: equal multiples of 16, the last block ending at the last column",
        arguments: [(32, 2592, 147), (32, 5184, 147), (16, 1000, 75), (45, 4000, 45)])
    func byColumns(_ m: Int, _ n: Int, _ k: Int) {
        let blocks = Self.check(rows: 0..<m, columns: 100..<(100 + n), depth: k, byColumns: true)
        let width = (GEMMShape.smallKernelLimit / (m * k)) & ~15
        #expect(blocks.count == (n + width - 1) / width)
        #expect(blocks.allSatisfy { $0.columns.count == width })
        #expect(blocks.last?.columns.upperBound == 100 + n)
    }

    @Test("cut by rows on small maps: 256 channels of a 4×4 map, 128 of an 8×8 map")
    func byRows() {
        // 128 rows (one thread's half of 256 channels) × 16 columns × 2304: blocks of 27 rows.
        let a = Self.check(rows: 128..<256, columns: 0..<16, depth: 2304, byColumns: false)
        #expect(a.count == 5 && a[0].rows == 128..<155 && a.last?.rows.upperBound == 256)
        let b = Self.check(rows: 0..<64, columns: 0..<64, depth: 1152, byColumns: false)
        #expect(b.count == 5 && b[0].rows.count == 13)
    }

    @Test("stays whole when the blocks would be too thin or would allocate")
    func staysWhole() {
        // 289 columns leave 1 modulo 16: the small kernel would allocate on every block.
        #expect(Self.check(rows: 0..<32, columns: 0..<289, depth: 288, byColumns: false).count == 1)
        // 400 columns × 2304 allow one row per block: too little work per call.
        #expect(Self.check(rows: 0..<128, columns: 0..<400, depth: 2304, byColumns: false).count == 1)
        // 32 rows × 3456 depth allow 9 columns per block.
        #expect(Self.check(rows: 0..<32, columns: 0..<4096, depth: 3456, byColumns: true).count == 1)
    }

    @Test(
        "a convolution computed in blocks (by rows on a small map, by columns on a large one) equals the direct sum",
        arguments: [(64, 256, 4, 4, 1), (8, 16, 40, 44, 1), (64, 256, 4, 4, 3)])
    func blockedConvolution(_ cin: Int, _ cout: Int, _ h: Int, _ w: Int, _ n: Int) throws {
        var seed: UInt32 = 99
        func rnd() -> Float {
            seed = seed &* 1_664_525 &+ 1_013_904_223
            return Float(Int(seed >> 9) % 2001 - 1000) / 1000
        }
        let shape = TensorShape(n: n, c: cin, h: h, w: w)
        let x = Tensor(shape: shape, data: (0..<shape.count).map { _ in rnd() })
        let conv = try Convolution(
            inChannels: cin, outChannels: cout, kernelHeight: 3, kernelWidth: 3, padY: 1, padX: 1,
            weights: (0..<(cout * cin * 9)).map { _ in rnd() / 8 },
            bias: (0..<cout).map { Float($0) / 10 }, relu: true)
        // The GEMM is above the small kernel's limit, so it really is cut.
        let columns = h * w * n
        #expect(cout * columns * cin * 9 > GEMMShape.smallKernelLimit)
        for teamSize in [1, 2] {
            let worst = Self.worstDifference(conv, x, teamSize: teamSize)
            #expect(worst < 1e-4, "team of \(teamSize): largest difference \(worst)")
        }
    }

    @Test(
        "wide maps unfolded and multiplied a column block at a time by each thread (strides, padding, blocks across output rows, batches) equal the direct sum",
        arguments: [(7, 2, 3, 1), (7, 2, 3, 2), (5, 2, 0, 1), (3, 1, 1, 2)])
    func fusedColumnBlocks(_ kernel: Int, _ stride: Int, _ pad: Int, _ n: Int) throws {
        var seed: UInt32 = 7
        func rnd() -> Float {
            seed = seed &* 1_664_525 &+ 1_013_904_223
            return Float(Int(seed >> 9) % 2001 - 1000) / 1000
        }
        let shape = TensorShape(n: n, c: 3, h: 90, w: 101)
        let x = Tensor(shape: shape, data: (0..<shape.count).map { _ in rnd() })
        let conv = try Convolution(
            inChannels: 3, outChannels: 32, kernelHeight: kernel, kernelWidth: kernel,
            strideY: stride, strideX: stride, padY: pad, padX: pad,
            weights: (0..<(32 * 3 * kernel * kernel)).map { _ in rnd() / 8 },
            bias: (0..<32).map { Float($0) / 10 }, relu: true)
        let columns = conv.outputShape(for: shape)!.planeSize
        for teamSize in [1, 2, 3] {
            // The path under test: blocks narrower than a thread's share, so blocks start inside output rows.
            let width = try #require(
                Convolution.fusedBlockColumns(columns: columns, rows: 32, depth: conv.patchSize, parts: teamSize))
            #expect(width < columns / teamSize && width % 16 == 0)
            let worst = Self.worstDifference(conv, x, teamSize: teamSize)
            #expect(worst < 1e-4, "team of \(teamSize): largest difference \(worst)")
        }
    }

    /// The largest difference between `conv` run on `x` by a team of `teamSize` threads in the channel-major layout
    /// (as the embedding network runs it; for n = 1 the same as NCHW) and the direct sum.
    static func worstDifference(_ conv: Convolution, _ x: Tensor, teamSize: Int) -> Float {
        let shape = x.shape
        let n = shape.n
        let cin = shape.c
        let cout = conv.outChannels
        let want = OpsTests.naive(x, conv)
        var xc = [Float](repeating: 0, count: shape.count)
        for s in 0..<n {
            for ch in 0..<cin {
                for i in 0..<shape.planeSize {
                    xc[(ch * n + s) * shape.planeSize + i] = x.data[(s * cin + ch) * shape.planeSize + i]
                }
            }
        }
        let o = want.shape
        var yc = [Float](repeating: .nan, count: o.count)
        var scratch = [Float](repeating: 0, count: max(1, conv.scratchCount(for: shape, layout: .cnhw)))
        let team = WorkerTeam(size: teamSize)
        xc.withUnsafeBufferPointer { src in
            yc.withUnsafeMutableBufferPointer { dst in
                scratch.withUnsafeMutableBufferPointer { s in
                    BLASThreads.withSingleThread {
                        team.run(ConvolutionWork(conv: conv, input: src, shape: shape, output: dst, scratch: s))
                    }
                }
            }
        }
        var worst: Float = 0
        for s in 0..<n {
            for ch in 0..<cout {
                for i in 0..<o.planeSize {
                    worst = max(
                        worst, abs(yc[(ch * n + s) * o.planeSize + i] - want.data[(s * cout + ch) * o.planeSize + i]))
                }
            }
        }
        return worst
    }
}

/// A convolution as one region of a worker team.
private struct ConvolutionWork: TeamWork {
    let conv: Convolution
    let input: UnsafeBufferPointer<Float>
    let shape: TensorShape
    let output: UnsafeMutableBufferPointer<Float>
    let scratch: UnsafeMutableBufferPointer<Float>
    func run(_ context: TeamContext) {
        conv.forward(input, shape: shape, layout: .cnhw, output: output, scratch: scratch, context: context)
    }
}
