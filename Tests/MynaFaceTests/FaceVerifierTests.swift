import CardAccess
import Evaluation
import FaceImaging
import Foundation
import MynaCard
import MynaFace
import MynaFaceTesting
import TestSupport
import Testing

/// The verification API on real photos (face_recognition 1.3.0's samples, fetched and SHA-256-checked by the
/// project) with dlib's real models, and on signed and tampered card-face files from a generated issuer.
@Suite("FaceVerifier", .serialized)
struct FaceVerifierTests {
    static let ready =
        TestEnvironment.sample("obama.jpg") != nil && TestEnvironment.model("mmod_human_face_detector.dat") != nil
    static let shared: FaceVerifier? = ready ? try? FaceVerifier() : nil

    func sample(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: try #require(TestEnvironment.sample(name))))
    }

    /// The shared verifier at dlib's own operating point, one frame per decision: these tests check the mechanics
    /// (enrolment, authenticity, colour, streaming) on the Western sample photos, for which the East-Asian default
    /// is deliberately strict (`OperatingPointTests` covers the default).
    func verifier(_ configure: (inout FaceVerifier.Configuration) -> Void = { _ in }) throws -> FaceVerifier {
        var v = try #require(Self.shared)
        v.configuration.threshold = .dlibDefault
        v.configuration.fusedThreshold = nil
        v.configuration.framesPerAttempt = 1
        configure(&v.configuration)
        return v
    }

