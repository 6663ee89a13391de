import CardAccess
import Foundation
import Logging
import MynaCard

/// One face check at the kiosk: capture a camera frame and compare it with the card portrait.
///
/// Reception depends on this protocol only; the lead's `MynaFace` verifier is adapted to it by the app or CLI.
public protocol FaceCheck: Sendable {
    /// Runs one face check. The portrait is the authenticated DF27 of this card (given at construction).
    /// - Throws: any error of the implementation; the driver ends the session with it.
    func attempt() async throws -> FaceCheckOutcome
}

/// A `FaceCheck` from a closure.
public struct FaceCheckClosure: FaceCheck {
    private let body: @Sendable () async throws -> FaceCheckOutcome
    public init(_ body: @escaping @Sendable () async throws -> FaceCheckOutcome) { self.body = body }
    public func attempt() async throws -> FaceCheckOutcome { try await body() }
}

/// What the PIN pad returns.
public enum PINPadInput: Sendable {
    /// A PIN was typed (already checked for 4 digits by ``PIN``).
    case pin(PIN)
    /// The patient asks for a member of staff instead.
    case requestStaff
    /// The patient gives up.
    case cancel
}

/// The patient-facing PIN pad.
public protocol PINPad: Sendable {
    /// Asks for the PIN; `triesLeft` is what the card reports (show it).
    func enterPIN(triesLeft: Int) async throws -> PINPadInput
}

/// The staff side of the visual check (目視).
public protocol StaffDesk: Sendable {
    /// Asks staff for a visual check; nil when nobody is available (the session is cancelled).
    func visualCheck() async throws -> (credential: StaffCredential, confirmed: Bool)?
}

/// What the patient did on a consent screen.
public enum ConsentPadInput: Sendable, Equatable {
    /// Agreed (true) or declined (false) this screen.
    case answer(Bool)
    /// Agreed (true) or declined (false) every remaining consent at once (包括同意).
    case comprehensive(Bool)
    /// Gave up.
    case cancel
}

/// The reader's screens after the identity check: consents and the prescription choice.
public protocol ReaderScreensPad: Sendable {
    /// Shows `screen` and returns the patient's answer.
    func consent(_ screen: ConsentScreen) async throws -> ConsentPadInput
    /// Asks electronic or paper prescription; nil when the patient gives up.
    func prescription() async throws -> PrescriptionChoice?
}

/// How a reception ended.
public enum ReceptionOutcome: Sendable, Equatable {
    /// Confirmed; `authenticity` says whether the portrait chain verified (nil for a card without a portrait).
    case verified(VerifiedIdentity, authenticity: CardFaceAuthenticity?)
    /// Not confirmed.
    case refused(RefusalReason)
}

/// Runs a ``ReceptionSession`` against a card and the kiosk's face check, PIN pad and staff desk.
///
/// Order: open 券面事項確認AP with 照合番号B, read EF 0002/0004, authenticate the portrait (chain and card
/// presence, per ``CardFaceAuthenticator/policy``), read the card's face-failure counter and PIN status, then
/// follow the session's states. A `noMatch` is recorded on the card before the next step; a `match` resets the
/// card counter. A portrait that fails authentication under `requireVerified` is not used: face and 目視 are
/// disabled and the PIN is the only method.
public struct ReceptionDriver: Sendable {
    let channel: any CardChannel
    let authenticator: CardFaceAuthenticator
    let configuration: ReceptionConfiguration
    let logger: Logger

    public init(
        channel: any CardChannel, authenticator: CardFaceAuthenticator = .init(),
        configuration: ReceptionConfiguration = .init(),
        logger: Logger = Logger(label: "mynaface.reception")
    ) {
        self.channel = channel
        self.authenticator = authenticator
        self.configuration = configuration
        self.logger = logger
    }

    /// What was read from the card before the session starts.
    public struct CardReading: Sendable {
        /// The card's profile for the session.
        public var profile: CardProfile
        /// The parsed card-face file, when present and parseable.
        public var cardFace: CardFaceFile?
        /// Portrait authenticity (nil when the card has no card-face file).
        public var authenticity: CardFaceAuthenticity?
        /// The authentication failure that disabled the portrait, if any.
        public var portraitRejection: AuthenticityFailure?
    }

    /// Reads and authenticates the card and its counters.
    ///
    /// - Parameter verificationCodeB: 照合番号B (from the card-surface scan).
    /// - Throws: ``CardAccessError`` (card refused a step, including a wrong or blocked 照合番号B), transport errors.
    public func readCard(verificationCodeB: [UInt8]) async throws -> CardReading {
        let reader = CardFaceReader(channel: channel)
        let status = try await reader.open(verificationCodeB: verificationCodeB)
        guard status == .success else { throw CardAccessError.unexpectedStatus(step: "VERIFY 照合番号B", status: status) }
        let files = try await reader.readFiles()
        var cardFace: CardFaceFile?
        var authenticity: CardFaceAuthenticity?
        var rejection: AuthenticityFailure?
        if let bytes = files.cardFace {
            do {
                cardFace = try Self.parseCardFace(bytes)
                authenticity = try await authenticator.authenticate(
                    cardFace: bytes, certificate: files.certificate, channel: channel)
            } catch let failure as AuthenticityFailure {
                rejection = failure
            }
            logger.info(
                "card-face authenticity",
                metadata: ["result": "\(authenticity.map(\.description) ?? rejection?.description ?? "-")"])
        }
        let faceLeft = cardFace == nil ? nil : try await reader.faceTriesLeft()
        let pinStatus = try await PINVerifier(channel: channel).status()
        var profile = CardProfile(
            hasUsablePortrait: cardFace != nil && authenticity != nil, hasPIN: pinStatus != .notPresent)
        switch pinStatus {
        case .triesLeft(let n): profile.pinTriesLeft = n
        case .alreadyVerified: profile.pinTriesLeft = 3
        case .blocked, .notPresent: profile.pinTriesLeft = 0
        }
        let limit = configuration.cardFaceFailureLimit
        profile.faceFailures = cardFace == nil ? 0 : faceLeft.map { max(0, limit - $0) } ?? limit
        if let cardFace, authenticity != nil {
            profile.holder = CardHolder(cardFace)
        }
        return CardReading(
            profile: profile, cardFace: cardFace, authenticity: authenticity, portraitRejection: rejection)
    }

