import Foundation
import Reception

/// One consent answer the patient gave on the reader's consent screen: the flag and when it was given.
public struct ConsentRecord: Sendable, Hashable {
    /// Agreed or not (…ConsFlg).
    public var flag: ConsentFlag
    /// When the patient answered (…ConsTime, `YYYYMMDDHHmmss` JST).
    public var time: OQSTimestamp?
    /// Until when viewing is allowed (…AvailableTime), results only.
    public var availableTime: OQSTimestamp?

    /// Creates the value from its fields (see each property for units and formats).
    public init(flag: ConsentFlag, time: OQSTimestamp?, availableTime: OQSTimestamp? = nil) {
        self.flag = flag
        self.time = time
        self.availableTime = availableTime
    }
}

/// A consent answer as the reader captured it.
public struct ConsentAnswer: Sendable, Hashable {
    /// True when the patient agreed.
    public var agreed: Bool
    /// When the patient answered.
    public var answeredAt: Date

    /// Creates the value from its fields (see each property for units and formats).
    public init(agreed: Bool, answeredAt: Date) {
        self.agreed = agreed
        self.answeredAt = answeredAt
    }
}

/// The viewing consents asked on the reader (since 2024-10 a 包括同意, valid 24 h).
/// A nil answer means the question was not asked, and nothing is sent for it.
public struct PatientConsents: Sendable, Hashable {
    /// 薬剤情報 (PharmacistsInfo).
    public var medication: ConsentAnswer?
    /// 特定健診情報 (SpecificHealthCheckupsInfo).
    public var specificHealthCheckups: ConsentAnswer?
    /// 診療情報 (DiagnosisInfo).
    public var diagnosis: ConsentAnswer?
    /// 手術情報 (OperationInfo).
    public var operation: ConsentAnswer?

    /// Creates the value from its fields (see each property for units and formats).
    public init(
        medication: ConsentAnswer? = nil, specificHealthCheckups: ConsentAnswer? = nil,
        diagnosis: ConsentAnswer? = nil, operation: ConsentAnswer? = nil
    ) {
        self.medication = medication
        self.specificHealthCheckups = specificHealthCheckups
        self.diagnosis = diagnosis
        self.operation = operation
    }

    /// All four answered the same way at `time`.
    public static func all(agreed: Bool, at time: Date) -> PatientConsents {
        let answer = ConsentAnswer(agreed: agreed, answeredAt: time)
        return PatientConsents(medication: answer, specificHealthCheckups: answer, diagnosis: answer, operation: answer)
    }

    /// Nothing asked.
    public static let none = PatientConsents()
}

/// The consents as they travel in the request (flags and JST times).
public struct ConsentRecords: Sendable, Hashable {
    /// 薬剤情報閲覧同意.
    public var pharmacistsInfo: ConsentRecord?
    /// 特定健診情報閲覧同意.
    public var specificHealthCheckupsInfo: ConsentRecord?
    /// 診療情報閲覧同意.
    public var diagnosisInfo: ConsentRecord?
    /// 手術情報閲覧同意.
    public var operationInfo: ConsentRecord?

    /// Creates the value from its fields (see each property for units and formats).
    public init(
        pharmacistsInfo: ConsentRecord? = nil, specificHealthCheckupsInfo: ConsentRecord? = nil,
        diagnosisInfo: ConsentRecord? = nil, operationInfo: ConsentRecord? = nil
    ) {
        self.pharmacistsInfo = pharmacistsInfo
        self.specificHealthCheckupsInfo = specificHealthCheckupsInfo
        self.diagnosisInfo = diagnosisInfo
        self.operationInfo = operationInfo
    }

    init(_ consents: PatientConsents, timeZone: TimeZone) {
        func record(_ answer: ConsentAnswer?) -> ConsentRecord? {
            answer.map {
                ConsentRecord(flag: ConsentFlag($0.agreed), time: OQSTimestamp($0.answeredAt, timeZone: timeZone))
            }
        }
        self.init(
            pharmacistsInfo: record(consents.medication),
            specificHealthCheckupsInfo: record(consents.specificHealthCheckups),
            diagnosisInfo: record(consents.diagnosis), operationInfo: record(consents.operation))
    }
}

/// How the identity behind a request was confirmed at the reader. The real OQS XML has no field for this, so it is
/// never written into a document: it stays with the request in memory (and in the session's own record and log).
public struct IdentityVerificationRecord: Sendable, Hashable {
    /// Face, PIN or visual (目視).
    public let method: VerificationMethod
    /// True when a proxy (guardian, carer) acted for the patient.
    public let isProxy: Bool
    /// When the identity was confirmed (JST).
    public let verifiedAt: OQSTimestamp
    /// The staff member's identifier for a visual check.
    public let staffID: String?

    init(method: VerificationMethod, isProxy: Bool, verifiedAt: OQSTimestamp, staffID: String?) {
        self.method = method
        self.isProxy = isProxy
        self.verifiedAt = verifiedAt
        self.staffID = staffID
    }
}

/// The numbers printed on a health-insurance card (the 被保険者証 route, ReferenceClassification 2).
public struct InsuranceCardNumber: Sendable, Hashable {
    /// 保険者番号: 6 or 8 digits.
    public var insurerNumber: String
    /// 被保険者証記号 (may be empty).
    public var symbol: String?
    /// 被保険者証番号.
    public var number: String
    /// 被保険者証枝番: 2 digits, when the card has one.
    public var branch: String?