    /// A card-face file whose DF27 is the chip portrait of `photo`, signed by `issuer`, with its certificate
    /// (the test doubles' recipe, ``PhotoCard``).
    func signedCard(_ photo: [UInt8], issuer: SimulatedIssuer) throws -> (card: [UInt8], certificate: [UInt8]) {
        let holder = CardHolder(
            birthDate: try #require(CardDate(year: 1961, month: 8, day: 4)), sex: .male,
            cardExpiry: try #require(CardDate(year: 2031, month: 8, day: 4)))
        let state = try PhotoCard.issue(photo: photo, by: issuer, holder: holder).state
        return ([UInt8](try #require(state.cardFaceFile)), [UInt8](try #require(state.certificate)))
    }

    @Test("genuine pair matches, impostor does not; scores agree with the threshold", .enabled(if: ready))
    func genuineAndImpostor() throws {
        let v = try verifier()
        let template = try v.enroll(portrait: try sample("obama.jpg"))
        let genuine = try v.verify(template, probe: try sample("obama2.jpg"))
        let impostor = try v.verify(template, probe: try sample("biden.jpg"))
        #expect(genuine.decision == .match)
        #expect(try #require(genuine.distance) < 0.5)
        #expect(impostor.decision == .noMatch)
        #expect(try #require(impostor.distance) > 0.7)
        let gs = try #require(genuine.similarity)
        let isim = try #require(impostor.similarity)
        #expect(gs > isim)
        #expect(genuine.timings.total >= genuine.timings.embed)
        #expect(!String(describing: template).contains("0."))  // the description never prints the descriptor
    }

    @Test("a signed card enrols; the same card with its portrait or birth date altered is refused", .enabled(if: ready))
    func signedAndTamperedCards() throws {
        let issuer = try SimulatedIssuer.generate()
        var v = try verifier()
        v.configuration.authenticator = CardFaceAuthenticator(anchors: TrustAnchors([issuer.anchor]))
        let (card, cert) = try signedCard(try sample("obama.jpg"), issuer: issuer)
        let template = try v.enroll(portrait: card, certificate: cert)
        guard case .verified = template.authenticity else {
            Issue.record("\(template.authenticity)")
            return
        }
        #expect(template.portraitChannels == 1)
        #expect(template.cardFace?.birthDate == CardDate(year: 1961, month: 8, day: 4))
        #expect(try v.verify(template, probe: try sample("obama2.jpg")).decision == .match)

        // Flip bits inside DF27's codestream: the portrait must never enrol, so it can never accept.
        let parsed = try CardFaceFile.parse(card)
        let df27 = try #require(parsed.element(0xDF27))
        var rng = SplitMix64(seed: 7)
        for _ in 0..<8 {
            var bad = card
            let i = df27.offset + df27.headerLength + 100 + Int(rng.next() % UInt64(parsed.portrait.count - 120))
            bad[i] ^= UInt8(1 << (rng.next() % 8))
            #expect(throws: VerificationError.portraitUntrusted(.cardFaceSignatureInvalid)) {
                try v.enroll(portrait: bad, certificate: cert)
            }
        }
        // Birth date altered (DF22 is signed).
        var older = card
        older[try #require(parsed.element(0xDF22)).offset + 3] ^= 0x01
        #expect(throws: VerificationError.self) { try v.enroll(portrait: older, certificate: cert) }
        // No certificate.
        #expect(throws: VerificationError.portraitUntrusted(.noCertificate)) { try v.enroll(portrait: card) }
    }

    @Test("colour and greyscale probes both match the greyscale chip portrait", .enabled(if: ready))
    func greyscaleProbe() throws {
        let issuer = try SimulatedIssuer.generate()
        var v = try verifier()
        v.configuration.authenticator = CardFaceAuthenticator(anchors: TrustAnchors([issuer.anchor]))
        let (card, cert) = try signedCard(try sample("obama.jpg"), issuer: issuer)
        let template = try v.enroll(portrait: card, certificate: cert)
        let colour = try v.verify(template, probe: try sample("obama3.jpg"))
        v.configuration.probeColour = .matchPortrait
        let grey = try v.verify(template, probe: try sample("obama3.jpg"))
        #expect(colour.decision == .match)
        #expect(grey.decision == .match)
        #expect(colour.distance != grey.distance)
    }

    @Test("a streaming check skips faceless frames and stops at the first match", .enabled(if: ready))
    func streaming() async throws {
        let v = try verifier()
        let template = try v.enroll(portrait: try sample("obama.jpg"))
        let blank = Image(width: 640, height: 480, channels: 3)
        let frames = [
            blank, try ImageDecoder.decode(try sample("biden.jpg")), try ImageDecoder.decode(try sample("obama2.jpg")),
            blank,
        ]
        let outcome = try await v.verify(
            template,
            frames: AsyncStream { c in
                frames.forEach { c.yield($0) }
                c.finish()
            })
        #expect(outcome.stop == .matched)
        #expect(outcome.frames == 3)
        #expect(outcome.comparisons == 2)

        let impostors = Array(repeating: try ImageDecoder.decode(try sample("biden.jpg")), count: 5)
        let refused = try await v.verify(
            template,
            frames: AsyncStream { c in
                impostors.forEach { c.yield($0) }
                c.finish()
            },
            budget: AttemptBudget(maxComparisons: 3))
        #expect(refused.stop == .comparisonsExhausted)
        #expect(refused.comparisons == 3 && !refused.isMatch)
    }

    @Test(
        "under a liveness challenge a still photo is a suspected attack: attempts and streams, matched or not",
        .enabled(if: ready))
    func livenessChallenge() async throws {
        let v = try verifier()
        let template = try v.enroll(portrait: try sample("obama.jpg"))
        let still = try sample("obama2.jpg")
        let plain = try v.verifyAttempt(template, probes: [still, still, still])
        #expect(plain.decision == .match)
        #expect(plain.liveness == nil)
        let attempt = try v.verifyAttempt(template, probes: [still, still, still], liveness: .challenge(.left))
        #expect(attempt.decision == .presentationAttackSuspected)
        let liveness = try #require(attempt.liveness)
        #expect(liveness.isAttackSuspected && liveness.framesUsed == 3 && liveness.score < 0.2)
        #expect(liveness.cues.map(\.name) == ["turn"])

        let frames = Array(repeating: try ImageDecoder.decode(still), count: 6)
        let outcome = try await v.verify(
            template,
            frames: AsyncStream { c in
                frames.forEach { c.yield($0) }
                c.finish()
            },
            liveness: .challenge(.right))
        #expect(outcome.stop == .presentationAttackSuspected)
        #expect(outcome.last?.decision == .presentationAttackSuspected)
        #expect(outcome.frames == 6 && outcome.comparisons == 1)
        #expect(outcome.liveness?.isAttackSuspected == true && outcome.liveness?.framesUsed == 6)
        let off = try await v.verify(
            template,
            frames: AsyncStream { c in
                frames.forEach { c.yield($0) }
                c.finish()
            })
        #expect(off.stop == .matched && off.liveness == nil)
    }

    @Test("bad inputs give typed errors", .enabled(if: ready))
    func badInputs() throws {
        let v = try verifier()
        #expect(throws: VerificationError.self) { try v.enroll(portrait: [0x00, 0x01, 0x02]) }
        let template = try v.enroll(portrait: try sample("obama.jpg"))
        let frame = try sample("obama2.jpg")
        #expect(throws: VerificationError.self) { try v.verify(template, probe: Array(frame.prefix(frame.count / 2))) }
        #expect(throws: VerificationError.portraitHasNoFace(.noFace)) {
            try v.enroll(portraitImage: Image(width: 240, height: 320, channels: 1))
        }
    }
}
