import CardAccess
import FaceImaging
import Foundation
import MynaCard
import MynaFaceTesting
import Reception
import Testing

enum DriverFixtures {
    static let issuer: SimulatedIssuer = try! SimulatedIssuer.generate()
    static let portrait: [UInt8] =
        [0x00, 0x00, 0x00, 0x0C, 0x6A, 0x50, 0x20, 0x20] + [UInt8](repeating: 0x5A, count: 64)
    static let codeB = Array("55021720352285".utf8)

    static func card(_ variant: SimulatedCardState.Variant = .standard) throws -> SimulatedCard {
        try SimulatedCard.issue(
            by: issuer, variant: variant, portrait: portrait,
            birthDate: CardDate(year: 1980, month: 2, day: 17)!, sex: .female,
            expiry: CardDate(year: 2035, month: 2, day: 17)!, userPIN: "8361", securityCode: "2285")
    }
    static func driver(_ card: SimulatedCard, anchors: TrustAnchors? = nil) -> ReceptionDriver {
        ReceptionDriver(
            channel: card, authenticator: CardFaceAuthenticator(anchors: anchors ?? TrustAnchors([issuer.anchor])),
            configuration: ReceptionConfiguration(staffCredentials: [staff]))
    }
}

/// Returns scripted outcomes and counts calls.
final class ScriptedFace: FaceCheck, @unchecked Sendable {
    private let lock = NSLock()
    private var outcomes: [FaceCheckOutcome]
    private(set) var calls = 0
    init(_ outcomes: [FaceCheckOutcome]) { self.outcomes = outcomes }
    func attempt() async throws -> FaceCheckOutcome {
        lock.withLock {
            calls += 1
            return outcomes.isEmpty ? .noMatch : outcomes.removeFirst()
        }
    }
}

final class ScriptedPad: PINPad, @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [String?]
    private(set) var prompts: [Int] = []
    init(_ entries: [String?]) { self.entries = entries }
    func enterPIN(triesLeft: Int) async throws -> PINPadInput {
        let next: String?? = lock.withLock {
            prompts.append(triesLeft)
            return entries.isEmpty ? .some(nil) : entries.removeFirst()
        }
        guard case .some(.some(let text)) = next else { return .requestStaff }
        return .pin(try PIN(text))
    }
}

struct Desk: StaffDesk {
    var confirmed: Bool
    func visualCheck() async throws -> (credential: StaffCredential, confirmed: Bool)? { (staff, confirmed) }
}

@Suite struct ReceptionDriverTests {
    @Test func faceMatchOnASimulatedCard() async throws {
        let card = try DriverFixtures.card()
        try card.administer { $0.faceFailures = 4 }
        let driver = DriverFixtures.driver(card)
        let reading = try await driver.readCard(verificationCodeB: DriverFixtures.codeB)
        #expect(reading.authenticity?.isVerified == true)
        #expect(
            reading.profile
                == CardProfile(
                    hasUsablePortrait: true, hasPIN: true, pinTriesLeft: 3, faceFailures: 4,
                    holder: testHolder))
        let face = ScriptedFace([.noMatch, .match])
        let outcome = try await driver.run(reading: reading, face: face, pinPad: ScriptedPad([]))
        guard case .verified(let id, let authenticity) = outcome else {
            Issue.record("not verified: \(outcome)")
            return
        }
        #expect(id.method == .face && !id.isProxy && id.holder?.birthDate == CardDate(year: 1980, month: 2, day: 17))
        #expect(authenticity?.cardPresenceVerified == true)
        #expect(face.calls == 2)
        #expect(card.state.faceFailures == 0)  // a match resets the card's consecutive count
    }

    @Test func threeFaceFailuresThenPIN() async throws {
        let card = try DriverFixtures.card()
        let driver = DriverFixtures.driver(card)
        let reading = try await driver.readCard(verificationCodeB: DriverFixtures.codeB)
        let pad = ScriptedPad(["0000", "8361"])
        let outcome = try await driver.run(
            reading: reading, face: ScriptedFace([.noMatch, .notAcquired(reason: "blur"), .noMatch]),
            pinPad: pad)
        guard case .verified(let id, _) = outcome else {
            Issue.record("not verified: \(outcome)")
            return
        }
        #expect(id.method == .pin)
        #expect(pad.prompts == [3, 2])
        #expect(card.state.faceFailures == 2)  // not-acquired is not a card failure
        #expect(card.state.userPINTriesLeft == 3)  // reset by the correct entry
    }

    @Test func pinBlockedThenStaffConfirms() async throws {
        let card = try DriverFixtures.card()
        try card.administer { $0.faceFailures = 10 }
        let driver = DriverFixtures.driver(card)
        let reading = try await driver.readCard(verificationCodeB: DriverFixtures.codeB)
        let face = ScriptedFace([])
        let outcome = try await driver.run(
            reading: reading, face: face, pinPad: ScriptedPad(["1111", "2222", "3333"]),
            staff: Desk(confirmed: true))
        guard case .verified(let id, _) = outcome else {
            Issue.record("not verified: \(outcome)")
            return
        }
        #expect(id.method == .visual && id.staffID == "S001")
        #expect(face.calls == 0)
        #expect(card.state.userPINTriesLeft == 0 && card.state.faceFailures == 10)  // 目視 resets nothing
    }

    @Test func infantCardIsPINOnlyAndProxyWorks() async throws {
        let card = try DriverFixtures.card(.noPhoto)
        let driver = DriverFixtures.driver(card)
        let reading = try await driver.readCard(verificationCodeB: DriverFixtures.codeB)
        #expect(reading.cardFace == nil && !reading.profile.hasUsablePortrait)
        let face = ScriptedFace([.match])
        let outcome = try await driver.run(
            reading: reading, isProxy: true, face: face, pinPad: ScriptedPad(["8361"]),
            staff: Desk(confirmed: true))
        guard case .verified(let id, _) = outcome else {
            Issue.record("not verified: \(outcome)")
            return
        }
        #expect(id.method == .pin && id.isProxy)
        #expect(face.calls == 0)
    }

    @Test func untrustedPortraitDisablesFace() async throws {
        let card = try DriverFixtures.card()
        let driver = DriverFixtures.driver(card, anchors: .production)  // our generated issuer is not production
        let reading = try await driver.readCard(verificationCodeB: DriverFixtures.codeB)
        #expect(reading.portraitRejection == .untrustedIssuer(keyID: DriverFixtures.issuer.keyID.description))
        #expect(!reading.profile.hasUsablePortrait && reading.profile.holder == nil)
        let face = ScriptedFace([.match])
        let outcome = try await driver.run(reading: reading, face: face, pinPad: ScriptedPad(["8361"]))
        guard case .verified(let id, _) = outcome else {
            Issue.record("not verified: \(outcome)")
            return
        }
        #expect(id.method == .pin)
        #expect(face.calls == 0)
    }

    @Test func faceOnlyCardStaffRefuses() async throws {
        let card = try DriverFixtures.card(.faceOnly)
        let driver = DriverFixtures.driver(card)
        let reading = try await driver.readCard(verificationCodeB: DriverFixtures.codeB)
        #expect(!reading.profile.hasPIN)
        let outcome = try await driver.run(
            reading: reading, face: ScriptedFace([]), pinPad: ScriptedPad([]),
            staff: Desk(confirmed: false))
        #expect(outcome == .refused(.staffDidNotConfirm(staffID: "S001")))
        #expect(card.state.faceFailures == 3)
    }
}
