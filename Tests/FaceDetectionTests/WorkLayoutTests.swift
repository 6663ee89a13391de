import CBLAS
import FaceImaging
import Foundation
import NeuralCore
import TestSupport
import Testing

@testable import FaceDetection

/// How a detection's work is laid out so that it allocates nothing: GEMM chunks and Winograd batches cut once
/// per frame size, GEMM column counts padded away from OpenBLAS's allocating small-matrix path, the candidates
/// sorted in place.
@Suite("detector work layout: batches, padded GEMMs, candidate order")
struct WorkLayoutTests {
    @Test(
        "a GEMM padded to a multiple of 16 columns gives the real columns (up to float rounding)",
        arguments: [
            (45, 45, 37), (45, 45, 1), (45, 45, 8), (45, 45, 64), (32, 800, 23), (16, 75, 200),
            (81, 45, 130), (32, 400, 9), (16, 75, 830),
        ])
    func paddedGEMM(m: Int, k: Int, n: Int) {
        var rng = SplitMix64(seed: UInt64(m * 100_000 + k * 1000 + n))
        let a = (0..<(m * k)).map { _ in Float.random(in: -1...1, using: &rng) }
        let b = (0..<(k * n)).map { _ in Float.random(in: -1...1, using: &rng) }
        var plain = [Float](repeating: 0, count: m * n)
        cblas_sgemm(
            CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k), 1, a, Int32(k), b, Int32(n),
            0, &plain, Int32(n))
        let ld = GEMMShape.paddedColumns(n, rows: m, depth: k)
        #expect(ld >= n && ld < n + 16)
        if m * n * k <= GEMMShape.smallKernelLimit { #expect(ld % 16 == 0) } else { #expect(ld == n) }
        // The same columns, then zero columns up to `ld`.
        var bp = [Float](repeating: 0, count: k * ld)
        for r in 0..<k { for c in 0..<n { bp[r * ld + c] = b[r * n + c] } }
        var padded = [Float](repeating: .nan, count: m * ld)
        cblas_sgemm(
            CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(ld), Int32(k), 1, a, Int32(k), bp, Int32(ld),
            0, &padded, Int32(ld))
        // Both are within k·u·Σ|a·b| of the exact product (u = ulp/2), so within k·ulp·Σ|a·b| of each other.
        var worst = 0.0
        for r in 0..<m {
            for c in 0..<n {
                var magnitude = 0.0
                for i in 0..<k { magnitude += Double(abs(a[r * k + i] * b[i * n + c])) }
                let bound = Double(k) * Double(Float.ulpOfOne) * magnitude
                worst = max(worst, abs(Double(padded[r * ld + c]) - Double(plain[r * n + c])) / bound)
            }
        }
        #expect(worst <= 1, "worst difference \(worst) of the rounding bound")
    }

    @Test("batches cover the runs in order, cut only at batch boundaries, every batch full but the last")
    func batches() {
        let spans: [CellSpan] = [(0, 0, 10), (1, 3, 40), (2, 5, 6), (4, 0, 100), (5, 7, 9)]
        for limit in [1, 7, 32, 64, 1000] {
            let b = Batches(spans, limit: limit, length: { $0.x1 - $0.x0 }) { s, offset, count in
                (s.y, s.x0 + offset, s.x0 + offset + count)
            }
            var cells: [[Int]] = []
            var expected: [[Int]] = []
            for s in b.runs { for x in s.x0..<s.x1 { cells.append([s.y, x]) } }
            for s in spans { for x in s.x0..<s.x1 { expected.append([s.y, x]) } }
            #expect(cells == expected, "limit \(limit)")
            var next = 0
            for (i, batch) in b.batches.enumerated() {
                #expect(batch.runs.lowerBound == next)
                next = batch.runs.upperBound
                #expect(batch.items == b.runs[batch.runs].reduce(0) { $0 + $1.x1 - $1.x0 })
                #expect(i == b.batches.count - 1 ? batch.items <= limit : batch.items == limit)
            }
            #expect(next == b.runs.count && b.items == expected.count)
        }
        // Winograd tile runs: a cut run goes on two tiles (4 cells) further per tile.
        let tiles = Winograd5x5.batches([.init(y: 4, x0: 10, count: 100), .init(y: 6, x0: 2, count: 3)])
        #expect(tiles.batches.map { $0.items } == [64, 39])
        #expect(tiles.runs.map(\.x0) == [10, 138, 2] && tiles.runs.map(\.count) == [64, 36, 3])
    }

    @Test("tap-product columns: contiguous, inner bounds multiples of 16", arguments: [1, 15, 100, 4096, 50_001])
    func tapSplit(cells: Int) {
        for parts in 1...4 {
            let ranges = MaskedNetwork.tapSplit(cells, parts: parts)
            #expect(ranges.count == parts && ranges.first?.lowerBound == 0 && ranges.last?.upperBound == cells)
            for (a, b) in zip(ranges, ranges.dropFirst()) {
                #expect(a.upperBound == b.lowerBound && a.upperBound % 16 == 0)
            }
        }
    }

    @Test(
        "candidates sort by descending score with ties in their order, without Array.sort",
        arguments: [0, 1, 2, 15, 16, 17, 63, 64, 65, 200, 1000])
    func sortByScore(count: Int) {
        var rng = SplitMix64(seed: UInt64(count))
        // Few distinct scores, so most candidates tie with others.
        let candidates = (0..<count).map { i in
            Detection(
                box: PixelRect(left: i, top: 0, right: i + 9, bottom: 9),
                score: Double(Int.random(in: 0..<max(1, count / 4), using: &rng)) / 8, level: i % 3)
        }
        let expected = candidates.enumerated().sorted { a, b in
            a.element.score != b.element.score ? a.element.score > b.element.score : a.offset < b.offset
        }.map(\.element)
        var sorted = candidates
        var buffer: [Detection] = []
        FaceDetector.sortByScore(&sorted, buffer: &buffer)
        #expect(sorted == expected)
        // Again with the grown buffer (the steady state of a stream of frames).
        sorted = candidates
        FaceDetector.sortByScore(&sorted, buffer: &buffer)
        #expect(sorted == expected)
    }
}
