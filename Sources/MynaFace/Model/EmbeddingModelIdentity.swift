/// Which embedding model made a descriptor: the model's id and the first 12 hex digits of its file's SHA-256.
///
/// Templates carry it and are compared only with descriptors of the same model
/// (``VerificationError/modelMismatch(template:verifier:)``); threshold files name it (``thresholdName``).
public struct EmbeddingModelIdentity: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The model's id (``ModelManifest/id``, or ``FaceVerifier/embeddingModel`` for dlib's ResNet).
    public var id: String
    /// The first 12 lower-case hex digits of the model file's SHA-256.
    public var sha256Prefix: String

    /// Digits of the SHA-256 kept.
    public static let prefixLength = 12

    /// Creates an identity; the SHA-256 (or a prefix of it) is lower-cased and cut to ``prefixLength`` digits.
    public init(id: String, sha256: String) {
        self.id = id
        self.sha256Prefix = String(sha256.lowercased().prefix(Self.prefixLength))
    }

    /// dlib's face-recognition ResNet (`dlib_face_recognition_resnet_model_v1.dat`, SHA-256 pinned in
    /// `Models/manifest.tsv`): the default model, and the model of every template serialised before models were
    /// recorded.
    public static let dlibResNet = EmbeddingModelIdentity(
        id: "dlib_face_recognition_resnet_model_v1",
        sha256: "55533b28a95800a551ba546ba62fe69625c7e95a7061c338adffead08719da30")

    /// True for dlib's ResNet.
    public var isDlib: Bool { self == .dlibResNet }

    /// The name a ``ThresholdFile`` made for this model carries in its `model` field: dlib's plain model name (as the
    /// committed operating points have it), else `id@sha256prefix` — a re-trained file with the same id needs its
    /// own calibration.
    public var thresholdName: String { isDlib ? id : "\(id)@\(sha256Prefix)" }

    public var description: String { "\(id)@\(sha256Prefix)" }
}
