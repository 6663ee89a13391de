import Foundation

/// How two face embeddings are scored against each other.
public enum ScoreMetric: String, Sendable, Codable, CaseIterable {
    /// Euclidean distance of the raw 128-D dlib descriptors (lower = more alike). dlib's own metric.
    case euclidean
    /// Cosine similarity of the L2-normalised descriptors (higher = more alike).
    case cosine

    /// True when a higher score means "more alike".
    public var higherIsBetter: Bool { self == .cosine }
}

/// The operating point of a reader: a metric and the threshold a comparison must pass to be a match.
///
/// The default is dlib's own: Euclidean distance ≤ 0.6 (the `dist_thresh` stored in the model file).
/// ``cosineEquivalentOfDlibDefault`` is its cosine counterpart for descriptors of the typical norm
/// (1.453): `1 − (0.6/1.453)²/2 ≈ 0.915`. The two are close but not equivalent for every pair.
/// A threshold tuned on data (`mynaface eval`) is loaded with ``init(contentsOf:)``.
public struct MatchThreshold: Sendable, Equatable, Codable {
    /// The metric the threshold applies to.
    public var metric: ScoreMetric
    /// The threshold: a distance (≤ matches) for `.euclidean`, a similarity (≥ matches) for `.cosine`.
    public var value: Double
    /// The false-match rate this threshold was tuned for, when it came from an evaluation run.
    public var targetFMR: Double?
    /// Free-form provenance (data set, date, model) when loaded from a file.
    public var source: String?

    public init(metric: ScoreMetric, value: Double, targetFMR: Double? = nil, source: String? = nil) {
        self.metric = metric
        self.value = value
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

    /// Loads a threshold file written by `mynaface eval` (see `docs/threshold-config.md`).
    /// - Throws: ``MatchThresholdError`` when the file cannot be read or is not a threshold file.
    public init(contentsOf url: URL) throws(MatchThresholdError) {
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw .unreadable(path: url.path) }
        let file: ThresholdFile
        do { file = try JSONDecoder().decode(ThresholdFile.self, from: data) } catch {
            throw .malformed(path: url.path, detail: String(describing: error))
        }
        guard let metric = ScoreMetric(fileName: file.metric) else {
            throw .malformed(path: url.path, detail: "unknown metric '\(file.metric)'")
        }
        guard file.threshold.isFinite else { throw .malformed(path: url.path, detail: "threshold is not finite") }
        self.init(metric: metric, value: file.threshold, targetFMR: file.targetFMR,
                  source: [file.dataset, file.created].compactMap { $0 }.joined(separator: ", "))
    }

    /// The on-disk form (shared with `mynaface eval`, documented in `docs/threshold-config.md`).
    struct ThresholdFile: Codable {
        var metric: String
        var threshold: Double
        var targetFMR: Double?
        var dataset: String?
        var created: String?
        enum CodingKeys: String, CodingKey {
            case metric, threshold, dataset, created
            case targetFMR = "target_fmr"
        }
    }
}

extension ScoreMetric {
    /// Accepts the metric names `mynaface eval` writes.
    init?(fileName: String) {
        switch fileName.lowercased() {
        case "euclidean", "distance", "euclidean-distance": self = .euclidean
        case "cosine", "cosine-normalised", "cosine-normalized", "cosine_normalised": self = .cosine
        default: return nil
        }
    }
}

/// Why a threshold file could not be used.
public enum MatchThresholdError: Error, Equatable, CustomStringConvertible {
    case unreadable(path: String)
    case malformed(path: String, detail: String)

    public var description: String {
        switch self {
        case let .unreadable(path): return "cannot read threshold file \(path)"
        case let .malformed(path, detail): return "threshold file \(path) is not valid: \(detail)"
        }
    }
}
