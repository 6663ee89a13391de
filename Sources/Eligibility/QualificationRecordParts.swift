import Foundation

/// One 特定疾病療養受療証 (SpecificDiseasesCertificateInfo).
public struct SpecificDiseasesCertificate: Sendable, Hashable {
    /// 認定疾病区分 (OQSCD013, 1–3).
    public var category: SpecificDiseaseCategory?
    /// 交付年月日.
    public var certificateDate: CalendarDate?
    /// 有効開始年月日.
    public var validStartDate: CalendarDate?
    /// 有効終了年月日.
    public var validEndDate: CalendarDate?
    /// 自己負担限度額 (yen, as the result writes it).
    public var selfPay: String?

    /// Creates the value from its fields (see each property).
    public init(
        category: SpecificDiseaseCategory? = nil, certificateDate: CalendarDate? = nil,
        validStartDate: CalendarDate? = nil, validEndDate: CalendarDate? = nil, selfPay: String? = nil
    ) {
        self.category = category
        self.certificateDate = certificateDate
        self.validStartDate = validStartDate
        self.validEndDate = validEndDate
        self.selfPay = selfPay
    }
}

/// One 医療券 of 医療扶助 (PublicExpenseResultList/MedicalTicketInfo): its 26 fields kept as the result writes
/// them, by element name (see ``MedicalTicketInfo/elementNames``).
public struct MedicalTicketInfo: Sendable, Hashable {
    /// The element names in document order, with their Japanese labels.
    public static let elementNames: [(name: String, label: String)] = [
        ("TicketType", "券種"), ("MedicalTicketValidDate", "医療券有効開始日"),
        ("MedicalTicketExpirationDate", "医療券有効終了日"), ("IssueNumber", "交付番号"),
        ("MedicalTreatmentMonth", "診療年月"), ("DesignatedMedicalInstitutionCode", "指定医療機関コード"),
        ("DesignatedMedicalInstitutionFlag", "指定医療機関区分"), ("DesignatedMedicalInstitutionName", "指定医療機関名"),
        ("PrescriptionIssuerMedicalInstitutionCode", "処方箋発行医療機関コード"),
        ("PrescriptionIssuerMedicalInstitutionName", "処方箋発行医療機関名"),
        ("InjuryName1", "傷病名1"), ("InjuryName2", "傷病名2"), ("InjuryName3", "傷病名3"),
        ("MedicalTreatmentType", "診療区分"), ("SelfPayAmount", "本人支払額"),
        ("DistrictContactName", "地区担当員名"), ("HandlingContactName", "取扱担当者名"),
        ("SingleOrCombinedUse", "単独・併用別"), ("StatusOfSocialInsurance", "社会保険加入状況"),
        ("ConsistencyFlag", "整合性フラグ"), ("StatusOfInfecton", "感染症状況"),
        ("StatusOfElderlyMedicalCare", "後期高齢者医療状況"), ("StatusOfPrefecturalExpenses", "都道府県費状況"),
        ("Remarks1", "備考1"), ("Remarks2", "備考2"), ("Remarks3", "備考3"),
    ]

    /// Values by element name (only the names above are read or written).
    public var fields: [String: String]

    /// A ticket with these field values.
    public init(fields: [String: String] = [:]) { self.fields = fields }

    /// The value of element `name`.
    public subscript(name: String) -> String? {
        get { fields[name] }
        set { fields[name] = newValue }
    }
}

/// The search key (QualificationConfirmSearchInfo) of the insurance-card route, as the request carries it and the
/// result echoes it.
public struct QualificationConfirmSearchInfo: Sendable, Hashable {
    /// 保険者番号.
    public var insurerNumber: String?
    /// 被保険者証記号.
    public var insuredCardSymbol: String?
    /// 被保険者証番号.
    public var insuredIdentificationNumber: String?
    /// 被保険者証枝番.
    public var insuredBranchNumber: String?
    /// 生年月日 (required in a request).
    public var birthdate: CalendarDate?
    /// 限度額適用認定証提供同意フラグ (required in a request): 0 未同意, 1 同意.
    public var limitApplicationCertificateRelatedConsFlg: ConsentFlag?
    /// 任意の識別子 (free text, at most 64 characters; never used in a path).
    public var arbitraryIdentifier: String?

    /// Creates the value from its fields (see each property).
    public init(
        insurerNumber: String? = nil, insuredCardSymbol: String? = nil, insuredIdentificationNumber: String? = nil,
        insuredBranchNumber: String? = nil, birthdate: CalendarDate? = nil,
        limitApplicationCertificateRelatedConsFlg: ConsentFlag? = nil, arbitraryIdentifier: String? = nil
    ) {
        self.insurerNumber = insurerNumber
        self.insuredCardSymbol = insuredCardSymbol
        self.insuredIdentificationNumber = insuredIdentificationNumber
        self.insuredBranchNumber = insuredBranchNumber
        self.birthdate = birthdate
        self.limitApplicationCertificateRelatedConsFlg = limitApplicationCertificateRelatedConsFlg
        self.arbitraryIdentifier = arbitraryIdentifier
    }
}
