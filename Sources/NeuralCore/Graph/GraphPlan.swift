/// The compiled form of a graph for one input size: the steps to run, in order, each reading and writing at fixed
/// offsets of one workspace (values whose lifetimes do not overlap share memory), and the workspace's size.
struct GraphPlan: Sendable {
    /// Where a step's operand lives: in the workspace, or in the plan's constant pool.
    struct Operand: Sendable {
        var constant: Bool
        var offset: Int
    }

    enum Step: @unchecked Sendable {
        case convolution(Convolution, winograd: Winograd3x3?, shape: TensorShape, prelu: [Float]?, input: Int, output: Int)
        case depthwise(LoweredConv, input: Int, output: Int)
        case grouped(LoweredConv, input: Int, output: Int)
        case affine(scale: [Float], shift: [Float], spatial: Int, input: Int, output: Int)
        case prelu(slope: [Float], spatial: Int, input: Int, output: Int)
        case relu(count: Int, input: Int, output: Int)
        case sigmoid(count: Int, input: Int, output: Int)
        case binary(add: Bool, a: Operand, b: Operand, kind: GraphKernels.Broadcast, spatial: Int, count: Int, output: Int)
        case pool(max: Bool, countIncludePad: Bool, window: GraphWindow, inSize: (Int, Int), outSize: (Int, Int), channels: Int, input: Int, output: Int)
        case globalAverage(plane: Int, channels: Int, input: Int, output: Int)
        case dense(weights: [Float], bias: [Float], m: Int, n: Int, k: Int, input: Int, output: Int)
        case concat(inputs: [Operand], inners: [Int], outer: Int, output: Int)
        case transpose(shape: [Int], perm: [Int], input: Int, output: Int)
        case pad(shape: [Int], pads: [Int], value: Float, input: Int, output: Int)
    }

    var steps: [Step] = []
    /// Constants read directly by steps (operands of Add, Mul, Concat).
    var constantPool: [Float] = []
    /// Workspace floats holding the values.
    var arenaCount = 0
    /// Workspace floats of scratch after the values (im2col, Winograd).
    var scratchCount = 0
    var inputOffset = 0
    var inputCount = 0
    var outputOffset = 0
    var outputCount = 0
    var outputShape: [Int] = []

    /// 3×3 stride-1 pad-1 convolutions run as Winograd F(2×2, 3×3) on maps of at least this many 2×2 tiles (below,
    /// the 16 transformed filter matrices cost more memory traffic than the multiplies they save; as the ResNet).
    static let winogradMinimumTiles = 16

