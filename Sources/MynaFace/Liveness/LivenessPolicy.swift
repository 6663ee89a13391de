/// The head turn a kiosk asks for in an active liveness challenge, in the patient's own frame of reference.
public enum HeadTurn: String, Sendable, Equatable, Codable, CaseIterable {
    /// Turn the head to the patient's own left (the nose moves to the image's right in an unmirrored camera).
    case left
    /// Turn the head to the patient's own right (the nose moves to the image's left).
    case right

    /// The sign of the yaw proxy's change this turn produces (``FaceQuality/yaw``: nose offset along the eye line,
    /// which points from the image-left eye to the image-right eye).
    public var yawSign: Double { self == .left ? 1 : -1 }

    /// A random direction, for one visit (the attacker must not know it in advance).
    public static func random<G: RandomNumberGenerator>(using generator: inout G) -> HeadTurn {
        Bool.random(using: &generator) ? .left : .right
    }
}

/// How a face decision checks that a live person, not a photo or a screen, is in front of the camera
/// (presentation-attack detection, ISO/IEC 30107).
///
/// - ``off``: no check (offline evaluation, tests of the match decision alone).
/// - ``passive``: needs nothing from the patient: the head's yaw must change by itself, either way, over the frames
///   (a photo held up shows no head turn) — refuses patients who hold still (see `docs/liveness.md`).
/// - ``challenge(_:)``: the kiosk asks for a small head turn, chosen at random per visit; the estimated yaw must
///   follow it, and the passive cues apply too. The setting a reader should use.
public enum LivenessPolicy: Sendable, Equatable, CustomStringConvertible {
    /// No liveness check.
    case off
    /// The head's pose must change by itself over the frames.
    case passive
    /// The patient was asked to turn their head to this side while the frames were taken.
    case challenge(HeadTurn)

    /// `off`, `passive`, `challenge:left` or `challenge:right`.
    public var description: String {
        switch self {
        case .off: "off"
        case .passive: "passive"
        case .challenge(let turn): "challenge:\(turn.rawValue)"
        }
    }

    /// Parses `off`, `passive`, `challenge:left` or `challenge:right`.
    public init?(name: String) {
        switch name {
        case "off": self = .off
        case "passive": self = .passive
        case "challenge:left": self = .challenge(.left)
        case "challenge:right": self = .challenge(.right)
        default: return nil
        }
    }
}
