/// A card holder's sex as the card stores it (DF23): one ASCII digit, JIS X 0303.
public enum Sex: UInt8, Sendable, Codable, CaseIterable, CustomStringConvertible {
    /// 0: not known.
    case notKnown = 0
    /// 1: male.
    case male = 1
    /// 2: female.
    case female = 2
    /// 9: not applicable.
    case notApplicable = 9

    /// The JIS X 0303 code as one ASCII digit (`"1"` for male).
    public var code: String { String(rawValue) }

    /// The sex of a JIS X 0303 code (`"0"`, `"1"`, `"2"`, `"9"`); nil for anything else.
    public init?(code: String) {
        guard code.utf8.count == 1, let digit = UInt8(code), let sex = Sex(rawValue: digit) else { return nil }
        self = sex
    }

    public var description: String {
        switch self {
        case .notKnown: "not known"
        case .male: "male"
        case .female: "female"
        case .notApplicable: "not applicable"
        }
    }
}
