import CardAccess
import FaceAlignment
import FaceDetection
import FaceEmbedding
import FaceImaging
import Foundation
import MynaCard
import NeuralCore

/// A verification that could not be carried out because an input or the models are unusable.
///
/// A person who is not acquired (no face, face too small, …) is not an error: it is the decision
/// ``MatchDecision/notAcquired(_:)``. These errors are about the data: a reader shows them to staff.
public enum VerificationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The portrait bytes are not a readable card-face file, DG2 record or image.
    case portraitUnreadable(PortraitError)
    /// The card-face file's chain did not verify (and the policy requires it to).
    case portraitUntrusted(AuthenticityFailure)
    /// The portrait holds no usable face (a damaged or wrong portrait never enrols).
    case portraitHasNoFace(NotAcquiredReason)
    /// The camera frame could not be decoded.
    case probeUnreadable(ImageDecodeError)
    /// The face pipeline failed (models missing or corrupt, image too large for the detector).
    case pipeline(FaceAnalyzerError)
    /// The template was made by another embedding model than the verifier's: descriptors of different models are
    /// never compared (re-enrol the portrait with this verifier).
    case modelMismatch(template: EmbeddingModelIdentity, verifier: EmbeddingModelIdentity)
    /// An external model has no calibrated threshold (its manifest names no threshold file) and no explicit
    /// threshold was configured: it cannot decide (`mynaface eval --model` calibrates one; `docs/models.md`).
    case uncalibratedModel(EmbeddingModelIdentity)
    /// The external model's threshold file cannot be used (made for another model, invalid).
    case modelThreshold(ThresholdFileError)
    /// A failure of none of the kinds above (a defect: report it).
    case unexpected(String)

    public var description: String {
        switch self {
        case .portraitUnreadable(let e): return "portrait unreadable: \(e)"
        case .portraitUntrusted(let f): return "portrait refused: \(f)"
        case .portraitHasNoFace(let r): return "portrait has no usable face: \(r)"
        case .probeUnreadable(let e): return "camera frame unreadable: \(e)"
        case .pipeline(let e): return "face pipeline: \(e)"
        case .modelMismatch(let t, let v):
            return "template was made by model \(t), but the verifier uses \(v): re-enrol the portrait"
        case .uncalibratedModel(let m):
            return
                "model \(m) has no calibrated threshold: run `mynaface eval --model DIR` on your population and name "
                + "its threshold.json in the manifest's threshold_file, or give an explicit threshold (--threshold)"
        case .modelThreshold(let e): return "model threshold: \(e)"
        case .unexpected(let m): return "unexpected failure: \(m)"
        }
    }
}

/// Which colours the camera frame is compared in.
public enum ProbeColour: String, Sendable, Equatable, Codable, CaseIterable {
    /// As captured (colour camera → colour chip).
    case asCaptured
    /// Converted to greyscale first, like the card's monochrome portrait.
    case greyscale
    /// Greyscale when the enrolled portrait is greyscale, else as captured.
    case matchPortrait
}

