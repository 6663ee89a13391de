/// One measured liveness cue, with the limit it is held to.
public struct LivenessCue: Sendable, Equatable, Codable {
    /// `turn` (yaw following the challenge), `parallax` (planarity residual) or `motion`.
    public var name: String
    /// The measurement, in eye distances.
    public var value: Double
    /// The smallest value a live face is expected to reach.
    public var threshold: Double
    /// True when `value ≥ threshold`.
    public var passed: Bool

    /// A cue as measured.
    public init(name: String, value: Double, threshold: Double, passed: Bool) {
        self.name = name
        self.value = value
        self.threshold = threshold
        self.passed = passed
    }
}

/// The outcome of the liveness check of one attempt.
///
/// Carries the cues for logs and evaluation; the kiosk shows only ``patientMessage``, which never says which cue
/// fired (an attacker must not learn what to fix).
public struct LivenessAssessment: Sendable, Equatable {
    /// The policy applied.
    public var policy: LivenessPolicy
    /// The PAD score: the smallest ratio `value / threshold` over the cues applied (≥ 1: every cue passed; lower is
    /// more attack-like).
    public var score: Double
    /// The cues measured, in the order applied.
    public var cues: [LivenessCue]
    /// Frames whose landmarks were used.
    public var framesUsed: Int
    /// True when a presentation attack is suspected (a cue failed, or too few frames showed a face).
    public var isAttackSuspected: Bool

    /// What the kiosk shows after a suspected attack: a neutral request that routes to the PIN or staff.
    public static let patientMessage =
        "顔認証を完了できませんでした。暗証番号の入力、または職員にお声がけください / Face check not completed: please enter your PIN or ask staff"
}

/// Decides liveness from the 5-landmark track of an attempt (``LivenessCues``).
///
/// Thresholds were chosen with `mynaface eval --pad` on generated print, screen and card-face attacks against att
/// sessions (`docs/liveness.md`).
public struct LivenessChecker: Sendable, Equatable {
    /// The smallest yaw change toward the requested side a live patient shows (eye distances; the passive policy
    /// takes either side). 0.18, about a 17° head turn: the smallest value at which no moved print, screen or
    /// card-face attack of the generated set passed (`docs/liveness.md`).
    public var minimumTurn: Double = 0.18
    /// The smallest parallax (``LivenessCues/parallax(_:)``) a live face shows, applied when ``parallaxInChallenge``
    /// is true.
    public var minimumParallax: Double = 0.02
    /// Whether the challenge also requires the parallax cue. Off: with 5 landmarks the eye corners are nearly
    /// collinear and the residual is dominated by landmark noise (attacks scored as high as live faces on the data).
    public var parallaxInChallenge = false
    /// Frames with a face needed before anything is decided; fewer is a suspected attack.
    public var minimumFrames = 3

    /// The shipped thresholds.
    public init() {}

    /// Assesses a track (frames in time order, dlib's 5 points each) under `policy`; nil for ``LivenessPolicy/off``.
    public func assess(_ track: [[SIMD2<Double>]], policy: LivenessPolicy) -> LivenessAssessment? {
        let track = track.filter { $0.count == 5 }
        var cues: [LivenessCue] = []
        func add(_ name: String, _ value: Double, _ threshold: Double) {
            cues.append(LivenessCue(name: name, value: value, threshold: threshold, passed: value >= threshold))
        }
        switch policy {
        case .off:
            return nil
        case .passive:
            let yaws = track.map(LivenessCues.yaw)
            add(
                "turn",
                max(LivenessCues.turn(yaws: yaws, toward: .left), LivenessCues.turn(yaws: yaws, toward: .right)),
                minimumTurn)
        case .challenge(let direction):
            add("turn", LivenessCues.turn(yaws: track.map(LivenessCues.yaw), toward: direction), minimumTurn)
            if parallaxInChallenge { add("parallax", LivenessCues.parallax(track), minimumParallax) }
        }
        let score = cues.map { $0.threshold > 0 ? $0.value / $0.threshold : .infinity }.min() ?? 0
        let enough = track.count >= minimumFrames
        return LivenessAssessment(
            policy: policy, score: enough ? score : 0, cues: cues, framesUsed: track.count,
            isAttackSuspected: !enough || cues.contains { !$0.passed })
    }
}
