/// An ISO/IEC 7816-4 status word (SW1 SW2), the two bytes that end every card response.
///
/// The named cases are the ones the My Number Card's applications answer with; any other value is kept
/// as ``other(_:)`` so nothing is lost.
public enum StatusWord: Sendable, Hashable, CustomStringConvertible {
    /// `9000`: the command succeeded.
    case success
    /// `6282`: end of file reached before `Le` bytes were read (the data returned is shorter).
    case endOfFileReached
    /// `6300`: verification failed and the reference data has no retry limit.
    case verificationFailedNoCounter
    /// `63Cx`: verification failed (or, for an empty VERIFY, not yet performed); `x` tries remain (0…15).
    case triesRemaining(Int)
    /// `6700`: wrong length (Lc or Le).
    case wrongLength
    /// `6982`: security status not satisfied (a PIN or key must be verified first).
    case securityStatusNotSatisfied
    /// `6983`: authentication method blocked.
    case authenticationMethodBlocked
    /// `6984`: reference data not usable (how the My Number Card reports a blocked PIN after `63C0`).
    case referenceDataNotUsable
    /// `6986`: command not allowed (no current EF).
    case commandNotAllowed
    /// `6A80`: incorrect parameters in the data field.
    case incorrectData
    /// `6A82`: file or application not found.
    case fileNotFound
    /// `6A86`: incorrect parameters P1-P2.
    case incorrectP1P2
    /// `6A88`: referenced data not found.
    case referencedDataNotFound
    /// `6B00`: wrong parameters (offset outside the EF).
    case wrongOffset
    /// `6D00`: instruction code not supported.
    case instructionNotSupported
    /// `6E00`: class not supported.
    case classNotSupported
    /// `66F1`: the My Number Card's answer to SET SESSION KEY (no secure messaging).
    case secureMessagingNotSupported
    /// Any other status word.
    case other(UInt16)

    /// Decodes a status word from SW1 and SW2.
    public init(sw1: UInt8, sw2: UInt8) {
        self.init(rawValue: UInt16(sw1) << 8 | UInt16(sw2))
    }

    /// Decodes a status word from its 16-bit value (`0x9000`, `0x63C2`, …).
    public init(rawValue: UInt16) {
        switch rawValue {
        case 0x9000: self = .success
        case 0x6282: self = .endOfFileReached
        case 0x6300: self = .verificationFailedNoCounter
        case 0x63C0...0x63CF: self = .triesRemaining(Int(rawValue & 0x000F))
        case 0x6700: self = .wrongLength
        case 0x6982: self = .securityStatusNotSatisfied
        case 0x6983: self = .authenticationMethodBlocked
        case 0x6984: self = .referenceDataNotUsable
        case 0x6986: self = .commandNotAllowed
        case 0x6A80: self = .incorrectData
        case 0x6A82: self = .fileNotFound
        case 0x6A86: self = .incorrectP1P2
        case 0x6A88: self = .referencedDataNotFound
        case 0x6B00: self = .wrongOffset
        case 0x6D00: self = .instructionNotSupported
        case 0x6E00: self = .classNotSupported
        case 0x66F1: self = .secureMessagingNotSupported
        default: self = .other(rawValue)
        }
    }

    /// The 16-bit value (`0x9000`, …). `triesRemaining` values outside 0…15 are clamped.
    public var rawValue: UInt16 {
        switch self {
        case .success: 0x9000
        case .endOfFileReached: 0x6282
        case .verificationFailedNoCounter: 0x6300
        case .triesRemaining(let n): 0x63C0 | UInt16(max(0, min(15, n)))
        case .wrongLength: 0x6700
        case .securityStatusNotSatisfied: 0x6982
        case .authenticationMethodBlocked: 0x6983
        case .referenceDataNotUsable: 0x6984
        case .commandNotAllowed: 0x6986
        case .incorrectData: 0x6A80
        case .fileNotFound: 0x6A82
        case .incorrectP1P2: 0x6A86
        case .referencedDataNotFound: 0x6A88
        case .wrongOffset: 0x6B00
        case .instructionNotSupported: 0x6D00
        case .classNotSupported: 0x6E00
        case .secureMessagingNotSupported: 0x66F1
        case .other(let v): v
        }
    }

    /// SW1.
    public var sw1: UInt8 { UInt8(rawValue >> 8) }
    /// SW2.
    public var sw2: UInt8 { UInt8(rawValue & 0xFF) }

    /// True for `9000` and the `62xx` warnings that still carry valid data.
    public var isSuccess: Bool { self == .success || self == .endOfFileReached }

    /// Four hexadecimal digits, e.g. `63C2`.
    public var description: String {
        let hex = String(rawValue, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    }
}
