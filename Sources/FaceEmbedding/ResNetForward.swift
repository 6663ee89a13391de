import Foundation
import NeuralCore

extension ResNetModel {
    /// Arena slots used by ``forward(chips:channels:arena:need:context:output:)``.
    enum Slot: Int {
        case input = 0
        case x, t1, t2, t3, scratch, features
    }
    /// Every slot, in arena order (grown before any pointer is taken: growing one moves it).
    static let slots: [Slot] = [.input, .x, .t1, .t2, .t3, .scratch, .features]

    /// Winograd pays off when the batch has enough 2×2 tiles. One chip's 8×8 maps (16 tiles) run faster as
    /// Winograd (0.19 → 0.13 ms per 128-channel convolution on two threads, issue 8); on its 3×3 maps (4 tiles)
    /// the 16 transformed filter matrices, 16/9 the weights, cost as much memory traffic as they save in
    /// multiplies.
    static let winogradMinimumTiles = 16

    static func useWinograd(_ s: TensorShape) -> Bool {
        ((s.h + 1) / 2) * ((s.w + 1) / 2) * s.n >= winogradMinimumTiles
    }

    /// Floats each arena slot needs for one batch (a fixed struct: planning a pass allocates nothing).
    struct BufferPlan {
        private var counts = (0, 0, 0, 0, 0, 0, 0)

        subscript(slot: Slot) -> Int {
            get {
                switch slot {
                case .input: counts.0
                case .x: counts.1
                case .t1: counts.2
                case .t2: counts.3
                case .t3: counts.4
                case .scratch: counts.5
                case .features: counts.6
                }
            }
            set {
                switch slot {
                case .input: counts.0 = newValue
                case .x: counts.1 = newValue
                case .t1: counts.2 = newValue
                case .t2: counts.3 = newValue
                case .t3: counts.4 = newValue
                case .scratch: counts.5 = newValue
                case .features: counts.6 = newValue
                }
            }
        }

        /// Grows slot `s` to at least `count` floats.
        mutating func use(_ s: Slot, _ count: Int) { self[s] = max(self[s], count) }
    }

    /// Shapes and buffer sizes for a batch of `n` chips run by `parts` parallel parts.
    static func plan(_ model: ResNetModel, n: Int, parts: Int) -> BufferPlan {
        var need = BufferPlan()
        let inShape = TensorShape(n: n, c: 3, h: chipSize, w: chipSize)
        need.use(.input, inShape.count)
        let stemOut = model.stem.outputShape(for: inShape)!
        need.use(.t1, stemOut.count)
        need.use(.scratch, model.stem.scratchCount(for: inShape, layout: .cnhw))
        var x = model.stemPool.outputShape(for: stemOut)!
        need.use(.x, x.count)
        for b in model.blocks {
            let a = b.conv1.outputShape(for: x)!
            need.use(.t1, a.count)
            need.use(.scratch, b.conv1.scratchCount(for: x, layout: .cnhw))
            if let w = b.winograd1, useWinograd(x) { need.use(.scratch, w.scratchCount(for: x, parts: parts)) }
            let o = b.conv2.outputShape(for: a)!
            need.use(.t2, o.count)
            need.use(.scratch, b.conv2.scratchCount(for: a, layout: .cnhw))
            if let w = b.winograd2, useWinograd(a) { need.use(.scratch, w.scratchCount(for: a, parts: parts)) }
            if let p = b.skipPool {
                let s = p.outputShape(for: x)!
                need.use(.t3, s.count)
                x = Elementwise.zeroExtendedShape(s, o)
            }
            need.use(.x, x.count)
        }
        need.use(.features, 2 * 256 * n)
        return need
    }

