import ArgumentParser
import Foundation
import MynaFace
import NeuralCore

/// `--model DIR`: the embedding model of `verify`, `eval`, `embed`, `session` and `serve` — an external model directory
/// (`manifest.json` + `.onnx`, docs/models.md), else `$MYNAFACE_MODEL`, else dlib's ResNet.
struct ModelOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "External embedding model directory (manifest.json + .onnx; docs/models.md). Default: $MYNAFACE_MODEL, else dlib's ResNet ('dlib' names it).",
            valueName: "DIR"))
    var model: String?

    /// The model chosen by `--model` or `$MYNAFACE_MODEL`.
    var choice: EmbeddingModelChoice { EmbeddingModelChoice.resolve(option: model) }

    /// The external model, loaded (manifest validated, SHA-256 checked); nil for dlib's ResNet. Exits with status 4
    /// and one line naming the file and field when it cannot be loaded.
    func loadExternal(command: String) -> ExternalModel? {
        guard case .external(let directory) = choice else { return nil }
        do { return try ExternalModel.load(directory: directory) } catch {
            CLI.fail("\(command): \(error)", status: .modelsOrPipeline)
        }
    }

    /// The identity of the model (for threshold files), from an already loaded external model.
    static func identity(_ external: ExternalModel?) -> EmbeddingModelIdentity { external?.identity ?? .dlibResNet }

    /// A verifier of the chosen model with `configuration`; exits with status 4 and one line when the models cannot be
    /// loaded or an external model has no operating point (no calibrated threshold file and no --threshold).
    /// `livenessShape`: load dlib's 68-point model too when its file is there (liveness's 68-point cues; dlib's
    /// ResNet path only).
    static func verifier(
        store: ModelStore = ModelStore(), external: ExternalModel?, configuration: FaceVerifier.Configuration,
        command: String, livenessShape: Bool = false
    ) -> FaceVerifier {
        do {
            guard let external else {
                return try FaceVerifier(store: store, configuration: configuration, livenessShape: livenessShape)
            }
            let analyzer: FaceAnalyzer
            do { analyzer = try FaceAnalyzer(store: store, externalModel: external) } catch {
                throw VerificationError.pipeline(error)
            }
            return try FaceVerifier(analyzer: analyzer, configuration: configuration)
        } catch {
            CLI.fail("\(command): \(error)", status: .modelsOrPipeline)
        }
    }
}
