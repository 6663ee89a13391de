import Foundation

// Coded values of the オンライン資格確認 (OQS) exchange.
//
// Codes are the strings the XML carries. Every enum keeps a code it does not know in
// `.unrecognized(code)`, so a newer terminal that adds a code never makes a result undecodable,
// and re-encoding writes the same code back.

/// A value the OQS XML carries as a short code string.
public protocol OQSCodedValue: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Creates the value for `code`; unknown codes are kept, never rejected.
    init(code: String)
    /// The code exactly as the XML carries it.
    var code: String { get }
}

extension OQSCodedValue {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        self.init(code: try container.decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(code)
    }
}

/// 照会区分: how the patient is looked up.
public enum ReferenceClassification: OQSCodedValue {
    /// `1`: マイナンバーカード — the card route (the real key is the JPKI certificate; see ``CardHolderKeyPolicy``).
    case myNumberCard
    /// `2`: 被保険者証情報 — insurer number, symbol, number, branch and birth date.
    case insuranceCard
    /// A code this version does not know.
    case unrecognized(String)

    /// The value for `code`; a code not listed above becomes `.unrecognized(code)`.
    public init(code: String) {
        switch code {
        case "1": self = .myNumberCard
        case "2": self = .insuranceCard
        default: self = .unrecognized(code)
        }
    }

    public var code: String {
        switch self {
        case .myNumberCard: "1"
        case .insuranceCard: "2"
        case .unrecognized(let code): code
        }
    }

    public var description: String {
        switch self {
        case .myNumberCard: "1 (My Number Card)"
        case .insuranceCard: "2 (insurance card number)"
        case .unrecognized(let code): "\(code) (unrecognized reference classification)"
        }
    }
}

/// 処理結果区分 in the message header: whether the terminal processed the request file at all.
public enum SegmentOfResult: OQSCodedValue {
    /// `1`: 正常終了.
    case normal
    /// `2`: 処理中.
    case processing
    /// `9`: 異常終了 (some parsers document `3`; it arrives as `.unrecognized("3")` and is treated as an error).
    case error
    /// A code this version does not know.
    case unrecognized(String)

    /// The value for `code`; a code not listed above becomes `.unrecognized(code)`.
    public init(code: String) {
        switch code {
        case "1": self = .normal
        case "2": self = .processing
        case "9": self = .error
        default: self = .unrecognized(code)
        }
    }

    public var code: String {
        switch self {
        case .normal: "1"
        case .processing: "2"
        case .error: "9"
        case .unrecognized(let code): code
        }
    }

    public var description: String {
        switch self {
        case .normal: "1 (normal end)"
        case .processing: "2 (processing)"
        case .error: "9 (abnormal end)"
        case .unrecognized(let code): "\(code) (unrecognized segment of result)"
        }
    }
}

/// 処理結果状況 (OQSCD004): the per-person processing status in the body.
public enum ProcessingResultStatus: OQSCodedValue {
    /// `1`: 正常終了.
    case normal
    /// `2`: 異常終了.
    case error
    /// A code this version does not know.
    case unrecognized(String)

    /// The value for `code`; a code not listed above becomes `.unrecognized(code)`.
    public init(code: String) {
        switch code {
        case "1": self = .normal
        case "2": self = .error
        default: self = .unrecognized(code)
        }
    }

    public var code: String {
        switch self {
        case .normal: "1"
        case .error: "2"
        case .unrecognized(let code): code
        }
    }

    public var description: String {
        switch self {
        case .normal: "1 (normal)"
        case .error: "2 (error)"
        case .unrecognized(let code): "\(code) (unrecognized processing status)"
        }
    }
}

/// 資格有効性 (OQSCD006): the answer to "is this person insured today?".
public enum QualificationValidity: OQSCodedValue {
    /// `1`: 有効 — valid on the confirmation date.
    case valid
    /// `2`: 無効 — the qualification found is not valid on the confirmation date (lost, or not yet started).
    case invalid
    /// `3`: 無効(新しい資格あり) — the queried qualification is invalid, but the person holds a newer valid one.
    case invalidWithNewQualification
    /// `4`: 該当資格なし — nobody matches the key.
    case notFound
    /// `5`: 複数該当 — more than one person or valid qualification matches.
    case severalFound
    /// `6`: 有効(未登録) — medical assistance (医療扶助) only.
    case validUnregistered
    /// A code this version does not know.
    case unrecognized(String)

    /// The value for `code`; a code not listed above becomes `.unrecognized(code)`.
    public init(code: String) {
        switch code {
        case "1": self = .valid
        case "2": self = .invalid
        case "3": self = .invalidWithNewQualification
        case "4": self = .notFound
        case "5": self = .severalFound
        case "6": self = .validUnregistered
        default: self = .unrecognized(code)
        }
    }

