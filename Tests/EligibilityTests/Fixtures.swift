import Eligibility
import Foundation
import MynaCard
import MynaFaceTesting
import Reception

/// Fixed inputs shared by the tests: 2026-11-25 09:30:00 JST and the demo registry's persons.
enum Fixture {
    /// 2026-11-25 00:30:00 UTC = 09:30:00 JST.
    static let now = Date(timeIntervalSince1970: 1_795_566_600)
    static let institution = "1312345678"

    static func identity(
        method: VerificationMethod = .face, proxy: Bool = false, birthDate: String? = "19800401",
        cardExpiry: String? = "20310401", secondsBefore: TimeInterval = 30,
        staffID: String? = nil
    ) -> VerifiedIdentity {
        VerifiedIdentity(
            method: method, isProxy: proxy, verifiedAt: now.addingTimeInterval(-secondsBefore),
            holder: holder(birthDate: birthDate, cardExpiry: cardExpiry), staffID: staffID)
    }

    /// A male card holder with these `YYYYMMDD` dates; nil when either is absent or not a date.
    static func holder(birthDate: String?, cardExpiry: String?) -> CardHolder? {
        guard let birth = birthDate.flatMap({ CardDate(ascii: Array($0.utf8)) }),
            let expiry = cardExpiry.flatMap({ CardDate(ascii: Array($0.utf8)) })
        else { return nil }
        return CardHolder(birthDate: birth, sex: .male, cardExpiry: expiry)
    }

    /// The four consents agreed 15 s before `now`.
    static let consents = PatientConsents.all(agreed: true, at: now.addingTimeInterval(-15))

    static func client(_ service: any QualificationService = NoService()) -> QualificationClient {
        QualificationClient(service: service, medicalInstitutionCode: institution)
    }

    static func registry() throws -> LocalQualificationRegistry {
        let registry = try LocalQualificationRegistry()
        try DemoRegistry.seed(registry)
        return registry
    }

    /// A fresh empty folder under the temporary directory.
    static func folder(_ name: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("mynaface-eligibility-\(name)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

/// A service that must not be called.
struct NoService: QualificationService {
    func check(_ request: QualificationRequest) async throws -> QualificationResult {
        throw EligibilityError.registry(reason: "NoService was called")
    }
}
