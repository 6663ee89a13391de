/// How two templates are scored.
///
/// `scores.csv` always records both a similarity and the Euclidean distance; the kind decides which one
/// the error rates are computed from and what the similarity column holds.
public enum ScoreKind: String, Sendable, Codable, CaseIterable {
    /// Raw cosine: the dot product `a·b` of the templates as they are (equal to the cosine only when the
    /// extractor's vectors have unit length; dlib's do not). Higher = more similar.
    case cosine
    /// Cosine of the L2-normalised templates, `a·b / (|a||b|)`, in [−1, 1]. Higher = more similar.
    case cosineNormalised = "cosine-normalised"
    /// Euclidean distance `|a − b|` (dlib's own metric). Lower = more similar.
    case euclidean

    /// Which way the decision score points.
    public var direction: ScoreDirection { self == .euclidean ? .lowerIsMoreSimilar : .higherIsMoreSimilar }

    /// The similarity recorded in `scores.csv`: the raw dot product for ``cosine``, the normalised
    /// cosine otherwise.
    public func similarity(_ a: [Float], _ b: [Float]) -> Double {
        var dot = 0.0, na = 0.0, nb = 0.0
        for i in 0..<min(a.count, b.count) {
            let x = Double(a[i]), y = Double(b[i])
            dot += x * y
            na += x * x
            nb += y * y
        }
        if self == .cosine { return dot }
        let denominator = (na * nb).squareRoot()
        return denominator > 0 ? dot / denominator : 0
    }

    /// The Euclidean distance between two templates.
    public static func distance(_ a: [Float], _ b: [Float]) -> Double {
        var sum = 0.0
        for i in 0..<min(a.count, b.count) {
            let d = Double(a[i]) - Double(b[i])
            sum += d * d
        }
        return sum.squareRoot()
    }

    /// The score the error rates use: the similarity, or the distance for ``euclidean``.
    public func decisionScore(similarity: Double, distance: Double) -> Double {
        self == .euclidean ? distance : similarity
    }

    /// The metric name written to the threshold file (`docs/threshold-config.md`).
    public var fileName: String {
        switch self {
        case .cosine: return "cosine-raw"
        case .cosineNormalised: return "cosine-normalised"
        case .euclidean: return "euclidean"
        }
    }
}
