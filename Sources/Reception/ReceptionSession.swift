import Foundation
import MynaCard

/// What one face check at the kiosk produced.
public enum FaceCheckOutcome: Sendable, Equatable {
    /// The camera face matched the card portrait.
    case match
    /// A comparison was made and did not match: counts against the visit's attempts and the card's
    /// consecutive face-failure counter.
    case noMatch
    /// No comparison was possible (no face, quality gate, second face…; `reason` is for the patient):
    /// counts against the visit's attempts only, not the card's counter, since the card's portrait was
    /// not compared.
    case notAcquired(reason: String)
    /// The liveness check suspected a presentation attack (a photo, a screen, the card's own portrait): counts like
    /// `noMatch` toward the card's consecutive face-failure counter, and ends face checks for the visit — the
    /// session goes on to the PIN or the staff check.
    case presentationAttackSuspected
}

/// The result of one PIN entry as the card reported it.
public enum PINOutcome: Sendable, Equatable {
    /// `9000`.
    case accepted
    /// `63Cx`, x > 0 tries left.
    case wrong(triesLeft: Int)
    /// Locked (`63C0` on this entry, or `6984`).
    case blocked
}

/// A staff member's credential for the visual check (目視確認), switched on under an admin account.
public struct StaffCredential: Sendable, Hashable, CustomStringConvertible {
    /// The staff member's identifier (recorded in the ``VerifiedIdentity``).
    public var staffID: String
    /// The secret that proves it (compared with the configured credentials; never printed).
    public var secret: String

    public init(staffID: String, secret: String) {
        self.staffID = staffID
        self.secret = secret
    }

    /// The staff ID only.
    public var description: String { "StaffCredential(\(staffID), secret redacted)" }
}

/// Something that happens at the reception desk.
public enum ReceptionEvent: Sendable, Equatable {
    /// A face check finished.
    case faceResult(FaceCheckOutcome)
    /// The patient prefers the PIN to (more) face checks.
    case patientChoosesPIN
    /// A PIN entry finished (the card's answer).
    case pinResult(PINOutcome)
    /// A member of staff compared the patient's face with the card by eye; `confirmed` is their decision.
    case staffVisualCheck(StaffCredential, confirmed: Bool)
    /// The patient answered a consent screen (it must be the screen shown).
    case consentAnswer(ConsentScreen, agreed: Bool)
    /// The patient gave (or refused) every remaining consent at once (包括同意).
    case comprehensiveConsent(agreed: Bool)
    /// The patient chose electronic or paper prescription.
    case prescriptionChoice(PrescriptionChoice)
    /// The patient or staff abandoned the check.
    case cancel
}

/// Why a reception ended without a verified identity.
public enum RefusalReason: Sendable, Equatable, CustomStringConvertible {
    /// Cancelled by the patient or staff.
    case cancelled
    /// A member of staff checked and did not confirm the patient's identity.
    case staffDidNotConfirm(staffID: String)
    /// Every method this card allows is used up or locked (e.g. a card without a photo whose PIN is blocked).
    case noMethodLeft(faceLocked: Bool, pinBlocked: Bool)
    /// The card is not registered for insurance use and registration (初回登録) needs the PIN, which is blocked
    /// or absent.
    case registrationNeedsPIN

    public var description: String {
        switch self {
        case .registrationNeedsPIN:
            "the card is not registered for insurance use, and registration needs the card's PIN, which is blocked or absent"
        case .cancelled: "the identity check was cancelled"
        case .staffDidNotConfirm(let id): "staff member \(id) did not confirm the patient's identity by eye"
        case .noMethodLeft(let face, let pin):
            "no identity-check method is left for this card" + (face ? "; face authentication is locked" : "")
                + (pin ? "; the PIN is blocked (only the municipal office can reset it)" : "")
        }
    }
}

/// Where the session stands: what the kiosk should ask for next, or how it ended.
public enum ReceptionState: Sendable, Equatable {
    /// Take a face check; `attemptsLeft` more are possible (≥ 1): the fewer of this visit's remaining attempts
    /// and the card's remaining failures before face authentication locks.
    case awaitingFace(attemptsLeft: Int)
    /// Ask for the PIN; the card reports `triesLeft` (≥ 1).
    case awaitingPIN(triesLeft: Int)
    /// Only a staff visual check (目視) can confirm the identity now.
    case awaitingStaffCheck
    /// The card is not registered for insurance use: registration (初回登録) needs the PIN — a face match or a
    /// visual check cannot register. The card reports `triesLeft` (≥ 1).
    case awaitingRegistrationPIN(triesLeft: Int)
    /// Identity confirmed; the reader shows this consent screen.
    case awaitingConsent(ConsentScreen)
    /// Identity confirmed, consents answered; the patient chooses electronic or paper prescription.
    case awaitingPrescriptionChoice
    /// Finished: identity confirmed.
    case verified(VerifiedIdentity)
    /// Finished: not confirmed.
    case refused(RefusalReason)

