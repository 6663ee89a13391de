import Foundation
import MynaFace

/// An evaluation over several data sets reported one population at a time: each set is its own run (impostor pairs
/// only within the set), its error rates are given at the verifier's default operating point and at the recommended
/// one with exact 95% intervals, and the recommended threshold is the strictest that holds the target FMR on every
/// calibration set.
///
/// Accuracy numbers of a face matcher depend on the population: dlib's model and its 0.6 threshold were set on
/// mostly Western faces, and on East-Asian faces the same threshold accepts a large share of impostors. So a set's
/// numbers are never pooled with another's.
public struct PopulationStudy: Sendable {
    /// The sets known to hold East-Asian faces (`../shared/facedata`'s `tw_ntu`, Taiwanese adults, and `cn_celeb`,
    /// Chinese celebrities); every other set is reported as mostly Western.
    public static let eastAsianSets: Set<String> = ["tw_ntu", "cn_celeb"]

    /// The population label of a set: East-Asian for ``eastAsianSets`` and their parts (`tw_ntu_a`, a split of
    /// `tw_ntu` by identity), mostly Western otherwise.
    public static func population(of set: String) -> String {
        eastAsianSets.contains { set == $0 || set.hasPrefix($0 + "_") } ? "East-Asian" : "mostly Western"
    }

    /// How the recommended threshold is chosen on each calibration set.
    public enum Calibration: String, Sendable, Codable, CaseIterable {
        /// The observed FMR is at most the target (ISO/IEC 19795-1's operating point).
        case observed
        /// The upper end of FMR's exact 95% interval is at most the target (where the set is large enough to show
        /// it; a smaller set falls back to ``observed``).
        case upperBound = "upper-bound"
    }

    /// One set's run and its rates.
    public struct SetResult: Sendable {
        public var set: String
        public var population: String
        /// True when the set was used to choose the recommended threshold.
        public var calibration: Bool
        public var result: EvaluationResult
    }

    /// The result of a study.
    public struct Outcome: Sendable {
        public var sets: [SetResult]
        /// The recommended threshold (run's metric), or nil when no calibration set resolves the target.
        public var recommendedThreshold: Double?
        /// The operating point the verifier uses by default for this run's kind of comparison (single frame or
        /// fused), when the run's descriptor mode matches it.
        public var defaultThreshold: MatchThreshold?
    }

    public var dataset: FaceDataset
    public var options: EvaluationOptions
    public var computation: TemplateComputation
    /// Sets whose rates choose the recommended threshold (nil: every set).
    public var calibrationSets: Set<String>?
    public var calibration: Calibration

    public init(
        dataset: FaceDataset, options: EvaluationOptions, computation: TemplateComputation,
        calibrationSets: Set<String>? = nil, calibration: Calibration = .observed
    ) {
        self.dataset = dataset
        self.options = options
        self.computation = computation
        self.calibrationSets = calibrationSets
        self.calibration = calibration
    }

    /// The sets of the data, in first-appearance order.
    public var setNames: [String] {
        var seen = Set<String>()
        var names: [String] = []
        for image in dataset.images where seen.insert(image.set).inserted { names.append(image.set) }
        return names
    }

    /// Runs every set.
    /// - Throws: ``EvaluationError`` of any set's run.
    public func run(modelIdentity: String) throws(EvaluationError) -> Outcome {
        var results: [SetResult] = []
        for name in setNames {
            let subset = FaceDataset(
                images: dataset.images.filter { $0.set == name },
                description: "\(dataset.description) set \(name)")
            let result = try EvaluationRun(dataset: subset, options: options, computation: computation)
                .run(modelIdentity: modelIdentity)
            results.append(
                SetResult(
                    set: name, population: Self.population(of: name),
                    calibration: calibrationSets?.contains(name) ?? true, result: result))
        }
        let target = options.recommendedFMR
        var thresholds: [Double] = []
        for r in results where r.calibration {
            let scores = r.result.comparisonScores
            if calibration == .upperBound, let t = scores.thresholdBoundingFMR(target) {
                thresholds.append(t)
            } else {
                let point = scores.operatingPoint(targetFMR: target)
                if point.resolvable { thresholds.append(point.threshold) }
            }
        }
        let strictest = options.score.higherIsBetter ? thresholds.max() : thresholds.min()
        let defaultPoint = options.fuse > 1 ? MatchThreshold.readerDefaultFused : MatchThreshold.readerDefault
        return Outcome(
            sets: results, recommendedThreshold: strictest,
            defaultThreshold: options.dlibOperatingPoints && defaultPoint.descriptor == options.descriptor
                ? defaultPoint : nil)
    }

