import Logging

/// What the card reports about the user-authentication PIN.
public enum PINStatus: Sendable, Equatable, CustomStringConvertible {
    /// The PIN can be entered; `triesLeft` wrong entries remain before it locks (1…3 on a My Number Card).
    case triesLeft(Int)
    /// The PIN is already verified in this card session (an empty VERIFY answered `9000`).
    case alreadyVerified
    /// Locked (`63C0` or `6984`/`6983`): only the municipal office can reset it.
    case blocked
    /// The card has no such PIN (a face-only card: `6A82` on selecting EF 0018).
    case notPresent

    public var description: String {
        switch self {
        case .triesLeft(let n): "PIN can be entered, \(n) tr\(n == 1 ? "y" : "ies") left"
        case .alreadyVerified: "PIN already verified"
        case .blocked: "PIN blocked: only the municipal office can reset it"
        case .notPresent: "this card has no user-authentication PIN"
        }
    }
}

/// The result of one PIN entry.
public enum PINVerificationResult: Sendable, Equatable, CustomStringConvertible {
    /// `9000`: the card accepted the PIN (its counter is reset to the maximum).
    case accepted
    /// `63Cx` with x > 0: wrong PIN, `triesLeft` remain.
    case wrong(triesLeft: Int)
    /// The PIN is blocked: either this entry used the last try (`63C0`) or it was blocked before, in which
    /// case nothing was sent.
    case blocked
    /// The card has no user-authentication PIN (face-only card); nothing was sent.
    case notPresent

    public var description: String {
        switch self {
        case .accepted: "PIN accepted"
        case .wrong(let n): "wrong PIN, \(n) tr\(n == 1 ? "y" : "ies") left"
        case .blocked: "PIN blocked: only the municipal office can reset it"
        case .notPresent: "this card has no user-authentication PIN"
        }
    }
}

/// ISO/IEC 7816-4 VERIFY of the My Number Card's user-authentication PIN (JPKI AP, EF 0018).
///
/// Rules it keeps:
/// - the PIN is checked for 4 ASCII digits by ``PIN`` before anything reaches the card;
/// - before spending a try it reads the counter with an empty VERIFY (`00 20 00 80`, which costs nothing),
///   and does not send the PIN if the card reports it blocked;
/// - it never retries on its own: one call, at most one PIN sent;
/// - the APDU that carried the PIN is wiped after the exchange, on every path; the ``PIN`` itself is
///   left to the caller (who may want to wipe it at once with ``PIN/wipe()``);
/// - logs carry the step and the status word, never the PIN or the command data.
public struct PINVerifier: Sendable {
    /// JPKI AP application identifier.
    public static let jpkiAID: [UInt8] = [0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01]
    /// EF of the user-authentication PIN in the JPKI AP.
    public static let userAuthenticationPINFile: [UInt8] = [0x00, 0x18]

    private let channel: any CardChannel
    private let logger: Logger

    /// - Parameters:
    ///   - channel: the card connection.
    ///   - logger: where steps and status words are logged (never PIN digits).
    public init(channel: any CardChannel, logger: Logger = Logger(label: "mynaface.cardaccess.pin")) {
        self.channel = channel
        self.logger = logger
    }

    /// Selects the JPKI AP and EF 0018.
    ///
    /// - Returns: false when the card has no such EF (`6A82`: a face-only card).
    /// - Throws: ``CardAccessError/unexpectedStatus(step:status:)`` when the AP cannot be selected, or the
    ///   channel's transport error.
    public func select() async throws -> Bool {
        let ap = try CommandAPDU(ins: 0xA4, p1: 0x04, p2: 0x0C, data: Self.jpkiAID)
        let apResponse = try await channel.transmit(ap)
        logger.debug("SELECT JPKI AP", metadata: ["sw": "\(apResponse.status)"])
        guard apResponse.status == .success else {
            throw CardAccessError.unexpectedStatus(step: "SELECT JPKI AP", status: apResponse.status)
        }
        let ef = try CommandAPDU(ins: 0xA4, p1: 0x02, p2: 0x0C, data: Self.userAuthenticationPINFile)
        let efResponse = try await channel.transmit(ef)
        logger.debug("SELECT EF 0018", metadata: ["sw": "\(efResponse.status)"])
        switch efResponse.status {
        case .success: return true
        case .fileNotFound: return false
        default: throw CardAccessError.unexpectedStatus(step: "SELECT EF 0018 (user PIN)", status: efResponse.status)
        }
    }

    /// Reads the PIN status with an empty VERIFY, which spends no try. Selects the PIN first.
    ///
    /// - Throws: ``CardAccessError`` for status words VERIFY may not answer, or transport errors.
    public func status() async throws -> PINStatus {
        guard try await select() else { return .notPresent }
        return try await queryCounter()
    }

    private func queryCounter() async throws -> PINStatus {
        let query = try CommandAPDU(ins: 0x20, p1: 0x00, p2: 0x80)
        let response = try await channel.transmit(query)
        logger.debug("VERIFY (empty) user PIN", metadata: ["sw": "\(response.status)"])
        switch response.status {
        case .triesRemaining(0), .referenceDataNotUsable, .authenticationMethodBlocked: return .blocked
        case .triesRemaining(let n): return .triesLeft(n)
        case .success: return .alreadyVerified
        default: throw CardAccessError.unexpectedStatus(step: "VERIFY (empty) user PIN", status: response.status)
        }
    }

    /// Verifies `pin`: selects EF 0018, reads the counter, and sends the PIN only if the PIN is not blocked.
    ///
    /// One call sends the PIN at most once. A wiped ``PIN`` is refused before anything is sent.
    ///
    /// - Returns: ``PINVerificationResult``: accepted, wrong with the tries left, blocked, or not present.
    /// - Throws: ``PINFormatError/wrongLength(count:)`` for a wiped PIN (nothing sent); ``CardAccessError``
    ///   for status words VERIFY may not answer; transport errors from the channel.
    public func verify(_ pin: PIN) async throws -> PINVerificationResult {
        guard !pin.isWiped else { throw PINFormatError.wrongLength(count: 0) }
        switch try await status() {
        case .notPresent: return .notPresent
        case .blocked: return .blocked
        case .alreadyVerified, .triesLeft: break
        }
        let command = try pin.digits.withBytes { digits in
            try CommandAPDU(ins: 0x20, p1: 0x00, p2: 0x80, data: digits, isSensitive: true)
        }
        defer { command.wipe() }
        let response = try await channel.transmit(command)
        logger.info("VERIFY user PIN", metadata: ["sw": "\(response.status)"])
        switch response.status {
        case .success: return .accepted
        case .triesRemaining(0), .referenceDataNotUsable, .authenticationMethodBlocked: return .blocked
        case .triesRemaining(let n): return .wrong(triesLeft: n)
        default: throw CardAccessError.unexpectedStatus(step: "VERIFY user PIN", status: response.status)
        }
    }
}
