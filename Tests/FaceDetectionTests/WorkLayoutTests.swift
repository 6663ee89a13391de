import Foundation
import Testing
@testable import FaceDetection
import FaceImaging
import TestSupport

/// How a detection's work is laid out so that it allocates nothing.
@Suite("detector work layout: batches, padded GEMMs, candidate order")
struct WorkLayoutTests {
    @Test("candidates sort by descending score with ties in their order, without Array.sort",
          arguments: [0, 1, 2, 15, 16, 17, 63, 64, 65, 200, 1000])
    func sortByScore(count: Int) {
        var rng = SplitMix64(seed: UInt64(count))
        // Few distinct scores, so most candidates tie with others.
        let candidates = (0..<count).map { i in
            Detection(box: PixelRect(left: i, top: 0, right: i + 9, bottom: 9),
                      score: Double(Int.random(in: 0..<max(1, count / 4), using: &rng)) / 8, level: i % 3)
        }
        let expected = candidates.enumerated().sorted { a, b in
            a.element.score != b.element.score ? a.element.score > b.element.score : a.offset < b.offset
        }.map(\.element)
        var sorted = candidates, buffer: [Detection] = []
        FaceDetector.sortByScore(&sorted, buffer: &buffer)
        #expect(sorted == expected)
        // Again with the grown buffer (the steady state of a stream of frames).
        sorted = candidates
        FaceDetector.sortByScore(&sorted, buffer: &buffer)
        #expect(sorted == expected)
    }
}
