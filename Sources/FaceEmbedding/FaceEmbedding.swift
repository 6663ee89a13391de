import NeuralCore

/// A 128-dimensional face descriptor from dlib's face-recognition ResNet.
///
/// dlib's descriptors are not unit length (norms ≈ 1.38–1.51); two faces are the same person when
/// ``euclideanDistance(to:)`` is below the model's threshold 0.6. ``cosineSimilarity(to:)`` is offered for
/// integrators who want it, but it is not equivalent: all descriptors lie in a narrow cone, so different
/// people still reach cosine 0.76–0.91.
///
/// Biometric data: never log or persist the values in clear.
public struct FaceEmbedding: Sendable, Equatable {
    /// The dimension of a descriptor.
    public static let dimension = 128

    /// The 128 values.
    public let values: [Float]

    /// Wraps 128 values.
    /// - Throws: ``FaceEmbeddingError/wrongDimension(_:)`` unless there are exactly 128 finite values.
    public init(values: [Float]) throws(FaceEmbeddingError) {
        guard values.count == Self.dimension else { throw .wrongDimension(values.count) }
        guard values.allSatisfy(\.isFinite) else { throw .nonFinite }
        self.values = values
    }

    init(unchecked values: [Float]) { self.values = values }

    /// The element-wise mean of descriptors (nil for none). The mean of finite 128-D descriptors is one too.
    public static func mean(_ descriptors: [FaceEmbedding]) -> FaceEmbedding? {
        guard let first = descriptors.first else { return nil }
        var sum = first.values
        for d in descriptors.dropFirst() { for i in sum.indices { sum[i] += d.values[i] } }
        let n = Float(descriptors.count)
        return FaceEmbedding(unchecked: sum.map { $0 / n })
    }

    /// The L2 norm (dimensionless).
    public var norm: Float { Self.dot(values, values).squareRoot() }

    /// Euclidean distance between the raw descriptors (dlib's comparison; same person when < 0.6).
    public func euclideanDistance(to other: FaceEmbedding) -> Float {
        values.withUnsafeBufferPointer { a in
            other.values.withUnsafeBufferPointer { b in
                var acc = SIMD8<Float>()
                let ra = UnsafeRawPointer(a.baseAddress!)
                let rb = UnsafeRawPointer(b.baseAddress!)
                for i in stride(from: 0, to: Self.dimension, by: 8) {
                    let d =
                        ra.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
                        - rb.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
                    acc += d * d
                }
                return acc.sum().squareRoot()
            }
        }
    }

    /// Cosine similarity of the two L2-normalised descriptors, in [−1, 1] (0 when either is zero).
    public func cosineSimilarity(to other: FaceEmbedding) -> Float {
        let ab = Self.dot(values, other.values)
        let n = (Self.dot(values, values) * Self.dot(other.values, other.values)).squareRoot()
        return n > 0 ? min(1, max(-1, ab / n)) : 0
    }

    static func dot(_ a: [Float], _ b: [Float]) -> Float {
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                var acc = SIMD8<Float>()
                let ra = UnsafeRawPointer(pa.baseAddress!)
                let rb = UnsafeRawPointer(pb.baseAddress!)
                for i in stride(from: 0, to: dimension, by: 8) {
                    acc +=
                        ra.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
                        * rb.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
                }
                return acc.sum()
            }
        }
    }
}

/// A failure of the embedding stage.
public enum FaceEmbeddingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A descriptor did not have 128 values.
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

    public var description: String {
        switch self {
        case .wrongDimension(let n): return "face embedding must have 128 values, got \(n)"
        case .nonFinite: return "face embedding holds a NaN or infinite value"
        case .wrongChipSize(let w, let h, let c):
            return "face chip must be 150×150 grey or RGB, got \(w)×\(h) with \(c) channel(s)"
        case .unexpectedModel(let layer, let expected, let found):
            return "model is not dlib's face ResNet: layer record \(layer) is '\(found)', expected '\(expected)'"
        case .missingModel(let e): return "face ResNet: \(e)"
        case .modelFile(let m): return "face ResNet model file: \(m)"
        case .cacheUnwritable(let path, let reason):
            return "compiled model cache \(path) could not be written: \(reason)"
        }
    }
}
