import Foundation

/// A consent screen of the reader (顔認証付きカードリーダー), shown after the identity check.
///
/// Order on the reader: ``medicationAndCheckups`` → ``diagnosisAndOperation`` → ``limitInformation`` (only when
/// the clinic asks for 限度額 information; the national screen was removed on 2024-10-07, so it is off by default).
public enum ConsentScreen: String, Sendable, Hashable, Codable, CaseIterable {
    /// 薬剤情報・特定健診情報を医師等が閲覧することへの同意 (PharmacistsInfo, SpecificHealthCheckupsInfo).
    case medicationAndCheckups
    /// 診療情報・手術情報の閲覧同意 (DiagnosisInfo, OperationInfo).
    case diagnosisAndOperation
    /// 限度額適用認定証等情報の提供同意 (LimitApplicationCertificateRelated…).
    case limitInformation

    /// The screen's Japanese title.
    public var japaneseTitle: String {
        switch self {
        case .medicationAndCheckups: "薬剤情報・特定健診情報の閲覧同意"
        case .diagnosisAndOperation: "診療情報・手術情報の閲覧同意"
        case .limitInformation: "限度額情報の提供同意"
        }
    }
}

/// The patient's choice of prescription on the reader (PrescriptionIssueSelect).
public enum PrescriptionChoice: String, Sendable, Hashable, Codable, CaseIterable {
    /// `1`: 電子処方箋.
    case electronic
    /// `2`: 紙の処方箋.
    case paper
}

/// One answer on a reader screen and when it was given.
public struct TimedAnswer<Value: Sendable & Hashable & Codable>: Sendable, Hashable, Codable {
    /// The answer.
    public var value: Value
    /// When the patient answered.
    public var answeredAt: Date

    /// An answer given at `answeredAt`.
    public init(_ value: Value, at answeredAt: Date) {
        self.value = value
        self.answeredAt = answeredAt
    }
}

/// Everything the patient answered on the reader after the identity check, each with its time.
///
/// A nil answer means the screen was not shown.
public struct ReaderAnswers: Sendable, Hashable, Codable {
    /// 薬剤情報・特定健診情報: agreed or not.
    public var medicationAndCheckups: TimedAnswer<Bool>?
    /// 診療情報・手術情報: agreed or not.
    public var diagnosisAndOperation: TimedAnswer<Bool>?
    /// 限度額情報: agreed or not.
    public var limitInformation: TimedAnswer<Bool>?
    /// Electronic or paper prescription.
    public var prescription: TimedAnswer<PrescriptionChoice>?
    /// True when the viewing consents were given at once (包括同意, valid 24 h).
    public var comprehensive: Bool
    /// When the card was registered for insurance use (初回登録) during this reception, if it was.
    public var initialRegistration: Date?

    /// Creates the value from its fields (see each property).
    public init(
        medicationAndCheckups: TimedAnswer<Bool>? = nil, diagnosisAndOperation: TimedAnswer<Bool>? = nil,
        limitInformation: TimedAnswer<Bool>? = nil, prescription: TimedAnswer<PrescriptionChoice>? = nil,
        comprehensive: Bool = false, initialRegistration: Date? = nil
    ) {
        self.medicationAndCheckups = medicationAndCheckups
        self.diagnosisAndOperation = diagnosisAndOperation
        self.limitInformation = limitInformation
        self.prescription = prescription
        self.comprehensive = comprehensive
        self.initialRegistration = initialRegistration
    }

    /// The answer recorded for `screen`.
    public func answer(for screen: ConsentScreen) -> TimedAnswer<Bool>? {
        switch screen {
        case .medicationAndCheckups: medicationAndCheckups
        case .diagnosisAndOperation: diagnosisAndOperation
        case .limitInformation: limitInformation
        }
    }

    mutating func record(_ screen: ConsentScreen, _ answer: TimedAnswer<Bool>) {
        switch screen {
        case .medicationAndCheckups: medicationAndCheckups = answer
        case .diagnosisAndOperation: diagnosisAndOperation = answer
        case .limitInformation: limitInformation = answer
        }
    }
}

/// Which screens the reader shows after the identity check.
public struct ReaderScreenConfiguration: Sendable, Hashable {
    /// Show the viewing-consent screens (default false: the session ends at the identity check, as before).
    public var asksConsents: Bool
    /// Show the 限度額 consent screen too (only when ``asksConsents``).
    public var asksLimitInformation: Bool
    /// Ask for electronic or paper prescription.
    public var asksPrescription: Bool

    /// - Parameters:
    ///   - asksConsents: show the viewing-consent screens.
    ///   - asksLimitInformation: show the 限度額 screen (the clinic asks for it).
    ///   - asksPrescription: ask for the prescription choice.
    public init(asksConsents: Bool = false, asksLimitInformation: Bool = false, asksPrescription: Bool = false) {
        self.asksConsents = asksConsents
        self.asksLimitInformation = asksLimitInformation
        self.asksPrescription = asksPrescription
    }

    /// Only the identity check.
    public static let none = ReaderScreenConfiguration()
    /// The reader's full flow: both viewing-consent screens and the prescription choice (no 限度額 screen).
    public static let standard = ReaderScreenConfiguration(asksConsents: true, asksPrescription: true)

    /// The consent screens in reader order.
    public var consentScreens: [ConsentScreen] {
        guard asksConsents else { return [] }
        return asksLimitInformation
            ? [.medicationAndCheckups, .diagnosisAndOperation, .limitInformation]
            : [.medicationAndCheckups, .diagnosisAndOperation]
    }
}