/// The 1:1 face check of a My Number Card reader: enrol the chip portrait once, compare camera frames with it.
///
/// ```swift
/// let verifier = try FaceVerifier()
/// let template = try verifier.enroll(portrait: cardFaceFileBytes, certificate: ef0004Bytes)
/// let result = try verifier.verify(template, probe: cameraJPEGBytes)
/// if result.isMatch { … } else if case .notAcquired(let reason) = result.decision { show(reason.patientMessage) }
/// ```
///
/// `FaceVerifier` loads dlib's three models once and is `Sendable`: one instance serves every reader thread.
/// It logs nothing about faces and persists nothing.
public struct FaceVerifier: Sendable {
    /// The settings of a verifier.
    public struct Configuration: Sendable {
        /// The operating point of a single frame (default ``MatchThreshold/readerDefault``, calibrated on East-Asian
        /// faces; ``MatchThreshold/dlibDefault`` is dlib's own).
        public var threshold: MatchThreshold = .readerDefault
        /// The operating point of an attempt that fuses several frames (``FaceVerifier/verifyAttempt(_:probes:)``;
        /// default ``MatchThreshold/readerDefaultFused``). Nil: fused attempts use ``threshold``. A fused point whose
        /// descriptor mode differs from ``threshold``'s is not used: the best frame alone then decides.
        public var fusedThreshold: MatchThreshold? = .readerDefaultFused
        /// Frames fused into one attempt at most (the best by quality; default 3).
        public var framesPerAttempt = 3
        /// The checks a camera frame must pass before it is compared.
        public var qualityGate = QualityGate()
        /// Detector options for camera frames (default: faces at least 15% of the frame width).
        public var probeDetection = DetectionOptions()
        /// Detector options for portraits (an ID photo: the face is large; default 15% of the width).
        public var portraitDetection = DetectionOptions()
        /// Colour handling of the camera frame.
        public var probeColour: ProbeColour = .asCaptured
        /// Checks card-face files (production trust anchors, unverified refused, by default).
        public var authenticator = CardFaceAuthenticator()
        /// Decoder options and limits for both inputs.
        public var decode = DecodeOptions()
        /// Container limits for portraits.
        public var containerLimits = ContainerLimits.default
        /// The liveness policy of attempts and streams that do not name one (default ``LivenessPolicy/off``; a
        /// reader sets ``LivenessPolicy/challenge(_:)`` with a direction drawn per visit).
        public var liveness: LivenessPolicy = .off
        /// The liveness cues' thresholds.
        public var livenessChecker = LivenessChecker()
        public init() {}
    }

    /// The name of dlib's embedding model (the default); a ``ThresholdFile`` for it must name it. For any model, see
    /// ``model`` and ``EmbeddingModelIdentity/thresholdName``.
    public static let embeddingModel = "dlib_face_recognition_resnet_model_v1"

    /// The embedding model the verifier's descriptors come from (templates of other models are refused).
    public var model: EmbeddingModelIdentity { analyzer.embeddingModel }

    /// The models.
    public let analyzer: FaceAnalyzer
    /// The settings.
    public var configuration: Configuration

    /// Loads the models from `store` (default `$MYNAFACE_MODELS` or `~/.cache/mynaface/models`).
    /// - Parameter livenessShape: also load dlib's 68-point model, when its file is in the store, so that liveness
    ///   uses the 68-point cues (``ShapeLivenessCues``; one more predictor pass per frame); without the file the
    ///   5-point cues apply.
    /// - Throws: ``VerificationError/pipeline(_:)`` naming the missing model and the command that fetches it.
    public init(
        store: ModelStore = ModelStore(), configuration: Configuration = Configuration(), livenessShape: Bool = false
    ) throws(VerificationError) {
        do {
            analyzer = try FaceAnalyzer(store: store, fullShape: livenessShape && Self.hasShapeModel(store))
        } catch { throw .pipeline(error) }
        self.configuration = configuration
    }

    /// Whether `store` holds dlib's 68-point model (``ModelStore/shapePredictor68``).
    public static func hasShapeModel(_ store: ModelStore) -> Bool {
        (try? store.url(for: ModelStore.shapePredictor68)) != nil
    }

    /// Loads the models from `directory` (the folder `Scripts/fetch-models.sh` fills).
    /// - Throws: as ``init(store:configuration:)``.
    public init(modelsDirectory directory: URL, configuration: Configuration = Configuration())
        throws(VerificationError)
    {
        try self.init(store: ModelStore(directory: directory), configuration: configuration)
    }

    /// Uses already-loaded models.
    ///
    /// For an analyzer with an external model, see ``init(store:model:configuration:)`` for how the operating point is
    /// chosen; this initialiser applies the same rule.
    /// - Throws: ``VerificationError/uncalibratedModel(_:)`` or ``VerificationError/modelThreshold(_:)`` for an external
    ///   model without a usable operating point (never for dlib's ResNet).
    public init(analyzer: FaceAnalyzer, configuration: Configuration = Configuration()) throws(VerificationError) {
        self.analyzer = analyzer
        self.configuration = try Self.operatingPoints(configuration, for: analyzer)
    }

