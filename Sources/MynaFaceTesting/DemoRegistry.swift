import Eligibility
import Foundation

/// A small fictional registry for the demo and the tests, with one person per QualificationValidity outcome on
/// any confirmation date from 2026-01-01 to 2030-12-31. Names and numbers are invented.
///
/// Card-holder keys follow ``CardHolderKeyPolicy/default`` (birth date `-` card expiry).
public enum DemoRegistry {
    /// 山田 太郎: one valid qualification (30 %, limit class A03) → 1 valid.
    public static let validKey = "19800401-20310401"
    /// 佐藤 花子: qualification lost on 2025-04-01 → 2 invalid.
    public static let invalidKey = "19750615-20300615"
    /// 鈴木 一郎: changed insurer on 2025-10-01 → card route 1 valid, old insurance card → 3 invalid, new one exists.
    public static let changedInsurerKey = "19900220-20320220"
    /// 高橋 次郎: two overlapping valid qualifications (a duplicate registration) → 5 several found.
    public static let duplicateKey = "19651111-20291111"
    /// 伊藤 三郎: valid qualification, but the card is not registered for insurance use (初回登録 needed) → 4 until
    /// registered, then 1.
    public static let unregisteredKey = "19850707-20330707"
    /// A key nobody holds → 4 not found.
    public static let unknownKey = "19990909-20340909"

    /// 鈴木 一郎's old insurance card (lost on 2025-10-01): the insurance-card route answers 3.
    public static let changedInsurerOldCard = InsuranceCardNumber(
        insurerNumber: "06130011", symbol: "101",
        number: "2345", branch: "00")
    /// 鈴木 一郎's birth date.
    public static let changedInsurerBirthdate = "19900220"

    /// The people above.
    public static var persons: [RegistryPerson] {
        func d(_ s: String) -> CalendarDate { CalendarDate(yyyymmdd: s)! }
        return [
            RegistryPerson(
                cardHolderKey: validKey, birthdate: d("19800401"), name: "山田 太郎", nameKana: "ヤマダ タロウ",
                sex: .male,
                qualifications: [
                    RegistryQualification(
                        insurerNumber: "01130012", insurerName: "全国健康保険協会東京支部", symbol: "12345",
                        number: "678", branch: "01", qualificationDate: d("20200401"),
                        contributionRatio: ContributionRatio(percent: 30), limitClass: .underSeventy(3))
                ]),
            RegistryPerson(
                cardHolderKey: invalidKey, birthdate: d("19750615"), name: "佐藤 花子", nameKana: "サトウ ハナコ",
                sex: .female,
                qualifications: [
                    RegistryQualification(
                        insurerNumber: "138000", insurerName: "デモ市国民健康保険", symbol: "国", number: "4455",
                        branch: nil, qualificationDate: d("20100101"), disqualificationDate: d("20250401"),
                        contributionRatio: ContributionRatio(percent: 30))
                ]),
            RegistryPerson(
                cardHolderKey: changedInsurerKey, birthdate: d("19900220"), name: "鈴木 一郎", nameKana: "スズキ イチロウ",
                sex: .male,
                qualifications: [
                    RegistryQualification(
                        insurerNumber: "06130011", insurerName: "デモ健康保険組合", symbol: "101", number: "2345",
                        branch: "00", qualificationDate: d("20150401"), disqualificationDate: d("20251001"),
                        contributionRatio: ContributionRatio(percent: 30)),
                    RegistryQualification(
                        insurerNumber: "06270022", insurerName: "サンプル健康保険組合", symbol: "7", number: "880",
                        branch: "00", qualificationDate: d("20251001"),
                        contributionRatio: ContributionRatio(percent: 30), limitClass: .underSeventy(4)),
                ]),
            RegistryPerson(
                cardHolderKey: duplicateKey, birthdate: d("19651111"), name: "高橋 次郎", nameKana: "タカハシ ジロウ",
                sex: .male,
                qualifications: [
                    RegistryQualification(
                        insurerNumber: "01130012", insurerName: "全国健康保険協会東京支部", symbol: "555",
                        number: "1", branch: "00", qualificationDate: d("20180401"),
                        contributionRatio: ContributionRatio(percent: 30)),
                    RegistryQualification(
                        insurerNumber: "138000", insurerName: "デモ市国民健康保険", symbol: "国", number: "9001",
                        branch: nil, qualificationDate: d("20240401"),
                        contributionRatio: ContributionRatio(percent: 30)),
                ]),
            RegistryPerson(
                cardHolderKey: unregisteredKey, birthdate: d("19850707"), name: "伊藤 三郎", nameKana: "イトウ サブロウ",
                sex: .male,
                qualifications: [
                    RegistryQualification(
                        insurerNumber: "01130012", insurerName: "全国健康保険協会東京支部", symbol: "777",
                        number: "12", branch: "00", qualificationDate: d("20190401"),
                        contributionRatio: ContributionRatio(percent: 30))
                ], isRegisteredForInsurance: false),
        ]
    }

    /// Adds ``persons`` to `registry`.
    /// - Throws: ``EligibilityError/registry(reason:)``.
    public static func seed(_ registry: LocalQualificationRegistry) throws {
        for person in persons { try registry.add(person) }
    }
}
