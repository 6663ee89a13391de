import Foundation

/// The embedding model a ``FaceAnalyzer`` / ``FaceVerifier`` uses: dlib's ResNet (the default, fetched by
/// `Scripts/fetch-models.sh`) or an external model directory (`manifest.json` + `.onnx`, `docs/models.md`).
public enum EmbeddingModelChoice: Sendable, Equatable, CustomStringConvertible {
    /// dlib's face-recognition ResNet: 150×150 dlib chips from the 5-point landmarks, 128-D descriptors.
    case dlibResNet
    /// An external model: 68-point landmarks → ArcFace alignment to the manifest's input size → the ONNX network →
    /// L2-normalised embedding.
    case external(directory: URL)

    /// The environment variable that names a model directory for every command that takes `--model`.
    public static let environmentVariable = "MYNAFACE_MODEL"

    /// `--model DIR` when given, else `$MYNAFACE_MODEL` when set and not empty, else dlib's ResNet. The value `dlib`
    /// names dlib's ResNet explicitly.
    public static func resolve(
        option: String?, environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> EmbeddingModelChoice {
        let value = option ?? environment[environmentVariable].flatMap { $0.isEmpty ? nil : $0 }
        guard let value, value != "dlib" else { return .dlibResNet }
        return .external(directory: URL(fileURLWithPath: value, isDirectory: true))
    }

    public var description: String {
        switch self {
        case .dlibResNet: "dlib ResNet"
        case .external(let directory): "external model \(directory.path)"
        }
    }
}
