/// One measured liveness cue, with the limit it is held to.
public struct LivenessCue: Sendable, Equatable, Codable {
    /// `turn` (yaw following the challenge), `parallax` (planarity residual), `motion` (5 points), or `turn68` and
    /// `parallax68` (68 points, ``ShapeLivenessCues``).
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

/// Decides liveness from the landmark track of an attempt: dlib's 68-point shapes when the analyzer computes them
/// (``ShapeLivenessCues``), else the 5 points (``LivenessCues``).
///
/// Thresholds were chosen with `mynaface eval --pad` and `Scripts/pad-cues.py` on generated print, screen and
/// card-face attacks against att sessions (`docs/liveness.md`).
public struct LivenessChecker: Sendable, Equatable {
    /// The smallest yaw change toward the requested side a live patient shows with 5 points (eye distances; the
    /// passive policy takes either side). 0.18, about a 17° head turn: the smallest value at which no moved print,
    /// screen or card-face attack of the generated set passed (`docs/liveness.md`).
    public var minimumTurn: Double = 0.18
    /// The smallest parallax (``LivenessCues/parallax(_:)``) a live face shows, applied when ``parallaxInChallenge``
    /// is true (5 points).
    public var minimumParallax: Double = 0.02
    /// Whether the challenge also requires the parallax cue with 5 points. Off: with 5 landmarks the eye corners
    /// are nearly collinear and the residual is dominated by landmark noise (attacks scored as high as live faces).
    public var parallaxInChallenge = false
    /// With 68 points: the smallest yaw change toward the requested side (``ShapeLivenessCues/yaw(_:)``, eye
    /// distances). 0.16, about a 16° head turn: the largest value at which the tuning half's BPCER did not rise
    /// (0.00–0.16 refused the same sessions), so the turn must clearly follow the requested side.
    public var minimumShapeTurn: Double = 0.16
    /// With 68 points: the smallest nose parallax over that turn (``ShapeLivenessCues/turnParallax(_:toward:)``,
    /// eye distances). 0.085: the smallest value at which no attack of the tuning half passed (`docs/liveness.md`).
    public var minimumShapeParallax: Double = 0.085
    /// Frames with a face needed before anything is decided; fewer is a suspected attack.
    public var minimumFrames = 3

    /// The shipped thresholds.
    public init() {}

    /// Assesses a track (frames in time order; each frame dlib's 68 points, or its 5 points) under `policy`; nil
    /// for ``LivenessPolicy/off``. When at least ``minimumFrames`` frames carry 68 points, the 68-point cues decide
    /// (`turn68`, `parallax68`); otherwise the 5-point frames do (`turn`, and `parallax` when configured).
    public func assess(_ track: [[SIMD2<Double>]], policy: LivenessPolicy) -> LivenessAssessment? {
        let shapes = track.filter { $0.count == ShapeLivenessCues.pointCount }
        if shapes.count >= minimumFrames { return assessShapes(shapes, policy: policy) }
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
        return Self.assessment(policy: policy, cues: cues, frames: track.count, enough: track.count >= minimumFrames)
    }

    /// The 68-point cues: the turn toward the requested side and the nose's parallax over it (passive: the side
    /// that scores better).
    private func assessShapes(_ shapes: [[SIMD2<Double>]], policy: LivenessPolicy) -> LivenessAssessment? {
        let sides: [HeadTurn]
        switch policy {
        case .off: return nil
        case .passive: sides = HeadTurn.allCases
        case .challenge(let direction): sides = [direction]
        }
        var best: [LivenessCue] = []
        var bestScore = -Double.infinity
        for side in sides {
            let m = ShapeLivenessCues.turnParallax(shapes, toward: side)
            let cues = [
                LivenessCue(
                    name: "turn68", value: m.turn, threshold: minimumShapeTurn, passed: m.turn >= minimumShapeTurn),
                LivenessCue(
                    name: "parallax68", value: m.parallax, threshold: minimumShapeParallax,
                    passed: m.parallax >= minimumShapeParallax),
            ]
            let score = Self.score(cues)
            if score > bestScore {
                bestScore = score
                best = cues
            }
        }
        return Self.assessment(policy: policy, cues: best, frames: shapes.count, enough: true)
    }

    /// The smallest `value / threshold` over the cues.
    private static func score(_ cues: [LivenessCue]) -> Double {
        cues.map { $0.threshold > 0 ? $0.value / $0.threshold : .infinity }.min() ?? 0
    }

    private static func assessment(policy: LivenessPolicy, cues: [LivenessCue], frames: Int, enough: Bool)
        -> LivenessAssessment
    {
        LivenessAssessment(
            policy: policy, score: enough ? score(cues) : 0, cues: cues, framesUsed: frames,
            isAttackSuspected: !enough || cues.contains { !$0.passed })
    }
}
