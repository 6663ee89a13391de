import ArgumentParser
import CardAccess
import FaceImaging
import MynaCard
import Foundation
import MynaFace

/// `mynaface verify --portrait CARD_OR_IMAGE --probe CAMERA_IMAGE [--json]`: the 1:1 face check.
///
/// Exit status (``ExitStatus``): 0 match, 1 no match, 2 not acquired, 3 unreadable or refused input, 4 models or pipeline.
struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Compare a camera frame with a card portrait (card-face file, DG2 or image).",
        discussion: """
            Exit status: 0 match, 1 no match, 2 not acquired (no usable face in the frame), \
            3 unreadable or refused input, 4 models missing or pipeline failure.
            """)

    @Option(help: "The portrait: a card-face file (EF 0002), a DG2 record or an image file.")
    var portrait: String

    @Option(help: "The camera frame (JPEG or PNG).")
    var probe: String

    @Option(help: "The card's EF 0004 certificate, to authenticate a card-face file.")
    var certificate: String?

    @Flag(help: "Trust the JPKI test hierarchy (6000023) besides production (test cards only).")
    var testAnchors = false

    @Flag(help: "Accept a card-face file whose chain does not verify (test setups; recorded in the output).")
    var acceptUnverified = false

    @Option(help: "A threshold file written by `mynaface eval`.")
    var thresholdFile: String?

    @Option(help: "The threshold value (with --metric); default dlib's distance 0.6.")
    var threshold: Double?

    @Option(help: "The metric of --threshold: euclidean (distance, lower matches), cosine (similarity, higher matches) or dot-product.")
    var metric: ScoreMetric = .euclidean

    @Option(help: "Probe colour: as-captured, greyscale or match-portrait.")
    var probeColour: ProbeColour = .asCaptured

    @Option(help: "Minimum face width in the camera frame as a fraction of the frame width.")
    var minFaceFraction: Double = 0.15

    @Flag(help: "Print one JSON object.")
    var json = false

    struct Report: Encodable {
        struct Threshold: Encodable { var metric: String; var value: Double }
        var decision: String
        var reason: String?
        var patientMessage: String?
        var similarity: Double?
        var distance: Double?
        var threshold: Threshold
        var timings: StageTimings
        var portrait: String
        var authenticity: String
        var probeFace: [Int]?
        var quality: FaceQuality?
    }

    func run() async throws {
        let portraitBytes = CLI.readFile(portrait, what: "portrait", command: "mynaface verify")
        let probeBytes = CLI.readFile(probe, what: "camera frame", command: "mynaface verify")
        let certificateBytes = certificate.map { CLI.readFile($0, what: "certificate", command: "mynaface verify") }

        var config = FaceVerifier.Configuration()
        var anchors = Array(TrustAnchors.production.anchors.values)
        if testAnchors { anchors += Array(TrustAnchors.jpkiTest.anchors.values) }
        config.authenticator = CardFaceAuthenticator(anchors: TrustAnchors(anchors),
                                                     policy: acceptUnverified ? .acceptUnverified : .requireVerified)
        if let thresholdFile {
            do {
                config.threshold = try ThresholdFile.load(from: URL(fileURLWithPath: thresholdFile))
                    .threshold(forModel: FaceVerifier.embeddingModel, path: thresholdFile)
            } catch {
                CLI.fail("mynaface verify: \(error)", status: .unreadableInput)
            }
        }
        if let threshold { config.threshold = MatchThreshold(metric: metric, value: threshold, source: "command line") }
        config.probeColour = probeColour
        config.probeDetection.minimumFaceSize = .fractionOfWidth(minFaceFraction)

        let verifier: FaceVerifier
        do { verifier = try FaceVerifier(configuration: config) } catch {
            CLI.fail("mynaface verify: \(error)", status: .modelsOrPipeline)
        }

        let template: PortraitTemplate
        let result: MatchResult
        do {
            (template, result) = try await verifier.enrollAndVerify(portrait: portraitBytes, certificate: certificateBytes,
                                                                   probe: probeBytes)
        } catch {
            switch error {
            case .pipeline, .unexpected: CLI.fail("mynaface verify: \(error)", status: .modelsOrPipeline)
            default: CLI.fail("mynaface verify: \(error)", status: .unreadableInput)
            }
        }

        var reason: NotAcquiredReason?
        if case .notAcquired(let r) = result.decision { reason = r }
        let report = Report(
            decision: result.decision.name, reason: reason?.description, patientMessage: reason?.patientMessage,
            similarity: result.similarity.map { roundTo($0, 6) }, distance: result.distance.map { roundTo($0, 6) },
            threshold: .init(metric: result.threshold.metric.rawValue, value: roundTo(result.threshold.value, 6)),
            timings: result.timings.rounded(), portrait: template.info.map { i in
                i.containerPath.isEmpty ? "\(i.format) \(i.width)×\(i.height)" : "\(i.containerPath): \(i.format) \(i.width)×\(i.height)"
            } ?? "image",
            authenticity: template.authenticity.description,
            probeFace: result.faceBox.map { [$0.left, $0.top, $0.right, $0.bottom] }, quality: result.quality)
        if json {
            try CLI.printJSON(report)
        } else {
            print("decision:     \(report.decision)\(reason.map { " — \($0) (\($0.patientMessage))" } ?? "")")
            if let s = report.similarity, let d = report.distance {
                print("similarity:   \(s) (cosine of normalised descriptors)")
                print("distance:     \(d) (Euclidean, dlib)")
            }
            print("threshold:    \(report.threshold.metric) \(report.threshold.value)")
            print("portrait:     \(report.portrait); authenticity: \(report.authenticity)")
            let t = result.timings
            print(String(format: "timings (ms): decode %.1f, detect %.1f, landmarks %.1f, align %.1f, embed %.1f, total %.1f",
                         t.decode, t.detect, t.landmarks, t.align, t.embed, t.total))
        }
        switch result.decision {
        case .match: return
        case .noMatch: throw ExitStatus.failure.exitCode
        case .notAcquired: throw ExitStatus.notAcquired.exitCode
        }
    }
}

extension StageTimings {
    func rounded() -> StageTimings {
        var t = self
        t.decode = roundTo(decode, 3); t.detect = roundTo(detect, 3)
        t.landmarks = roundTo(landmarks, 3); t.align = roundTo(align, 3)
        t.embed = roundTo(embed, 3); t.compare = roundTo(compare, 4)
        t.total = roundTo(total, 3)
        return t
    }
}

extension ScoreMetric: ExpressibleByArgument {
    public init?(argument: String) { self.init(name: argument) }
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
