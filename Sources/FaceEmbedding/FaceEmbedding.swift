import NeuralCore

/// A face descriptor: 128 values from dlib's face-recognition ResNet (the default model), or as many as an
/// external model's manifest declares (e.g. 512 for ArcFace-class networks, L2-normalised).
///
/// Descriptors of different lengths (different models) never compare: ``euclideanDistance(to:)`` and
/// ``cosineSimilarity(to:)`` return NaN for them, which no threshold accepts — and the verifier refuses such a
/// comparison before it gets here (templates record their model).
///
/// dlib's descriptors are not unit length (norms ≈ 1.38–1.51); two faces are the same person when
/// ``euclideanDistance(to:)`` is below the model's threshold 0.6. ``cosineSimilarity(to:)`` is offered for
/// integrators who want it, but it is not equivalent: all descriptors lie in a narrow cone, so different
/// people still reach cosine 0.76–0.91.
///
/// Biometric data: never log or persist the values in clear.
public struct FaceEmbedding: Sendable, Equatable {
    /// The dimension of a dlib descriptor.
    public static let dimension = 128
    /// The largest dimension an external model may declare.
    public static let maximumDimension = 8192

    /// The values (``dimension`` for dlib's ResNet, the manifest's embedding size for an external model).
    public let values: [Float]

    /// The number of values.
    public var count: Int { values.count }

    /// Wraps 128 values (a dlib descriptor).
    /// - Throws: ``FaceEmbeddingError/wrongDimension(_:)`` unless there are exactly 128 finite values.
    public init(values: [Float]) throws(FaceEmbeddingError) {
        try self.init(values: values, dimension: Self.dimension)
    }

    /// Wraps `dimension` values (a descriptor of a model whose embedding size is `dimension`).
    /// - Throws: ``FaceEmbeddingError/wrongDimension(_:)`` unless there are exactly `dimension` values and `dimension`
    ///   is 1…``maximumDimension``; ``FaceEmbeddingError/nonFinite`` for a NaN or infinite value.
    public init(values: [Float], dimension: Int) throws(FaceEmbeddingError) {
        guard (1...Self.maximumDimension).contains(dimension), values.count == dimension else {
            throw .wrongDimension(values.count)
        }
        guard values.allSatisfy(\.isFinite) else { throw .nonFinite }
        self.values = values
    }

    package init(unchecked values: [Float]) { self.values = values }

    /// The element-wise mean of descriptors (nil for none, or when their lengths differ). The mean of finite
    /// descriptors is one too.
    public static func mean(_ descriptors: [FaceEmbedding]) -> FaceEmbedding? {
        guard let first = descriptors.first, descriptors.allSatisfy({ $0.count == first.count }) else { return nil }
        var sum = first.values
        for d in descriptors.dropFirst() { for i in sum.indices { sum[i] += d.values[i] } }
        let n = Float(descriptors.count)
        return FaceEmbedding(unchecked: sum.map { $0 / n })
    }

    /// The L2 norm (dimensionless).
    public var norm: Float { Self.dot(values, values).squareRoot() }

    /// Euclidean distance between the raw descriptors (dlib's comparison; same person when < 0.6); NaN when the
    /// lengths differ.
    public func euclideanDistance(to other: FaceEmbedding) -> Float {
        guard values.count == other.values.count else { return .nan }
        return values.withUnsafeBufferPointer { a in
            other.values.withUnsafeBufferPointer { b in
                var acc = SIMD8<Float>()
                let ra = UnsafeRawPointer(a.baseAddress!)
                let rb = UnsafeRawPointer(b.baseAddress!)
                let n = a.count
                let whole = n & ~7
                for i in stride(from: 0, to: whole, by: 8) {
                    let d =
                        ra.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
                        - rb.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
                    acc += d * d
                }
                var tail: Float = 0
                for i in whole..<n {
                    let d = a[i] - b[i]
                    tail += d * d
                }
                return (acc.sum() + tail).squareRoot()
            }
        }
    }

    /// Cosine similarity of the two L2-normalised descriptors, in [−1, 1] (0 when either is zero; NaN when the
    /// lengths differ).
    public func cosineSimilarity(to other: FaceEmbedding) -> Float {
        guard values.count == other.values.count else { return .nan }
        let ab = Self.dot(values, other.values)
        let n = (Self.dot(values, values) * Self.dot(other.values, other.values)).squareRoot()
        return n > 0 ? min(1, max(-1, ab / n)) : 0
    }

    /// The dot product of two arrays of equal length (the caller checks the lengths).
    static func dot(_ a: [Float], _ b: [Float]) -> Float {
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                var acc = SIMD8<Float>()
                let ra = UnsafeRawPointer(pa.baseAddress!)
                let rb = UnsafeRawPointer(pb.baseAddress!)
                let n = pa.count
                let whole = n & ~7
                for i in stride(from: 0, to: whole, by: 8) {
                    acc +=
                        ra.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
                        * rb.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
                }
                var tail: Float = 0
                for i in whole..<n { tail += pa[i] * pb[i] }
                return acc.sum() + tail
            }
        }
    }
}

/// A failure of the embedding stage.
public enum FaceEmbeddingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A descriptor did not have the model's number of values (128 for dlib's ResNet; the count found).
    case wrongDimension(Int)
    /// A descriptor held NaN or infinity.
    case nonFinite
    /// A chip was not 150×150 with 1 or 3 channels (the size found).
    case wrongChipSize(width: Int, height: Int, channels: Int)
    /// The model file's layers do not match dlib's face ResNet (index of the record, what was expected/found).
    case unexpectedModel(layer: Int, expected: String, found: String)
    /// The model file is missing from its folder or unreadable.
    case missingModel(ModelFileError)
    /// The model file could not be parsed (the dlib reader's message).
    case modelFile(String)
    /// The compiled-model cache could not be written (the cache is an optimisation: loading still works).
    case cacheUnwritable(path: String, reason: String)
    /// An aligned face for an external model was not its input size with 1 or 3 channels (what was found and the
    /// manifest's size).
    case wrongFaceSize(width: Int, height: Int, channels: Int, expectedWidth: Int, expectedHeight: Int)
    /// An external network writes `network` floats per face, but its manifest declares `manifest`.
    case outputSizeMismatch(network: Int, manifest: Int)
    /// An external network's output had zero length or a NaN/infinite value, so it cannot be L2-normalised.
    case degenerateOutput

    public var description: String {
        switch self {
        case .wrongDimension(let n): return "face embedding has \(n) values, not the model's embedding size"
        case .nonFinite: return "face embedding holds a NaN or infinite value"
        case .wrongChipSize(let w, let h, let c):
            return "face chip must be 150×150 grey or RGB, got \(w)×\(h) with \(c) channel(s)"
        case .unexpectedModel(let layer, let expected, let found):
            return "model is not dlib's face ResNet: layer record \(layer) is '\(found)', expected '\(expected)'"
        case .missingModel(let e): return "face ResNet: \(e)"
        case .modelFile(let m): return "face ResNet model file: \(m)"
        case .cacheUnwritable(let path, let reason):
            return "compiled model cache \(path) could not be written: \(reason)"
        case .wrongFaceSize(let w, let h, let c, let ew, let eh):
            return "aligned face must be \(ew)×\(eh) grey or RGB for this model, got \(w)×\(h) with \(c) channel(s)"
        case .outputSizeMismatch(let network, let manifest):
            return "the network writes \(network) values per face, but its manifest declares embedding_size \(manifest)"
        case .degenerateOutput:
            return "the network's output is zero or not finite: it cannot be L2-normalised"
        }
    }
}
