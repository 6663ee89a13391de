import Foundation
import MynaFace
import Testing

/// A synthetic 68-point face (iBUG order) in 3-D, units of eye distances (x to the image right, y down, z away from
/// the camera): every point but the nose (27–35) in the plane z = 0, the nose `noseDepth` in front of it; the eye
/// centres at x = ±0.5, y = 0.
private struct SyntheticShape {
    var points: [SIMD3<Double>]

    init(noseDepth: Double) {
        var p: [SIMD3<Double>] = []
        for k in 0..<17 {  // jaw: a U from ear to ear
            let a = Double.pi * Double(k) / 16
            p.append(SIMD3(-1.0 * cos(a), 0.1 + 1.4 * sin(a), 0))
        }
        for k in 0..<10 {  // brows
            let x = k < 5 ? -0.85 + 0.15 * Double(k) : 0.25 + 0.15 * Double(k - 5)
            p.append(SIMD3(x, -0.35 - 0.05 * sin(Double(k % 5) * 0.7), 0))
        }
        for k in 0..<9 {  // nose: bridge 27–30 down the middle, base 31–35 across
            p.append(
                k < 4
                    ? SIMD3(0, -0.1 + 0.18 * Double(k), -noseDepth)
                    : SIMD3(-0.2 + 0.1 * Double(k - 4), 0.55, -noseDepth))
        }
        for centre in [-0.5, 0.5] {  // eyes 36–41, 42–47: six points around each centre
            for k in 0..<6 {
                let a = Double.pi * Double(k) / 3
                p.append(SIMD3(centre + 0.18 * cos(a), 0.07 * sin(a), 0))
            }
        }
        for k in 0..<20 {  // lips: an outer ring of 12 and an inner ring of 8
            let outer = k < 12
            let a = 2 * Double.pi * Double(outer ? k : k - 12) / Double(outer ? 12 : 8)
            p.append(SIMD3((outer ? 0.35 : 0.22) * cos(a), 0.85 + (outer ? 0.12 : 0.05) * sin(a), 0))
        }
        points = p
    }

    /// Orthographic image (100 px per eye distance, centred at (320, 240)) after turning by `yaw` about the vertical
    /// axis (positive: the patient's own left, the nose moves to the image right).
    func project(yaw: Double) -> [SIMD2<Double>] {
        points.map { q in
            let x = q.x * cos(yaw) - q.z * sin(yaw)
            return SIMD2(320 + 100 * x, 240 + 100 * q.y)
        }
    }
}

@Suite("68-point liveness cues on constructed shapes")
struct ShapeLivenessTests {
    @Test("a planar 68-point set under a known homography has nose parallax 0")
    func planarUnderHomography() throws {
        let flat = SyntheticShape(noseDepth: 0).project(yaw: 0)
        #expect(flat.count == 68)
        let h = Homography(m: [1.1, 0.2, 30, -0.1, 0.9, 12, 0.0004, -0.0002, 1])
        let moved = flat.map { h.apply($0)! }
        let p = try #require(ShapeLivenessCues.noseParallax(flat, moved))
        #expect(abs(p) < 1e-9)
        #expect(abs(ShapeLivenessCues.yaw(flat)) < 1e-12)
    }

    @Test("a head turned 20° to its left: nose parallax = depth · tan 20° (0.5 eye distances deep: 0.18199)")
    func rotatedHeadHasKnownParallax() throws {
        let head = SyntheticShape(noseDepth: 0.5)
        let a = head.project(yaw: 0)
        let b = head.project(yaw: 20 * .pi / 180)
        let expected = 0.5 * tan(20 * Double.pi / 180)  // 0.181985…
        let p = try #require(ShapeLivenessCues.noseParallax(a, b))
        #expect(abs(p - expected) < 1e-9)
        // Turning back the other way: the same magnitude, the other sign.
        let back = try #require(ShapeLivenessCues.noseParallax(b, a))
        #expect(abs(back + expected) < 1e-9)
        #expect(abs(ShapeLivenessCues.yaw(b) - expected) < 1e-9)
    }

    @Test("turnParallax takes the largest turn toward the side and the parallax over it; a flat photo gives none")
    func turnParallaxOverTrack() throws {
        let head = SyntheticShape(noseDepth: 0.5)
        let track = (0...5).map { head.project(yaw: Double($0) * 4 * .pi / 180) }
        let left = ShapeLivenessCues.turnParallax(track, toward: .left)
        let expected = 0.5 * tan(20 * Double.pi / 180)
        #expect(abs(left.turn - expected) < 1e-9)
        #expect(abs(left.parallax - expected) < 1e-9)
        let right = ShapeLivenessCues.turnParallax(track, toward: .right)
        #expect(right.turn == 0 && right.parallax == 0)

        let checker = LivenessChecker()
        let pass = try #require(checker.assess(track, policy: .challenge(.left)))
        #expect(!pass.isAttackSuspected)
        #expect(pass.cues.map(\.name) == ["turn68", "parallax68"])
        let score = min(expected / checker.minimumShapeTurn, expected / checker.minimumShapeParallax)
        #expect(abs(pass.score - score) < 1e-9)
        #expect(checker.assess(track, policy: .challenge(.right))?.isAttackSuspected == true)
        #expect(checker.assess(track, policy: .passive)?.isAttackSuspected == false)

        // A flat print of the face turned the same way: the nose stays in the plane, no turn and no parallax.
        let photo = SyntheticShape(noseDepth: 0)
        let flat = (0...5).map { photo.project(yaw: Double($0) * 6 * .pi / 180) }
        let f = ShapeLivenessCues.turnParallax(flat, toward: .left)
        #expect(abs(f.turn) < 1e-9 && abs(f.parallax) < 1e-9)
        #expect(checker.assess(flat, policy: .challenge(.left))?.isAttackSuspected == true)
        #expect(checker.assess(flat, policy: .passive)?.isAttackSuspected == true)
    }

    @Test("without 68-point frames the checker falls back to the 5-point cues")
    func fallsBackToFivePoints() throws {
        let five: [[SIMD2<Double>]] = (0..<4).map { _ in
            [SIMD2(380, 240), SIMD2(340, 240), SIMD2(260, 240), SIMD2(300, 240), SIMD2(320, 290)]
        }
        let a = try #require(LivenessChecker().assess(five, policy: .challenge(.left)))
        #expect(a.cues.map(\.name) == ["turn"])
        #expect(a.isAttackSuspected)
    }
}
