import MynaFace
import Testing

@testable import Evaluation

/// `PADEvaluation.report` on constructed 5-point tracks: eye centres 80 px apart, the nose moved along the eye line by
/// `dx` pixels, so the yaw proxy is `dx / 80`.
@Suite("PAD report: time order, sessions without a turn apart")
struct PADReportTests {
    static func frame(_ dx: Double) -> [SIMD2<Double>] {
        [SIMD2(380, 240), SIMD2(340, 240), SIMD2(260, 240), SIMD2(300, 240), SIMD2(320 + dx, 290)]
    }

    static func track(_ bona: Bool, _ type: String, _ id: String, _ dxs: [Double]) -> PADTrack {
        PADTrack(
            session: PADSession(isBonaFide: bona, type: type, id: id, identity: id, frames: dxs.map { _ in "-" }),
            landmarks: dxs.map(frame))
    }

    @Test("a bona fide turn passes under its own direction; no turn is counted apart; a too-small turn is refused")
    func report() throws {
        let tracks = [
            Self.track(true, "att-session", "turns-right", [24, 16, 8, 0]),  // yaw 0.3 → 0: a turn to the right
            Self.track(true, "att-session", "small", [0, 8, 0]),  // range 0.1 ≥ 0.05, below the 0.18 turn
            Self.track(true, "tw_ntu-burst", "still", [0, 1, 0]),  // range 0.0125 < 0.05: no turn
            Self.track(false, "print-still", "attack", [0, 0, 0]),
        ]
        #expect(abs(PADEvaluation.yawRange(tracks[0].landmarks) - 0.3) < 1e-12)
        let r = PADEvaluation.report(tracks, checker: LivenessChecker(), challenge: true)
        #expect(r.noTurn == ["tw_ntu-burst": 1])
        #expect(r.bonaFide.count == 2)
        #expect(r.bonaFide.classifiedAttack == 1)
        #expect(r.bonaFideByType.map(\.type) == ["att-session"])
        #expect(r.attacks.map(\.type) == ["print-still"])
        #expect(r.attacks[0].rate == 0)
        let scores = try #require(r.scores["bona-fide"]).sorted()
        #expect(abs(scores[0] - 0.1 / 0.18) < 1e-12)
        #expect(abs(scores[1] - 0.3 / 0.18) < 1e-12)
    }
}
