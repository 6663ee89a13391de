/// A node of the executor's own form of a graph (``GraphLowering``): weights folded and laid out for the kernels,
/// batch normalisation folded into the preceding convolution or dense layer, activations fused into convolutions,
/// shapes resolved for one input size.
struct LoweredNode {
    enum Op {
        case conv(LoweredConv)
        /// `y = scale[c]·x + shift[c]` along axis 1.
        case affine(scale: [Float], shift: [Float])
        /// Per-channel (axis 1) slope.
        case prelu(slope: [Float])
        case relu
        case sigmoid
        case add
        case mul
        case maxPool(GraphWindow)
        case averagePool(GraphWindow, countIncludePad: Bool)
        case globalAveragePool
        /// The output is the input with another shape (Flatten, Reshape, Identity, Dropout): no data moves.
        case alias
        /// `y[m, :] = W · a[m, :] + bias[m, :]`, W `n × k` row-major, bias `m × n` (Gemm, MatMul).
        case dense(weights: [Float], bias: [Float], m: Int, n: Int, k: Int)
        case concat(axis: Int)
        case transpose(perm: [Int])
        case pad(pads: [Int], value: Float)
    }
    var name: String
    var op: Op
    var inputs: [Int]
    var output: Int
}

/// A convolution with its weights (OIHW per group), resolved pads and fused activation.
struct LoweredConv {
    enum Activation {
        case none, relu
        case prelu([Float])
    }
    var weights: [Float]
    var bias: [Float]
    var inChannels: Int
    var outChannels: Int
    var groups: Int
    var kernel: (Int, Int)
    var strides: (Int, Int)
    var dilations: (Int, Int)
    /// top, left, bottom, right (resolved from auto_pad).
    var pads: (Int, Int, Int, Int)
    var activation: Activation = .none
    /// Input and output sizes (h, w).
    var inSize: (Int, Int) = (0, 0)
    var outSize: (Int, Int) = (0, 0)

    var isDepthwise: Bool { groups > 1 && groups == inChannels && groups == outChannels }

    /// Folds `y = scale·conv + shift` into the weights and bias.
    mutating func fold(scale: [Float], shift: [Float]) {
        let per = weights.count / outChannels
        for o in 0..<outChannels {
            for i in 0..<per { weights[o * per + i] *= scale[o] }
            bias[o] = bias[o] * scale[o] + shift[o]
        }
    }
}

/// Turns a ``GraphModel`` into ``LoweredNode``s for one input size, inferring every value's shape.
struct GraphLowering {
    let model: GraphModel
    var shapes: [Int: [Int]] = [:]
    var constants: [Int: GraphConstant]
    var nodes: [LoweredNode] = []
    /// Lowered node index that writes each value.
    var producer: [Int: Int] = [:]
    /// How many times each value is read (node inputs, plus one for the graph output).
    var readers: [Int: Int] = [:]

    init(model: GraphModel, channels: Int, height: Int, width: Int) throws(GraphError) {
        self.model = model
        constants = model.constants
        let given = [1, channels, height, width]
        guard channels > 0, height > 0, width > 0, model.inputShape.count == 4,
            zip(model.inputShape, given).allSatisfy({ $0 <= 0 || $0 == $1 })
        else { throw .inputShape(expected: model.inputShape, got: given) }
        _ = try Self.count(given, node: "input")
        shapes[0] = given
        for node in model.nodes { for i in node.inputs where i >= 0 { readers[i, default: 0] += 1 } }
        readers[model.output, default: 0] += 1
        for node in model.nodes { try lower(node) }
        guard shapes[model.output] != nil else { throw .missingValue(node: "output", value: model.output) }
    }

    /// Element count of a shape, refusing dims ≤ 0 and products above ``GraphNetwork/maximumElements``.
    static func count(_ shape: [Int], node: String) throws(GraphError) -> Int {
        var n = 1
        for d in shape {
            guard d > 0 else { throw .shapeMismatch(node: node, detail: "dimension \(d) in \(shape)") }
            let (p, o) = n.multipliedReportingOverflow(by: d)
            guard !o, p <= GraphNetwork.maximumElements else { throw .tooLarge(node: node, elements: "\(shape)") }
            n = p
        }
        return n
    }

    func shape(_ value: Int, _ node: GraphNode) throws(GraphError) -> [Int] {
        if let s = shapes[value] { return s }
        if let c = constants[value] { return c.shape }
        throw .missingValue(node: node.name, value: value)
    }