    /// Creates the value from its fields (see each property for units and formats).
    public init(insurerNumber: String, symbol: String?, number: String, branch: String?) {
        self.insurerNumber = insurerNumber
        self.symbol = symbol
        self.number = number
        self.branch = branch
    }
}

/// A qualification-check request (資格確認照会), modelled on the OQS fields.
///
/// The document carries the header and the search key (QualificationConfirmSearchInfo) only. The reader's
/// consents and how the identity was verified are not request fields in any known integration: they stay in
/// memory (``consents``, ``verification``) for an in-process terminal, and are nil/empty in a decoded request.
///
/// There is no public initializer that does not start from a ``VerifiedIdentity``: build one with
/// ``QualificationClient/request(for:consents:insurance:now:fileIdentifier:)``. Every stored property is
/// read-only, so a request cannot be re-pointed at another person or verification after it was built.
/// (A responder receives requests through ``QualificationXMLCodec/decodeRequest(_:)``.)
public struct QualificationRequest: Sendable, Hashable {
    // MARK: header
    /// 処理実行日時 (JST).
    public let processExecutionTime: OQSTimestamp
    /// 資格確認日: the day eligibility is asked for.
    public let qualificationConfirmationDate: CalendarDate
    /// 医療機関コード (10 digits).
    public let medicalInstitutionCode: String
    /// 任意のファイル識別子: free text of 1–64 characters (no control characters); file names carry it only
    /// escaped (``OQSFileNames/token(for:)``).
    public let arbitraryFileIdentifier: String
    /// 照会区分.
    public let referenceClassification: ReferenceClassification

    // MARK: search key
    /// 保険者番号 (insurance-card route).
    public let insurerNumber: String?
    /// 被保険者証記号.
    public let insuredCardSymbol: String?
    /// 被保険者証番号.
    public let insuredIdentificationNumber: String?
    /// 被保険者証枝番.
    public let insuredBranchNumber: String?
    /// 生年月日.
    public let birthdate: CalendarDate?
    /// The card-holder key of the card route (see ``CardHolderKeyPolicy``); nil on the insurance-card route.
    public let cardHolderKey: String?
    /// 限度額適用認定証提供同意フラグ of the search key (required in the document; 0 when not asked).
    public let limitApplicationCertificateRelatedConsFlg: ConsentFlag
    /// 任意の識別子 of the search key (free text, at most 64 characters).
    public let arbitraryIdentifier: String?

    // MARK: in memory only (never written into the document)
    /// The viewing consents given at the reader (empty in a decoded request).
    public let consents: ConsentRecords
    /// How the identity was confirmed (nil in a decoded request).
    public let verification: IdentityVerificationRecord?

    /// The search key as the document carries it.
    public var searchInfo: QualificationConfirmSearchInfo {
        QualificationConfirmSearchInfo(
            insurerNumber: insurerNumber, insuredCardSymbol: insuredCardSymbol,
            insuredIdentificationNumber: insuredIdentificationNumber,
            insuredBranchNumber: insuredBranchNumber, birthdate: birthdate,
            limitApplicationCertificateRelatedConsFlg: limitApplicationCertificateRelatedConsFlg,
            arbitraryIdentifier: arbitraryIdentifier)
    }

    init(
        processExecutionTime: OQSTimestamp, qualificationConfirmationDate: CalendarDate,
        medicalInstitutionCode: String, arbitraryFileIdentifier: String,
        referenceClassification: ReferenceClassification,
        insurerNumber: String?, insuredCardSymbol: String?, insuredIdentificationNumber: String?,
        insuredBranchNumber: String?, birthdate: CalendarDate?, cardHolderKey: String?,
        limitApplicationCertificateRelatedConsFlg: ConsentFlag = .notAgreed, arbitraryIdentifier: String? = nil,
        consents: ConsentRecords, verification: IdentityVerificationRecord?
    ) {
        self.limitApplicationCertificateRelatedConsFlg = limitApplicationCertificateRelatedConsFlg
        self.arbitraryIdentifier = arbitraryIdentifier
        self.processExecutionTime = processExecutionTime
        self.qualificationConfirmationDate = qualificationConfirmationDate
        self.medicalInstitutionCode = medicalInstitutionCode
        self.arbitraryFileIdentifier = arbitraryFileIdentifier
        self.referenceClassification = referenceClassification
        self.insurerNumber = insurerNumber
        self.insuredCardSymbol = insuredCardSymbol
        self.insuredIdentificationNumber = insuredIdentificationNumber
        self.insuredBranchNumber = insuredBranchNumber
        self.birthdate = birthdate
        self.cardHolderKey = cardHolderKey
        self.consents = consents
        self.verification = verification
    }
}

/// True when `text` is an acceptable free-form identifier: 1…64 characters, none of them a control character.
/// (Such identifiers, e.g. `ArnHCeDfNjMCFzg=`, reach file names only through ``OQSFileNames/token(for:)``.)
func isAcceptableIdentifier(_ text: String) -> Bool {
    guard (1...64).contains(text.count), text.utf8.count <= 256 else { return false }
    return !text.unicodeScalars.contains { $0.properties.generalCategory == .control }
}
