import CardAccess
import Crypto
import Foundation
import MynaCard
import _CryptoExtras

/// Why a simulated card could not be created or saved.
public enum SimulatedCardError: Error, Sendable, CustomStringConvertible {
    /// The state file could not be read or decoded (path, reason).
    case unreadableState(path: String, reason: String)
    /// The state file could not be written (path, reason).
    case unwritableState(path: String, reason: String)
    /// The state's card key is not a valid RSA private key PEM.
    case invalidCardKey(String)

    public var description: String {
        switch self {
        case .unreadableState(let p, let r): "cannot read simulated card state \(p): \(r)"
        case .unwritableState(let p, let r): "cannot write simulated card state \(p): \(r)"
        case .invalidCardKey(let r): "simulated card key is invalid: \(r)"
        }
    }
}

/// An in-process My Number Card for integrators' tests and the demo, behind the same ``CardChannel`` as a
/// real reader.
///
/// What it answers:
/// - SELECT by AID (`00 A4 04 0C`): JPKI AP and 券面事項確認AP; others `6A82`.
/// - SELECT EF (`00 A4 02 0C 02 xx xx`): JPKI EF 0018 (user PIN; `6A82` on a face-only card);
///   券面AP EF 0012 (照合番号B), 0002 (card face; `6A82` on a card without photo), 0004 (certificate).
/// - VERIFY (`00 20 00 80`) on the selected key: empty → `63Cx` (or `9000` if verified in this session,
///   `6984` when blocked) without spending a try; wrong → `63Cx`, the exhausting one `63C0`, then `6984`;
///   right → `9000` and the counter back to the maximum. User PIN 3 tries; 照合番号B 10 tries.
/// - READ BINARY (`00 B0`), 15-bit offset in P1 P2 (P1 bit 8 must be 0), Le up to 256: needs 照合番号B
///   (`6982` otherwise); `6282` when fewer than Le bytes remain, `6B00` at or past the end.
/// - COMPUTE SIGNATURE (`80 2A 00 00`) in 券面AP after 照合番号B: data must be a SHA-256 DigestInfo
///   (51 bytes); returns the PKCS#1 v1.5 signature with the card's own key (DF24's private half).
/// - FACE RESULT (`80 FA P1 00`), a SIMULATION-ONLY command modelling the card-side face-failure counter
///   (the real mechanism is in the J-LIS specification, not public; `card-and-standards.md` §3 infers the
///   10-try face lock is the 照合番号B counter, which this models separately so the two are testable):
///   P1 `00` reads it (`63Cx`, x = failures left, capped at 15; `6984` locked), `01` records one failed face
///   check (`63Cx` left, `63C0` on the tenth), `02` records a success (resets to 0, `9000`; `6984` when
///   locked). Face failures are consecutive: a success resets them; PIN, 照合番号B and visual checks do not.
///
/// Counters persist in the ``state``; with a state file they are written (atomically) after each change.
/// Selection and "verified" flags are per session: ``startSession()`` drops them, as re-inserting a card does.
///
/// Thread-safe: one lock serialises APDUs, as a card does.
public final class SimulatedCard: CardChannel, @unchecked Sendable {
    /// 券面事項確認AP application identifier.
    public static let cardFaceAID = CardFaceReader.cardFaceAID

    private enum Application { case none, jpki, cardFace }
    private enum File { case none, userPIN, codeB, cardFace, certificate }

    private let lock = NSLock()
    private var _state: SimulatedCardState
    private let stateFile: URL?
    private let cardKey: RSAPrivateNumbers
    private var application: Application = .none
    private var file: File = .none
    private var userPINVerified = false
    private var codeBVerified = false
    private var _log: [String] = []

    /// Creates a card from a state.
    ///
    /// - Parameters:
    ///   - state: files, keys, secrets and counters.
    ///   - stateFile: when set, the state is written there (JSON, atomic) after every change.
    /// - Throws: ``SimulatedCardError/invalidCardKey(_:)``.
    public init(state: SimulatedCardState, stateFile: URL? = nil) throws(SimulatedCardError) {
        do {
            let key = try _RSA.Signing.PrivateKey(pemRepresentation: state.cardKeyPEM)
            cardKey = try RSAPrivateNumbers(pkcs1DER: [UInt8](key.derRepresentation))
        } catch {
            throw .invalidCardKey(String(describing: error))
        }
        _state = state
        self.stateFile = stateFile
    }

