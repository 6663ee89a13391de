import Foundation
import NeuralCore

extension ResNetModel {
    /// Arena slots used by ``forward(chips:arena:output:)``.
    enum Slot: Int { case input = 0, x, t1, t2, t3, scratch, features }

    /// Winograd pays off when the batch has enough 2×2 tiles; on small maps (4×4, 2×2) its 16 transformed
    /// filter matrices cost more memory traffic than they save in multiplies (measured: see the report).
    static let winogradMinimumTiles: Int = {
        if let v = ProcessInfo.processInfo.environment["MYNAFACE_WINOGRAD_MIN_TILES"], let n = Int(v) { return n }
        return 64
    }()

    static func useWinograd(_ s: TensorShape) -> Bool {
        ((s.h + 1) / 2) * ((s.w + 1) / 2) * s.n >= winogradMinimumTiles
    }

    /// Shapes and buffer sizes for a batch of `n` chips.
    static func plan(_ model: ResNetModel, n: Int) -> [Slot: Int] {
        var need: [Slot: Int] = [:]
        func use(_ s: Slot, _ c: Int) { need[s] = max(need[s] ?? 0, c) }
        let inShape = TensorShape(n: n, c: 3, h: chipSize, w: chipSize)
        use(.input, inShape.count)
        let stemOut = model.stem.outputShape(for: inShape)!
        use(.t1, stemOut.count); use(.scratch, model.stem.scratchCount(for: inShape, layout: .cnhw))
        var x = model.stemPool.outputShape(for: stemOut)!
        use(.x, x.count)
        for b in model.blocks {
            let a = b.conv1.outputShape(for: x)!
            use(.t1, a.count)
            use(.scratch, b.conv1.scratchCount(for: x, layout: .cnhw))
            if let w = b.winograd1, useWinograd(x) { use(.scratch, w.scratchCount(for: x)) }
            let o = b.conv2.outputShape(for: a)!
            use(.t2, o.count)
            use(.scratch, b.conv2.scratchCount(for: a, layout: .cnhw))
            if let w = b.winograd2, useWinograd(a) { use(.scratch, w.scratchCount(for: a)) }
            if let p = b.skipPool {
                let s = p.outputShape(for: x)!
                use(.t3, s.count)
                x = Elementwise.zeroExtendedShape(s, o)
            }
            use(.x, x.count)
        }
        use(.features, 2 * 256 * n)
        return need
    }

    /// Runs a batch of chips. `chips[i]` must be 150×150 (1 or 3 channels; checked by the caller).
    /// Writes `chips.count × 128` floats into `output`.
    func forward(chips: UnsafeBufferPointer<UnsafeBufferPointer<UInt8>>, channels: [Int], arena: Arena,
                 output: UnsafeMutableBufferPointer<Float>) {
        let n = chips.count
        precondition(n > 0 && output.count >= n * 128)
        let need = Self.plan(self, n: n)
        for (slot, count) in need { _ = arena.buffer(slot.rawValue, count: count) }
        func buf(_ s: Slot) -> UnsafeMutableBufferPointer<Float> { arena.buffer(s.rawValue, count: need[s] ?? 0) }
        let input = buf(.input), xb = buf(.x), t1 = buf(.t1), t2 = buf(.t2), t3 = buf(.t3)
        let scratch = buf(.scratch), feat = buf(.features)

        // dlib's input_rgb_image_sized: planes R, G, B; (pixel − mean) / 256. Layout [c][n][y][x].
        let plane = Self.chipSize * Self.chipSize
        for s in 0..<n {
            let px = chips[s], ch = channels[s]
            for c in 0..<3 {
                let dst = input.baseAddress! + (c * n + s) * plane
                let mean = Self.means[c]
                if ch == 3 {
                    for i in 0..<plane { dst[i] = (Float(px[i * 3 + c]) - mean) / 256 }
                } else {
                    for i in 0..<plane { dst[i] = (Float(px[i]) - mean) / 256 }
                }
            }
        }
        let inShape = TensorShape(n: n, c: 3, h: Self.chipSize, w: Self.chipSize)
        stem.forward(UnsafeBufferPointer(input), shape: inShape, layout: .cnhw, output: t1, scratch: scratch)
        let stemOut = stem.outputShape(for: inShape)!
        stemPool.forward(UnsafeBufferPointer(t1), shape: stemOut, output: xb)
        var x = stemPool.outputShape(for: stemOut)!
        for b in blocks {
            let a = b.conv1.outputShape(for: x)!
            if let w = b.winograd1, Self.useWinograd(x) {
                w.forward(UnsafeBufferPointer(xb), shape: x, layout: .cnhw, output: t1, scratch: scratch)
            } else {
                b.conv1.forward(UnsafeBufferPointer(xb), shape: x, layout: .cnhw, output: t1, scratch: scratch)
            }
            let o = b.conv2.outputShape(for: a)!
            if let w = b.winograd2, Self.useWinograd(a) {
                w.forward(UnsafeBufferPointer(t1), shape: a, layout: .cnhw, output: t2, scratch: scratch)
            } else {
                b.conv2.forward(UnsafeBufferPointer(t1), shape: a, layout: .cnhw, output: t2, scratch: scratch)
            }
            if let p = b.skipPool {
                p.forward(UnsafeBufferPointer(xb), shape: x, output: t3)
                let s = p.outputShape(for: x)!
                Elementwise.addZeroExtended(UnsafeBufferPointer(t3), shape: s, UnsafeBufferPointer(t2), shape: o,
                                            into: xb, layout: .cnhw, relu: true)
                x = Elementwise.zeroExtendedShape(s, o)
            } else {
                Elementwise.addZeroExtended(UnsafeBufferPointer(xb), shape: x, UnsafeBufferPointer(t2), shape: o,
                                            into: xb, layout: .cnhw, relu: true)
            }
        }
        // avg_pool_everything → [c][n], transposed to rows [n][256] for the fc.
        Pooling.averageEverything.forward(UnsafeBufferPointer(xb), shape: x, output: feat)
        let rows = UnsafeMutableBufferPointer(rebasing: feat[(256 * n)..<(512 * n)])
        for c in 0..<256 { for s in 0..<n { rows[s * 256 + c] = feat[c * n + s] } }
        head.forward(UnsafeBufferPointer(rows), rows: n, output: output)
    }
}
