import FaceAlignment
import FaceImaging

/// The decision of one comparison.
public enum MatchDecision: Sendable, Equatable, CustomStringConvertible {
    /// The probe face matches the portrait at the configured threshold.
    case match
    /// A usable face was compared and does not match.
    case noMatch
    /// No usable face could be taken from the frame (failure to acquire); nothing was compared.
    case notAcquired(NotAcquiredReason)
    /// The liveness check suspects a presentation attack (a photo, a screen, the card's own portrait): a face failure
    /// that routes to the PIN or staff. Which cue fired is in the ``LivenessAssessment``, never in the kiosk message.
    case presentationAttackSuspected

    public var description: String {
        switch self {
        case .match: return "match"
        case .noMatch: return "noMatch"
        case .notAcquired(let r): return "notAcquired(\(r))"
        case .presentationAttackSuspected: return "presentationAttackSuspected"
        }
    }

    /// The decision's name: `match`, `noMatch`, `notAcquired` or `presentationAttackSuspected`.
    public var name: String {
        switch self {
        case .match: return "match"
        case .noMatch: return "noMatch"
        case .notAcquired: return "notAcquired"
        case .presentationAttackSuspected: return "presentationAttackSuspected"
        }
    }
}

/// Wall-clock time of each stage of a verification, in milliseconds.
public struct StageTimings: Sendable, Equatable, Codable {
    public var decode: Double = 0
    public var detect: Double = 0
    public var landmarks: Double = 0
    public var align: Double = 0
    public var embed: Double = 0
    public var compare: Double = 0
    public var total: Double = 0
    public init() {}
}

/// The result of comparing one camera frame with an enrolled portrait.
///
/// The scores are nil when no face was acquired. Contains no image and no embedding.
public struct MatchResult: Sendable, Equatable {
    /// The decision.
    public var decision: MatchDecision
    /// Cosine similarity of the L2-normalised descriptors (−1…1, higher = more alike).
    public var similarity: Double?
    /// Euclidean distance of the raw descriptors (dlib's metric; ≥ 0, lower = more alike).
    public var distance: Double?
    /// The threshold the decision used.
    public var threshold: MatchThreshold
    /// The probe face's quality measurements, when a face was found.
    public var quality: FaceQuality?
    /// The probe face's box, when a face was found.
    public var faceBox: FaceRect?
    /// Per-stage timings of the probe's processing.
    public var timings: StageTimings

    /// True for ``MatchDecision/match``.
    public var isMatch: Bool { decision == .match }
}
