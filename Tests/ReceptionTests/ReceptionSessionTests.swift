import Foundation
import MynaCard
import Reception
import Testing

let when = Date(timeIntervalSince1970: 1_800_000_000)
let staff = StaffCredential(staffID: "S001", secret: "desk-7")
let impostorStaff = StaffCredential(staffID: "S001", secret: "guess")
let withStaff = ReceptionConfiguration(staffCredentials: [staff])
let noStaff = ReceptionConfiguration()

/// The card holder of these tests: born 1980-02-17, female, card valid to 2035-02-17.
let testHolder = CardHolder(
    birthDate: CardDate(year: 1980, month: 2, day: 17)!, sex: .female,
    cardExpiry: CardDate(year: 2035, month: 2, day: 17)!)

func card(_ base: CardProfile, faceFailures: Int? = nil, pinTriesLeft: Int? = nil) -> CardProfile {
    var c = base
    if let faceFailures { c.faceFailures = faceFailures }
    if let pinTriesLeft { c.pinTriesLeft = pinTriesLeft }
    c.holder = testHolder
    return c
}

func identity(_ method: VerificationMethod, proxy: Bool = false, staffID: String? = nil) -> VerifiedIdentity {
    VerifiedIdentity(method: method, isProxy: proxy, verifiedAt: when, holder: testHolder, staffID: staffID)
}

/// One transition: a session set up by `before`, then `event`, and what must follow.
struct Row: CustomTestStringConvertible, Sendable {
    var name: String
    var card: CardProfile
    var proxy = false
    var configuration = withStaff
    var before: [ReceptionEvent] = []
    var event: ReceptionEvent?
    var expected: ReceptionState
    var ignored = false
    var faceFailures: Int? = nil
    var pinTriesLeft: Int? = nil
    var testDescription: String { name }
}

let startRows: [Row] = [
    Row(name: "standard card starts with face", card: card(.standard), expected: .awaitingFace(attemptsLeft: 3)),
    Row(
        name: "one card failure before lock limits the visit to 1 attempt", card: card(.standard, faceFailures: 9),
        expected: .awaitingFace(attemptsLeft: 1)),
    Row(name: "face locked at 10 → PIN", card: card(.standard, faceFailures: 10), expected: .awaitingPIN(triesLeft: 3)),
    Row(name: "proxy cannot use face → PIN", card: card(.standard), proxy: true, expected: .awaitingPIN(triesLeft: 3)),
    Row(name: "face-only card starts with face", card: card(.faceOnly), expected: .awaitingFace(attemptsLeft: 3)),
    Row(
        name: "face-only card, face locked → staff check", card: card(.faceOnly, faceFailures: 10),
        expected: .awaitingStaffCheck),
    Row(
        name: "face-only card, face locked, no staff → refused", card: card(.faceOnly, faceFailures: 10),
        configuration: noStaff, expected: .refused(.noMethodLeft(faceLocked: true, pinBlocked: false))),
    Row(
        name: "face-only card by proxy → staff check", card: card(.faceOnly), proxy: true, expected: .awaitingStaffCheck
    ),
    Row(name: "card without photo → PIN", card: card(.noPhoto), expected: .awaitingPIN(triesLeft: 3)),
    Row(
        name: "card without photo by proxy → PIN", card: card(.noPhoto), proxy: true,
        expected: .awaitingPIN(triesLeft: 3)),
    Row(
        name: "card without photo, PIN blocked → refused (no 目視)", card: card(.noPhoto, pinTriesLeft: 0),
        expected: .refused(.noMethodLeft(faceLocked: false, pinBlocked: true))),
    Row(
        name: "face locked and PIN blocked → staff check", card: card(.standard, faceFailures: 10, pinTriesLeft: 0),
        expected: .awaitingStaffCheck),
    Row(
        name: "face locked and PIN blocked, no staff → refused",
        card: card(.standard, faceFailures: 10, pinTriesLeft: 0),
        configuration: noStaff, expected: .refused(.noMethodLeft(faceLocked: true, pinBlocked: true))),
    Row(
        name: "face locked, 1 PIN try left → PIN(1)", card: card(.standard, faceFailures: 10, pinTriesLeft: 1),
        expected: .awaitingPIN(triesLeft: 1)),
]

