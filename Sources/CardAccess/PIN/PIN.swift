/// Why a PIN was rejected before anything was sent to the card (no try is spent).
public enum PINFormatError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The PIN must be exactly 4 characters; `count` were given.
    case wrongLength(count: Int)
    /// The character at `position` (0-based) is not an ASCII digit 0–9.
    case notADigit(position: Int)

    public var description: String {
        switch self {
        case .wrongLength(let n): "the PIN must be exactly 4 digits (\(n) character(s) were entered); no try was spent"
        case .notADigit(let p): "the PIN may contain only the digits 0-9 (character \(p + 1) is not); no try was spent"
        }
    }
}

/// The My Number Card's 4-digit user-authentication PIN (利用者証明用電子証明書の暗証番号).
///
/// The digits are held as ASCII in a ``SensitiveBytes`` buffer that ``wipe()`` zeroes, and that is zeroed
/// again when the last reference goes. The PIN never prints: `description`, `debugDescription` and
/// reflection (`dump`) are redacted.
///
/// A Swift `String` passed to ``init(_:)`` cannot itself be wiped; callers reading from a keypad or
/// standard input should use ``init(asciiBytes:)`` and wipe their own buffer.
public final class PIN: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The PIN length the card requires.
    public static let length = 4

    let digits: SensitiveBytes

    /// Validates and stores a PIN typed as text.
    ///
    /// - Throws: ``PINFormatError`` unless `text` is exactly 4 ASCII digits.
    public convenience init(_ text: String) throws(PINFormatError) {
        try self.init(asciiBytes: Array(text.utf8))
    }

    /// Validates and stores a PIN given as ASCII bytes (`0x30`…`0x39`). The caller should zero `asciiBytes`.
    ///
    /// - Throws: ``PINFormatError`` unless there are exactly 4 ASCII digits.
    public init(asciiBytes: some Collection<UInt8>) throws(PINFormatError) {
        guard asciiBytes.count == Self.length else { throw .wrongLength(count: asciiBytes.count) }
        for (i, b) in asciiBytes.enumerated() where !(0x30...0x39).contains(b) { throw .notADigit(position: i) }
        digits = SensitiveBytes(copying: asciiBytes)
    }

    /// Zeroes the digits. A wiped PIN can no longer be verified.
    public func wipe() { digits.wipe() }

    /// True once ``wipe()`` ran.
    public var isWiped: Bool { digits.isWiped }

    /// Always `PIN(****)`.
    public var description: String { "PIN(****)" }
    /// Always `PIN(****)`.
    public var debugDescription: String { description }
    /// No children: `dump` shows nothing of the digits.
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .class) }
}