    /// Loads a card from a state file written earlier; later changes are written back to it.
    ///
    /// - Throws: ``SimulatedCardError``.
    public static func load(from url: URL) throws(SimulatedCardError) -> SimulatedCard {
        let state: SimulatedCardState
        do {
            state = try JSONDecoder().decode(SimulatedCardState.self, from: Data(contentsOf: url))
        } catch {
            throw .unreadableState(path: url.path, reason: String(describing: error))
        }
        return try SimulatedCard(state: state, stateFile: url)
    }

    /// Issues a new card with `issuer`: builds and signs the card-face file, certifies the issuer's signing
    /// key, generates the card's own key (DF24).
    ///
    /// - Parameters:
    ///   - variant: standard, face-only or no-photo.
    ///   - portrait: DF27 bytes (a JPEG 2000 file); ignored for ``SimulatedCardState/Variant/noPhoto``.
    ///   - birthDate, sex, expiry: DF22, DF23, DF29.
    ///   - userPIN: the 4-digit PIN (ignored on a face-only card).
    ///   - securityCode: 4 digits, the end of 照合番号B.
    ///   - stateFile: optional JSON state file.
    /// - Throws: key-generation errors, ``SimulatedCardError``.
    public static func issue(
        by issuer: SimulatedIssuer, variant: SimulatedCardState.Variant = .standard,
        portrait: [UInt8], birthDate: CardDate, sex: CardFaceFile.Sex = .notKnown,
        expiry: CardDate, userPIN: String = "1234", securityCode: String = "1234",
        stateFile: URL? = nil
    ) throws -> SimulatedCard {
        let cardKey = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        var builder = CardFaceFile.Builder(
            birthDate: birthDate, sex: sex, publicKey: SimulatedIssuer.cardKey(cardKey.publicKey),
            nameImage: Self.placeholderPNG, addressImage: Self.placeholderPNG,
            portrait: variant == .noPhoto ? [0x00] : portrait, signature: [UInt8](repeating: 0, count: 256),
            expiry: expiry, securityCodeImage: Self.placeholderPNG)
        try issuer.signCardFace(&builder)
        let certificate = try issuer.certificate().encode()
        var state = SimulatedCardState(
            variant: variant, userPIN: userPIN,
            verificationCodeB: verificationCodeB(birthDate: birthDate, expiry: expiry, securityCode: securityCode),
            cardFaceFile: Data(builder.encode()), certificate: Data(certificate), cardKeyPEM: cardKey.pemRepresentation)
        let anchor = issuer.anchor
        state.issuerKeyID = Data(anchor.keyID.bytes)
        state.issuerModulus = Data(anchor.key.modulus)
        state.issuerExponent = Data(anchor.key.exponent)
        let card = try SimulatedCard(state: state, stateFile: stateFile)
        try card.save()
        return card
    }

