import FaceImaging

/// Non-maximum suppression of the score-map candidates, as dlib's `loss_mmod_` does it.
extension FaceDetector {
    /// Non-maximum suppression: the candidates by descending score (ties in their order), each kept unless it
    /// overlaps one kept before. Works in place (`candidates` is reordered, `buffer` is merge space), so a
    /// detection allocates only the returned array.
    func suppressNonMaxima(_ candidates: inout [Detection], buffer: inout [Detection]) -> [Detection] {
        Self.sortByScore(&candidates, buffer: &buffer)
        var kept = 0
        candidates.withUnsafeMutableBufferPointer { c in
            for i in c.indices {
                var overlapsKept = false
                for j in 0..<kept where overlaps(c[j].box, c[i].box) {
                    overlapsKept = true
                    break
                }
                if !overlapsKept {
                    c[kept] = c[i]
                    kept += 1
                }
            }
        }
        return Array(candidates[..<kept])
    }

    /// Sorts by descending score, keeping the order of equal scores (the order `Array.sort`, a stable sort,
    /// gives), without allocating once `buffer` has grown to the candidate count: insertion sort of runs of 16,
    /// then merges back and forth between `detections` and `buffer`.
    static func sortByScore(_ detections: inout [Detection], buffer: inout [Detection]) {
        let n = detections.count
        guard n > 1 else { return }
        if buffer.count < n { buffer = Array(repeating: detections[0], count: n) }
        let run = 16
        var inBuffer = false
        detections.withUnsafeMutableBufferPointer { a in
            buffer.withUnsafeMutableBufferPointer { b in
                var start = 0
                while start < n {
                    let end = min(start + run, n)
                    for i in (start + 1)..<end {
                        let d = a[i]
                        var j = i
                        while j > start && a[j - 1].score < d.score {
                            a[j] = a[j - 1]
                            j -= 1
                        }
                        a[j] = d
                    }
                    start = end
                }
                var width = run
                while width < n {
                    let (src, dst) = inBuffer ? (b, a) : (a, b)
                    var lo = 0
                    while lo < n {
                        let mid = min(lo + width, n)
                        let hi = min(lo + 2 * width, n)
                        var i = lo
                        var j = mid
                        var k = lo
                        while i < mid && j < hi {
                            // The left run's element first unless the right one scores strictly higher.
                            if src[j].score > src[i].score {
                                dst[k] = src[j]
                                j += 1
                            } else {
                                dst[k] = src[i]
                                i += 1
                            }
                            k += 1
                        }
                        while i < mid {
                            dst[k] = src[i]
                            i += 1
                            k += 1
                        }
                        while j < hi {
                            dst[k] = src[j]
                            j += 1
                            k += 1
                        }
                        lo = hi
                    }
                    inBuffer.toggle()
                    width *= 2
                }
                if inBuffer { a.baseAddress!.update(from: b.baseAddress!, count: n) }
            }
        }
    }

    /// dlib's `test_box_overlap` with the model's NMS settings (IoU over the bounding box of both).
    func overlaps(_ a: PixelRect, _ b: PixelRect) -> Bool {
        let inner = Double(a.intersection(b).area)
        if inner == 0 { return false }
        let outer = Double(a.union(b).area)
        return inner / outer > model.nmsIOU || inner / Double(a.area) > model.nmsPercentCovered
            || inner / Double(b.area) > model.nmsPercentCovered
    }
}
