import Foundation

/// A threshold file (`threshold.json`): an operating point tuned on labelled faces, written by `mynaface eval`
/// and read by ``FaceVerifier`` / `mynaface verify` — one `Codable` type on both sides. Format:
/// `docs/threshold-config.md`.
///
/// A file is only used for the model it was made for: ``threshold(forModel:)`` refuses a file whose
/// ``model`` differs from the verifier's embedding model, naming both.
public struct ThresholdFile: Sendable, Codable, Equatable {
    /// The value of ``format``.
    public static let formatName = "mynaface-threshold"
    /// The version written; files of this version only are read (version 1 named the model differently).
    public static let currentVersion = 2

    /// Error rates measured at the threshold on one data set (one population).
    public struct SetPerformance: Sendable, Codable, Equatable {
        /// The set's name (`labels.csv`'s `set` column, e.g. `tw_ntu`).
        public var set: String
        /// The population the set represents (e.g. `East-Asian`, `mostly Western`).
        public var population: String?
        /// Identities, genuine and impostor comparisons scored.
        public var identities: Int
        public var genuinePairs: Int
        public var impostorPairs: Int
        /// Observed FMR at the threshold and its 95% Clopper–Pearson interval.
        public var fmr: Double
        public var fmrCI95: [Double]?
        /// Observed FNMR at the threshold and its 95% Clopper–Pearson interval.
        public var fnmr: Double
        public var fnmrCI95: [Double]?
        /// True when the set was used to choose the threshold (false: held out).
        public var calibration: Bool

        enum CodingKeys: String, CodingKey {
            case set, population, identities, fmr, fnmr, calibration
            case genuinePairs = "genuine_pairs"
            case impostorPairs = "impostor_pairs"
            case fmrCI95 = "fmr_ci95"
            case fnmrCI95 = "fnmr_ci95"
        }

        public init(
            set: String, population: String? = nil, identities: Int, genuinePairs: Int, impostorPairs: Int,
            fmr: Double, fmrCI95: [Double]? = nil, fnmr: Double, fnmrCI95: [Double]? = nil, calibration: Bool
        ) {
            self.set = set
            self.population = population
            self.identities = identities
            self.genuinePairs = genuinePairs
            self.impostorPairs = impostorPairs
            self.fmr = fmr
            self.fmrCI95 = fmrCI95
            self.fnmr = fnmr
            self.fnmrCI95 = fnmrCI95
            self.calibration = calibration
        }
    }

    /// Always ``formatName``.
    public var format = ThresholdFile.formatName
    /// Always ``currentVersion`` when written.
    public var version = ThresholdFile.currentVersion
    /// The score the threshold applies to.
    public var metric: ScoreMetric
    /// How descriptors are formed before scoring.
    public var descriptor: DescriptorMode
    /// Camera frames fused into one attempt's descriptor (1: a single frame decides).
    public var frames: Int
    /// `"<="` (distance) or `">="` (similarity): a comparison matches when `score <comparison> threshold`.
    public var comparison: String
    /// The threshold, in the metric's units.
    public var threshold: Double
    /// The FMR the threshold was chosen for.
    public var targetFMR: Double
    /// The FMR and FNMR observed at the threshold over the calibration data, and the FNMR's 95% interval.
    public var observedFMR: Double
    public var expectedFNMR: Double
    public var fnmrCI95: [Double]?
    /// The embedding model the scores came from (``FaceVerifier/embeddingModel`` for dlib's ResNet).
    public var model: String
    /// The whole template pipeline (detector, landmarks, preprocessing), for provenance.
    public var pipeline: String?
    /// ISO 8601 creation time (UTC).
    public var created: String
    /// One-line description of the data and protocol.
    public var dataset: String
    /// The command that reproduces the file.
    public var command: String?
    /// Counts behind the numbers.
    public var genuinePairs: Int
    public var impostorPairs: Int
    public var fta: Double
    /// Error rates per data set (population), when the run covered several.
    public var sets: [SetPerformance]?

    enum CodingKeys: String, CodingKey {
        case format, version, metric, descriptor, frames, comparison, threshold, model, pipeline, created, dataset,
            command, fta, sets
        case targetFMR = "target_fmr"
        case observedFMR = "observed_fmr"
        case expectedFNMR = "expected_fnmr"
        case fnmrCI95 = "fnmr_ci95"
        case genuinePairs = "genuine_pairs"
        case impostorPairs = "impostor_pairs"
    }