let transitionRows: [Row] = [
    // Face.
    Row(
        name: "face match → verified by face, card counter reset", card: card(.standard, faceFailures: 4),
        event: .faceResult(.match), expected: .verified(identity(.face)), faceFailures: 0),
    Row(
        name: "face no match → next attempt, card counter +1", card: card(.standard),
        event: .faceResult(.noMatch), expected: .awaitingFace(attemptsLeft: 2), faceFailures: 1),
    Row(
        name: "face not acquired → next attempt, card counter unchanged", card: card(.standard, faceFailures: 2),
        event: .faceResult(.notAcquired(reason: "no face")), expected: .awaitingFace(attemptsLeft: 2), faceFailures: 2),
    Row(
        name: "third no match of the visit → PIN", card: card(.standard),
        before: [.faceResult(.noMatch), .faceResult(.noMatch)], event: .faceResult(.noMatch),
        expected: .awaitingPIN(triesLeft: 3), faceFailures: 3),
    Row(
        name: "third not acquired of the visit → PIN", card: card(.standard),
        before: [.faceResult(.notAcquired(reason: "dark")), .faceResult(.notAcquired(reason: "dark"))],
        event: .faceResult(.notAcquired(reason: "dark")), expected: .awaitingPIN(triesLeft: 3), faceFailures: 0),
    Row(
        name: "presentation attack suspected → PIN at once, card counter +1", card: card(.standard, faceFailures: 2),
        event: .faceResult(.presentationAttackSuspected), expected: .awaitingPIN(triesLeft: 3), faceFailures: 3),
    Row(
        name: "face-only card: presentation attack suspected → staff check", card: card(.faceOnly),
        event: .faceResult(.presentationAttackSuspected), expected: .awaitingStaffCheck, faceFailures: 1),
    Row(
        name: "tenth consecutive failure across visits locks face → PIN", card: card(.standard, faceFailures: 9),
        event: .faceResult(.noMatch), expected: .awaitingPIN(triesLeft: 3), faceFailures: 10),
    Row(
        name: "5 attempts per visit when configured", card: card(.standard),
        configuration: ReceptionConfiguration(faceAttemptsPerVisit: 5, staffCredentials: [staff]),
        before: [.faceResult(.noMatch), .faceResult(.noMatch), .faceResult(.noMatch)], event: .faceResult(.noMatch),
        expected: .awaitingFace(attemptsLeft: 1), faceFailures: 4),
    Row(
        name: "patient chooses PIN → PIN", card: card(.standard), event: .patientChoosesPIN,
        expected: .awaitingPIN(triesLeft: 3)),
    Row(
        name: "face-only card: choosing PIN is ignored", card: card(.faceOnly), event: .patientChoosesPIN,
        expected: .awaitingFace(attemptsLeft: 3), ignored: true),
    Row(
        name: "face-only card, visit attempts used up → staff check", card: card(.faceOnly),
        before: [.faceResult(.noMatch), .faceResult(.noMatch)], event: .faceResult(.noMatch),
        expected: .awaitingStaffCheck, faceFailures: 3),
    Row(
        name: "face-only card, attempts used up, no staff → refused", card: card(.faceOnly), configuration: noStaff,
        before: [.faceResult(.noMatch), .faceResult(.noMatch)], event: .faceResult(.noMatch),
        expected: .refused(.noMethodLeft(faceLocked: false, pinBlocked: false))),
    // PIN.
    Row(
        name: "PIN accepted → verified by PIN", card: card(.standard, faceFailures: 10, pinTriesLeft: 2),
        event: .pinResult(.accepted), expected: .verified(identity(.pin)), pinTriesLeft: 3),
    Row(
        name: "PIN wrong → PIN with the card's count", card: card(.standard, faceFailures: 10),
        event: .pinResult(.wrong(triesLeft: 2)), expected: .awaitingPIN(triesLeft: 2), pinTriesLeft: 2),
    Row(
        name: "third wrong PIN (63C0) → blocked → staff check",
        card: card(.standard, faceFailures: 10, pinTriesLeft: 1),
        event: .pinResult(.blocked), expected: .awaitingStaffCheck, pinTriesLeft: 0),
    Row(
        name: "wrong with 0 left counts as blocked", card: card(.standard, faceFailures: 10, pinTriesLeft: 1),
        event: .pinResult(.wrong(triesLeft: 0)), expected: .awaitingStaffCheck, pinTriesLeft: 0),
    Row(
        name: "card without photo, PIN blocked → refused", card: card(.noPhoto, pinTriesLeft: 1),
        event: .pinResult(.blocked), expected: .refused(.noMethodLeft(faceLocked: false, pinBlocked: true))),
    Row(
        name: "proxy enters the child's PIN → verified by PIN, proxy", card: card(.standard), proxy: true,
        event: .pinResult(.accepted), expected: .verified(identity(.pin, proxy: true))),
    Row(
        name: "proxy: a face result is ignored", card: card(.standard), proxy: true,
        event: .faceResult(.match), expected: .awaitingPIN(triesLeft: 3), ignored: true),
    Row(
        name: "a PIN result while waiting for face is ignored", card: card(.standard),
        event: .pinResult(.accepted), expected: .awaitingFace(attemptsLeft: 3), ignored: true),
    // Staff visual check (目視).
    Row(
        name: "staff confirms while face is offered → verified by visual", card: card(.standard),
        event: .staffVisualCheck(staff, confirmed: true), expected: .verified(identity(.visual, staffID: "S001"))),
    Row(
        name: "staff confirms at staff check; counters untouched",
        card: card(.standard, faceFailures: 10, pinTriesLeft: 0),
        event: .staffVisualCheck(staff, confirmed: true), expected: .verified(identity(.visual, staffID: "S001")),
        faceFailures: 10, pinTriesLeft: 0),
    Row(
        name: "staff confirms while PIN is offered", card: card(.standard, faceFailures: 10, pinTriesLeft: 2),
        event: .staffVisualCheck(staff, confirmed: true), expected: .verified(identity(.visual, staffID: "S001")),
        faceFailures: 10, pinTriesLeft: 2),
    Row(
        name: "staff does not confirm → refused", card: card(.faceOnly, faceFailures: 10),
        event: .staffVisualCheck(staff, confirmed: false), expected: .refused(.staffDidNotConfirm(staffID: "S001"))),
    Row(
        name: "wrong staff credential is ignored", card: card(.faceOnly, faceFailures: 10),
        event: .staffVisualCheck(impostorStaff, confirmed: true), expected: .awaitingStaffCheck, ignored: true),
    Row(
        name: "no 目視 for a card without photo", card: card(.noPhoto),
        event: .staffVisualCheck(staff, confirmed: true), expected: .awaitingPIN(triesLeft: 3), ignored: true),
    Row(
        name: "proxy with staff check → verified by visual, proxy", card: card(.faceOnly), proxy: true,
        event: .staffVisualCheck(staff, confirmed: true),
        expected: .verified(identity(.visual, proxy: true, staffID: "S001"))),
    // Cancel and final states.
    Row(name: "cancel while face → refused", card: card(.standard), event: .cancel, expected: .refused(.cancelled)),
    Row(name: "cancel while PIN → refused", card: card(.noPhoto), event: .cancel, expected: .refused(.cancelled)),
    Row(
        name: "cancel at staff check → refused", card: card(.faceOnly, faceFailures: 10), event: .cancel,
        expected: .refused(.cancelled)),
    Row(
        name: "verified ignores further events", card: card(.standard), before: [.faceResult(.match)],
        event: .faceResult(.noMatch), expected: .verified(identity(.face)), ignored: true, faceFailures: 0),
    Row(
        name: "refused ignores further events", card: card(.standard), before: [.cancel],
        event: .staffVisualCheck(staff, confirmed: true), expected: .refused(.cancelled), ignored: true),
]

@Suite struct ReceptionSessionTests {
    @Test(arguments: startRows)
    func start(_ row: Row) {
        let session = ReceptionSession(card: row.card, isProxy: row.proxy, configuration: row.configuration)
        #expect(session.state == row.expected)
    }

    @Test(arguments: transitionRows)
    func transition(_ row: Row) throws {
        var session = ReceptionSession(card: row.card, isProxy: row.proxy, configuration: row.configuration)
        for e in row.before { session.handle(e, at: when) }
        #expect(!session.lastEventIgnored, "setup events must all apply")
        let state = session.handle(try #require(row.event), at: when)
        #expect(state == row.expected)
        #expect(session.state == row.expected)
        #expect(session.lastEventIgnored == row.ignored)
        if let f = row.faceFailures { #expect(session.card.faceFailures == f) }
        if let p = row.pinTriesLeft { #expect(session.card.pinTriesLeft == p) }
    }

    @Test func staffCredentialNeverPrintsItsSecret() {
        #expect(!"\(staff)".contains("desk-7"))
        #expect(RefusalReason.noMethodLeft(faceLocked: true, pinBlocked: true).description.contains("municipal office"))
    }
}