    func constant(_ node: GraphNode, _ index: Int, _ what: String) throws(GraphError) -> GraphConstant {
        guard index < node.inputs.count, node.inputs[index] >= 0 else {
            throw .unsupported(node: node.name, detail: "missing \(what)")
        }
        guard let c = constants[node.inputs[index]] else {
            throw .unsupported(node: node.name, detail: "\(what) must be a constant (initializer)")
        }
        return c
    }

    /// A lowered conv or dense node that writes `value` for this reader only (so it can absorb what follows).
    func foldable(_ value: Int) -> Int? {
        guard let p = producer[value], readers[value] == 1, value != model.output else { return nil }
        return p
    }

    mutating func emit(_ node: GraphNode, _ op: LoweredNode.Op, inputs: [Int], shape: [Int]) throws(GraphError) {
        _ = try Self.count(shape, node: node.name)
        shapes[node.output] = shape
        producer[node.output] = nodes.count
        nodes.append(LoweredNode(name: node.name, op: op, inputs: inputs, output: node.output))
    }

    /// Moves node `index`'s output to `value` (the node absorbed the one that wrote `value`).
    mutating func retarget(_ index: Int, to value: Int, shape: [Int]) {
        producer[nodes[index].output] = nil
        nodes[index].output = value
        producer[value] = index
        shapes[value] = shape
    }

    /// Per-channel parameters (axis 1 of `x`) from a constant that is a scalar or holds one value per channel.
    static func perChannel(_ c: GraphConstant, x: [Int], node: String, what: String) throws(GraphError) -> [Float] {
        // Per-channel steps (affine, PReLU) cover one sample: a value with a first dimension above 1 is refused.
        guard x.count < 2 || x[0] == 1 else {
            throw .unsupported(node: node, detail: "\(what) per channel on a value of shape \(x) (first dimension > 1)")
        }
        let channels = x.count >= 2 ? x[1] : 1
        if c.floats.count == 1 { return [Float](repeating: c.floats[0], count: channels) }
        // Right-aligned broadcast: the only non-1 dim must land on axis 1.
        let offset = x.count - c.shape.count
        let nonOne = c.shape.indices.filter { c.shape[$0] != 1 }
        guard offset >= 0, nonOne.count == 1, nonOne[0] + offset == 1, c.shape[nonOne[0]] == channels else {
            throw .unsupported(node: node, detail: "\(what) of shape \(c.shape) for input \(x) (per channel or scalar)")
        }
        return c.floats
    }

    static func broadcast(_ a: [Int], _ b: [Int], node: String) throws(GraphError) -> [Int] {
        let r = max(a.count, b.count)
        let pa = [Int](repeating: 1, count: r - a.count) + a
        let pb = [Int](repeating: 1, count: r - b.count) + b
        var out: [Int] = []
        for (x, y) in zip(pa, pb) {
            guard x == y || x == 1 || y == 1 else {
                throw .shapeMismatch(node: node, detail: "cannot broadcast \(a) with \(b)")
            }
            out.append(max(x, y))
        }
        return out
    }

    /// Output size and begin/end pads along one axis.
    static func axis(
        _ size: Int, kernel: Int, stride: Int, dilation: Int, pads: (Int, Int), auto: GraphAutoPad, node: String
    ) throws(GraphError) -> (out: Int, begin: Int, end: Int) {
        let extent = dilation * (kernel - 1) + 1
        var begin = pads.0
        var end = pads.1
        switch auto {
        case .explicit: break
        case .valid:
            begin = 0
            end = 0
        case .sameUpper, .sameLower:
            let out = (size + stride - 1) / stride
            let total = max(0, (out - 1) * stride + extent - size)
            begin = auto == .sameUpper ? total / 2 : total - total / 2
            end = total - begin
        }
        let padded = size + begin + end
        guard padded >= extent else {
            throw .shapeMismatch(
                node: node, detail: "input \(size) (padded \(padded)) smaller than the window \(extent)")
        }
        return ((padded - extent) / stride + 1, begin, end)
    }

    // MARK: lowering one node

