/// How two face descriptors are scored against each other — the one score vocabulary of the package, used by
/// the verifier, the threshold files and the evaluation.
public enum ScoreMetric: String, Sendable, Codable, CaseIterable {
    /// Euclidean distance of the raw 128-D dlib descriptors (lower = more alike). dlib's own metric.
    case euclidean
    /// Cosine similarity: the dot product of the L2-normalised descriptors, in [−1, 1] (higher = more alike).
    case cosine
    /// The raw dot product `a·b` of the descriptors as they are (higher = more alike). Equal to ``cosine`` only for
    /// unit-length descriptors, which dlib's are not (norms ≈ 1.38–1.51); kept for evaluation studies.
    case dotProduct = "dot-product"

    /// True when a higher score means "more alike".
    public var higherIsBetter: Bool { self != .euclidean }

    /// The comparison a threshold file writes: `"<="` for a distance, `">="` for a similarity.
    public var comparison: String { higherIsBetter ? ">=" : "<=" }

    /// Accepts the names used before the vocabulary was unified (`cosine-normalised` for ``cosine``,
    /// `cosine-raw` for ``dotProduct``, `distance` for ``euclidean``) as well as the raw values.
    public init?(name: String) {
        switch name.lowercased() {
        case "euclidean", "distance", "euclidean-distance": self = .euclidean
        case "cosine", "cosine-normalised", "cosine-normalized", "cosine_normalised": self = .cosine
        case "dot-product", "dot", "cosine-raw": self = .dotProduct
        default: return nil
        }
    }
}
