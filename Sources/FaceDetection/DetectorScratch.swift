import Foundation

/// The memory one detection works in, kept between detections so that a steady stream of frames of one
/// size allocates nothing and faults in no fresh pages.
///
/// Blocks are `calloc`ed when they first grow: the kernel hands large blocks out as untouched zero pages,
/// so only the cells a detection really writes (the tiles of the pyramid, the masked cells of each layer)
/// become resident. Block contents are unspecified between uses, except the pyramid tensor, whose
/// zero gaps between tiles are kept valid (see ``preparePyramid(planes:layout:)``).
///
/// One detection uses a scratch at a time; ``DetectorScratchPool`` hands them out.
final class DetectorScratch: @unchecked Sendable {
    /// Slots: the pyramid tensor, two ping-pong feature maps, stride-2 phase planes, per-worker buffers.
    enum Slot: Int, CaseIterable {
        case pyramid, mapA, mapB, phases, workers
    }

    private var blocks: [(pointer: UnsafeMutablePointer<Float>?, count: Int)] =
        Array(repeating: (nil, 0), count: Slot.allCases.count)
    /// The layout whose tiles the pyramid block holds (3 planes at that layout's size); every other float
    /// of the block is zero.
    private var writtenLayout: PyramidLayout?

    deinit {
        for b in blocks { free(b.pointer) }
    }

    /// Floats held across every slot (allocated, not necessarily resident).
    var capacity: Int { blocks.reduce(0) { $0 + $1.count } }

    /// The first `count` floats of `slot`, growing the block (zero-filled) when it is too small.
    /// Returns nil when the memory cannot be had.
    func block(_ slot: Slot, count: Int) -> UnsafeMutablePointer<Float>? {
        let i = slot.rawValue
        if blocks[i].count >= count, let p = blocks[i].pointer { return p }
        free(blocks[i].pointer)
        blocks[i] = (nil, 0)
        if slot == .pyramid { writtenLayout = nil }
        guard let raw = calloc(max(count, 1), MemoryLayout<Float>.stride) else { return nil }
        let p = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        blocks[i] = (p, max(count, 1))
        return p
    }

    /// The pyramid block for `layout` (`planes` planes of `layout.rows × layout.columns`), zero outside
    /// the tiles of `layout`: tiles written for an earlier, different layout are cleared row by row
    /// (only what was written, not the whole block). The caller writes inside `layout`'s tiles only.
    func preparePyramid(planes: Int, layout: PyramidLayout) -> UnsafeMutablePointer<Float>? {
        guard let p = block(.pyramid, count: planes * layout.rows * layout.columns) else { return nil }
        if let old = writtenLayout, old != layout {
            let plane = old.rows * old.columns
            for c in 0..<planes {
                for r in old.rects {
                    for y in r.top...r.bottom {
                        (p + c * plane + y * old.columns + r.left).update(repeating: 0, count: r.right - r.left + 1)
                    }
                }
            }
        }
        // From here on only `layout`'s tiles are written.
        writtenLayout = layout
        return p
    }
}

/// A lock-protected stack of scratches: a detection takes one (or a new one) and gives it back.
/// Keeps at most `limit` idle scratches, so memory is bounded by the number of concurrent detections.
final class DetectorScratchPool: @unchecked Sendable {
    private let lock = NSLock()
    private var idle: [DetectorScratch] = []
    private let limit: Int

    init(limit: Int = 2) { self.limit = limit }

    func take() -> DetectorScratch {
        lock.lock(); defer { lock.unlock() }
        return idle.popLast() ?? DetectorScratch()
    }

    func give(_ scratch: DetectorScratch) {
        lock.lock(); defer { lock.unlock() }
        if idle.count < limit { idle.append(scratch) }
    }
}
