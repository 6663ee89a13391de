import MynaFace

/// How the evaluation scores two templates: the verifier's ``MynaFace/ScoreMetric``, computed in `Double` over
/// the templates' `Float` values.
///
/// `scores.csv` always records both a similarity and the Euclidean distance; the metric decides which one
/// the error rates are computed from and what the similarity column holds.
extension ScoreMetric {
    /// Which way the decision score points.
    public var direction: ScoreDirection { higherIsBetter ? .higherIsMoreSimilar : .lowerIsMoreSimilar }

    /// The similarity recorded in `scores.csv`: the raw dot product for ``MynaFace/ScoreMetric/dotProduct``, the
    /// cosine of the L2-normalised templates otherwise.
    public func similarity(_ a: [Float], _ b: [Float]) -> Double {
        var dot = 0.0
        var na = 0.0
        var nb = 0.0
        for i in 0..<min(a.count, b.count) {
            let x = Double(a[i])
            let y = Double(b[i])
            dot += x * y
            na += x * x
            nb += y * y
        }
        if self == .dotProduct { return dot }
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

    /// The score the error rates use: the similarity, or the distance for ``MynaFace/ScoreMetric/euclidean``.
    public func decisionScore(similarity: Double, distance: Double) -> Double {
        self == .euclidean ? distance : similarity
    }
}
