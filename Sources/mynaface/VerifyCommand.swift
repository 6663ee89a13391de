import ArgumentParser
import CardAccess
import FaceImaging
import Foundation
import MynaCard
import MynaFace

/// `mynaface verify --portrait CARD_OR_IMAGE --probe CAMERA_IMAGE [--json]`: the 1:1 face check.
///
/// Exit status (``ExitStatus``): 0 match, 1 no match, 2 not acquired, 3 unreadable or refused input, 4 models or pipeline.
struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Compare camera frames with a card portrait (card-face file, DG2 or image).",
        discussion: """
            One --probe: that frame decides. Several --probe (frames of one attempt, in time order): every frame \
            is checked, the best (most frontal, sharpest) up to --frames-per-attempt are fused — their descriptors \
            averaged — and compared once, at the fused operating point: one decision per attempt. \
            Default operating point: calibrated on East-Asian faces (docs/threshold-config.md); --threshold 0.6 \
            gives dlib's own (plain descriptors, Euclidean distance). \
            Exit status: 0 match, 1 no match, 2 not acquired (no usable face in any frame), \
            3 unreadable or refused input, 4 models missing or pipeline failure, 5 presentation attack suspected. \
            --liveness challenge:left|challenge:right (the patient was asked to turn their head to their own left or \
            right while the frames were taken) or passive checks the frames for a live face (docs/liveness.md). \
            --model DIR uses an external embedding model (docs/models.md) at its calibrated threshold (or --threshold).
            """)

    @Option(help: "The portrait: a card-face file (EF 0002), a DG2 record or an image file.")
    var portrait: String

    @Option(help: "A camera frame (JPEG or PNG); repeat for the frames of one attempt, in time order.")
    var probe: [String]

    @Option(help: "The card's EF 0004 certificate, to authenticate a card-face file.")
    var certificate: String?

    @Flag(help: "Trust the JPKI test hierarchy (6000023) besides production (test cards only).")
    var testAnchors = false

    @Flag(help: "Accept a card-face file whose chain does not verify (test setups; recorded in the output).")
    var acceptUnverified = false

    @OptionGroup var operatingPoint: OperatingPointOptions

    @OptionGroup var modelOptions: ModelOptions

    @Option(help: "Minimum face width in the camera frame as a fraction of the frame width.")
    var minFaceFraction: Double = 0.15

    @Option(
        help:
            "Liveness check over the frames: off, passive, challenge:left or challenge:right (exit 5 when an attack is suspected)."
    )
    var liveness: LivenessPolicy = .off

    @Flag(help: "Print one JSON object.")
    var json = false

    struct Report: Encodable {
        struct Threshold: Encodable {
            var metric: String
            var descriptor: String
            var value: Double
        }
        struct Frame: Encodable {
            var index: Int
            var reason: String?
            var fused: Bool
            var face: [Int]?
            var quality: FaceQuality?
        }
        struct Liveness: Encodable {
            var policy: String
            var padScore: Double
            var attackSuspected: Bool
            var framesUsed: Int
            var cues: [LivenessCue]
        }
        var decision: String
        var reason: String?
        var patientMessage: String?
        var similarity: Double?
        var distance: Double?
        var threshold: Threshold
        var framesFused: Int?
        var frames: [Frame]?
        var liveness: Liveness?
        var timings: StageTimings?
        var totalMilliseconds: Double?
        var portrait: String
        var authenticity: String
        var probeFace: [Int]?
        var quality: FaceQuality?
        var model: String
    }

    func validate() throws {
        guard !probe.isEmpty else { throw ValidationError("give at least one --probe") }
    }

    func run() async throws {
        let command = "mynaface verify"
        let portraitBytes = CLI.readFile(portrait, what: "portrait", command: command)
        let probeBytes = probe.map { CLI.readFile($0, what: "camera frame", command: command) }
        let certificateBytes = certificate.map { CLI.readFile($0, what: "certificate", command: command) }

        var config = FaceVerifier.Configuration()
        var anchors = Array(TrustAnchors.production.anchors.values)
        if testAnchors { anchors += Array(TrustAnchors.jpkiTest.anchors.values) }
        config.authenticator = CardFaceAuthenticator(
            anchors: TrustAnchors(anchors),
            policy: acceptUnverified ? .acceptUnverified : .requireVerified)
        let external = modelOptions.loadExternal(command: command)
        operatingPoint.apply(to: &config, command: command, model: ModelOptions.identity(external))
        config.probeDetection.minimumFaceSize = .fractionOfWidth(minFaceFraction)

        let verifier = ModelOptions.verifier(
            external: external, configuration: config, command: command, livenessShape: liveness != .off)
        func failed(_ error: VerificationError) -> Never {
            switch error {
            case .pipeline, .unexpected: CLI.fail("\(command): \(error)", status: .modelsOrPipeline)
            default: CLI.fail("\(command): \(error)", status: .unreadableInput)
            }
        }
        func describe(_ template: PortraitTemplate) -> String {
            template.info.map { i in
                i.containerPath.isEmpty
                    ? "\(i.format) \(i.width)×\(i.height)" : "\(i.containerPath): \(i.format) \(i.width)×\(i.height)"
            } ?? "image"
        }
        func thresholdReport(_ t: MatchThreshold) -> Report.Threshold {
            .init(metric: t.metric.rawValue, descriptor: t.descriptor.rawValue, value: roundTo(t.value, 6))
        }

        let report: Report
        let decision: MatchDecision
        if probeBytes.count == 1 && liveness == .off {
            let template: PortraitTemplate
            let result: MatchResult
            do {
                (template, result) = try await verifier.enrollAndVerify(
                    portrait: portraitBytes, certificate: certificateBytes,
                    probe: probeBytes[0])
            } catch { failed(error) }
            var reason: NotAcquiredReason?
            if case .notAcquired(let r) = result.decision { reason = r }
            decision = result.decision
            report = Report(
                decision: result.decision.name, reason: reason?.description, patientMessage: reason?.patientMessage,
                similarity: result.similarity.map { roundTo($0, 6) }, distance: result.distance.map { roundTo($0, 6) },
                threshold: thresholdReport(result.threshold), timings: result.timings.rounded(),
                portrait: describe(template),
                authenticity: template.authenticity.description,
                probeFace: result.faceBox.map { [$0.left, $0.top, $0.right, $0.bottom] }, quality: result.quality,
                model: template.model.description)
        } else {
            let template: PortraitTemplate
            let result: AttemptResult
            do {
                template = try verifier.enroll(portrait: portraitBytes, certificate: certificateBytes)
                result = try verifier.verifyAttempt(template, probes: probeBytes, liveness: liveness)
            } catch { failed(error) }
            var reason: NotAcquiredReason?
            if case .notAcquired(let r) = result.decision { reason = r }
            decision = result.decision
            let attack = result.decision == .presentationAttackSuspected
            report = Report(
                decision: result.decision.name, reason: reason?.description,
                patientMessage: attack ? LivenessAssessment.patientMessage : reason?.patientMessage,
                similarity: result.similarity.map { roundTo($0, 6) }, distance: result.distance.map { roundTo($0, 6) },
                threshold: thresholdReport(result.threshold), framesFused: result.framesFused,
                frames: result.frames.map {
                    Report.Frame(
                        index: $0.index, reason: $0.notAcquired?.description, fused: $0.fused,
                        face: $0.faceBox.map { [$0.left, $0.top, $0.right, $0.bottom] }, quality: $0.quality)
                },
                liveness: result.liveness.map { l in
                    Report.Liveness(
                        policy: l.policy.description, padScore: roundTo(l.score, 6),
                        attackSuspected: l.isAttackSuspected,
                        framesUsed: l.framesUsed,
                        cues: l.cues.map {
                            LivenessCue(
                                name: $0.name, value: roundTo($0.value, 6), threshold: $0.threshold, passed: $0.passed)
                        })
                },
                totalMilliseconds: roundTo(result.totalMilliseconds, 3), portrait: describe(template),
                authenticity: template.authenticity.description, model: template.model.description)
        }
        if json {
            try CLI.printJSON(report)
        } else {
            print(
                "decision:     \(report.decision)\(report.reason.map { " — \($0) (\(report.patientMessage ?? ""))" } ?? "")"
            )
            if let s = report.similarity, let d = report.distance {
                print("similarity:   \(s) (cosine of normalised descriptors)")
                print(
                    "distance:     \(d) (Euclidean\(report.model == EmbeddingModelIdentity.dlibResNet.description ? ", dlib" : ""))"
                )
            }
            print(
                "threshold:    \(report.threshold.metric) \(report.threshold.value) (\(report.threshold.descriptor) descriptors)"
            )
            if let frames = report.frames {
                print(
                    "frames:       \(report.framesFused ?? 0) of \(frames.count) fused"
                        + frames.compactMap { f in f.reason.map { "; frame \(f.index): \($0)" } }.joined())
            }
            if let l = report.liveness {
                print(
                    "liveness:     \(l.policy): PAD score \(l.padScore)\(l.attackSuspected ? " — attack suspected" : " — live")"
                        + " ("
                        + l.cues.map { "\($0.name) \($0.value), live from \($0.threshold)" }.joined(separator: "; ")
                        + ")")
            }
            print("portrait:     \(report.portrait); authenticity: \(report.authenticity)")
            print("model:        \(report.model)")
            if let t = report.timings {
                print(
                    String(
                        format:
                            "timings (ms): decode %.1f, detect %.1f, landmarks %.1f, align %.1f, embed %.1f, total %.1f",
                        t.decode, t.detect, t.landmarks, t.align, t.embed, t.total))
            } else if let total = report.totalMilliseconds {
                print(String(format: "timings (ms): attempt %.1f", total))
            }
        }
        switch decision {
        case .match: return
        case .noMatch: throw ExitStatus.failure.exitCode
        case .notAcquired: throw ExitStatus.notAcquired.exitCode
        case .presentationAttackSuspected: throw ExitStatus.presentationAttack.exitCode
        }
    }
}

