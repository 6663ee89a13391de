import FaceImaging
import Foundation
import NeuralCore

/// The memory one detection works in, kept between detections so that a steady stream of frames of one
/// size allocates nothing and faults in no fresh pages.
///
/// Blocks are mapped (`mmap`) when they first grow: the kernel hands them out as untouched zero pages,
/// so only the cells a detection really writes (the tiles of the pyramid, the masked cells of each layer)
/// become resident. Block contents are unspecified between uses, except the pyramid tensor, whose
/// zero gaps between tiles are kept valid (see ``preparePyramid(planes:plan:)``).
///
/// It also owns the threads a detection runs on (a ``WorkerTeam``: the caller plus helpers of its own, which
/// start a parallel region without allocating, unlike `DispatchQueue.concurrentPerform`) and the candidate
/// lists of the non-maximum suppression, kept with their capacity.
///
/// One detection uses a scratch at a time; ``DetectorScratchPool`` hands them out.
final class DetectorScratch: @unchecked Sendable {
    /// Slots: the pyramid tensor, the pyramid's row rings, two ping-pong feature maps, the score layer's
    /// tap products, per-worker buffers.
    enum Slot: Int, CaseIterable {
        case pyramid, rings, mapA, mapB, taps, workers
    }

    /// The plan of the last frame size detected in this scratch.
    var plan: DetectionPlan?
    /// The threads the pyramid and the network run on (one region at a time: the scratch has one user).
    let team = WorkerTeam()
    /// Score-map windows above the threshold, then the faces kept (reused; emptied by each detection).
    var candidates: [Detection] = []
    /// Merge buffer for sorting the candidates.
    var sortBuffer: [Detection] = []

    private var blocks: [(pointer: UnsafeMutablePointer<Float>?, count: Int)] =
        Array(repeating: (nil, 0), count: Slot.allCases.count)
    /// The rectangles the pyramid block holds values in, and its geometry; every other float is zero.
    private var written: (geometry: PlaneGeometry, rects: [PixelRect])?

    deinit {
        for b in blocks { Self.unmap(b.pointer, count: b.count) }
    }

    /// Anonymous private pages: zero until written, resident only once touched, whatever malloc's
    /// thresholds are (a `calloc` served from the heap would zero — and so touch — every page).
    private static func map(count: Int) -> UnsafeMutablePointer<Float>? {
        let bytes = max(count, 1) * MemoryLayout<Float>.stride
        let raw = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        guard let raw, raw != MAP_FAILED else { return nil }
        return raw.bindMemory(to: Float.self, capacity: max(count, 1))
    }

    private static func unmap(_ p: UnsafeMutablePointer<Float>?, count: Int) {
        guard let p else { return }
        munmap(UnsafeMutableRawPointer(p), max(count, 1) * MemoryLayout<Float>.stride)
    }

    /// The first `count` floats of `slot`, growing the block (fresh zero pages) when it is too small.
    /// Returns nil when the memory cannot be had.
    func block(_ slot: Slot, count: Int) -> UnsafeMutablePointer<Float>? {
        let i = slot.rawValue
        if blocks[i].count >= count, let p = blocks[i].pointer { return p }
        Self.unmap(blocks[i].pointer, count: blocks[i].count)
        blocks[i] = (nil, 0)
        if slot == .pyramid { written = nil }
        guard let p = Self.map(count: count) else { return nil }
        blocks[i] = (p, max(count, 1))
        return p
    }

    /// The pyramid block for `plan` (`planes` planes of its geometry), zero outside the rows `plan` stores:
    /// rows stored for an earlier, different plan are cleared (only those, not the whole block).
    /// The caller writes inside `plan.storedRects` only.
    func preparePyramid(planes: Int, plan: PyramidBuilder.Plan) -> UnsafeMutablePointer<Float>? {
        let geometry = plan.geometry
        let rects = plan.storedRects
        guard let p = block(.pyramid, count: planes * geometry.count) else { return nil }
        if let old = written, old.geometry != geometry || old.rects != rects {
            let g = old.geometry
            for c in 0..<planes {
                for r in old.rects {
                    for y in r.top...r.bottom {
                        let row = p + c * g.count + g.rowOffset(y)
                        if g.phased {
                            let evens = (r.left + 1) >> 1
                            let evenEnd = r.right >> 1  // even columns
                            if evenEnd >= evens { (row + evens).update(repeating: 0, count: evenEnd - evens + 1) }
                            let odds = r.left >> 1
                            let oddEnd = (r.right - 1) >> 1  // odd columns
                            let odd = row + g.phaseRows * g.phaseColumns
                            if oddEnd >= odds { (odd + odds).update(repeating: 0, count: oddEnd - odds + 1) }
                        } else {
                            (row + r.left).update(repeating: 0, count: r.right - r.left + 1)
                        }
                    }
                }
            }
        }
        // From here on only `plan`'s rows are written.
        written = (geometry, rects)
        return p
    }
}

/// A lock-protected stack of scratches: a detection takes one (or a new one) and gives it back.
/// Keeps at most `limit` idle scratches (default one: a reader verifies one frame at a time; a second
/// concurrent detection, such as the portrait's during enrolment, works in a scratch of its own that is
/// freed afterwards).
final class DetectorScratchPool: @unchecked Sendable {
    private let lock = NSLock()
    private var idle: [DetectorScratch] = []
    private let limit: Int

    init(limit: Int = 1) { self.limit = limit }

    func take() -> DetectorScratch {
        lock.lock()
        defer { lock.unlock() }
        return idle.popLast() ?? DetectorScratch()
    }

    func give(_ scratch: DetectorScratch) {
        lock.lock()
        defer { lock.unlock() }
        if idle.count < limit { idle.append(scratch) }
    }
}
