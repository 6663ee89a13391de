// The tensor value type and the reusable buffer arena every model stage runs on.

/// The shape of a 4-D NCHW tensor: samples, channels, rows (height), columns (width).
package struct TensorShape: Sendable, Hashable, CustomStringConvertible {
    /// Samples in the batch.
    package var n: Int
    /// Channels (planes) per sample.
    package var c: Int
    /// Rows per plane (height, pixels).
    package var h: Int
    /// Columns per plane (width, pixels).
    package var w: Int

    /// Creates a shape; every dimension must be ≥ 0.
    package init(n: Int, c: Int, h: Int, w: Int) {
        precondition(n >= 0 && c >= 0 && h >= 0 && w >= 0, "TensorShape dimensions must be ≥ 0")
        self.n = n
        self.c = c
        self.h = h
        self.w = w
    }

    /// Elements in one plane (h·w).
    @inlinable public var planeSize: Int { h * w }
    /// Elements in one sample (c·h·w).
    @inlinable public var sampleSize: Int { c * h * w }
    /// Total elements (n·c·h·w).
    @inlinable public var count: Int { n * c * h * w }

    package var description: String { "\(n)×\(c)×\(h)×\(w)" }
}

/// A contiguous Float32 tensor in NCHW order: `data[((s·c + ch)·h + y)·w + x]`.
package struct Tensor: Sendable, Equatable {
    /// The shape.
    package var shape: TensorShape
    /// `shape.count` values, NCHW.
    package var data: [Float]

    /// A zero-filled tensor.
    package init(shape: TensorShape) {
        self.shape = shape
        self.data = [Float](repeating: 0, count: shape.count)
    }

    /// A tensor over existing values.
    /// - Precondition: `data.count == shape.count`.
    package init(shape: TensorShape, data: [Float]) {
        precondition(data.count == shape.count, "Tensor data count \(data.count) does not match shape \(shape)")
        self.shape = shape
        self.data = data
    }

    /// Reads one element (no bounds checks beyond the array's).
    @inlinable public subscript(n: Int, c: Int, y: Int, x: Int) -> Float {
        get { data[((n * shape.c + c) * shape.h + y) * shape.w + x] }
        set { data[((n * shape.c + c) * shape.h + y) * shape.w + x] = newValue }
    }
}

/// A set of reusable Float32 buffers for steady-state inference without allocation.
///
/// A model's forward pass asks for buffer slots by index with the element count it needs; a slot grows
/// (allocates, 64-byte aligned) only the first time or when a larger batch arrives, and is reused on every
/// later call. The arena owns its memory and frees it when released.
///
/// An arena must be used by one thread at a time (a worker takes it from a pool, runs, and returns it);
/// it is `Sendable` so that it can move between threads, not so that two threads can share it.
package final class Arena: @unchecked Sendable {
    private var slots: [UnsafeMutableBufferPointer<Float>] = []

    /// An empty arena.
    package init() {}

    deinit {
        for s in slots where s.baseAddress != nil { s.baseAddress!.deallocate() }
    }

    /// Total Float capacity held, across slots.
    package var capacity: Int { slots.reduce(0) { $0 + $1.count } }

    /// The first `count` floats of slot `slot`, which must already hold that many: no growth, so several
    /// threads may call it at once (grow the slots with ``buffer(_:count:)`` first).
    package func existingBuffer(_ slot: Int, count: Int) -> UnsafeMutableBufferPointer<Float> {
        precondition(slot < slots.count && slots[slot].count >= count, "arena slot \(slot) was not prepared")
        return UnsafeMutableBufferPointer(rebasing: slots[slot][0..<count])
    }

    /// The first `count` floats of slot `slot`, growing it if needed (grown contents are zero, kept
    /// contents are unspecified). The pointer stays valid until the slot grows or the arena is released.
    package func buffer(_ slot: Int, count: Int) -> UnsafeMutableBufferPointer<Float> {
        precondition(slot >= 0 && count >= 0)
        while slots.count <= slot { slots.append(UnsafeMutableBufferPointer(start: nil, count: 0)) }
        if slots[slot].count < count {
            if let old = slots[slot].baseAddress { old.deallocate() }
            let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * 4, alignment: 64)
            let p = raw.bindMemory(to: Float.self, capacity: max(count, 1))
            p.initialize(repeating: 0, count: max(count, 1))
            slots[slot] = UnsafeMutableBufferPointer(start: p, count: max(count, 1))
        }
        return UnsafeMutableBufferPointer(rebasing: slots[slot][0..<count])
    }
}