    public init(
        metric: ScoreMetric, descriptor: DescriptorMode = .plain, frames: Int = 1, threshold: Double,
        targetFMR: Double, observedFMR: Double, expectedFNMR: Double,
        fnmrCI95: [Double]?, model: String, pipeline: String? = nil, created: String, dataset: String,
        command: String? = nil, genuinePairs: Int, impostorPairs: Int, fta: Double,
        sets: [SetPerformance]? = nil
    ) {
        self.metric = metric
        self.descriptor = descriptor
        self.frames = frames
        self.comparison = metric.comparison
        self.threshold = threshold
        self.targetFMR = targetFMR
        self.observedFMR = observedFMR
        self.expectedFNMR = expectedFNMR
        self.fnmrCI95 = fnmrCI95
        self.model = model
        self.pipeline = pipeline
        self.created = created
        self.dataset = dataset
        self.command = command
        self.genuinePairs = genuinePairs
        self.impostorPairs = impostorPairs
        self.fta = fta
        self.sets = sets
    }

    /// Reads and validates a threshold file: format, version, comparison and a finite threshold.
    /// - Throws: ``ThresholdFileError``.
    public static func load(from url: URL) throws(ThresholdFileError) -> ThresholdFile {
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw .unreadable(path: url.path) }
        return try decode(data, path: url.path)
    }

    /// Decodes and validates a threshold file's bytes (`path` names it in errors).
    /// - Throws: ``ThresholdFileError``.
    public static func decode(_ data: Data, path: String) throws(ThresholdFileError) -> ThresholdFile {
        guard let header = JSONFormatHeader.read(data) else {
            throw .malformed(path: path, detail: "not a JSON object")
        }
        guard header.format == formatName else { throw .wrongFormat(path: path, found: header.format ?? "none") }
        guard header.version == currentVersion else {
            throw .unsupportedVersion(path: path, found: header.version ?? 0, supported: currentVersion)
        }
        let file: ThresholdFile
        do { file = try JSONDecoder().decode(ThresholdFile.self, from: data) } catch {
            throw .malformed(path: path, detail: String(describing: error))
        }
        guard file.threshold.isFinite else { throw .malformed(path: path, detail: "threshold is not finite") }
        guard file.frames >= 1 else { throw .malformed(path: path, detail: "frames must be at least 1") }
        guard file.comparison == file.metric.comparison else {
            throw .malformed(
                path: path, detail: "comparison '\(file.comparison)' does not fit metric \(file.metric.rawValue)")
        }
        return file
    }

    /// Writes the file (pretty-printed JSON, sorted keys, atomically).
    /// - Throws: ``ThresholdFileError/unwritable(path:detail:)``.
    public func save(to url: URL) throws(ThresholdFileError) {
        do { try encoded().write(to: url, options: .atomic) } catch {
            throw .unwritable(path: url.path, detail: String(describing: error))
        }
    }

    /// The JSON text ``save(to:)`` writes.
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }

    /// The operating point, for a verifier whose embedding model is `model`.
    /// - Throws: ``ThresholdFileError/wrongModel(path:file:verifier:)`` when the file was made for another model.
    public func threshold(forModel model: String, path: String = "threshold file") throws(ThresholdFileError)
        -> MatchThreshold
    {
        guard self.model == model else { throw .wrongModel(path: path, file: self.model, verifier: model) }
        return MatchThreshold(
            metric: metric, value: threshold, descriptor: descriptor, targetFMR: targetFMR,
            source: "\(dataset), \(created)")
    }
}

/// Why a threshold file could not be used.
public enum ThresholdFileError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file could not be read.
    case unreadable(path: String)
    /// The file is not valid JSON of the threshold format (the detail says what is wrong).
    case malformed(path: String, detail: String)
    /// The `format` field is not `mynaface-threshold`.
    case wrongFormat(path: String, found: String)
    /// The `version` field is one this build does not read.
    case unsupportedVersion(path: String, found: Int, supported: Int)
    /// The file was made for another embedding model than the verifier's.
    case wrongModel(path: String, file: String, verifier: String)
    /// The file could not be written.
    case unwritable(path: String, detail: String)

    public var description: String {
        switch self {
        case .unreadable(let path): "cannot read threshold file \(path)"
        case .malformed(let path, let detail): "threshold file \(path) is not valid: \(detail)"
        case .wrongFormat(let path, let found):
            "\(path) is not a threshold file: format is '\(found)', expected '\(ThresholdFile.formatName)'"
        case .unsupportedVersion(let path, let found, let supported):
            "threshold file \(path) has version \(found); this build reads version \(supported) (re-run mynaface eval)"
        case .wrongModel(let path, let file, let verifier):
            "threshold file \(path) was made for model '\(file)', but the verifier uses '\(verifier)'"
        case .unwritable(let path, let detail): "cannot write threshold file \(path): \(detail)"
        }
    }
}
