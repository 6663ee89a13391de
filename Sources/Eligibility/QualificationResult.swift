import Foundation

/// The message header of a result file (MessageHeader).
public struct ResultHeader: Sendable, Hashable {
    /// 処理実行日時.
    public var processExecutionTime: OQSTimestamp?
    /// 資格確認日.
    public var qualificationConfirmationDate: CalendarDate?
    /// 医療機関コード.
    public var medicalInstitutionCode: String?
    /// 任意のファイル識別子 — matches the request's.
    public var arbitraryFileIdentifier: String?
    /// 照会区分.
    public var referenceClassification: ReferenceClassification?
    /// 処理結果区分.
    public var segmentOfResult: SegmentOfResult
    /// エラーコード, when SegmentOfResult is not 1.
    public var errorCode: String?
    /// エラーメッセージ.
    public var errorMessage: String?
    /// 文字コード識別: 0 UTF-8, 1 Shift_JIS.
    public var characterCodeIdentifier: String?

    /// Creates the value from its fields (see each property for units and formats).
    public init(
        processExecutionTime: OQSTimestamp? = nil, qualificationConfirmationDate: CalendarDate? = nil,
        medicalInstitutionCode: String? = nil, arbitraryFileIdentifier: String? = nil,
        referenceClassification: ReferenceClassification? = nil, segmentOfResult: SegmentOfResult,
        errorCode: String? = nil, errorMessage: String? = nil, characterCodeIdentifier: String? = "0"
    ) {
        self.processExecutionTime = processExecutionTime
        self.qualificationConfirmationDate = qualificationConfirmationDate
        self.medicalInstitutionCode = medicalInstitutionCode
        self.arbitraryFileIdentifier = arbitraryFileIdentifier
        self.referenceClassification = referenceClassification
        self.segmentOfResult = segmentOfResult
        self.errorCode = errorCode
        self.errorMessage = errorMessage
        self.characterCodeIdentifier = characterCodeIdentifier
    }
}

/// 高齢受給者証情報 (70–74).
public struct ElderlyRecipientCertificateInfo: Sendable, Hashable {
    /// 交付年月日.
    public var certificateDate: CalendarDate?
    /// 有効開始年月日.
    public var validStartDate: CalendarDate?
    /// 有効終了年月日.
    public var validEndDate: CalendarDate?
    /// 一部負担金割合.
    public var contributionRatio: ContributionRatio?

    /// Creates the value from its fields (see each property for units and formats).
    public init(
        certificateDate: CalendarDate? = nil, validStartDate: CalendarDate? = nil,
        validEndDate: CalendarDate? = nil, contributionRatio: ContributionRatio? = nil
    ) {
        self.certificateDate = certificateDate
        self.validStartDate = validStartDate
        self.validEndDate = validEndDate
        self.contributionRatio = contributionRatio
    }
}

/// 限度額適用認定証関連情報.
public struct LimitApplicationCertificateInfo: Sendable, Hashable {
    /// 限度額適用認定証区分 (01–03; unknown codes kept).
    public var classification: LimitCertificateKind?
    /// 限度額適用認定証適用区分 (A01–A06, B01–B10).
    public var classificationFlag: LimitApplicationClass?
    /// 交付年月日.
    public var certificateDate: CalendarDate?
    /// 有効開始年月日.
    public var validStartDate: CalendarDate?
    /// 有効終了年月日.
    public var validEndDate: CalendarDate?
    /// 長期入院該当年月日.
    public var longTermDate: CalendarDate?

    /// Creates the value from its fields (see each property for units and formats).
    public init(
        classification: LimitCertificateKind? = nil, classificationFlag: LimitApplicationClass?,
        certificateDate: CalendarDate? = nil, validStartDate: CalendarDate? = nil, validEndDate: CalendarDate? = nil,
        longTermDate: CalendarDate? = nil
    ) {
        self.longTermDate = longTermDate
        self.classification = classification
        self.classificationFlag = classificationFlag
        self.certificateDate = certificateDate
        self.validStartDate = validStartDate
        self.validEndDate = validEndDate
    }
}

