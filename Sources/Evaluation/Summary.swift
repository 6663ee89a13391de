import Foundation
import MynaFace

/// The contents of `summary.json` (keys in snake_case; rates are fractions 0…1).
///
/// Maps keyed by FMR target use the target written as a decimal string: `"0.01"`, `"0.001"`, `"0.0001"`.
/// A target that the number of impostor comparisons cannot resolve (fewer than 1/target) has `null` in
/// `fnmr_at_fmr`, `threshold_at_fmr` and `fnmr_at_fmr_ci95`, and `false` in `resolvable`.
public struct EvaluationSummary: Sendable, Codable, Equatable {
    /// Equal error rate (interpolated; see ``ComparisonScores``).
    public var eer: Double
    /// The threshold where the EER occurs (score units).
    public var eerThreshold: Double
    /// Failure-to-acquire rate over the distinct templates needed.
    public var fta: Double
    /// Templates needed (images, plus simulated chip portraits) and how many failed.
    public var templates: Int
    public var ftaCount: Int
    /// Scored comparisons.
    public var genuinePairs: Int
    public var impostorPairs: Int
    /// Comparisons not scored because an image failed to acquire.
    public var unscoredGenuinePairs: Int
    public var unscoredImpostorPairs: Int
    /// FNMR at each FMR target (null when not resolvable).
    public var fnmrAtFMR: [String: Double?]
    /// Bootstrap percentile 95% interval `[lower, upper]` of that FNMR.
    public var fnmrAtFMRCI95: [String: [Double]?]
    /// The threshold for each FMR target (score units).
    public var thresholdAtFMR: [String: Double?]
    /// The FMR observed at that threshold.
    public var observedFMRAtThreshold: [String: Double?]
    /// Whether each target is resolvable (≥ 1/target impostor comparisons).
    public var resolvable: [String: Bool]
    /// The score used (`euclidean`, `cosine`, `dot-product`: ``MynaFace/ScoreMetric``) and its decision rule.
    public var score: String
    public var decisionRule: String
    /// The run's options.
    public var options: EvaluationOptions
    /// Data set: description, images, identities.
    public var dataset: String
    public var images: Int
    public var identities: Int
    /// The extractor's model identity.
    public var model: String
    /// How the EER and the CIs are computed.
    public var methods: [String: String]
    /// Rates at the verifier's default operating point (single frame, or fused when the run fuses), when the run's
    /// descriptors are the default's (`--descriptor mirror-averaged`); exact 95% intervals.
    public var atDefaultThreshold: ThresholdRates?
    /// Rates at dlib's own Euclidean 0.6, for runs on dlib's plain descriptors.
    public var atDlibThreshold: ThresholdRates?

    enum CodingKeys: String, CodingKey {
        case eer, fta, templates, score, options, dataset, images, identities, model, methods, resolvable
        case eerThreshold = "eer_threshold"
        case atDefaultThreshold = "at_default_threshold"
        case atDlibThreshold = "at_dlib_threshold"
        case ftaCount = "fta_count"
        case genuinePairs = "genuine_pairs"
        case impostorPairs = "impostor_pairs"
        case unscoredGenuinePairs = "unscored_genuine_pairs"
        case unscoredImpostorPairs = "unscored_impostor_pairs"
        case fnmrAtFMR = "fnmr_at_fmr"
        case fnmrAtFMRCI95 = "fnmr_at_fmr_ci95"
        case thresholdAtFMR = "threshold_at_fmr"
        case observedFMRAtThreshold = "observed_fmr_at_threshold"
        case decisionRule = "decision_rule"
    }

    /// The key of an FMR target in the maps ("0.001").
    public static func key(_ target: Double) -> String {
        let plain = String(format: "%.10f", target)
        var trimmed = Substring(plain)
        while trimmed.hasSuffix("0") { trimmed = trimmed.dropLast() }
        if trimmed.hasSuffix(".") { trimmed = trimmed.dropLast() }
        return String(trimmed)
    }