extension StageTimings {
    func rounded() -> StageTimings {
        var t = self
        t.decode = roundTo(decode, 3)
        t.detect = roundTo(detect, 3)
        t.landmarks = roundTo(landmarks, 3)
        t.align = roundTo(align, 3)
        t.embed = roundTo(embed, 3)
        t.compare = roundTo(compare, 4)
        t.total = roundTo(total, 3)
        return t
    }
}

extension ScoreMetric: ExpressibleByArgument {
    public init?(argument: String) { self.init(name: argument) }
}

extension LivenessPolicy: ExpressibleByArgument {
    public init?(argument: String) { self.init(name: argument) }
    public var defaultValueDescription: String { description }
    public static var allValueStrings: [String] { ["off", "passive", "challenge:left", "challenge:right"] }
}

extension ProbeColour: ExpressibleByArgument {
    public init?(argument: String) {
        switch argument {
        case "as-captured": self = .asCaptured
        case "greyscale", "grayscale": self = .greyscale
        case "match-portrait": self = .matchPortrait
        default: return nil
        }
    }

    public var defaultValueDescription: String {
        switch self {
        case .asCaptured: "as-captured"
        case .greyscale: "greyscale"
        case .matchPortrait: "match-portrait"
        }
    }

    public static var allValueStrings: [String] { ["as-captured", "greyscale", "match-portrait"] }
}
