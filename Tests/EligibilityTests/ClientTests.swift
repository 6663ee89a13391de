import Eligibility
import Foundation
import Reception
import Testing

/// Only a recent, complete VerifiedIdentity produces a request (QualificationRequest has no public
/// initializer; these are the runtime checks on top).
@Suite struct ClientTests {
    let client = Fixture.client()

    @Test func requestRecordsHowIdentityWasVerified() throws {
        let pin = try client.request(
            for: Fixture.identity(method: .pin, proxy: true), consents: .none, now: Fixture.now)
        #expect(pin.verification?.method == .pin)
        #expect(pin.verification?.isProxy == true)
        #expect(pin.verification?.verifiedAt.text == "20261125092930")
        #expect(pin.verification?.staffID == nil)
        let visual = try client.request(
            for: Fixture.identity(method: .visual, staffID: " nurse-3 "), consents: .none,
            now: Fixture.now)
        #expect(visual.verification?.method == .visual)
        #expect(visual.verification?.staffID == "nurse-3")
        #expect(pin.arbitraryFileIdentifier != visual.arbitraryFileIdentifier)
    }

    @Test func staleVerificationIsRefused() {
        #expect(throws: EligibilityError.verificationTooOld(ageSeconds: 601, limitSeconds: 600)) {
            try client.request(for: Fixture.identity(secondsBefore: 601), consents: .none, now: Fixture.now)
        }
    }

    @Test func verificationFromTheFutureIsRefused() {
        #expect(throws: EligibilityError.verificationInFuture(secondsAhead: 60)) {
            try client.request(for: Fixture.identity(secondsBefore: -60), consents: .none, now: Fixture.now)
        }
    }

    @Test func visualCheckNeedsStaff() {
        #expect(throws: EligibilityError.visualCheckWithoutStaff) {
            try client.request(for: Fixture.identity(method: .visual, staffID: "  "), consents: .none, now: Fixture.now)
        }
    }

    @Test func cardRouteNeedsTheKeyComponents() {
        #expect(throws: EligibilityError.missingBirthDate) {
            try client.request(for: Fixture.identity(birthDate: nil), consents: .none, now: Fixture.now)
        }
        #expect(throws: EligibilityError.missingCardHolderKey(component: "card expiry date")) {
            try QualificationClient.cardHolderKey(
                for: Fixture.identity(birthDate: nil),
                policy: CardHolderKeyPolicy(components: [.cardExpiry]))
        }
    }

    @Test func cardHolderKeyFollowsThePolicy() throws {
        let identity = Fixture.identity()
        #expect(try QualificationClient.cardHolderKey(for: identity, policy: .default) == "19800401-20310401")
        #expect(
            try QualificationClient.cardHolderKey(
                for: identity, policy: CardHolderKeyPolicy(components: [.sex, .birthDate])) == "1-19800401")
    }

    @Test(arguments: [
        (InsuranceCardNumber(insurerNumber: "0613001", symbol: nil, number: "1", branch: nil), "InsurerNumber"),
        (
            InsuranceCardNumber(insurerNumber: "06130011", symbol: nil, number: "", branch: nil),
            "InsuredIdentificationNumber"
        ),
        (InsuranceCardNumber(insurerNumber: "06130011", symbol: nil, number: "1", branch: "1"), "InsuredBranchNumber"),
    ])
    func malformedInsuranceNumbersAreRefused(card: InsuranceCardNumber, field: String) {
        do {
            _ = try client.request(for: Fixture.identity(), consents: .none, insurance: card, now: Fixture.now)
            Issue.record("accepted a malformed insurance card number")
        } catch let EligibilityError.invalidField(name, _) {
            #expect(name == field)
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func freeFormIdentifiersAreAcceptedButNeverReachAPathUnescaped() throws {
        for (id, name) in [
            ("../../etc/passwd", "OQSsiquc01req__2E_2E_2F_2E_2E_2Fetc_2Fpasswd.xml"),
            ("ArnHCeDfNjMCFzg=", "OQSsiquc01req_ArnHCeDfNjMCFzg_3D.xml"), ("a_b", "OQSsiquc01req_a_5Fb.xml"),
        ] {
            let request = try client.request(
                for: Fixture.identity(), consents: .none, now: Fixture.now, fileIdentifier: id)
            #expect(QualificationXMLProfile().requestFileName(for: request.arbitraryFileIdentifier) == name)
        }
    }

    @Test func hostileFileIdentifierIsRefused() {
        for id in ["", String(repeating: "a", count: 65), "a\nb", "a\u{0}b"] {
            #expect(throws: EligibilityError.self) {
                try client.request(for: Fixture.identity(), consents: .none, now: Fixture.now, fileIdentifier: id)
            }
        }
    }

    @Test func checkGoesThroughTheService() async throws {
        let client = QualificationClient(service: try Fixture.registry(), medicalInstitutionCode: Fixture.institution)
        let result = try await client.check(Fixture.identity(verifiedNow: true), consents: Fixture.consents)
        #expect(result.validity == .valid)
    }
}

extension Fixture {
    /// The valid demo card holder, verified a second ago (for code paths that use the real clock).
    static func identity(verifiedNow: Bool) -> VerifiedIdentity {
        VerifiedIdentity(
            method: .face, verifiedAt: Date().addingTimeInterval(-1),
            holder: holder(birthDate: "19800401", cardExpiry: "20310401"))
    }
}