    mutating func lower(_ node: GraphNode) throws(GraphError) {
        guard let first = node.inputs.first, first >= 0 else { throw .missingValue(node: node.name, value: -1) }
        let x = try shape(first, node)
        let name = node.name
        switch node.op {
        case .add, .mul, .concat, .flatten, .reshape, .identity:
            break  // a constant operand becomes an affine or a binary operand; an alias of a constant stays one
        default:
            // Every other operator runs on a computed value: a constant input (which a plan keeps in the constant
            // pool, not in the arena) is refused here, as a typed error, for all of them at once.
            guard constants[first] == nil else { throw .unsupported(node: name, detail: "constant input") }
        }
        switch node.op {
        case .conv(let window, let groups):
            guard x.count == 4, x[0] == 1 else {
                throw .shapeMismatch(node: name, detail: "input \(x) (expected 1×C×H×W)")
            }
            let w = try constant(node, 1, "weights")
            guard w.shape.count == 4 else { throw .shapeMismatch(node: name, detail: "weights of shape \(w.shape)") }
            let (o, ig, kh, kw) = (w.shape[0], w.shape[1], w.shape[2], w.shape[3])
            guard ig * groups == x[1], o % groups == 0 else {
                throw .shapeMismatch(node: name, detail: "weights \(w.shape), \(groups) groups, input \(x)")
            }
            if let k = window.kernel, k != (kh, kw) {
                throw .shapeMismatch(node: name, detail: "kernel_shape \(k) but weights \(w.shape)")
            }
            var bias = [Float](repeating: 0, count: o)
            if node.inputs.count > 2 && node.inputs[2] >= 0 {
                let b = try constant(node, 2, "bias")
                guard b.floats.count == o else {
                    throw .shapeMismatch(node: name, detail: "bias \(b.shape), \(o) filters")
                }
                bias = b.floats
            }
            let ay = try Self.axis(
                x[2], kernel: kh, stride: window.strides.0, dilation: window.dilations.0,
                pads: (window.pads.0, window.pads.2), auto: window.autoPad, node: name)
            let ax = try Self.axis(
                x[3], kernel: kw, stride: window.strides.1, dilation: window.dilations.1,
                pads: (window.pads.1, window.pads.3), auto: window.autoPad, node: name)
            var conv = LoweredConv(
                weights: w.floats, bias: bias, inChannels: x[1], outChannels: o, groups: groups, kernel: (kh, kw),
                strides: window.strides, dilations: window.dilations, pads: (ay.begin, ax.begin, ay.end, ax.end))
            conv.inSize = (x[2], x[3])
            conv.outSize = (ay.out, ax.out)
            // im2col of one group: (C/g·kh·kw) × (oh·ow)
            _ = try Self.count([ig * kh * kw, ay.out * ax.out], node: name)
            try emit(node, .conv(conv), inputs: [first], shape: [1, o, ay.out, ax.out])

        case .batchNormalization(let epsilon):
            let p = try (1...4).map { (i) throws(GraphError) in try constant(node, i, "batch-norm parameter") }
            let channels = x.count >= 2 ? x[1] : 0
            guard p.allSatisfy({ $0.floats.count == channels }) else {
                throw .shapeMismatch(node: name, detail: "parameters for \(channels) channels expected, input \(x)")
            }
            var scale = [Float](repeating: 0, count: channels)
            var shift = scale
            for c in 0..<channels {
                scale[c] = p[0].floats[c] / (p[3].floats[c] + epsilon).squareRoot()
                shift[c] = p[1].floats[c] - p[2].floats[c] * scale[c]
            }
            if let index = foldable(first) {
                switch nodes[index].op {
                case .conv(var conv) where conv.activation.isNone:
                    conv.fold(scale: scale, shift: shift)
                    nodes[index].op = .conv(conv)
                    retarget(index, to: node.output, shape: x)
                    return
                case .dense(var weights, var bias, let m, let n, let k) where x.count == 2 && n == channels:
                    for j in 0..<n {
                        for i in 0..<k { weights[j * k + i] *= scale[j] }
                        for r in 0..<m { bias[r * n + j] = bias[r * n + j] * scale[j] + shift[j] }
                    }
                    nodes[index].op = .dense(weights: weights, bias: bias, m: m, n: n, k: k)
                    retarget(index, to: node.output, shape: x)
                    return
                default: break
                }
            }
            try emit(node, .affine(scale: scale, shift: shift), inputs: [first], shape: x)

        case .relu, .prelu:
            var slope: [Float]?
            if case .prelu = node.op {
                slope = try Self.perChannel(try constant(node, 1, "slope"), x: x, node: name, what: "slope")
            }
            if let index = foldable(first), case .conv(var conv) = nodes[index].op, conv.activation.isNone {
                conv.activation = slope.map { .prelu($0) } ?? .relu
                nodes[index].op = .conv(conv)
                retarget(index, to: node.output, shape: x)
                return
            }
            try emit(node, slope.map { .prelu(slope: $0) } ?? .relu, inputs: [first], shape: x)

        case .sigmoid:
            try emit(node, .sigmoid, inputs: [first], shape: x)

        case .add, .mul:
            guard node.inputs.count == 2, node.inputs[1] >= 0 else { throw .missingValue(node: name, value: -1) }
            let y = try shape(node.inputs[1], node)
            let out = try Self.broadcast(x, y, node: name)
            let isAdd = node.op == .add
            // A value and a per-channel or scalar constant: an affine.
            for (v, c) in [(node.inputs[0], node.inputs[1]), (node.inputs[1], node.inputs[0])] {
                if constants[v] == nil, let k = constants[c], shapes[v] == out,
                    let per = try? Self.perChannel(k, x: out, node: name, what: "operand")
                {
                    let ones = [Float](repeating: 1, count: per.count)
                    let zeros = [Float](repeating: 0, count: per.count)
                    try emit(
                        node, isAdd ? .affine(scale: ones, shift: per) : .affine(scale: per, shift: zeros),
                        inputs: [v], shape: out)
                    return
                }
            }
            guard constants[node.inputs[0]] == nil || constants[node.inputs[1]] == nil else {
                throw .unsupported(node: name, detail: "both operands constant")
            }
            try emit(node, isAdd ? .add : .mul, inputs: node.inputs, shape: out)

        case .maxPool(let window), .averagePool(let window, _):
            guard x.count == 4, x[0] == 1, let k = window.kernel else {
                throw .shapeMismatch(node: name, detail: "input \(x) (expected 1×C×H×W)")
            }
            let ay = try Self.axis(
                x[2], kernel: k.0, stride: window.strides.0, dilation: 1, pads: (window.pads.0, window.pads.2),
                auto: window.autoPad, node: name)
            let ax = try Self.axis(
                x[3], kernel: k.1, stride: window.strides.1, dilation: 1, pads: (window.pads.1, window.pads.3),
                auto: window.autoPad, node: name)
            var resolved = window
            resolved.pads = (ay.begin, ax.begin, ay.end, ax.end)
            resolved.autoPad = .explicit
            let op: LoweredNode.Op
            if case .averagePool(_, let include) = node.op {
                op = .averagePool(resolved, countIncludePad: include)
            } else {
                op = .maxPool(resolved)
            }
            try emit(node, op, inputs: [first], shape: [1, x[1], ay.out, ax.out])

        case .globalAveragePool:
            guard x.count == 4, x[0] == 1 else { throw .shapeMismatch(node: name, detail: "input \(x)") }
            try emit(node, .globalAveragePool, inputs: [first], shape: [1, x[1], 1, 1])

        case .flatten(let axis):
            let a = axis < 0 ? axis + x.count : axis
            guard a >= 0 && a <= x.count else { throw .shapeMismatch(node: name, detail: "axis \(axis) of \(x)") }
            let outer = x[..<a].reduce(1, *)
            try alias(node, first, shape: [outer, x[a...].reduce(1, *)])

        case .reshape(let allowZero):
            let target = try constant(node, 1, "shape")
            guard let dims = target.integers, target.shape.count == 1, dims.count <= 8 else {
                throw .unsupported(node: name, detail: "shape must be a constant 1-D int64 tensor")
            }
            let total = x.reduce(1, *)
            var out: [Int] = []
            var infer: Int?
            for (i, d) in dims.enumerated() {
                if d == 0 && !allowZero {
                    guard i < x.count else { throw .shapeMismatch(node: name, detail: "0 at \(i) for input \(x)") }
                    out.append(x[i])
                } else if d == -1 {
                    guard infer == nil else { throw .shapeMismatch(node: name, detail: "two -1 in \(dims)") }
                    infer = i
                    out.append(1)
                } else {
                    guard d > 0, d <= GraphNetwork.maximumElements else {
                        throw .shapeMismatch(node: name, detail: "dimension \(d) in \(dims)")
                    }
                    out.append(d)
                }
            }
            let known = try Self.count(out, node: name)
            if let i = infer {
                guard known > 0, total % known == 0 else {
                    throw .shapeMismatch(node: name, detail: "cannot reshape \(x) to \(dims)")
                }
                out[i] = total / known
            }
            guard out.reduce(1, *) == total else {
                throw .shapeMismatch(node: name, detail: "cannot reshape \(x) (\(total) values) to \(dims)")
            }
            try alias(node, first, shape: out)

        case .identity:
            try alias(node, first, shape: x)

        case .gemm(let alpha, let beta, let transA, let transB):
            guard x.count == 2, !transA || x[1] == 1 else {
                throw .unsupported(node: name, detail: "A must be a computed 2-D value (transA only for one row)")
            }
            let (m, k) = transA ? (x[1], x[0]) : (x[0], x[1])
            let b = try constant(node, 1, "B")
            guard b.shape.count == 2, (transB ? b.shape[1] : b.shape[0]) == k else {
                throw .shapeMismatch(node: name, detail: "A \(x) and B \(b.shape) (transB \(transB))")
            }
            let n = transB ? b.shape[0] : b.shape[1]
            _ = try Self.count([m, n], node: name)  // before anything is sized by m·n
            var weights = transB ? b.floats : Self.transposed(b.floats, rows: k, columns: n)
            if alpha != 1 { for i in weights.indices { weights[i] *= alpha } }
            var bias = [Float](repeating: 0, count: m * n)
            if node.inputs.count > 2 && node.inputs[2] >= 0 {
                let c = try constant(node, 2, "C")
                let cs = try Self.broadcast(c.shape, [m, n], node: name)
                guard cs == [m, n] else { throw .shapeMismatch(node: name, detail: "C \(c.shape) for \(m)×\(n)") }
                let pc = [Int](repeating: 1, count: 2 - c.shape.count) + c.shape
                for r in 0..<m {
                    for j in 0..<n {
                        bias[r * n + j] = beta * c.floats[(pc[0] == 1 ? 0 : r) * pc[1] + (pc[1] == 1 ? 0 : j)]
                    }
                }
            }
            try emit(node, .dense(weights: weights, bias: bias, m: m, n: n, k: k), inputs: [first], shape: [m, n])

        case .matMul:
            let b = try constant(node, 1, "B")
            guard x.count >= 2, b.shape.count == 2, x[x.count - 1] == b.shape[0] else {
                throw .shapeMismatch(node: name, detail: "A \(x) · B \(b.shape) (B a 2-D constant)")
            }
            let (k, n) = (b.shape[0], b.shape[1])
            let m = x.dropLast().reduce(1, *)
            _ = try Self.count([m, n], node: name)  // before anything is sized by m·n
            try emit(
                node,
                .dense(
                    weights: Self.transposed(b.floats, rows: k, columns: n), bias: [Float](repeating: 0, count: m * n),
                    m: m, n: n, k: k), inputs: [first], shape: x.dropLast() + [n])

        case .concat(let axis):
            let all = try node.inputs.map { (v) throws(GraphError) in
                guard v >= 0 else { throw GraphError.missingValue(node: name, value: v) }
                return try shape(v, node)
            }
            let a = axis < 0 ? axis + x.count : axis
            guard a >= 0 && a < x.count,
                all.allSatisfy({ $0.count == x.count && zip($0, x).enumerated().allSatisfy { $0 == a || $1.0 == $1.1 } }
                )
            else { throw .shapeMismatch(node: name, detail: "concat of \(all) on axis \(axis)") }
            var out = x
            out[a] = all.reduce(0) { $0 + $1[a] }
            try emit(node, .concat(axis: a), inputs: node.inputs, shape: out)

        case .transpose(let perm):
            let p = perm ?? Array((0..<x.count).reversed())
            guard p.count == x.count else { throw .shapeMismatch(node: name, detail: "perm \(p) for input \(x)") }
            try emit(node, .transpose(perm: p), inputs: [first], shape: p.map { x[$0] })

        case .pad(let pads, let value):
            guard pads.count == 2 * x.count else {
                throw .shapeMismatch(node: name, detail: "\(pads.count) pads for input \(x)")
            }
            let out = x.indices.map { x[$0] + pads[$0] + pads[$0 + x.count] }
            try emit(node, .pad(pads: pads, value: value), inputs: [first], shape: out)
        }
    }

    /// The output is the input reshaped: a constant stays a constant, a value shares its buffer.
    mutating func alias(_ node: GraphNode, _ input: Int, shape: [Int]) throws(GraphError) {
        if let c = constants[input] {
            var r = c
            r.shape = shape
            constants[node.output] = r
            return
        }
        try emit(node, .alias, inputs: [input], shape: shape)
    }

    static func transposed(_ a: [Float], rows: Int, columns: Int) -> [Float] {
        var t = [Float](repeating: 0, count: a.count)
        for r in 0..<rows { for c in 0..<columns { t[c * rows + r] = a[r * columns + c] } }
        return t
    }
}

extension LoweredConv.Activation {
    var isNone: Bool {
        if case .none = self { return true }
        return false
    }
}
