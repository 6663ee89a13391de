import Eligibility
import Foundation
import MynaFaceTesting
import Reception
import Testing

/// Every QualificationValidity outcome from the local registry, on 2026-11-25.
@Suite struct RegistryTests {
    func cardRoute(_ key: String) throws -> QualificationResult {
        let parts = key.split(separator: "-").map(String.init)
        let request = try Fixture.client().request(
            for: Fixture.identity(birthDate: parts[0], cardExpiry: parts[1]), consents: Fixture.consents,
            now: Fixture.now)
        #expect(request.cardHolderKey == key)
        return try Fixture.registry().answer(request, now: Fixture.now)
    }

    @Test func validCardHolder() throws {
        let result = try cardRoute(DemoRegistry.validKey)
        #expect(result.validity == .valid)
        #expect(result.isEligible)
        #expect(result.header.segmentOfResult == .normal)
        #expect(result.processingResultStatus == .normal)
        let q = try #require(result.qualification)
        #expect(result.qualifications.count == 1)
        #expect(q.insurerNumber == "01130012")
        #expect(q.insuredIdentificationNumber == "678")
        #expect(q.nameKana == "ヤマダ タロウ")
        #expect(q.insuredPartialContributionRatio?.code == "030")
        #expect(q.limitApplicationCertificate?.classificationFlag == .underSeventy(3))
        #expect(q.pharmacistsInfoConsent?.flag == .agreed)
        #expect(q.pharmacistsInfoConsent?.time?.text == "20261125092945")
        #expect(q.pharmacistsInfoConsent?.availableTime?.text == "20261126092945")
        #expect(result.header.arbitraryFileIdentifier != nil)
    }

    @Test func disqualifiedCardHolderIsInvalid() throws {
        let result = try cardRoute(DemoRegistry.invalidKey)
        #expect(result.validity == .invalid)
        #expect(!result.isEligible)
        #expect(result.qualification?.disqualificationDate == CalendarDate(yyyymmdd: "20250401"))
    }

    @Test func changedInsurerOnCardRouteIsTheNewQualification() throws {
        let result = try cardRoute(DemoRegistry.changedInsurerKey)
        #expect(result.validity == .valid)
        #expect(result.qualification?.insurerNumber == "06270022")
    }

    @Test func oldInsuranceCardIsInvalidWithNewQualification() throws {
        let identity = Fixture.identity(birthDate: DemoRegistry.changedInsurerBirthdate, cardExpiry: "20320220")
        let request = try Fixture.client().request(
            for: identity, consents: .none,
            insurance: DemoRegistry.changedInsurerOldCard, now: Fixture.now)
        #expect(request.referenceClassification == .insuranceCard)
        let result = try Fixture.registry().answer(request, now: Fixture.now)
        #expect(result.validity == .invalidWithNewQualification)
        #expect(result.qualifications.map(\.insurerNumber) == ["06130011", "06270022"])
        #expect(result.qualifications[0].disqualificationDate == CalendarDate(yyyymmdd: "20251001"))
        #expect(result.qualification?.pharmacistsInfoConsent == nil)
    }

    @Test func newInsuranceCardIsValid() throws {
        let identity = Fixture.identity(birthDate: DemoRegistry.changedInsurerBirthdate)
        let card = InsuranceCardNumber(insurerNumber: "06270022", symbol: "7", number: "880", branch: "00")
        let request = try Fixture.client().request(for: identity, consents: .none, insurance: card, now: Fixture.now)
        #expect(try Fixture.registry().answer(request, now: Fixture.now).validity == .valid)
    }

    @Test func insuranceCardWithWrongBirthdateIsNotFound() throws {
        let identity = Fixture.identity(birthDate: "19900221")
        let request = try Fixture.client().request(
            for: identity, consents: .none,
            insurance: DemoRegistry.changedInsurerOldCard, now: Fixture.now)
        #expect(try Fixture.registry().answer(request, now: Fixture.now).validity == .notFound)
    }