    init(
        scores: ComparisonScores, options: EvaluationOptions, dataset: FaceDataset, modelIdentity: String,
        templates: Int, failures: Int, unscoredGenuine: Int, unscoredImpostor: Int
    ) {
        let eerPoint = scores.equalErrorRate()
        eer = eerPoint.rate
        eerThreshold = eerPoint.threshold
        self.templates = templates
        ftaCount = failures
        fta = templates > 0 ? Double(failures) / Double(templates) : 0
        genuinePairs = scores.genuine.count
        impostorPairs = scores.impostor.count
        unscoredGenuinePairs = unscoredGenuine
        unscoredImpostorPairs = unscoredImpostor
        var fnmr: [String: Double?] = [:]
        var ci: [String: [Double]?] = [:]
        var threshold: [String: Double?] = [:]
        var observed: [String: Double?] = [:]
        var resolvable: [String: Bool] = [:]
        for (n, target) in options.targetFMRs.enumerated() {
            let key = Self.key(target)
            let point = scores.operatingPoint(targetFMR: target)
            resolvable[key] = point.resolvable
            // updateValue keeps a nil value as an explicit JSON null instead of removing the key.
            fnmr.updateValue(point.resolvable ? point.fnmr : nil, forKey: key)
            threshold.updateValue(point.resolvable ? point.threshold : nil, forKey: key)
            observed.updateValue(point.resolvable ? point.fmr : nil, forKey: key)
            let interval = scores.bootstrapFNMR(
                targetFMR: target, replicates: options.bootstrapReplicates,
                seed: options.seed &+ UInt64(n + 1))
            ci.updateValue(interval.map { [$0.lower, $0.upper] }, forKey: key)
        }
        fnmrAtFMR = fnmr
        fnmrAtFMRCI95 = ci
        thresholdAtFMR = threshold
        observedFMRAtThreshold = observed
        self.resolvable = resolvable
        score = options.score.rawValue
        decisionRule =
            options.score.direction == .higherIsMoreSimilar
            ? "match when score >= threshold"
            : "match when score <= threshold"
        self.options = options
        self.dataset = dataset.description
        images = dataset.images.count
        identities = dataset.identityCount
        model = modelIdentity
        methods = [
            "eer": "linear interpolation of the DET segment crossing FMR = FNMR over the sweep of all distinct scores",
            "threshold_at_fmr":
                "least strict threshold accepting at most floor(target * impostor_pairs) impostors, placed half-way to the next less similar score",
            "resolvable": "impostor_pairs >= 1/target",
            "ci95":
                "bootstrap percentile interval (type-7 quantiles), genuine and impostor scores resampled independently with replacement, threshold re-chosen per replicate, seed = options.seed + target index + 1",
            "fta":
                "templates without a face or with a decode error / templates needed; unscored pairs excluded from FMR/FNMR",
        ]
    }
}

/// The recommended operating point of a run, written as `threshold.json` (``MynaFace/ThresholdFile``, read by
/// `FaceVerifier` and `mynaface verify`). Format: `docs/threshold-config.md`.
extension ThresholdFile {
    /// The recommended threshold of a run, or nil when its target FMR is not resolvable.
    /// - Parameters:
    ///   - result: the run.
    ///   - model: the embedding model the templates came from (``FaceTemplateExtractor/embeddingModel``).
    ///   - command: the command line that reproduces the file.
    public init?(result: EvaluationResult, model: String, command: String? = nil, created: Date = Date()) {
        let options = result.summary.options
        let target = options.recommendedFMR
        let point = result.comparisonScores.operatingPoint(targetFMR: target)
        guard point.resolvable else { return nil }
        let ci = result.comparisonScores.bootstrapFNMR(
            targetFMR: target, replicates: options.bootstrapReplicates,
            seed: options.seed)
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        var dataset =
            "\(result.summary.dataset): \(result.summary.images) images, \(result.summary.identities) identities, score \(options.score.rawValue)"
        if let chip = options.chip { dataset += ", chip-sim \(chip.width)x\(chip.height) at \(chip.byteBudget) bytes" }
        if options.greyProbe { dataset += ", greyscale probes" }
        self.init(
            metric: options.score, threshold: point.threshold, targetFMR: target, observedFMR: point.fmr,
            expectedFNMR: point.fnmr, fnmrCI95: ci.map { [$0.lower, $0.upper] }, model: model,
            pipeline: result.summary.model, created: formatter.string(from: created), dataset: dataset,
            command: command, genuinePairs: result.summary.genuinePairs,
            impostorPairs: result.summary.impostorPairs, fta: result.summary.fta)
    }
}

/// Writes an `Encodable` as pretty-printed JSON with sorted keys.
func writeJSON<T: Encodable>(_ value: T, to url: URL) throws(EvaluationError) {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    do { try encoder.encode(value).write(to: url, options: .atomic) } catch {
        throw .unwritable(path: url.path, detail: String(describing: error))
    }
}