    /// Loads dlib's models from `store` and the chosen embedding model.
    ///
    /// dlib's operating points (``MatchThreshold/readerDefault``, ``MatchThreshold/readerDefaultFused``,
    /// ``MatchThreshold/dlibDefault``) mean nothing for another model's scores. For an external model, a configuration
    /// that still holds one of them takes the model's calibrated threshold (its manifest's `threshold_file`, which
    /// must name the model) for single frames and fused attempts alike; any other threshold in the configuration is
    /// the caller's explicit choice and is kept.
    /// - Throws: ``VerificationError/pipeline(_:)`` for a model that cannot be loaded;
    ///   ``VerificationError/uncalibratedModel(_:)`` for an external model with neither a calibrated nor an explicit
    ///   threshold; ``VerificationError/modelThreshold(_:)`` for a threshold file made for another model.
    public init(
        store: ModelStore = ModelStore(), model: EmbeddingModelChoice, configuration: Configuration = Configuration()
    ) throws(VerificationError) {
        let analyzer: FaceAnalyzer
        do { analyzer = try FaceAnalyzer(store: store, model: model) } catch { throw .pipeline(error) }
        try self.init(analyzer: analyzer, configuration: configuration)
    }

    /// Loads dlib's models from `directory` (the folder `Scripts/fetch-models.sh` fills) and the chosen embedding model.
    /// - Throws: as ``init(store:model:configuration:)``.
    public init(
        modelsDirectory directory: URL, model: EmbeddingModelChoice, configuration: Configuration = Configuration()
    ) throws(VerificationError) {
        try self.init(store: ModelStore(directory: directory), model: model, configuration: configuration)
    }

    /// The configuration with an external model's operating point in place of dlib's (see
    /// ``init(store:model:configuration:)``); unchanged for dlib's ResNet.
    static func operatingPoints(_ configuration: Configuration, for analyzer: FaceAnalyzer) throws(VerificationError)
        -> Configuration
    {
        guard let external = analyzer.external else { return configuration }
        var config = configuration
        let dlibPoints: [MatchThreshold] = [.readerDefault, .readerDefaultFused, .dlibDefault]
        // dlib's fused point is dropped; an explicit one (e.g. `--threshold-file` of a `--fuse 3` calibration) is kept.
        // Without a fused point, fused attempts use the single-frame threshold.
        if let fused = config.fusedThreshold, dlibPoints.contains(fused) { config.fusedThreshold = nil }
        // An explicit single-frame threshold is the caller's choice and is kept.
        guard dlibPoints.contains(config.threshold) else { return config }
        let calibrated: MatchThreshold?
        do { calibrated = try external.calibratedThreshold() } catch { throw .modelThreshold(error) }
        guard let calibrated else { throw .uncalibratedModel(external.identity) }
        config.threshold = calibrated
        return config
    }

    // MARK: enrolment

    /// Enrols a portrait: a card-face file (EF 0002, with its EF 0004 certificate), a DG2 record or an image file.
    ///
    /// A card-face file is authenticated first (certificate against the configured trust anchors, then DF28
    /// over the portrait and personal data); under the default policy an unverified file is refused.
    /// - Parameters:
    ///   - portrait: the bytes as read from the chip (or an image file).
    ///   - certificate: EF 0004 (`7F21`) for a card-face file; nil for other inputs.
    /// - Returns: the template to compare camera frames with.
    /// - Throws: ``VerificationError`` — unreadable, untrusted, or no usable face in the portrait.
    public func enroll(portrait: [UInt8], certificate: [UInt8]? = nil) throws(VerificationError) -> PortraitTemplate {
        let kind = PortraitContainer.detect(portrait)
        var authenticity = PortraitAuthenticity.notApplicable(kind)
        var cardFace: CardFaceFile?
        if kind == .cardFaceFile {
            do {
                let result = try configuration.authenticator.check(cardFace: portrait, certificate: certificate)
                if let waived = result.waivedFailure {
                    authenticity = .acceptedUnverified(waived)
                } else {
                    authenticity = .verified(result.anchor?.label ?? "trust anchor")
                }
            } catch {
                throw .portraitUntrusted(error)
            }
            cardFace = try? CardFaceFile.parse(portrait, limits: configuration.containerLimits)
        }
        let extracted: (image: Image, info: PortraitInfo)
        do {
            extracted = try PortraitContainer.extractPortrait(
                portrait, options: PortraitOptions(limits: configuration.containerLimits, decode: configuration.decode))
        } catch {
            throw .portraitUnreadable(error)
        }
        return try enroll(image: extracted.image, info: extracted.info, authenticity: authenticity, cardFace: cardFace)
    }