    public var code: String {
        switch self {
        case .valid: "1"
        case .invalid: "2"
        case .invalidWithNewQualification: "3"
        case .notFound: "4"
        case .severalFound: "5"
        case .validUnregistered: "6"
        case .unrecognized(let code): code
        }
    }

    public var description: String {
        switch self {
        case .valid: "1 valid (有効)"
        case .invalid: "2 invalid (無効)"
        case .invalidWithNewQualification: "3 invalid, newer qualification exists (無効・新しい資格あり)"
        case .notFound: "4 not found (該当資格なし)"
        case .severalFound: "5 several found (複数該当)"
        case .validUnregistered: "6 valid, unregistered (有効・未登録)"
        case .unrecognized(let code): "\(code) (unrecognized qualification validity)"
        }
    }
}

/// 被保険者証区分: the kind of insurance certificate (codes as the OQS result carries them).
public enum InsuredCardClassification: OQSCodedValue {
    /// `01`: 被保険者証(一般).
    case general
    /// `02`: 被保険者証(退職).
    case retired
    /// `03`: 短期被保険者証(一般).
    case shortTermGeneral
    /// `04`: 短期被保険者証(退職).
    case shortTermRetired
    /// `05`: 被保険者資格証明書.
    case qualificationCertificate
    /// `06`: 特例退職被保険者証.
    case specialRetired
    /// `07`: 自衛官診療証.
    case selfDefenseForces
    /// `A1`: 医療扶助 (medical assistance).
    case medicalAssistance
    /// A code this version does not know (kept as given).
    case unrecognized(String)

    /// The value for `code`; a code not listed above becomes `.unrecognized(code)`.
    public init(code: String) {
        switch code {
        case "01": self = .general
        case "02": self = .retired
        case "03": self = .shortTermGeneral
        case "04": self = .shortTermRetired
        case "05": self = .qualificationCertificate
        case "06": self = .specialRetired
        case "07": self = .selfDefenseForces
        case "A1": self = .medicalAssistance
        default: self = .unrecognized(code)
        }
    }

    public var code: String {
        switch self {
        case .general: "01"
        case .retired: "02"
        case .shortTermGeneral: "03"
        case .shortTermRetired: "04"
        case .qualificationCertificate: "05"
        case .specialRetired: "06"
        case .selfDefenseForces: "07"
        case .medicalAssistance: "A1"
        case .unrecognized(let code): code
        }
    }

    /// The Japanese name of a known code.
    public var japaneseName: String? {
        switch self {
        case .general: "被保険者証(一般)"
        case .retired: "被保険者証(退職)"
        case .shortTermGeneral: "短期被保険者証(一般)"
        case .shortTermRetired: "短期被保険者証(退職)"
        case .qualificationCertificate: "被保険者資格証明書"
        case .specialRetired: "特例退職被保険者証"
        case .selfDefenseForces: "自衛官診療証"
        case .medicalAssistance: "医療扶助"
        case .unrecognized: nil
        }
    }

    public var description: String { "insured card classification \(code)" }
}

/// 本人・家族の別.
public enum PersonalFamilyClassification: OQSCodedValue {
    /// `1`: 本人 — the insured person.
    case insuredPerson
    /// `2`: 家族 — a dependant.
    case dependant
    /// A code this version does not know.
    case unrecognized(String)

    /// The value for `code`; a code not listed above becomes `.unrecognized(code)`.
    public init(code: String) {
        switch code {
        case "1": self = .insuredPerson
        case "2": self = .dependant
        default: self = .unrecognized(code)
        }
    }

    public var code: String {
        switch self {
        case .insuredPerson: "1"
        case .dependant: "2"
        case .unrecognized(let code): code
        }
    }

    public var description: String {
        switch self {
        case .insuredPerson: "1 (insured person, 本人)"
        case .dependant: "2 (dependant, 家族)"
        case .unrecognized(let code): "\(code) (unrecognized personal/family classification)"
        }
    }
}

/// 性別1 / 性別2 in the OQS result.
public enum OQSSex: OQSCodedValue {
    /// `1`: 男.
    case male
    /// `2`: 女.
    case female
    /// `3`: 未設定.
    case notSet
    /// A code this version does not know.
    case unrecognized(String)

    /// The value for `code`; a code not listed above becomes `.unrecognized(code)`.
    public init(code: String) {
        switch code {
        case "1": self = .male
        case "2": self = .female
        case "3": self = .notSet
        default: self = .unrecognized(code)
        }
    }