    init(_ lowering: GraphLowering, threads: Int) throws(GraphError) {
        let model = lowering.model
        // Values → storages (an alias shares its input's storage) and their lifetimes in steps.
        var storage: [Int: Int] = [0: 0]
        var sizes = [try GraphLowering.count(lowering.shapes[0]!, node: "input")]
        var first = [-1]
        var last = [-1]
        var pool: [Int: Int] = [:]
        func count(_ v: Int) -> Int { lowering.shapes[v].map { $0.reduce(1, *) } ?? 0 }
        var stepIndex = 0
        var pending: [(LoweredNode, Int)] = []  // non-alias nodes and their step index
        for node in lowering.nodes {
            if case .alias = node.op {
                guard let s = storage[node.inputs[0]] else {
                    throw .missingValue(node: node.name, value: node.inputs[0])
                }
                storage[node.output] = s
                continue
            }
            for v in node.inputs where v >= 0 {
                if let s = storage[v] {
                    last[s] = max(last[s], stepIndex)
                } else if let c = lowering.constants[v], pool[v] == nil {
                    pool[v] = constantPool.count
                    constantPool += c.floats
                } else if lowering.constants[v] == nil {
                    throw .missingValue(node: node.name, value: v)
                }
            }
            storage[node.output] = sizes.count
            sizes.append(count(node.output))
            first.append(stepIndex)
            last.append(stepIndex)
            pending.append((node, stepIndex))
            stepIndex += 1
        }
        guard let out = storage[model.output] else {
            throw .unsupported(node: "output", detail: "the output is a constant")
        }
        last[out] = Int.max
        // Offsets: first fit, in order of definition, among the storages alive at the same time.
        var offsets = [Int](repeating: 0, count: sizes.count)
        var live: [(offset: Int, end: Int, last: Int)] = []
        for s in sizes.indices {
            live.removeAll { $0.last < first[s] }
            live.sort { $0.offset < $1.offset }
            let need = (sizes[s] + 15) & ~15
            var at = 0
            for l in live {
                if l.offset - at >= need { break }
                at = max(at, l.end)
            }
            offsets[s] = at
            live.append((at, at + need, last[s]))
            arenaCount = max(arenaCount, at + need)
        }
        func at(_ v: Int) -> Int { offsets[storage[v]!] }
        func operand(_ v: Int) -> Operand {
            if let s = storage[v] { return Operand(constant: false, offset: offsets[s]) }
            return Operand(constant: true, offset: pool[v]!)
        }
        inputOffset = offsets[0]
        inputCount = sizes[0]
        outputOffset = offsets[out]
        outputCount = count(model.output)
        outputShape = lowering.shapes[model.output]!

        for (node, _) in pending {
            let x = lowering.shapes[node.inputs[0]] ?? lowering.constants[node.inputs[0]]?.shape ?? []
            let y = lowering.shapes[node.output]!
            let input = node.inputs[0]
            let spatial = y.count >= 2 ? y.dropFirst(2).reduce(1, *) : 1
            switch node.op {
            case .conv(let conv):
                if conv.isDepthwise {
                    steps.append(.depthwise(conv, input: at(input), output: at(node.output)))
                } else if conv.groups == 1, conv.dilations == (1, 1), conv.pads.0 == conv.pads.2,
                    conv.pads.1 == conv.pads.3, conv.pads.0 < conv.kernel.0, conv.pads.1 < conv.kernel.1
                {
                    var relu = false
                    var prelu: [Float]?
                    switch conv.activation {
                    case .none: break
                    case .relu: relu = true
                    case .prelu(let s): prelu = s
                    }
                    let c: Convolution
                    do {
                        c = try Convolution(
                            inChannels: conv.inChannels, outChannels: conv.outChannels, kernelHeight: conv.kernel.0,
                            kernelWidth: conv.kernel.1, strideY: conv.strides.0, strideX: conv.strides.1,
                            padY: conv.pads.0, padX: conv.pads.1, weights: conv.weights, bias: conv.bias, relu: relu)
                    } catch {
                        throw .unsupported(node: node.name, detail: "\(error)")
                    }
                    let shape = TensorShape(n: 1, c: x[1], h: x[2], w: x[3])
                    var winograd: Winograd3x3?
                    if ((shape.h + 1) / 2) * ((shape.w + 1) / 2) >= Self.winogradMinimumTiles {
                        winograd = Winograd3x3(c)
                    }
                    scratchCount = max(scratchCount, c.scratchCount(for: shape, layout: .cnhw))
                    if let winograd { scratchCount = max(scratchCount, winograd.scratchCount(for: shape, parts: threads)) }
                    steps.append(
                        .convolution(c, winograd: winograd, shape: shape, prelu: prelu, input: at(input), output: at(node.output)))
                } else {
                    scratchCount = max(scratchCount, threads * ((GraphKernels.groupScratch(conv) + 15) & ~15))
                    steps.append(.grouped(conv, input: at(input), output: at(node.output)))
                }
            case .affine(let scale, let shift):
                steps.append(.affine(scale: scale, shift: shift, spatial: spatial, input: at(input), output: at(node.output)))
            case .prelu(let slope):
                steps.append(.prelu(slope: slope, spatial: spatial, input: at(input), output: at(node.output)))
            case .relu:
                steps.append(.relu(count: count(node.output), input: at(input), output: at(node.output)))
            case .sigmoid:
                steps.append(.sigmoid(count: count(node.output), input: at(input), output: at(node.output)))
            case .add, .mul:
                let total = count(node.output)
                func kind(_ v: Int) -> GraphKernels.Broadcast? {
                    let s = lowering.shapes[v] ?? lowering.constants[v]!.shape
                    let n = s.reduce(1, *)
                    if n == total { return .full }
                    if n == 1 { return .scalar }
                    if y.count >= 2, y[0] == 1, n == y[1],
                        (try? GraphLowering.perChannel(GraphConstant(shape: s, floats: []), x: y, node: "", what: "")) != nil
                    {
                        return .channel
                    }
                    return nil
                }
                var a = node.inputs[0]
                var b = node.inputs[1]
                if kind(a) != .full { swap(&a, &b) }
                guard kind(a) == .full, let kb = kind(b) else {
                    throw .unsupported(
                        node: node.name, detail: "broadcast of \(x) with \(lowering.shapes[node.inputs[1]] ?? [])")
                }
                steps.append(
                    .binary(
                        add: node.op.isAdd, a: operand(a), b: operand(b), kind: kb, spatial: spatial, count: total,
                        output: at(node.output)))
            case .maxPool(let window):
                steps.append(
                    .pool(
                        max: true, countIncludePad: false, window: window, inSize: (x[2], x[3]), outSize: (y[2], y[3]),
                        channels: x[1], input: at(input), output: at(node.output)))
            case .averagePool(let window, let include):
                steps.append(
                    .pool(
                        max: false, countIncludePad: include, window: window, inSize: (x[2], x[3]),
                        outSize: (y[2], y[3]), channels: x[1], input: at(input), output: at(node.output)))
            case .globalAveragePool:
                steps.append(.globalAverage(plane: x[2] * x[3], channels: x[1], input: at(input), output: at(node.output)))
            case .dense(let weights, let bias, let m, let n, let k):
                steps.append(.dense(weights: weights, bias: bias, m: m, n: n, k: k, input: at(input), output: at(node.output)))
            case .concat(let axis):
                let inputs = node.inputs.map(operand)
                let inners = node.inputs.map { v in
                    (lowering.shapes[v] ?? lowering.constants[v]!.shape)[axis...].reduce(1, *)
                }
                steps.append(.concat(inputs: inputs, inners: inners, outer: y[..<axis].reduce(1, *), output: at(node.output)))
            case .transpose(let perm):
                steps.append(.transpose(shape: x, perm: perm, input: at(input), output: at(node.output)))
            case .pad(let pads, let value):
                steps.append(.pad(shape: x, pads: pads, value: value, input: at(input), output: at(node.output)))
            case .alias:
                break
            }
        }
        guard arenaCount + scratchCount <= 4 * GraphNetwork.maximumElements else {
            throw .tooLarge(node: "workspace", elements: "\(arenaCount + scratchCount)")
        }
    }
}

extension LoweredNode.Op {
    var isAdd: Bool {
        if case .add = self { return true }
        return false
    }
}