    /// Parses EF 0002 (synchronous and untyped: typed throws called directly from async code corrupted async
    /// frames in debug builds with Swift 6.3.1 on Linux).
    static func parseCardFace(_ bytes: [UInt8]) throws -> CardFaceFile {
        do { return try CardFaceFile.parse(bytes) } catch {
            throw AuthenticityFailure.malformedCardFace(error.description)
        }
    }

    /// Runs a whole reception.
    ///
    /// - Parameters:
    ///   - reading: from ``readCard(verificationCodeB:)``.
    ///   - isProxy: a guardian operates for the card holder.
    ///   - face: the face check (ignored when face is not possible).
    ///   - pinPad: the PIN pad.
    ///   - staff: the staff desk, or nil when no staff check is offered.
    ///   - screens: the consent and prescription screens (asked when the configuration shows them; nil cancels
    ///     at the first screen).
    /// - Throws: errors from the card channel, the face check, the PIN pad, the staff desk or the screens.
    public func run(
        reading: CardReading, isProxy: Bool = false, face: any FaceCheck, pinPad: any PINPad,
        staff: (any StaffDesk)? = nil, screens: (any ReaderScreensPad)? = nil
    ) async throws -> ReceptionOutcome {
        var session = ReceptionSession(card: reading.profile, isProxy: isProxy, configuration: configuration)
        let reader = CardFaceReader(channel: channel)
        let pinVerifier = PINVerifier(channel: channel)
        while true {
            switch session.state {
            case .verified(let identity):
                return .verified(identity, authenticity: reading.authenticity)
            case .refused(let reason):
                return .refused(reason)
            case .awaitingFace:
                let outcome = try await face.attempt()
                switch outcome {
                case .match: _ = try await reader.recordFaceSuccess()
                case .noMatch, .presentationAttackSuspected: _ = try await reader.recordFaceFailure()
                case .notAcquired: break
                }
                logger.info("face check", metadata: ["outcome": "\(outcome)"])
                session.handle(.faceResult(outcome))
            case .awaitingRegistrationPIN(let triesLeft):
                logger.info("card not registered for insurance use: initial registration needs the PIN")
                switch try await pinPad.enterPIN(triesLeft: triesLeft) {
                case .pin(let pin):
                    let result = try await pinVerifier.verify(pin)
                    pin.wipe()
                    switch result {
                    case .accepted: session.handle(.pinResult(.accepted))
                    case .wrong(let left): session.handle(.pinResult(.wrong(triesLeft: left)))
                    case .blocked, .notPresent: session.handle(.pinResult(.blocked))
                    }
                case .requestStaff, .cancel:
                    session.handle(.cancel)
                }
            case .awaitingConsent(let screen):
                switch try await screens?.consent(screen) ?? .cancel {
                case .answer(let agreed): session.handle(.consentAnswer(screen, agreed: agreed))
                case .comprehensive(let agreed): session.handle(.comprehensiveConsent(agreed: agreed))
                case .cancel: session.handle(.cancel)
                }
            case .awaitingPrescriptionChoice:
                if let choice = try await screens?.prescription() {
                    session.handle(.prescriptionChoice(choice))
                } else {
                    session.handle(.cancel)
                }
            case .awaitingPIN(let triesLeft):
                switch try await pinPad.enterPIN(triesLeft: triesLeft) {
                case .pin(let pin):
                    let result = try await pinVerifier.verify(pin)
                    pin.wipe()
                    switch result {
                    case .accepted: session.handle(.pinResult(.accepted))
                    case .wrong(let left): session.handle(.pinResult(.wrong(triesLeft: left)))
                    case .blocked, .notPresent: session.handle(.pinResult(.blocked))
                    }
                case .requestStaff:
                    guard let decision = try await staff?.visualCheck() else {
                        session.handle(.cancel)
                        break
                    }
                    session.handle(.staffVisualCheck(decision.credential, confirmed: decision.confirmed))
                    if session.lastEventIgnored { session.handle(.cancel) }
                case .cancel:
                    session.handle(.cancel)
                }
            case .awaitingStaffCheck:
                guard let decision = try await staff?.visualCheck() else {
                    session.handle(.cancel)
                    break
                }
                session.handle(.staffVisualCheck(decision.credential, confirmed: decision.confirmed))
                if session.lastEventIgnored { session.handle(.cancel) }
            }
        }
    }
}