    /// True for ``verified(_:)`` and ``refused(_:)``.
    public var isFinal: Bool {
        switch self {
        case .verified, .refused: true
        default: false
        }
    }
}

/// What the card allows and its counters, read at the start of a visit.
public struct CardProfile: Sendable, Equatable {
    /// The card holds a portrait that can be compared (false for cards without a photo, or whose portrait
    /// did not authenticate).
    public var hasUsablePortrait: Bool
    /// The card has a user-authentication PIN (false for a face-only card).
    public var hasPIN: Bool
    /// PIN tries left on the card (0 = blocked).
    public var pinTriesLeft: Int
    /// Consecutive face failures recorded on the card.
    public var faceFailures: Int
    /// Card data for the ``VerifiedIdentity`` (birth date, sex, expiry), once the card-face file authenticated.
    public var holder: CardHolder?
    /// The card is registered for insurance use (健康保険証利用登録). An unregistered card is offered initial
    /// registration, which needs the PIN.
    public var isRegisteredForInsurance: Bool

    public init(
        hasUsablePortrait: Bool, hasPIN: Bool, pinTriesLeft: Int = 3, faceFailures: Int = 0,
        holder: CardHolder? = nil, isRegisteredForInsurance: Bool = true
    ) {
        self.isRegisteredForInsurance = isRegisteredForInsurance
        self.hasUsablePortrait = hasUsablePortrait
        self.hasPIN = hasPIN
        self.pinTriesLeft = pinTriesLeft
        self.faceFailures = faceFailures
        self.holder = holder
    }

    /// A standard card (portrait and PIN), full counters.
    public static let standard = CardProfile(hasUsablePortrait: true, hasPIN: true)
    /// 顔認証マイナンバーカード: portrait, no PIN.
    public static let faceOnly = CardProfile(hasUsablePortrait: true, hasPIN: false, pinTriesLeft: 0)
    /// A card without a photo (infants): PIN only.
    public static let noPhoto = CardProfile(hasUsablePortrait: false, hasPIN: true)
}

/// The rules' numbers.
public struct ReceptionConfiguration: Sendable, Equatable {
    /// Face checks allowed per visit (default 3).
    public var faceAttemptsPerVisit: Int
    /// Consecutive face failures that lock face authentication on the card (10).
    public var cardFaceFailureLimit: Int
    /// Staff credentials accepted for the visual check (目視). Empty: no visual check possible.
    public var staffCredentials: Set<StaffCredential>
    /// The PIN counter after a correct entry (JPKI user-authentication PIN: 3).
    public var pinMaximumTries: Int
    /// The screens after the identity check (consents, prescription); none by default.
    public var screens: ReaderScreenConfiguration

    public init(
        faceAttemptsPerVisit: Int = 3, cardFaceFailureLimit: Int = 10, staffCredentials: Set<StaffCredential> = [],
        pinMaximumTries: Int = 3, screens: ReaderScreenConfiguration = .none
    ) {
        self.screens = screens
        self.pinMaximumTries = max(1, pinMaximumTries)
        self.faceAttemptsPerVisit = max(1, faceAttemptsPerVisit)
        self.cardFaceFailureLimit = max(1, cardFaceFailureLimit)
        self.staffCredentials = staffCredentials
    }
}