/// One qualification found (ResultOfQualificationConfirmation).
public struct QualificationRecord: Sendable, Hashable {
    /// 被保険者証区分.
    public var insuredCardClassification: InsuredCardClassification?
    /// 保険者番号.
    public var insurerNumber: String?
    /// 保険者名称.
    public var insurerName: String?
    /// 被保険者証記号.
    public var insuredCardSymbol: String?
    /// 被保険者証番号.
    public var insuredIdentificationNumber: String?
    /// 被保険者証枝番.
    public var insuredBranchNumber: String?
    /// 本人・家族の別.
    public var personalFamilyClassification: PersonalFamilyClassification?
    /// 被保険者氏名(世帯主氏名).
    public var insuredName: String?
    /// 氏名.
    public var name: String?
    /// 氏名カナ.
    public var nameKana: String?
    /// 性別1.
    public var sex1: OQSSex?
    /// 性別2.
    public var sex2: OQSSex?
    /// 生年月日.
    public var birthdate: CalendarDate?
    /// 資格取得年月日.
    public var qualificationDate: CalendarDate?
    /// 資格喪失年月日 (the first day the qualification no longer holds).
    public var disqualificationDate: CalendarDate?
    /// 被保険者証一部負担金割合 ("010" = 10 %).
    public var insuredPartialContributionRatio: ContributionRatio?
    /// 高齢受給者証情報.
    public var elderlyRecipientCertificate: ElderlyRecipientCertificateInfo?
    /// 限度額適用認定証提供同意 (flag and time).
    public var limitApplicationCertificateConsent: ConsentRecord?
    /// 限度額適用認定証関連情報.
    public var limitApplicationCertificate: LimitApplicationCertificateInfo?
    /// 特定健診情報閲覧同意.
    public var specificHealthCheckupsInfoConsent: ConsentRecord?
    /// 薬剤情報閲覧同意.
    public var pharmacistsInfoConsent: ConsentRecord?
    /// 診療情報閲覧同意.
    public var diagnosisInfoConsent: ConsentRecord?
    /// 手術情報閲覧同意.
    public var operationInfoConsent: ConsentRecord?
    /// 氏名(その他) — a second registered name (旧姓, 通称).
    public var nameOfOther: String?
    /// 氏名(その他)カナ.
    public var nameOfOtherKana: String?
    /// 住所.
    public var address: String?
    /// 郵便番号.
    public var postNumber: String?
    /// 被保険者証交付年月日.
    public var insuredCertificateIssuanceDate: CalendarDate?
    /// 被保険者証有効開始年月日.
    public var insuredCardValidDate: CalendarDate?
    /// 被保険者証有効終了年月日.
    public var insuredCardExpirationDate: CalendarDate?
    /// 未就学区分.
    public var preschoolClassification: PreschoolClassification?
    /// 資格喪失事由.
    public var reasonOfLoss: ReasonOfLoss?
    /// 特定疾病療養受療証提供同意 (flag 0/1/2 and time).
    public var specificDiseasesConsentFlag: SpecificDiseasesConsentFlag?
    /// 特定疾病療養受療証提供同意日時.
    public var specificDiseasesConsentTime: OQSTimestamp?
    /// 特定疾病療養受療証 (SpecificDiseasesCertificateList).
    public var specificDiseasesCertificates: [SpecificDiseasesCertificate] = []
    /// 医療券 (PublicExpenseResultList/MedicalTicketInfo), 医療扶助 only.
    public var medicalTickets: [MedicalTicketInfo] = []

    /// Creates the value from its fields (see each property for units and formats).
    public init(
        insuredCardClassification: InsuredCardClassification? = nil, insurerNumber: String? = nil,
        insurerName: String? = nil, insuredCardSymbol: String? = nil, insuredIdentificationNumber: String? = nil,
        insuredBranchNumber: String? = nil, personalFamilyClassification: PersonalFamilyClassification? = nil,
        insuredName: String? = nil, name: String? = nil, nameKana: String? = nil, sex1: OQSSex? = nil,
        sex2: OQSSex? = nil, birthdate: CalendarDate? = nil, qualificationDate: CalendarDate? = nil,
        disqualificationDate: CalendarDate? = nil, insuredPartialContributionRatio: ContributionRatio? = nil,
        elderlyRecipientCertificate: ElderlyRecipientCertificateInfo? = nil,
        limitApplicationCertificateConsent: ConsentRecord? = nil,
        limitApplicationCertificate: LimitApplicationCertificateInfo? = nil,
        specificHealthCheckupsInfoConsent: ConsentRecord? = nil, pharmacistsInfoConsent: ConsentRecord? = nil,
        diagnosisInfoConsent: ConsentRecord? = nil, operationInfoConsent: ConsentRecord? = nil
    ) {
        self.insuredCardClassification = insuredCardClassification
        self.insurerNumber = insurerNumber
        self.insurerName = insurerName
        self.insuredCardSymbol = insuredCardSymbol
        self.insuredIdentificationNumber = insuredIdentificationNumber
        self.insuredBranchNumber = insuredBranchNumber
        self.personalFamilyClassification = personalFamilyClassification
        self.insuredName = insuredName
        self.name = name
        self.nameKana = nameKana
        self.sex1 = sex1
        self.sex2 = sex2
        self.birthdate = birthdate
        self.qualificationDate = qualificationDate
        self.disqualificationDate = disqualificationDate
        self.insuredPartialContributionRatio = insuredPartialContributionRatio
        self.elderlyRecipientCertificate = elderlyRecipientCertificate
        self.limitApplicationCertificateConsent = limitApplicationCertificateConsent
        self.limitApplicationCertificate = limitApplicationCertificate
        self.specificHealthCheckupsInfoConsent = specificHealthCheckupsInfoConsent
        self.pharmacistsInfoConsent = pharmacistsInfoConsent
        self.diagnosisInfoConsent = diagnosisInfoConsent
        self.operationInfoConsent = operationInfoConsent
    }
}