    /// The rates of a set's scored pairs at `threshold` (scored in the threshold's own metric; the run must have
    /// recorded it: distance always, cosine unless the run scored raw dot products).
    public static func rates(_ result: EvaluationResult, at threshold: MatchThreshold) -> ThresholdRates? {
        if threshold.metric == .dotProduct
            || (threshold.metric == .cosine && result.summary.options.score == .dotProduct)
        {
            return nil
        }
        let pick: (ScoredPair) -> Double = threshold.metric == .euclidean ? { $0.distance } : { $0.similarity }
        let scores = try? ComparisonScores(
            genuine: result.scores.filter(\.same).map(pick),
            impostor: result.scores.filter { !$0.same }.map(pick),
            direction: threshold.metric.direction)
        return scores?.rates(at: threshold.value)
    }
}

/// One set's line of a study's `summary.json`.
public struct SetSummary: Sendable, Codable, Equatable {
    public var set: String
    public var population: String
    public var calibration: Bool
    public var images: Int
    public var identities: Int
    public var genuinePairs: Int
    public var impostorPairs: Int
    public var fta: Double
    public var eer: Double
    /// FNMR at FMR 1e-3 (nil when not resolvable).
    public var fnmrAtFMR1e3: Double?
    /// Rates at the verifier's default operating point (nil when the run's descriptors differ from its).
    public var atDefaultThreshold: ThresholdRates?
    /// Rates at dlib's own 0.6 (plain descriptors only).
    public var atDlibThreshold: ThresholdRates?
    /// Rates at the study's recommended threshold.
    public var atRecommendedThreshold: ThresholdRates?

    enum CodingKeys: String, CodingKey {
        case set, population, calibration, images, identities, fta, eer
        case genuinePairs = "genuine_pairs"
        case impostorPairs = "impostor_pairs"
        case fnmrAtFMR1e3 = "fnmr_at_fmr_0.001"
        case atDefaultThreshold = "at_default_threshold"
        case atDlibThreshold = "at_dlib_threshold"
        case atRecommendedThreshold = "at_recommended_threshold"
    }

    public init(_ r: PopulationStudy.SetResult, outcome: PopulationStudy.Outcome, options: EvaluationOptions) {
        let s = r.result.summary
        set = r.set
        population = r.population
        calibration = r.calibration
        images = s.images
        identities = s.identities
        genuinePairs = s.genuinePairs
        impostorPairs = s.impostorPairs
        fta = s.fta
        eer = s.eer
        fnmrAtFMR1e3 = s.fnmrAtFMR["0.001"] ?? nil
        atDefaultThreshold = outcome.defaultThreshold.flatMap { PopulationStudy.rates(r.result, at: $0) }
        atDlibThreshold =
            options.dlibOperatingPoints && options.descriptor == .plain
            ? PopulationStudy.rates(r.result, at: .dlibDefault) : nil
        atRecommendedThreshold = outcome.recommendedThreshold.map { r.result.comparisonScores.rates(at: $0) }
    }
}

/// `summary.json` of a study: the per-set lines and how the threshold was chosen.
public struct StudySummary: Sendable, Codable, Equatable {
    public var sets: [SetSummary]
    public var score: String
    public var descriptor: DescriptorMode
    public var fuse: Int
    public var targetFMR: Double
    public var calibration: PopulationStudy.Calibration
    public var calibrationSets: [String]
    public var recommendedThreshold: Double?
    /// The verifier's default operating point the `at_default_threshold` rates use.
    public var defaultThreshold: MatchThreshold?
    public var options: EvaluationOptions
    public var model: String

    enum CodingKeys: String, CodingKey {
        case sets, score, descriptor, fuse, calibration, options, model
        case targetFMR = "target_fmr"
        case calibrationSets = "calibration_sets"
        case recommendedThreshold = "recommended_threshold"
        case defaultThreshold = "default_threshold"
    }
}