    public var code: String {
        switch self {
        case .male: "1"
        case .female: "2"
        case .notSet: "3"
        case .unrecognized(let code): code
        }
    }

    public var description: String {
        switch self {
        case .male: "male"
        case .female: "female"
        case .notSet: "not set"
        case .unrecognized(let code): "sex code \(code)"
        }
    }
}

/// A consent flag (…ConsFlg): `0` not agreed, `1` agreed.
public enum ConsentFlag: OQSCodedValue {
    /// `0`: 未同意.
    case notAgreed
    /// `1`: 同意.
    case agreed
    /// A code this version does not know.
    case unrecognized(String)

    /// The value for `code`; a code not listed above becomes `.unrecognized(code)`.
    public init(code: String) {
        switch code {
        case "0": self = .notAgreed
        case "1": self = .agreed
        default: self = .unrecognized(code)
        }
    }

    /// `.agreed` for true, `.notAgreed` for false.
    public init(_ agreed: Bool) { self = agreed ? .agreed : .notAgreed }

    public var code: String {
        switch self {
        case .notAgreed: "0"
        case .agreed: "1"
        case .unrecognized(let code): code
        }
    }

    public var description: String {
        switch self {
        case .notAgreed: "not agreed"
        case .agreed: "agreed"
        case .unrecognized(let code): "consent code \(code)"
        }
    }
}

/// 限度額適用認定証適用区分: the high-cost-care limit class.
///
/// `A01`–`A06` are the under-70 classes ア, イ, ウ, エ, オ, オ(境); `B01`–`B10` the 70-and-over classes from
/// 現役並みⅢ (`B01`) to 一般Ⅰ (`B10`) (OQSCD012). Only these code ranges are recognised.
public enum LimitApplicationClass: OQSCodedValue {
    /// `A0n`, n in 1…6.
    case underSeventy(Int)
    /// `B01`…`B10`, n in 1…10.
    case seventyAndOver(Int)
    /// A code this version does not know.
    case unrecognized(String)

    /// The value for `code`; a code not listed above becomes `.unrecognized(code)`.
    public init(code: String) {
        let bytes = Array(code.utf8)
        if bytes.count == 3, let n = Int(String(decoding: bytes[1...], as: UTF8.self)),
            bytes[1...].allSatisfy({ $0 >= 0x30 && $0 <= 0x39 })
        {
            if bytes[0] == UInt8(ascii: "A"), (1...6).contains(n) {
                self = .underSeventy(n)
                return
            }
            if bytes[0] == UInt8(ascii: "B"), (1...10).contains(n) {
                self = .seventyAndOver(n)
                return
            }
        }
        self = .unrecognized(code)
    }

    public var code: String {
        switch self {
        case .underSeventy(let n): "A" + (n < 10 ? "0\(n)" : "\(n)")
        case .seventyAndOver(let n): "B" + (n < 10 ? "0\(n)" : "\(n)")
        case .unrecognized(let code): code
        }
    }

    /// The Japanese class name where the sources give one (ア…オ(境), 現役並みⅢ, 一般Ⅰ).
    public var japaneseName: String? {
        switch self {
        case .underSeventy(let n): ["ア", "イ", "ウ", "エ", "オ", "オ(境)"][n - 1]
        case .seventyAndOver(let n):
            ["現役並みⅢ", "現役並みⅡ", "現役並みⅠ", "一般", "低所得Ⅱ", "低所得Ⅰ", "低所得Ⅰ(老福)", "低所得Ⅰ(境)", "一般Ⅱ", "一般Ⅰ"][n - 1]
        case .unrecognized: nil
        }
    }

    public var description: String {
        if let name = japaneseName { return "\(code) (\(name))" }
        return code
    }
}

/// 一部負担金割合: the patient's co-payment share, carried as three digits in percent ("010" = 1割 = 10 %).
public struct ContributionRatio: OQSCodedValue {
    public let code: String

    /// The value for `code`; a code not listed above becomes `.unrecognized(code)`.
    public init(code: String) { self.code = code }

    /// The ratio for a whole percentage (10 → "010").
    public init(percent: Int) {
        let clamped = max(0, min(percent, 999))
        let digits = String(clamped)
        self.code = String(repeating: "0", count: max(0, 3 - digits.count)) + digits
    }

    /// The share in percent (10 for "010"), or nil when the code is not three digits.
    public var percent: Int? {
        guard code.utf8.count == 3, code.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return Int(code)
    }

    public var description: String {
        if let percent { return "\(percent)%" }
        return "ratio code \(code)"
    }
}