/// A qualification-check result (資格確認結果), as the OQS result XML carries it.
public struct QualificationResult: Sendable, Hashable {
    /// The message header.
    public var header: ResultHeader
    /// 処理結果状況.
    public var processingResultStatus: ProcessingResultStatus?
    /// 処理結果コード.
    public var processingResultCode: String?
    /// 処理結果メッセージ (show as is).
    public var processingResultMessage: String?
    /// 資格有効性.
    public var validity: QualificationValidity?
    /// 処方箋発行形態 (the patient's choice on the reader).
    public var prescriptionIssueSelect: PrescriptionIssueSelect?
    /// The search key echoed back (insurance-card route).
    public var searchInfo: QualificationConfirmSearchInfo?
    /// The qualifications found (ResultList). For ``QualificationValidity/invalidWithNewQualification`` from the
    /// local registry, the queried (invalid) one comes first and the newer valid one second.
    public var qualifications: [QualificationRecord]

    /// Creates the value from its fields (see each property for units and formats).
    public init(
        header: ResultHeader, processingResultStatus: ProcessingResultStatus? = nil,
        processingResultCode: String? = nil, processingResultMessage: String? = nil,
        validity: QualificationValidity? = nil, qualifications: [QualificationRecord] = []
    ) {
        self.header = header
        self.processingResultStatus = processingResultStatus
        self.processingResultCode = processingResultCode
        self.processingResultMessage = processingResultMessage
        self.validity = validity
        self.qualifications = qualifications
    }

    /// The first qualification found, if any.
    public var qualification: QualificationRecord? { qualifications.first }

    /// True when the terminal says it is still processing (SegmentOfResult 2, 処理中): not an error; look again.
    public var isProcessing: Bool { header.segmentOfResult == .processing }

    /// True when the patient may be treated as insured (validity 1, or 6 for medical assistance).
    public var isEligible: Bool {
        guard header.segmentOfResult == .normal else { return false }
        switch validity {
        case .valid?, .validUnregistered?: return true
        default: return false
        }
    }
}

extension QualificationResult: CustomStringConvertible {
    /// A one-line summary safe for logs: segment, validity, ratio, limit class and consent flags — no names,
    /// numbers or birth dates.
    public var description: String {
        if isProcessing { return "qualification check still processing (処理中, segment 2)" }
        guard header.segmentOfResult == .normal else {
            return "qualification check failed: segment \(header.segmentOfResult), code \(header.errorCode ?? "none")"
        }
        var parts = ["validity \(validity?.description ?? "absent")"]
        if let q = qualification {
            if let ratio = q.insuredPartialContributionRatio { parts.append("co-payment \(ratio)") }
            if let limit = q.limitApplicationCertificate?.classificationFlag { parts.append("limit class \(limit)") }
            if let elderly = q.elderlyRecipientCertificate?.contributionRatio {
                parts.append("elderly co-payment \(elderly)")
            }
            let consents = [
                ("medication", q.pharmacistsInfoConsent), ("health checkups", q.specificHealthCheckupsInfoConsent),
                ("diagnosis", q.diagnosisInfoConsent), ("operation", q.operationInfoConsent),
            ]
            .compactMap { name, c in c.map { "\(name) \($0.flag)" } }
            if !consents.isEmpty { parts.append("consents: " + consents.joined(separator: ", ")) }
        }
        if qualifications.count > 1 { parts.append("\(qualifications.count) qualifications") }
        return parts.joined(separator: "; ")
    }
}
