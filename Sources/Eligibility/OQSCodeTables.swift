import Foundation

/// A code table of the OQS result: its codes and their Japanese labels (from open-source result parsers).
public protocol OQSCodeTable: Sendable {
    /// Japanese labels by code.
    static var labels: [String: String] { get }
}

/// A coded value read against `Table`: any code is kept as given (unknown ones round-trip unchanged), and
/// ``japaneseLabel`` names the known ones.
public struct OQSCode<Table: OQSCodeTable>: OQSCodedValue {
    public let code: String

    /// The value for `code` (known or not).
    public init(code: String) { self.code = code }

    /// True when `Table` lists the code.
    public var isKnown: Bool { Table.labels[code] != nil }

    /// The Japanese label of a known code.
    public var japaneseLabel: String? { Table.labels[code] }

    public var description: String { japaneseLabel.map { "\(code) \($0)" } ?? "\(code) (unrecognized code)" }
}

/// 未就学区分 (myclinic-ts: 1 未就学該当; one watcher also comments 2 就学中).
public enum PreschoolTable: OQSCodeTable {
    public static let labels = ["1": "未就学", "2": "就学中"]
}
/// PreschoolClassification.
public typealias PreschoolClassification = OQSCode<PreschoolTable>

/// 資格喪失事由.
public enum ReasonOfLossTable: OQSCodeTable {
    public static let labels = ["01": "死亡", "02": "生活保護受給開始", "03": "医療保険等の資格取得", "99": "その他"]
}
/// ReasonOfLoss.
public typealias ReasonOfLoss = OQSCode<ReasonOfLossTable>

/// 限度額適用認定証区分 (labels as the source spells them).
public enum LimitCertificateKindTable: OQSCodeTable {
    public static let labels = ["01": "限度額適用認定証", "02": "限度額適用・標準負担額減額認定証", "03": "標準負担額減額認定証"]
}
/// LimitApplicationCertificateClassification.
public typealias LimitCertificateKind = OQSCode<LimitCertificateKindTable>

/// 特定疾病 (OQSCD013).
public enum SpecificDiseaseTable: OQSCodeTable {
    public static let labels = [
        "1": "人工透析を要する慢性腎不全", "2": "血友病(第VIII因子障害・第IX因子障害)",
        "3": "抗ウイルス剤を投与している後天性免疫不全症候群(血液製剤由来HIV)",
    ]
}
/// SpecificDiseasesDiseaseCategory.
public typealias SpecificDiseaseCategory = OQSCode<SpecificDiseaseTable>

/// 特定疾病療養受療証 consent flag: 0 同意なし, 1 同意あり, 2 同意有効期限切れ.
public enum SpecificDiseasesConsentTable: OQSCodeTable {
    public static let labels = ["0": "同意なし", "1": "同意あり", "2": "同意有効期限切れ"]
}
/// SpecificDiseasesCertificateRelatedConsFlg.
public typealias SpecificDiseasesConsentFlag = OQSCode<SpecificDiseasesConsentTable>

/// 処方箋発行形態 (PrescriptionIssueSelect): the patient's choice on the reader.
public enum PrescriptionIssueTable: OQSCodeTable {
    public static let labels = ["1": "電子処方箋", "2": "紙の処方箋"]
}
/// PrescriptionIssueSelect.
public typealias PrescriptionIssueSelect = OQSCode<PrescriptionIssueTable>