    /// Enrols an already-decoded portrait image (no container, no authenticity check).
    /// - Throws: ``VerificationError/portraitHasNoFace(_:)`` when no face is found.
    public func enroll(portraitImage image: Image) throws(VerificationError) -> PortraitTemplate {
        try enroll(image: image, info: nil, authenticity: .notApplicable(nil), cardFace: nil)
    }

    private func enroll(
        image: Image, info: PortraitInfo?, authenticity: PortraitAuthenticity,
        cardFace: CardFaceFile?
    ) throws(VerificationError) -> PortraitTemplate {
        let analysis: FaceAnalysis
        do { analysis = try analyzer.analyze(image, options: configuration.portraitDetection) } catch {
            throw .pipeline(error)
        }
        guard let face = analysis.faces.first else { throw .portraitHasNoFace(.noFace) }
        let quality = QualityGate.permissive.measure(
            box: (face.box.left, face.box.top, face.box.right, face.box.bottom),
            landmarks: face.landmarks.points.map { (Double($0.x), Double($0.y)) }, chip: face.chip,
            frameWidth: image.width, frameHeight: image.height,
            secondFaceWidth: analysis.faces.dropFirst().first?.box.width)
        let embedding: FaceEmbedding
        let mirrorAveraged: FaceEmbedding
        do {
            embedding = try analyzer.embedding(of: face)
            let mirror = try analyzer.embedding(
                ofChip: face.embeddingInput.mirrored())
            mirrorAveraged = FaceEmbedding.mean([embedding, mirror])!
        } catch { throw .pipeline(error) }
        return PortraitTemplate(
            embedding: embedding, mirrorAveragedEmbedding: mirrorAveraged, quality: quality,
            faceBox: face.box, info: info,
            portraitChannels: image.channels, authenticity: authenticity, cardFace: cardFace, model: model)
    }

    /// Throws unless `template` was made by this verifier's embedding model.
    /// - Throws: ``VerificationError/modelMismatch(template:verifier:)``.
    func checkModel(of template: PortraitTemplate) throws(VerificationError) {
        guard template.model == model else { throw .modelMismatch(template: template.model, verifier: model) }
    }

    // MARK: verification

    /// Compares one camera frame (JPEG, PNG, … bytes; EXIF orientation applied) with an enrolled portrait.
    /// - Returns: the decision with scores, threshold, quality and per-stage timings.
    /// - Throws: ``VerificationError/probeUnreadable(_:)`` for a frame that does not decode;
    ///   ``VerificationError/modelMismatch(template:verifier:)`` for a template of another embedding model.
    public func verify(_ template: PortraitTemplate, probe: [UInt8]) throws(VerificationError) -> MatchResult {
        try checkModel(of: template)
        let start = DispatchTime.now()
        let image: Image
        do { image = try ImageDecoder.decode(probe, options: configuration.decode) } catch {
            throw .probeUnreadable(error)
        }
        let decodeMs = Self.milliseconds(since: start)
        var result = try verify(template, probeImage: image)
        result.timings.decode = decodeMs
        result.timings.total += decodeMs
        return result
    }

