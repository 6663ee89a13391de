import Foundation

/// The operating point of a reader: a metric and the threshold a comparison must pass to be a match.
///
/// ``dlibDefault`` is dlib's own operating point: plain descriptors, Euclidean distance ≤ 0.6 (the `dist_thresh`
/// stored in the model file), set on mostly Western faces. The verifier's default is ``readerDefault``, calibrated
/// on East-Asian faces (``DefaultOperatingPoint``).
/// ``cosineEquivalentOfDlibDefault`` is its cosine counterpart for descriptors of the typical norm
/// (1.453): `1 − (0.6/1.453)²/2 ≈ 0.915`. The two are close but not equivalent for every pair.
/// A threshold tuned on data (`mynaface eval`) is a ``ThresholdFile``; ``ThresholdFile/threshold(forModel:)``
/// turns it into a `MatchThreshold` after checking it was made for the verifier's model.
public struct MatchThreshold: Sendable, Equatable, Codable {
    /// The metric the threshold applies to.
    public var metric: ScoreMetric
    /// The threshold: a distance (≤ matches) for `.euclidean`, a similarity (≥ matches) for `.cosine`.
    public var value: Double
    /// How descriptors are formed before scoring (dlib's plain descriptor, or mirror-averaged).
    public var descriptor: DescriptorMode
    /// The false-match rate this threshold was tuned for, when it came from an evaluation run.
    public var targetFMR: Double?
    /// Free-form provenance (data set, date, model) when loaded from a file.
    public var source: String?

    public init(
        metric: ScoreMetric, value: Double, descriptor: DescriptorMode = .plain, targetFMR: Double? = nil,
        source: String? = nil
    ) {
        self.metric = metric
        self.value = value
        self.descriptor = descriptor
        self.targetFMR = targetFMR
        self.source = source
    }

    /// dlib's default: raw Euclidean distance ≤ 0.6.
    public static let dlibDefault = MatchThreshold(metric: .euclidean, value: 0.6, source: "dlib dist_thresh")
    /// The cosine similarity (of normalised descriptors) that corresponds to distance 0.6 at the typical norm 1.453.
    public static let cosineEquivalentOfDlibDefault = MatchThreshold(
        metric: .cosine, value: 1 - (0.6 / 1.453) * (0.6 / 1.453) / 2, source: "dlib 0.6 at mean norm 1.453")

    /// True when `score` (in this threshold's metric) is a match.
    public func accepts(_ score: Double) -> Bool {
        guard score.isFinite else { return false }
        return metric.higherIsBetter ? score >= value : score <= value
    }
}