/// The reception identity check as a pure state machine: every rule is here, no I/O.
///
/// Rules:
/// 1. Face first when the card has a usable portrait, face is not locked and the patient is present in person
///    (a proxy cannot pass face authentication). A visit allows ``ReceptionConfiguration/faceAttemptsPerVisit``
///    checks; `noMatch` also counts toward the card's consecutive-failure counter, which locks face
///    authentication at ``ReceptionConfiguration/cardFaceFailureLimit`` across visits; `match` resets it.
///    `notAcquired` uses a visit attempt but not the card counter. `presentationAttackSuspected` counts toward the
///    card's counter like `noMatch` and uses up the visit's face checks (no retry of the face: PIN or staff next).
/// 2. When face is exhausted, locked, refused by the patient or not possible: the PIN if the card has one and it
///    is not blocked. A proxy (guardian) may enter the PIN for the card holder; the identity records it.
///    3 wrong entries block it (the card counts); only the municipal office can reset it.
/// 3. The staff visual check (目視) needs a configured staff credential and a card portrait; it is possible
///    from any waiting state, and is the only method left when face and PIN are both exhausted. It never
///    resets either counter. An unknown credential is ignored.
/// 4. A card without a photo: PIN only (no face, no 目視). A face-only card: face or 目視 only.
/// 5. `cancel` ends any waiting state; a final state ignores every event; an event that does not apply
///    in the current state is ignored (``lastEventIgnored`` says so).
/// 6. A card not registered for insurance use is offered initial registration (初回登録): only the PIN can
///    register it (a face match or a visual check is ignored); a wrong PIN spends a try; once registered the
///    reception goes on as verified by PIN.
/// 7. Once the identity is confirmed, the configured screens follow (``ReaderScreenConfiguration``): each
///    consent screen in order, then the prescription choice; each answer is recorded with its time in
///    ``answers`` and in the final ``VerifiedIdentity/readerAnswers``.
public struct ReceptionSession: Sendable, Equatable {
    /// The rules' numbers.
    public let configuration: ReceptionConfiguration
    /// The card at the start of the visit (counters updated as the visit goes).
    public private(set) var card: CardProfile
    /// True when a guardian or other proxy operates for the card holder.
    public let isProxy: Bool
    /// Face checks used this visit.
    public private(set) var faceAttemptsUsed = 0
    /// The patient declined further face checks.
    public private(set) var patientDeclinedFace = false
    /// The current state.
    public private(set) var state: ReceptionState = .refused(.cancelled)
    /// True when the last event did not apply to the state it arrived in (nothing changed).
    public private(set) var lastEventIgnored = false
    /// The answers on the reader's screens so far, each with its time.
    public private(set) var answers = ReaderAnswers()
    /// The identity confirmed, while the consent and prescription screens are still shown.
    public private(set) var pendingIdentity: VerifiedIdentity?

    /// Starts a visit.
    ///
    /// - Parameters:
    ///   - card: what the card allows and its counters.
    ///   - isProxy: a guardian or other proxy operates (face not allowed).
    ///   - configuration: the numbers.
    public init(card: CardProfile, isProxy: Bool = false, configuration: ReceptionConfiguration = .init()) {
        self.card = card
        self.isProxy = isProxy
        self.configuration = configuration
        self.state = nextMethod()
    }

    /// True when face authentication is locked on the card.
    public var isFaceLocked: Bool { card.faceFailures >= configuration.cardFaceFailureLimit }
    /// True when the PIN is blocked (or absent).
    public var isPINUnusable: Bool { !card.hasPIN || card.pinTriesLeft <= 0 }
    /// True when a staff visual check could confirm the identity now.
    public var isVisualCheckPossible: Bool {
        card.hasUsablePortrait && !configuration.staffCredentials.isEmpty && !state.isFinal
    }

    /// Face checks still possible: the fewer of this visit's attempts and the card's failures before lock.
    private var faceAttemptsLeft: Int {
        min(
            configuration.faceAttemptsPerVisit - faceAttemptsUsed,
            configuration.cardFaceFailureLimit - card.faceFailures)
    }
    private var isFacePossible: Bool {
        card.hasUsablePortrait && !isProxy && !isFaceLocked && faceAttemptsLeft > 0 && !patientDeclinedFace
    }

    /// The first method still possible, in the order face → PIN → 目視.
    private func nextMethod() -> ReceptionState {
        if !card.isRegisteredForInsurance {
            return isPINUnusable
                ? .refused(.registrationNeedsPIN) : .awaitingRegistrationPIN(triesLeft: card.pinTriesLeft)
        }
        if isFacePossible { return .awaitingFace(attemptsLeft: faceAttemptsLeft) }
        if !isPINUnusable { return .awaitingPIN(triesLeft: card.pinTriesLeft) }
        if card.hasUsablePortrait && !configuration.staffCredentials.isEmpty { return .awaitingStaffCheck }
        return .refused(
            .noMethodLeft(
                faceLocked: card.hasUsablePortrait && isFaceLocked,
                pinBlocked: card.hasPIN && card.pinTriesLeft <= 0))
    }