    @Test func unknownCardHolderIsNotFound() throws {
        let result = try cardRoute(DemoRegistry.unknownKey)
        #expect(result.validity == .notFound)
        #expect(result.qualifications.isEmpty)
    }

    @Test func duplicateRegistrationIsSeveralFound() throws {
        let result = try cardRoute(DemoRegistry.duplicateKey)
        #expect(result.validity == .severalFound)
        #expect(result.qualifications.count == 2)
    }

    @Test func twoPersonsWithOneKeyAreSeveralFound() throws {
        let registry = try Fixture.registry()
        let twin = RegistryPerson(
            cardHolderKey: DemoRegistry.validKey, birthdate: CalendarDate(yyyymmdd: "19800401")!,
            name: "山田 次郎", nameKana: "ヤマダ ジロウ", sex: .male,
            qualifications: [
                RegistryQualification(
                    insurerNumber: "138000", symbol: nil, number: "1", branch: nil,
                    qualificationDate: CalendarDate(yyyymmdd: "20000101")!)
            ])
        try registry.add(twin)
        let request = try Fixture.client().request(for: Fixture.identity(), consents: .none, now: Fixture.now)
        #expect(try registry.answer(request, now: Fixture.now).validity == .severalFound)
    }

    @Test func qualificationNotYetStartedIsInvalid() throws {
        let registry = try LocalQualificationRegistry()
        try registry.add(
            RegistryPerson(
                cardHolderKey: "20000101-20300101", birthdate: CalendarDate(yyyymmdd: "20000101")!,
                name: "未来 開始", nameKana: "ミライ カイシ", sex: .female,
                qualifications: [
                    RegistryQualification(
                        insurerNumber: "138000", symbol: nil, number: "2", branch: nil,
                        qualificationDate: CalendarDate(yyyymmdd: "20261126")!)
                ]))
        let request = try Fixture.client().request(
            for: Fixture.identity(birthDate: "20000101", cardExpiry: "20300101"), consents: .none, now: Fixture.now)
        #expect(try registry.answer(request, now: Fixture.now).validity == .invalid)
    }

    @Test func validityBoundariesFollowTheDates() {
        let q = RegistryQualification(
            insurerNumber: "138000", symbol: nil, number: "1", branch: nil,
            qualificationDate: CalendarDate(yyyymmdd: "20250401")!,
            disqualificationDate: CalendarDate(yyyymmdd: "20251001")!)
        #expect(!q.isValid(on: CalendarDate(yyyymmdd: "20250331")!))
        #expect(q.isValid(on: CalendarDate(yyyymmdd: "20250401")!))
        #expect(q.isValid(on: CalendarDate(yyyymmdd: "20250930")!))
        #expect(!q.isValid(on: CalendarDate(yyyymmdd: "20251001")!))
    }

    @Test func registryFilePersistsAndReopens() throws {
        let folder = try Fixture.folder("registry")
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("r.sqlite").path
        try DemoRegistry.seed(try LocalQualificationRegistry(path: path))
        let reopened = try LocalQualificationRegistry(path: path)
        #expect(try reopened.personCount() == DemoRegistry.persons.count)
    }

    @Test func notADatabaseIsATypedError() throws {
        let folder = try Fixture.folder("notdb")
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("junk.sqlite")
        try Data(repeating: 0x41, count: 4096).write(to: path)
        #expect(throws: EligibilityError.self) { try LocalQualificationRegistry(path: path.path) }
    }
}

@Suite struct ResultSummaryTests {
    @Test func summaryNamesOutcomeButNoPersonalData() throws {
        let request = try Fixture.client().request(
            for: Fixture.identity(), consents: Fixture.consents, now: Fixture.now)
        let result = try Fixture.registry().answer(request, now: Fixture.now)
        #expect(
            result.description
                == "validity 1 valid (有効); co-payment 30%; limit class A03 (ウ); consents: medication agreed, health checkups agreed, diagnosis agreed, operation agreed"
        )
        #expect(!result.description.contains("ヤマダ") && !result.description.contains("19800401"))
    }
}