    /// Runs a batch of chips. `chips[i]` must be 150×150 (1 or 3 channels; checked by the caller).
    /// Writes `chips.count × 128` floats into `output`.
    ///
    /// Called by every thread of a ``WorkerTeam`` region with its `context` (or alone with
    /// ``TeamContext/serial``): every layer is shared out between the threads (convolutions by im2col rows and
    /// GEMM columns or channels, Winograd by input channel, matrix and output channel, pooling and residual
    /// adds by channel), with a barrier between phases; BLAS must be single-threaded meanwhile. Results depend
    /// on the team size only through float rounding (BLAS may block a narrower GEMM differently); for one
    /// size they are always the same. `arena` must have been grown to `need` by ``prepare(_:arena:n:parts:)``.
    func forward(
        chips: UnsafeBufferPointer<UnsafeBufferPointer<UInt8>>, channels: UnsafeBufferPointer<Int>,
        arena: Arena, need: BufferPlan, context: TeamContext, output: UnsafeMutableBufferPointer<Float>
    ) {
        let n = chips.count
        precondition(n > 0 && output.count >= n * 128 && channels.count == n)
        func buf(_ s: Slot) -> UnsafeMutableBufferPointer<Float> { arena.existingBuffer(s.rawValue, count: need[s]) }
        let input = buf(.input)
        let xb = buf(.x)
        let t1 = buf(.t1)
        let t2 = buf(.t2)
        let t3 = buf(.t3)
        let scratch = buf(.scratch)
        let feat = buf(.features)

        // dlib's input_rgb_image_sized: planes R, G, B; (pixel − mean) / 256. Layout [c][n][y][x].
        let plane = Self.chipSize * Self.chipSize
        for index in context.range(3 * n) {
            let c = index / n
            let s = index % n
            let px = chips[s]
            let ch = channels[s]
            let dst = input.baseAddress! + index * plane
            let mean = Self.means[c]
            if ch == 3 {
                for i in 0..<plane { dst[i] = (Float(px[i * 3 + c]) - mean) / 256 }
            } else {
                for i in 0..<plane { dst[i] = (Float(px[i]) - mean) / 256 }
            }
        }
        context.sync()
        let inShape = TensorShape(n: n, c: 3, h: Self.chipSize, w: Self.chipSize)
        stem.forward(
            UnsafeBufferPointer(input), shape: inShape, layout: .cnhw, output: t1, scratch: scratch, context: context)
        let stemOut = stem.outputShape(for: inShape)!
        stemPool.forward(UnsafeBufferPointer(t1), shape: stemOut, output: xb, planes: context.range(stemOut.c * n))
        context.sync()
        var x = stemPool.outputShape(for: stemOut)!
        for b in blocks {
            let a = b.conv1.outputShape(for: x)!
            if let w = b.winograd1, Self.useWinograd(x) {
                w.forward(
                    UnsafeBufferPointer(xb), shape: x, layout: .cnhw, output: t1, scratch: scratch, context: context)
            } else {
                b.conv1.forward(
                    UnsafeBufferPointer(xb), shape: x, layout: .cnhw, output: t1, scratch: scratch, context: context)
            }
            let o = b.conv2.outputShape(for: a)!
            if let w = b.winograd2, Self.useWinograd(a) {
                w.forward(
                    UnsafeBufferPointer(t1), shape: a, layout: .cnhw, output: t2, scratch: scratch, context: context)
            } else {
                b.conv2.forward(
                    UnsafeBufferPointer(t1), shape: a, layout: .cnhw, output: t2, scratch: scratch, context: context)
            }
            // Skip path and residual add, by channel (in the [c][n] layout a channel's planes are adjacent).
            // A downsampling block pools x completely before the sum overwrites x's buffer (a smaller shape:
            // its channels do not sit where x's do).
            if let pool = b.skipPool {
                let s = pool.outputShape(for: x)!
                pool.forward(UnsafeBufferPointer(xb), shape: x, output: t3, planes: context.range(s.c * n))
                context.sync()
                x = Elementwise.zeroExtendedShape(s, o)
                Elementwise.addZeroExtended(
                    UnsafeBufferPointer(t3), shape: s, UnsafeBufferPointer(t2), shape: o,
                    into: xb, layout: .cnhw, relu: true, channels: context.range(x.c))
            } else {
                Elementwise.addZeroExtended(
                    UnsafeBufferPointer(xb), shape: x, UnsafeBufferPointer(t2), shape: o,
                    into: xb, layout: .cnhw, relu: true, channels: context.range(x.c))
                x = Elementwise.zeroExtendedShape(x, o)
            }
            context.sync()
        }
        // avg_pool_everything → [c][n], transposed to rows [n][256] for the fc: small, on the first thread.
        guard context.isFirst else { return }
        Pooling.averageEverything.forward(UnsafeBufferPointer(xb), shape: x, output: feat)
        let rows = UnsafeMutableBufferPointer(rebasing: feat[(256 * n)..<(512 * n)])
        for c in 0..<256 { for s in 0..<n { rows[s * 256 + c] = feat[c * n + s] } }
        head.forward(UnsafeBufferPointer(rows), rows: n, output: output)
    }

    /// Grows `arena` for a batch of `n` chips run by `parts` threads (before a region starts: the threads
    /// then only read the slots' addresses) and returns the slot sizes.
    static func prepare(_ model: ResNetModel, arena: Arena, n: Int, parts: Int) -> BufferPlan {
        let need = plan(model, n: n, parts: parts)
        for slot in slots { _ = arena.buffer(slot.rawValue, count: need[slot]) }
        return need
    }

    /// One pass as team work: every thread of the region runs
    /// ``forward(chips:channels:arena:need:context:output:)``.
    struct Pass: TeamWork {
        let model: ResNetModel
        let chips: UnsafeBufferPointer<UnsafeBufferPointer<UInt8>>
        let channels: UnsafeBufferPointer<Int>
        let arena: Arena
        let need: BufferPlan
        let output: UnsafeMutableBufferPointer<Float>

        func run(_ context: TeamContext) {
            model.forward(chips: chips, channels: channels, arena: arena, need: need, context: context, output: output)
        }
    }
}
