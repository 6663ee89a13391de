/// A validated inference graph, ready for ``GraphNetwork``: the intermediate form a model reader (ONNXFormat) builds.
///
/// Values are numbered: value 0 is the graph's one input, the others are the outputs of ``nodes`` or the
/// ``constants`` (weights). ``nodes`` are in topological order: every node's inputs are the input, a constant or
/// the output of an earlier node. Tensors are row-major float32 (NCHW for 4-D maps). Shapes are checked for one
/// input size when a ``GraphNetwork`` is planned.
package struct GraphModel: Sendable {
    /// The input's declared shape, NCHW (batch first); a symbolic dimension (e.g. the batch) is -1.
    package var inputShape: [Int]
    /// The output's declared shape (a symbolic dimension is -1; empty when the model declares none).
    package var outputShape: [Int]
    /// The value the graph returns.
    package var output: Int
    /// The name of every value, indexed by value number (for messages).
    package var valueNames: [String]
    /// Weights and other constant tensors, by value number.
    package var constants: [Int: GraphConstant]
    /// The operations, in topological order.
    package var nodes: [GraphNode]

    /// Creates a graph.
    package init(
        inputShape: [Int], outputShape: [Int], output: Int, valueNames: [String], constants: [Int: GraphConstant],
        nodes: [GraphNode]
    ) {
        self.inputShape = inputShape
        self.outputShape = outputShape
        self.output = output
        self.valueNames = valueNames
        self.constants = constants
        self.nodes = nodes
    }
}

/// A constant tensor of a ``GraphModel`` (a weight, or the integer shape/pads operand of Reshape or Pad).
package struct GraphConstant: Sendable, Equatable {
    /// Dimensions (empty for a scalar).
    package var shape: [Int]
    /// The values as floats (integer tensors are converted too), `shape`'s product of them.
    package var floats: [Float]
    /// The exact values of an integer (int64) tensor, nil for a float tensor.
    package var integers: [Int]?

    /// A float tensor.
    package init(shape: [Int], floats: [Float]) {
        self.shape = shape
        self.floats = floats
        self.integers = nil
    }

    /// An integer tensor.
    package init(shape: [Int], integers: [Int]) {
        self.shape = shape
        self.floats = integers.map { Float($0) }
        self.integers = integers
    }
}

/// One operation of a ``GraphModel``.
package struct GraphNode: Sendable, Equatable {
    /// The node's name in the model (or a generated one), for messages.
    package var name: String
    /// The operation and its attributes.
    package var op: GraphOp
    /// Input value numbers, in the operator's order; an absent optional input is -1.
    package var inputs: [Int]
    /// The output value number.
    package var output: Int

    /// Creates a node.
    package init(name: String, op: GraphOp, inputs: [Int], output: Int) {
        self.name = name
        self.op = op
        self.inputs = inputs
        self.output = output
    }
}

/// How a convolution or pool pads its input (ONNX `auto_pad`).
package enum GraphAutoPad: Sendable, Equatable {
    /// The explicit pads apply.
    case explicit
    /// No padding.
    case valid
    /// Output size `ceil(in / stride)`; an odd total pad puts the extra pixel at the end.
    case sameUpper
    /// As ``sameUpper``, the extra pixel at the start.
    case sameLower
}

/// The window of a 2-D convolution or pool over an NCHW map.
package struct GraphWindow: Sendable, Equatable {
    /// Kernel rows and columns (for a convolution, nil until taken from the weights).
    package var kernel: (Int, Int)?
    /// Strides along y and x.
    package var strides: (Int, Int)
    /// Dilations along y and x.
    package var dilations: (Int, Int)
    /// Explicit pads: top, left, bottom, right (used with ``GraphAutoPad/explicit``).
    package var pads: (Int, Int, Int, Int)
    /// The padding rule.
    package var autoPad: GraphAutoPad

    /// Creates a window.
    package init(
        kernel: (Int, Int)?, strides: (Int, Int) = (1, 1), dilations: (Int, Int) = (1, 1),
        pads: (Int, Int, Int, Int) = (0, 0, 0, 0), autoPad: GraphAutoPad = .explicit
    ) {
        self.kernel = kernel
        self.strides = strides
        self.dilations = dilations
        self.pads = pads
        self.autoPad = autoPad
    }

    package static func == (a: GraphWindow, b: GraphWindow) -> Bool {
        a.kernel?.0 == b.kernel?.0 && a.kernel?.1 == b.kernel?.1 && a.strides == b.strides
            && a.dilations == b.dilations && a.pads == b.pads && a.autoPad == b.autoPad
    }
}

/// The operators ``GraphNetwork`` runs (the ONNX operators face-recognition networks use), with their attributes.
package enum GraphOp: Sendable, Equatable {
    /// 2-D convolution; inputs X, W (OIHW constant), optional B (constant).
    case conv(GraphWindow, groups: Int)
    /// Inference batch normalisation; inputs X, scale, bias, mean, variance (constants).
    case batchNormalization(epsilon: Float)
    /// `x < 0 ? slope·x : x`; inputs X, slope (constant: one value, or one per channel).
    case prelu
    /// `max(x, 0)`.
    case relu
    /// `1 / (1 + e^−x)`.
    case sigmoid
    /// Element-wise sum with broadcasting (same shape, one value per channel, or a scalar).
    case add
    /// Element-wise product with broadcasting (as ``add``).
    case mul
    /// Max pooling (no dilation, floor rounding).
    case maxPool(GraphWindow)
    /// Average pooling; `countIncludePad` divides by the whole window.
    case averagePool(GraphWindow, countIncludePad: Bool)
    /// Mean over each channel's plane (output N×C×1×1).
    case globalAveragePool
    /// Flattens to 2-D at `axis` (no data movement).
    case flatten(axis: Int)
    /// Reshapes to the constant shape input (0 copies a dimension unless `allowZero`, -1 is inferred).
    case reshape(allowZero: Bool)
    /// `alpha · A' · B' + beta · C`; inputs A, B (constant), optional C (constant).
    case gemm(alpha: Float, beta: Float, transA: Bool, transB: Bool)
    /// Matrix product A · B with B a 2-D constant.
    case matMul
    /// Concatenation along `axis` (negative counts from the end).
    case concat(axis: Int)
    /// Axis permutation (nil reverses the axes).
    case transpose(perm: [Int]?)
    /// Constant padding: `pads` is the ONNX order (all begins, then all ends); `value` fills.
    case pad(pads: [Int], value: Float)
    /// The input unchanged (Identity, inference-mode Dropout).
    case identity
}
