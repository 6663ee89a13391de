import ArgumentParser
import Foundation
import MynaFace

/// The operating-point options `verify` and `session` share: a threshold file or value, its metric and
/// descriptors, fusion and probe colour. Without any, the verifier's default (calibrated on East-Asian faces).
struct OperatingPointOptions: ParsableArguments {
    @Option(
        help:
            "A threshold file written by `mynaface eval` (its frames field says whether it is the single-frame or the fused operating point)."
    )
    var thresholdFile: String?

    @Option(
        help:
            "A threshold value (with --metric and --descriptor) for single frames and fused attempts alike; 0.6 is dlib's own."
    )
    var threshold: Double?

    @Option(
        help:
            "The metric of --threshold: euclidean (distance, lower matches), cosine (similarity, higher matches) or dot-product."
    )
    var metric: ScoreMetric = .euclidean

    @Option(help: "The descriptors of --threshold: plain (dlib's) or mirror-averaged.")
    var descriptor: DescriptorMode = .plain

    @Option(help: "Frames fused into one attempt at most.")
    var framesPerAttempt = 3

    @Option(help: "Probe colour: as-captured, greyscale or match-portrait.")
    var probeColour: ProbeColour = .asCaptured

    func validate() throws {
        guard (1...16).contains(framesPerAttempt) else { throw ValidationError("--frames-per-attempt must be 1…16") }
        if thresholdFile != nil, threshold != nil {
            throw ValidationError("give --threshold-file or --threshold, not both")
        }
    }

    /// Sets the configuration's operating points, fusion and probe colour; exits with status 3 for an unusable
    /// threshold file (one line on stderr naming the problem), e.g. one made for another model than `model`.
    func apply(
        to config: inout FaceVerifier.Configuration, command: String, model: EmbeddingModelIdentity = .dlibResNet
    ) {
        if let thresholdFile {
            do {
                let file = try ThresholdFile.load(from: URL(fileURLWithPath: thresholdFile))
                let point = try file.threshold(forModel: model.thresholdName, path: thresholdFile)
                if file.frames > 1 {
                    guard point.descriptor == config.threshold.descriptor else {
                        CLI.fail(
                            "\(command): \(thresholdFile) uses \(point.descriptor.rawValue) descriptors, the single-frame point \(config.threshold.descriptor.rawValue)",
                            status: .unreadableInput)
                    }
                    config.fusedThreshold = point
                } else {
                    config.threshold = point
                    config.fusedThreshold = nil
                }
            } catch {
                CLI.fail("\(command): \(error)", status: .unreadableInput)
            }
        }
        if let threshold {
            config.threshold = MatchThreshold(
                metric: metric, value: threshold, descriptor: descriptor, source: "command line")
            config.fusedThreshold = nil
        }
        config.framesPerAttempt = framesPerAttempt
        config.probeColour = probeColour
    }
}