    private func identity(_ method: VerificationMethod, at date: Date, staffID: String? = nil) -> VerifiedIdentity {
        VerifiedIdentity(method: method, isProxy: isProxy, verifiedAt: date, holder: card.holder, staffID: staffID)
    }

    /// The identity is confirmed: show the first configured screen, or finish.
    private mutating func confirmed(_ identity: VerifiedIdentity) -> ReceptionState {
        pendingIdentity = identity
        return nextScreen()
    }

    /// The first consent screen not answered yet, then the prescription choice, then the final state.
    private mutating func nextScreen() -> ReceptionState {
        let screens = configuration.screens
        if let screen = screens.consentScreens.first(where: { answers.answer(for: $0) == nil }) {
            return .awaitingConsent(screen)
        }
        if screens.asksPrescription, answers.prescription == nil { return .awaitingPrescriptionChoice }
        guard var identity = pendingIdentity else { return .refused(.cancelled) }
        if answers != ReaderAnswers() { identity.readerAnswers = answers }
        pendingIdentity = nil
        return .verified(identity)
    }

    /// Applies `event` and returns the new state.
    ///
    /// - Parameters:
    ///   - event: what happened.
    ///   - date: the time recorded in a ``VerifiedIdentity`` (default now).
    @discardableResult
    public mutating func handle(_ event: ReceptionEvent, at date: Date = Date()) -> ReceptionState {
        lastEventIgnored = false
        guard !state.isFinal else {
            lastEventIgnored = true
            return state
        }
        switch (state, event) {
        case (_, .cancel):
            state = .refused(.cancelled)

        case (.awaitingFace, .faceResult(.match)):
            card.faceFailures = 0
            faceAttemptsUsed += 1
            state = confirmed(identity(.face, at: date))
        case (.awaitingFace, .faceResult(.noMatch)):
            faceAttemptsUsed += 1
            card.faceFailures += 1
            state = nextMethod()
        case (.awaitingFace, .faceResult(.presentationAttackSuspected)):
            faceAttemptsUsed = max(faceAttemptsUsed + 1, configuration.faceAttemptsPerVisit)
            card.faceFailures += 1
            state = nextMethod()
        case (.awaitingFace, .faceResult(.notAcquired)):
            faceAttemptsUsed += 1
            state = nextMethod()
        case (.awaitingFace, .patientChoosesPIN) where !isPINUnusable:
            patientDeclinedFace = true
            state = nextMethod()

        case (.awaitingPIN, .pinResult(.accepted)):
            card.pinTriesLeft = configuration.pinMaximumTries
            state = confirmed(identity(.pin, at: date))
        case (.awaitingRegistrationPIN, .pinResult(.accepted)):
            card.pinTriesLeft = configuration.pinMaximumTries
            card.isRegisteredForInsurance = true
            answers.initialRegistration = date
            state = confirmed(identity(.pin, at: date))
        case (.awaitingPIN, .pinResult(.wrong(let left))), (.awaitingRegistrationPIN, .pinResult(.wrong(let left))):
            card.pinTriesLeft = max(0, left)
            state = nextMethod()
        case (.awaitingPIN, .pinResult(.blocked)), (.awaitingRegistrationPIN, .pinResult(.blocked)):
            card.pinTriesLeft = 0
            state = nextMethod()

        case (.awaitingFace, .staffVisualCheck(let credential, let confirmed)),
            (.awaitingPIN, .staffVisualCheck(let credential, let confirmed)),
            (.awaitingStaffCheck, .staffVisualCheck(let credential, let confirmed)):
            guard card.hasUsablePortrait, configuration.staffCredentials.contains(credential) else {
                lastEventIgnored = true
                return state
            }
            state =
                confirmed
                ? self.confirmed(identity(.visual, at: date, staffID: credential.staffID))
                : .refused(.staffDidNotConfirm(staffID: credential.staffID))

        case (.awaitingConsent(let shown), .consentAnswer(let screen, let agreed)) where shown == screen:
            answers.record(screen, TimedAnswer(agreed, at: date))
            state = nextScreen()
        case (.awaitingConsent, .comprehensiveConsent(let agreed)):
            for screen in configuration.screens.consentScreens where answers.answer(for: screen) == nil {
                answers.record(screen, TimedAnswer(agreed, at: date))
            }
            answers.comprehensive = true
            state = nextScreen()
        case (.awaitingPrescriptionChoice, .prescriptionChoice(let choice)):
            answers.prescription = TimedAnswer(choice, at: date)
            state = nextScreen()

        default:
            lastEventIgnored = true
        }
        return state
    }
}
