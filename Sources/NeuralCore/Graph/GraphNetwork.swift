import Foundation

/// Runs a ``GraphModel`` (e.g. an ONNX face-embedding network read by ONNXFormat) natively, for one input size.
///
/// Planned once at `init`: shapes are inferred for the input size, batch normalisation is folded into the preceding
/// convolution (or dense layer), ReLU/PReLU are fused into convolutions, and every value gets a fixed offset in one
/// workspace (values whose lifetimes do not overlap share memory). Convolutions run as im2col + sgemm (NeuralCore's
/// ``Convolution``), Winograd F(2×2, 3×3) for 3×3 stride-1 layers on large enough maps, and a direct SIMD kernel for
/// depthwise ones; every layer is shared out over a ``WorkerTeam``.
///
/// ``run(_:into:)`` is safe to call from several threads at once: each call takes a workspace (and team) from a pool,
/// so concurrent callers never share one, and after the first calls at a given concurrency nothing is allocated.
package struct GraphNetwork: TensorNetwork {
    /// Largest element count of any tensor of a plan (2^28 floats, 1 GiB).
    package static let maximumElements = 1 << 28

    private let engine: Engine

    /// Floats the network writes per input.
    package var outputCount: Int { engine.plan.outputCount }
    /// The output's shape (batch first).
    package var outputShape: [Int] { engine.plan.outputShape }
    /// Threads one call runs on.
    package var threads: Int { engine.threads }

    /// Plans `model` for inputs of `channels × height × width` (batch 1).
    /// - Parameters:
    ///   - threads: threads one call runs on (a ``WorkerTeam`` of that size per concurrent caller).
    /// - Throws: ``GraphError`` when the size does not fit the model's declared input, a node's shapes do not fit
    ///   (naming the node), a tensor would be too large, or an operand is in a form the executor does not run.
    package init(
        model: GraphModel, channels: Int, height: Int, width: Int,
        threads: Int = min(4, WorkerTeam.processorCount)
    ) throws(GraphError) {
        let lowering = try GraphLowering(model: model, channels: channels, height: height, width: width)
        let threads = max(1, min(threads, 64))
        engine = Engine(plan: try GraphPlan(lowering, threads: threads), threads: threads)
    }

    /// The output shape of `model` for an input of `channels × height × width`, checking every node's shapes
    /// without building kernels.
    /// - Throws: as ``init(model:channels:height:width:threads:)``.
    package static func outputShape(of model: GraphModel, channels: Int, height: Int, width: Int) throws(GraphError)
        -> [Int]
    {
        let lowering = try GraphLowering(model: model, channels: channels, height: height, width: width)
        return lowering.shapes[model.output]!
    }

    /// Runs one input (NCHW, batch 1: `channels · height · width` floats) into `output` (``outputCount`` floats).
    package func run(_ input: UnsafeBufferPointer<Float>, into output: UnsafeMutableBufferPointer<Float>) {
        engine.run(input, into: output)
    }

    /// The plan, its constants and the pool of workspaces.
    private final class Engine: @unchecked Sendable {
        let plan: GraphPlan
        let threads: Int
        let constants: UnsafeMutablePointer<Float>
        private let lock = NSLock()
        private var idle: [Workspace] = []

        init(plan: GraphPlan, threads: Int) {
            self.plan = plan
            self.threads = threads
            constants = .allocate(capacity: max(1, plan.constantPool.count))
            plan.constantPool.withUnsafeBufferPointer { constants.initialize(from: $0.baseAddress!, count: $0.count) }
            idle.reserveCapacity(16)
        }

        deinit { constants.deallocate() }

        func run(_ input: UnsafeBufferPointer<Float>, into output: UnsafeMutableBufferPointer<Float>) {
            precondition(input.count >= plan.inputCount, "GraphNetwork: \(input.count) input floats, need \(plan.inputCount)")
            precondition(output.count >= plan.outputCount, "GraphNetwork: room for \(output.count) floats, need \(plan.outputCount)")
            lock.lock()
            let workspace = idle.popLast()
            lock.unlock()
            let ws = workspace ?? Workspace(count: plan.arenaCount + plan.scratchCount, threads: threads)
            (ws.base + plan.inputOffset).update(from: input.baseAddress!, count: plan.inputCount)
            let pass = Pass(plan: plan, arena: ws.base, scratch: ws.base + plan.arenaCount, constants: constants)
            BLASThreads.withSingleThread {
                if let team = ws.team { team.run(pass) } else { pass.run(.serial) }
            }
            output.baseAddress!.update(from: ws.base + plan.outputOffset, count: plan.outputCount)
            lock.lock()
            if idle.count < 16 { idle.append(ws) }
            lock.unlock()
        }
    }

    /// One caller's memory (values and scratch) and threads.
    private final class Workspace: @unchecked Sendable {
        let base: UnsafeMutablePointer<Float>
        let team: WorkerTeam?

        init(count: Int, threads: Int) {
            let raw = UnsafeMutableRawPointer.allocate(byteCount: max(1, count) * 4, alignment: 64)
            base = raw.bindMemory(to: Float.self, capacity: max(1, count))
            base.initialize(repeating: 0, count: max(1, count))
            team = threads > 1 ? WorkerTeam(size: threads) : nil
        }

        deinit { base.deallocate() }
    }

    /// One pass as team work: every thread runs every step on its share, with a barrier between steps.
    private struct Pass: TeamWork {
        let plan: GraphPlan
        let arena: UnsafeMutablePointer<Float>
        let scratch: UnsafeMutablePointer<Float>
        let constants: UnsafeMutablePointer<Float>

        func run(_ context: TeamContext) {
            for step in plan.steps {
                execute(step, context)
                context.sync()
            }
        }

        @inline(__always) func pointer(_ o: GraphPlan.Operand) -> UnsafeMutablePointer<Float> {
            o.constant ? constants + o.offset : arena + o.offset
        }

        /// Elements `0 ..< count` shared out in blocks of 8.
        @inline(__always) func share(_ count: Int, _ context: TeamContext) -> Range<Int> {
            let r = context.range((count + 7) / 8)
            return min(count, r.lowerBound * 8)..<min(count, r.upperBound * 8)
        }

        func execute(_ step: GraphPlan.Step, _ context: TeamContext) {
            switch step {
            case .convolution(let conv, let winograd, let shape, let prelu, let input, let output):
                let src = UnsafeBufferPointer(start: arena + input, count: shape.count)
                let out = conv.outputShape(for: shape)!
                let dst = UnsafeMutableBufferPointer(start: arena + output, count: out.count)
                if let winograd {
                    let tmp = UnsafeMutableBufferPointer(
                        start: scratch, count: winograd.scratchCount(for: shape, parts: context.part.count))
                    winograd.forward(src, shape: shape, layout: .cnhw, output: dst, scratch: tmp, context: context)
                } else {
                    let tmp = UnsafeMutableBufferPointer(
                        start: scratch, count: conv.scratchCount(for: shape, layout: .cnhw))
                    conv.forward(src, shape: shape, layout: .cnhw, output: dst, scratch: tmp, context: context)
                }
                if let prelu {
                    let plane = out.planeSize
                    for c in context.range(out.c) {
                        GraphKernels.prelu(arena + output + c * plane, count: plane, slope: prelu[c])
                    }
                }
            case .depthwise(let conv, let input, let output):
                GraphKernels.depthwise(
                    conv, input: arena + input, output: arena + output, channels: context.range(conv.outChannels))
            case .grouped(let conv, let input, let output):
                let per = (GraphKernels.groupScratch(conv) + 15) & ~15
                for g in context.shared(conv.groups) {
                    GraphKernels.grouped(
                        conv, group: g, input: arena + input, output: arena + output,
                        scratch: scratch + context.part.index * per)
                }
            case .affine(let scale, let shift, let spatial, let input, let output):
                for c in context.range(scale.count) {
                    GraphKernels.affine(
                        arena + input + c * spatial, arena + output + c * spatial, count: spatial, scale: scale[c],
                        shift: shift[c])
                }
            case .prelu(let slope, let spatial, let input, let output):
                for c in context.range(slope.count) {
                    let y = arena + output + c * spatial
                    if input != output { y.update(from: arena + input + c * spatial, count: spatial) }
                    GraphKernels.prelu(y, count: spatial, slope: slope[c])
                }
            case .relu(let count, let input, let output):
                let r = share(count, context)
                GraphKernels.affine(arena + input + r.lowerBound, arena + output + r.lowerBound, count: r.count, scale: 1, shift: 0)
                Elementwise.apply(arena + output + r.lowerBound, count: r.count, scale: 1, shift: 0, relu: true)
            case .sigmoid(let count, let input, let output):
                GraphKernels.sigmoid(arena + input, arena + output, range: share(count, context))
            case .binary(let add, let a, let b, let kind, let spatial, let count, let output):
                let range = kind == .channel ? context.range(count / spatial) : share(count, context)
                GraphKernels.binary(
                    add: add, pointer(a), pointer(b), kind: kind, spatial: spatial, arena + output, range: range)
            case .pool(let max, let include, let window, let inSize, let outSize, let channels, let input, let output):
                GraphKernels.pool(
                    max: max, countIncludePad: include, window: window, input: arena + input, inSize: inSize,
                    output: arena + output, outSize: outSize, channels: context.range(channels))
            case .globalAverage(let plane, let channels, let input, let output):
                GraphKernels.globalAverage(arena + input, plane: plane, arena + output, channels: context.range(channels))
            case .dense(let weights, let bias, let m, let n, let k, let input, let output):
                GraphKernels.dense(
                    weights: weights, bias: bias, m: m, n: n, k: k, arena + input, arena + output,
                    rows: context.range(n))
            case .concat(let inputs, let inners, let outer, let output):
                guard context.isFirst else { return }
                let total = inners.reduce(0, +)
                var offset = 0
                for (o, inner) in zip(inputs, inners) {
                    let src = pointer(o)
                    for i in 0..<outer { (arena + output + i * total + offset).update(from: src + i * inner, count: inner) }
                    offset += inner
                }
            case .transpose(let shape, let perm, let input, let output):
                guard context.isFirst else { return }
                GraphKernels.transpose(arena + input, shape: shape, perm: perm, into: arena + output)
            case .pad(let shape, let pads, let value, let input, let output):
                guard context.isFirst else { return }
                GraphKernels.pad(arena + input, shape: shape, pads: pads, value: value, into: arena + output)
            }
        }
    }
}