    /// 照合番号B: birth date as Japanese-era YYMMDD, expiry year (Gregorian), 4-digit security code.
    /// Era boundaries: 明治 1868-01-25 … 令和 2019-05-01 (first day of each era).
    public static func verificationCodeB(birthDate: CardDate, expiry: CardDate, securityCode: String) -> String {
        let eraStarts: [(CardDate, Int)] = [
            (CardDate(year: 2019, month: 5, day: 1)!, 2018), (CardDate(year: 1989, month: 1, day: 8)!, 1988),
            (CardDate(year: 1926, month: 12, day: 25)!, 1925), (CardDate(year: 1912, month: 7, day: 30)!, 1911),
        ]
        let offset = eraStarts.first { birthDate >= $0.0 }?.1 ?? 1867
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n % 100)" }
        return two(birthDate.year - offset) + two(birthDate.month) + two(birthDate.day) + "\(expiry.year)"
            + securityCode
    }

    /// A minimal placeholder for the name, address and security-code images (the PNG signature only).
    static let placeholderPNG: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// A snapshot of the state (counters, files).
    public var state: SimulatedCardState { lock.withLock { _state } }

    /// The instruction bytes and status words exchanged, e.g. `"20 -> 63C2"`; never command data.
    public var exchangeLog: [String] { lock.withLock { _log } }

    /// Starts a new card session (card removed and inserted again): selections and verified flags are dropped,
    /// counters are kept.
    public func startSession() {
        lock.withLock {
            application = .none
            file = .none
            userPINVerified = false
            codeBVerified = false
        }
    }

    /// Changes the state as the municipal office would (reset a blocked PIN, unlock face authentication…).
    /// Saved to the state file.
    ///
    /// - Throws: ``SimulatedCardError/unwritableState(path:reason:)``.
    public func administer(_ change: (inout SimulatedCardState) -> Void) throws(SimulatedCardError) {
        lock.lock()
        change(&_state)
        lock.unlock()
        try save()
    }

    /// Writes the state file (JSON, atomic replace). No-op without a state file.
    ///
    /// - Throws: ``SimulatedCardError/unwritableState(path:reason:)``.
    public func save() throws(SimulatedCardError) {
        do { try persist() } catch let error as SimulatedCardError { throw error } catch {
            throw .unwritableState(path: stateFile?.path ?? "-", reason: String(describing: error))
        }
    }

    /// Untyped-throwing save used on the async APDU path. (Calling the typed-throwing `save()` from the async
    /// `transmit` corrupted the caller's async frame in debug builds with Swift 6.3.1 on Linux; see the report.)
    private func persist() throws {
        guard let stateFile else { return }
        let snapshot = state
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        do {
            try encoder.encode(snapshot).write(to: stateFile, options: .atomic)
        } catch {
            throw SimulatedCardError.unwritableState(path: stateFile.path, reason: String(describing: error))
        }
    }

    // MARK: CardChannel

    /// Processes one APDU. Never throws except when a changed counter cannot be saved.
    public func transmit(_ command: CommandAPDU) async throws -> ResponseAPDU {
        let (response, changed) = lock.withLock { () -> (ResponseAPDU, Bool) in
            let before = _state
            let response = process(command)
            _log.append(String(format: "%02X %02X -> %@", command.cla, command.ins, response.status.description))
            return (response, before != _state)
        }
        if changed { try persist() }
        return response
    }

    // Everything below runs under the lock.

    private func process(_ c: CommandAPDU) -> ResponseAPDU {
        switch (c.cla, c.ins) {
        case (0x00, 0xA4): return select(c)
        case (0x00, 0x20): return verify(c)
        case (0x00, 0xB0): return readBinary(c)
        case (0x80, 0x2A): return computeSignature(c)
        case (0x80, 0xFA): return faceResult(c)
        case (0x00, _), (0x80, _): return ResponseAPDU(status: .instructionNotSupported)
        default: return ResponseAPDU(status: .classNotSupported)
        }
    }

    private func select(_ c: CommandAPDU) -> ResponseAPDU {
        let data = c.data
        switch (c.p1, c.p2) {
        case (0x04, 0x0C):
            userPINVerified = false
            codeBVerified = false
            file = .none
            if data == PINVerifier.jpkiAID {
                application = .jpki
                return ResponseAPDU(status: .success)
            }
            if data == Self.cardFaceAID {
                application = .cardFace
                return ResponseAPDU(status: .success)
            }
            application = .none
            return ResponseAPDU(status: .fileNotFound)
        case (0x02, 0x0C):
            guard data.count == 2 else { return ResponseAPDU(status: .wrongLength) }
            let chosen: File
            switch (application, data[0], data[1]) {
            case (.jpki, 0x00, 0x18) where _state.variant != .faceOnly: chosen = .userPIN
            case (.cardFace, 0x00, 0x12): chosen = .codeB
            case (.cardFace, 0x00, 0x02) where _state.cardFaceFile != nil: chosen = .cardFace
            case (.cardFace, 0x00, 0x04) where _state.certificate != nil: chosen = .certificate
            default: return ResponseAPDU(status: .fileNotFound)
            }
            file = chosen
            return ResponseAPDU(status: .success)
        default:
            return ResponseAPDU(status: .incorrectP1P2)
        }
    }

    private func verify(_ c: CommandAPDU) -> ResponseAPDU {
        guard c.p1 == 0x00, c.p2 == 0x80 else { return ResponseAPDU(status: .incorrectP1P2) }
        switch file {
        case .userPIN:
            guard let pin = _state.userPIN else { return ResponseAPDU(status: .referencedDataNotFound) }
            return verifyKey(
                c, secret: pin, tries: \.userPINTriesLeft, maximum: SimulatedCardState.userPINMaximumTries,
                verified: &userPINVerified)
        case .codeB:
            return verifyKey(
                c, secret: _state.verificationCodeB, tries: \.verificationCodeBTriesLeft,
                maximum: SimulatedCardState.verificationCodeBMaximumTries, verified: &codeBVerified)
        default:
            return ResponseAPDU(status: .referencedDataNotFound)
        }
    }

    private func verifyKey(
        _ c: CommandAPDU, secret: String, tries: WritableKeyPath<SimulatedCardState, Int>,
        maximum: Int, verified: inout Bool
    ) -> ResponseAPDU {
        let left = _state[keyPath: tries]
        if c.dataCount == 0 {
            if left <= 0 { return ResponseAPDU(status: .referenceDataNotUsable) }
            return ResponseAPDU(status: verified ? .success : .triesRemaining(left))
        }
        guard left > 0 else { return ResponseAPDU(status: .referenceDataNotUsable) }
        let matches = c.withData { entered in
            // Compare every byte (no early exit), then the length.
            let expected = Array(secret.utf8)
            var difference = UInt8(entered.count == expected.count ? 0 : 1)
            for i in 0..<min(entered.count, expected.count) { difference |= entered[i] ^ expected[i] }
            return difference == 0
        }
        if matches {
            _state[keyPath: tries] = maximum
            verified = true
            return ResponseAPDU(status: .success)
        }
        verified = false
        _state[keyPath: tries] = left - 1
        return ResponseAPDU(status: .triesRemaining(left - 1))
    }

    private func readBinary(_ c: CommandAPDU) -> ResponseAPDU {
        guard c.p1 & 0x80 == 0 else { return ResponseAPDU(status: .incorrectP1P2) }
        let content: Data
        switch file {
        case .cardFace: content = _state.cardFaceFile ?? Data()
        case .certificate: content = _state.certificate ?? Data()
        case .none, .userPIN, .codeB: return ResponseAPDU(status: .commandNotAllowed)
        }
        guard codeBVerified else { return ResponseAPDU(status: .securityStatusNotSatisfied) }
        let offset = Int(c.p1) << 8 | Int(c.p2)
        guard offset < content.count else { return ResponseAPDU(status: .wrongOffset) }
        let wanted = min(c.le ?? 256, 256)
        let end = min(content.count, offset + wanted)
        let chunk = [UInt8](content[(content.startIndex + offset)..<(content.startIndex + end)])
        return ResponseAPDU(data: chunk, status: chunk.count < wanted ? .endOfFileReached : .success)
    }

    private func computeSignature(_ c: CommandAPDU) -> ResponseAPDU {
        guard application == .cardFace else { return ResponseAPDU(status: .commandNotAllowed) }
        guard codeBVerified else { return ResponseAPDU(status: .securityStatusNotSatisfied) }
        guard c.p1 == 0x00, c.p2 == 0x00 else { return ResponseAPDU(status: .incorrectP1P2) }
        let digestInfo = c.data
        guard digestInfo.count == 51, digestInfo.starts(with: RawRSA.sha256DigestInfoPrefix) else {
            return ResponseAPDU(status: .incorrectData)
        }
        guard let block = RawRSA.pkcs1Block(digestInfo: digestInfo, length: RawRSA.significantLength(cardKey.modulus)),
            let signature = cardKey.sign(block)
        else { return ResponseAPDU(status: .incorrectData) }
        return ResponseAPDU(data: signature, status: .success)
    }

    private func faceResult(_ c: CommandAPDU) -> ResponseAPDU {
        guard application == .cardFace else { return ResponseAPDU(status: .commandNotAllowed) }
        guard _state.variant != .noPhoto else { return ResponseAPDU(status: .fileNotFound) }
        let limit = SimulatedCardState.faceFailureLimit
        func left() -> Int { max(0, limit - _state.faceFailures) }
        switch c.p1 {
        case 0x00:
            return ResponseAPDU(
                status: _state.isFaceLocked ? .referenceDataNotUsable : .triesRemaining(min(15, left())))
        case 0x01:
            guard !_state.isFaceLocked else { return ResponseAPDU(status: .referenceDataNotUsable) }
            _state.faceFailures += 1
            return ResponseAPDU(status: .triesRemaining(min(15, left())))
        case 0x02:
            guard !_state.isFaceLocked else { return ResponseAPDU(status: .referenceDataNotUsable) }
            _state.faceFailures = 0
            return ResponseAPDU(status: .success)
        default:
            return ResponseAPDU(status: .incorrectP1P2)
        }
    }
}
