import CardAccess
import FaceAlignment
import FaceEmbedding
import FaceImaging
import Foundation
import MynaCard

/// Whether the portrait's origin was proven.
public enum PortraitAuthenticity: Sendable, Equatable, CustomStringConvertible {
    /// A card-face file whose chain (certificate → DF28 signature) verified.
    case verified(String)
    /// A card-face file whose chain did not verify, accepted because the policy says so (test setups only).
    case acceptedUnverified(AuthenticityFailure)
    /// Not a card-face file (a DG2 record, an image file, or a decoded image when nil): no card chain to check.
    case notApplicable(PortraitSourceKind?)

    public var description: String {
        switch self {
        case .verified(let anchor): return "verified (\(anchor))"
        case .acceptedUnverified(let f): return "UNVERIFIED, accepted by policy: \(f)"
        case .notApplicable(let kind):
            return "not checked (\(kind?.rawValue ?? "decoded image") input has no card chain)"
        }
    }
}

/// What was enrolled from a card: the portrait's descriptor, the model that made it, and where it came from.
///
/// Computed once per card by ``FaceVerifier/enroll(portrait:certificate:)``; then compared with any number of
/// camera frames. Holds a biometric descriptor: keep it in memory for the visit, persist it only if the
/// patient's consent and your policy allow. Its `description` never prints the descriptor.
public struct PortraitTemplate: Sendable, CustomStringConvertible {
    /// The descriptor of the portrait face (dlib's 128-D one, or the external model's L2-normalised embedding).
    public let embedding: FaceEmbedding
    /// The mean of the portrait's and its mirror image's descriptors (``DescriptorMode/mirrorAveraged``).
    public let mirrorAveragedEmbedding: FaceEmbedding
    /// Quality measurements of the portrait face.
    public let quality: FaceQuality
    /// The portrait face's box in the decoded portrait.
    public let faceBox: FaceRect
    /// The container and codec the portrait came from (nil when enrolled from a decoded image).
    public let info: PortraitInfo?
    /// Channels of the decoded portrait (1 for the card's greyscale portrait).
    public let portraitChannels: Int
    /// Whether the portrait's origin was proven.
    public let authenticity: PortraitAuthenticity
    /// The parsed card-face file, when the portrait came from one (birth date, sex, expiry for the session).
    public let cardFace: CardFaceFile?
    /// The embedding model that made the descriptors: the template is compared only with frames embedded by the same
    /// model (``VerificationError/modelMismatch(template:verifier:)``).
    public let model: EmbeddingModelIdentity

    /// The portrait's descriptor in `mode`.
    public func descriptor(_ mode: DescriptorMode) -> FaceEmbedding {
        mode == .plain ? embedding : mirrorAveragedEmbedding
    }

    public var description: String {
        let source =
            info.map { "\($0.format) \($0.width)×\($0.height)×\($0.channels) from \($0.containerPath)" }
            ?? "decoded image"
        return "PortraitTemplate(\(source), "
            + "face \(faceBox.width) px, authenticity: \(authenticity), model: \(model))"
    }
}

extension PortraitTemplate {
    /// A template from its parts, with neutral quality measurements (tests and tools; a reader enrols with
    /// ``FaceVerifier/enroll(portrait:certificate:)``).
    package init(
        embedding: FaceEmbedding, mirrorAveragedEmbedding: FaceEmbedding, faceBox: FaceRect, portraitChannels: Int,
        model: EmbeddingModelIdentity
    ) {
        self.init(
            embedding: embedding, mirrorAveragedEmbedding: mirrorAveragedEmbedding,
            quality: FaceQuality(
                faceWidth: faceBox.width, meanLuma: 128, sharpness: 50, yaw: 0, rollDegrees: 0, pitchRatio: 0.8,
                insideFrame: true, secondFaceRatio: nil),
            faceBox: faceBox, info: nil, portraitChannels: portraitChannels, authenticity: .notApplicable(nil),
            cardFace: nil, model: model)
    }
}