    /// Compares one decoded camera frame with an enrolled portrait.
    /// - Throws: ``VerificationError/pipeline(_:)`` only for a frame the detector cannot take (empty, too large).
    public func verify(_ template: PortraitTemplate, probeImage: Image) throws(VerificationError) -> MatchResult {
        try checkModel(of: template)
        let start = DispatchTime.now()
        var timings = StageTimings()
        let threshold = configuration.threshold
        switch try acquire(probeImage, template: template, mode: threshold.descriptor, timings: &timings) {
        case .notAcquired(let report, _):
            timings.total = Self.milliseconds(since: start)
            return MatchResult(
                decision: .notAcquired(report.notAcquired ?? .noFace), similarity: nil, distance: nil,
                threshold: threshold, quality: report.quality, faceBox: report.faceBox, timings: timings)
        case .acquired(let face):
            let compareStart = DispatchTime.now()
            let (similarity, distance, decision) = Self.compare(
                template.descriptor(threshold.descriptor), face.descriptor,
                threshold)
            timings.compare = Self.milliseconds(since: compareStart)
            timings.total = Self.milliseconds(since: start)
            return MatchResult(
                decision: decision, similarity: similarity, distance: distance, threshold: threshold,
                quality: face.quality, faceBox: face.box, timings: timings)
        }
    }

    /// Enrols the portrait and checks the camera frame at the same time (on two cores), for a one-shot check.
    /// - Returns: the template and the result for the frame.
    /// - Throws: ``VerificationError`` from either side (the portrait's error first).
    public func enrollAndVerify(portrait: [UInt8], certificate: [UInt8]? = nil, probe: [UInt8])
        async throws(VerificationError)
        -> (PortraitTemplate, MatchResult)
    {
        let start = DispatchTime.now()
        async let decodedProbe = Self.decodeTask(probe, options: configuration.decode)
        let template: PortraitTemplate
        do { template = try await Self.enrollTask(self, portrait: portrait, certificate: certificate) } catch {
            throw Self.verificationError(error)
        }
        let image: Image
        let decodeMs: Double
        do { (image, decodeMs) = try await decodedProbe } catch { throw Self.verificationError(error) }
        var result = try verify(template, probeImage: image)
        result.timings.decode = decodeMs
        result.timings.total = Self.milliseconds(since: start)
        return (template, result)
    }

    @concurrent
    private static func enrollTask(_ verifier: FaceVerifier, portrait: [UInt8], certificate: [UInt8]?) async throws
        -> PortraitTemplate
    {
        try verifier.enroll(portrait: portrait, certificate: certificate)
    }

    @concurrent
    private static func decodeTask(_ bytes: [UInt8], options: DecodeOptions) async throws -> (Image, Double) {
        let start = DispatchTime.now()
        do { return (try ImageDecoder.decode(bytes, options: options), milliseconds(since: start)) } catch {
            throw VerificationError.probeUnreadable(error)
        }
    }

    /// The tasks above throw only ``VerificationError``; anything else (never expected) is reported as a pipeline failure.
    private static func verificationError(_ error: any Error) -> VerificationError {
        (error as? VerificationError) ?? .unexpected(String(describing: error))
    }

    /// Scores two descriptors (cosine similarity and Euclidean distance, as Float like dlib) and decides.
    static func compare(_ reference: FaceEmbedding, _ probe: FaceEmbedding, _ threshold: MatchThreshold)
        -> (similarity: Double, distance: Double, decision: MatchDecision)
    {
        let similarity = Double(reference.cosineSimilarity(to: probe))
        let distance = Double(reference.euclideanDistance(to: probe))
        let score: Double
        switch threshold.metric {
        case .euclidean: score = distance
        case .cosine: score = similarity
        case .dotProduct: score = Double(zip(reference.values, probe.values).reduce(Float(0)) { $0 + $1.0 * $1.1 })
        }
        return (similarity, distance, threshold.accepts(score) ? .match : .noMatch)
    }

    static func milliseconds(since start: DispatchTime) -> Double {
        Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e6
    }
}
