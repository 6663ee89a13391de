import Foundation
import MynaFace
import Testing

/// A synthetic face in 3-D (units: eye distances; x to the image right, y down, z away from the camera) and a
/// pinhole camera 10 eye distances away (f = 800 px): dlib's 5 points in dlib's order.
private struct SyntheticFace {
    /// Eye corners (image-right eye outer, inner; image-left eye outer, inner) in the plane z = 0, the nose base
    /// `noseDepth` in front of it.
    var points: [SIMD3<Double>]

    init(noseDepth: Double) {
        points = [
            SIMD3(0.75, 0.04, 0), SIMD3(0.25, 0, 0), SIMD3(-0.75, 0.04, 0), SIMD3(-0.25, 0, 0),
            SIMD3(0, 0.75, -noseDepth),
        ]
    }

    /// The image of the face rotated by `yaw` about its vertical axis (positive: the patient turns to their own
    /// left, the nose moves to the image right), tilted by `pitch` and `roll`, moved by `shift`.
    func project(yaw: Double, pitch: Double = 0, roll: Double = 0, shift: SIMD3<Double> = .zero) -> [SIMD2<Double>] {
        points.map { p in
            let cy = cos(-yaw)
            let sy = sin(-yaw)
            var q = SIMD3(cy * p.x + sy * p.z, p.y, -sy * p.x + cy * p.z)
            let cp = cos(pitch)
            let sp = sin(pitch)
            q = SIMD3(q.x, cp * q.y - sp * q.z, sp * q.y + cp * q.z)
            let cr = cos(roll)
            let sr = sin(roll)
            q = SIMD3(cr * q.x - sr * q.y, sr * q.x + cr * q.y, q.z)
            q += shift + SIMD3(0, 0, 10)
            return SIMD2(640 + 800 * q.x / q.z, 360 + 800 * q.y / q.z)
        }
    }
}

@Suite("Liveness cues on constructed landmark sequences")
struct LivenessTests {
    @Test("a homography is recovered exactly from 4 and from 6 correspondences")
    func homographyFit() throws {
        let h = Homography(m: [1.1, 0.2, 30, -0.1, 0.9, 12, 0.0004, -0.0002, 1])
        let src: [SIMD2<Double>] = [
            SIMD2(0, 0), SIMD2(100, 5), SIMD2(90, 120), SIMD2(-10, 80), SIMD2(40, 40), SIMD2(60, -30),
        ]
        for n in [4, 6] {
            let fit = try #require(Homography.fit(from: Array(src.prefix(n)), to: src.prefix(n).map { h.apply($0)! }))
            for (a, b) in zip(fit.m, h.m) { #expect(abs(a - b) < 1e-9) }
        }
        #expect(Homography.fit(from: Array(src.prefix(3)), to: Array(src.prefix(3))) == nil)
        let collinear: [SIMD2<Double>] = [SIMD2(0, 0), SIMD2(1, 1), SIMD2(2, 2), SIMD2(3, 3)]
        #expect(Homography.fit(from: collinear, to: collinear) == nil)
    }

    @Test("a flat photo moved, tilted and turned follows one homography: parallax 0, no turn")
    func planarSequenceIsFlat() {
        let photo = SyntheticFace(noseDepth: 0)  // every point in one plane
        let track = (0..<8).map { k -> [SIMD2<Double>] in
            let t = Double(k) / 7
            return photo.project(
                yaw: 0.6 * t, pitch: 0.3 * sin(3 * t), roll: 0.2 * t, shift: SIMD3(0.5 * t, -0.3 * t, 2 * t))
        }
        #expect(LivenessCues.parallax(track) < 1e-6)
        // Turned 34° about its vertical axis while tilted and rolled: the yaw proxy moves by shear and perspective
        // only (0.082 here), well below a head turned 20° (0.20).
        #expect(LivenessCues.turn(yaws: track.map(LivenessCues.yaw), toward: .left) < 0.09)
        let checker = LivenessChecker()
        #expect(checker.assess(track, policy: .challenge(.left))?.isAttackSuspected == true)
        #expect(checker.assess(track, policy: .challenge(.right))?.isAttackSuspected == true)
        #expect(checker.assess(track, policy: .passive)?.isAttackSuspected == true)
        #expect(checker.assess(track, policy: .off) == nil)
    }

    @Test("a head turning 20° to its left shows parallax and passes the left challenge only")
    func headTurnIsNotFlat() throws {
        let head = SyntheticFace(noseDepth: 0.55)
        let track = (0..<6).map { k in head.project(yaw: Double(k) / 5 * 20 * .pi / 180, pitch: 0.05) }
        let yaws = track.map(LivenessCues.yaw)
        #expect(abs(yaws[0]) < 0.01)
        #expect(yaws.last! > 0.18)
        #expect(LivenessCues.turn(yaws: yaws, toward: .left) > 0.18)
        #expect(LivenessCues.turn(yaws: yaws, toward: .right) == 0)
        #expect(LivenessCues.parallax(track) > 0.05)
        let checker = LivenessChecker()
        let left = try #require(checker.assess(track, policy: .challenge(.left)))
        #expect(!left.isAttackSuspected)
        #expect(left.score >= 1)
        #expect(left.cues.map(\.name) == ["turn"])
        #expect(checker.assess(track, policy: .challenge(.right))?.isAttackSuspected == true)
        #expect(checker.assess(track, policy: .passive)?.isAttackSuspected == false)
    }

    @Test("turn takes the largest rise toward the requested side, in time order")
    func turnIsOrdered() {
        #expect(LivenessCues.turn(yaws: [0, 0.1, -0.05, 0.2], toward: .left) == 0.25)
        #expect(abs(LivenessCues.turn(yaws: [0.2, 0.1, 0], toward: .right) - 0.2) < 1e-12)
        #expect(LivenessCues.turn(yaws: [0.2, 0.1, 0], toward: .left) == 0)
        #expect(LivenessCues.turn(yaws: [], toward: .left) == 0)
    }

    @Test("too few frames with a face is a suspected attack; the kiosk message names no cue")
    func tooFewFrames() throws {
        let head = SyntheticFace(noseDepth: 0.55)
        let two = [head.project(yaw: 0), head.project(yaw: 0.4)]
        let a = try #require(LivenessChecker().assess(two, policy: .challenge(.left)))
        #expect(a.isAttackSuspected)
        #expect(a.score == 0)
        for word in ["turn", "parallax", "motion", "photo", "screen"] {
            #expect(!LivenessAssessment.patientMessage.lowercased().contains(word))
        }
    }

    @Test("policies parse as the command line writes them")
    func policyNames() {
        #expect(LivenessPolicy(name: "challenge:left") == .challenge(.left))
        #expect(LivenessPolicy(name: "challenge:right") == .challenge(.right))
        #expect(LivenessPolicy(name: "passive") == .passive)
        #expect(LivenessPolicy(name: "off") == .off)
        #expect(LivenessPolicy(name: "challenge") == nil)
        #expect(LivenessPolicy.challenge(.right).description == "challenge:right")
    }
}
