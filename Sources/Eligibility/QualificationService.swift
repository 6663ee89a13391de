import Foundation
import MynaCard
import Reception

/// Answers qualification checks (the オンライン資格確認 query).
///
/// Implementations: ``FileDropQualificationService`` (the XML file exchange with a 資格確認端末) and
/// ``LocalQualificationRegistry`` (an embedded SQLite registry for demos and tests).
public protocol QualificationService: Sendable {
    /// Asks whether the person the request names is insured on its confirmation date.
    /// - Throws: ``EligibilityError`` (transport, malformed result, service error, registry failure).
    func check(_ request: QualificationRequest) async throws -> QualificationResult
}

/// Builds requests from verified identities and sends them to a ``QualificationService``.
///
/// The only way to a ``QualificationRequest`` goes through a ``VerifiedIdentity`` (the outcome of a reception
/// session) and the checks here: the verification must be recent (``maximumVerificationAge``), not in the
/// future, and a visual (目視) check must name its staff member.
public struct QualificationClient: Sendable {
    /// Where requests go.
    public var service: any QualificationService
    /// 医療機関コード, 10 digits.
    public var medicalInstitutionCode: String
    /// Element names, time zone, file naming.
    public var profile: QualificationXMLProfile
    /// What keys a card holder on the card route.
    public var cardHolderKeyPolicy: CardHolderKeyPolicy
    /// The oldest verification accepted, in seconds (default 600: a reception, not yesterday's).
    public var maximumVerificationAge: TimeInterval

    /// - Parameters:
    ///   - service: the service that answers.
    ///   - medicalInstitutionCode: 10 digits (都道府県 2 + 点数表 1 + 機関 7).
    public init(
        service: any QualificationService, medicalInstitutionCode: String,
        profile: QualificationXMLProfile = .default, cardHolderKeyPolicy: CardHolderKeyPolicy = .default,
        maximumVerificationAge: TimeInterval = 600
    ) {
        self.service = service
        self.medicalInstitutionCode = medicalInstitutionCode
        self.profile = profile
        self.cardHolderKeyPolicy = cardHolderKeyPolicy
        self.maximumVerificationAge = maximumVerificationAge
    }

    /// Whether the clinic asks for 限度額 information on the insurance-card route (the search key's
    /// LimitApplicationCertificateRelatedConsFlg, given on paper at the desk); default false.
    public var limitInformationConsent: Bool = false

    /// Builds the request for a verified identity.
    ///
    /// With `insurance` the request takes the 被保険者証 route (ReferenceClassification 2: insurer number,
    /// symbol, number, branch and the card's birth date); without it, the card route (1) keyed by
    /// ``cardHolderKeyPolicy``.
    /// - Parameters:
    ///   - identity: the outcome of the reception session.
    ///   - consents: the answers on the consent screen.
    ///   - insurance: the insurance-card numbers, for the insurance-card route.
    ///   - now: the current time (the request's ProcessExecutionTime and QualificationConfirmationDate, JST).
    ///   - fileIdentifier: the ArbitraryFileIdentifier (1–64 characters, no control characters); a random one when nil.
    /// - Throws: ``EligibilityError/verificationTooOld(ageSeconds:limitSeconds:)``,
    ///   ``EligibilityError/verificationInFuture(secondsAhead:)``, ``EligibilityError/visualCheckWithoutStaff``,
    ///   ``EligibilityError/missingBirthDate``, ``EligibilityError/missingCardHolderKey(component:)``,
    ///   ``EligibilityError/invalidField(field:reason:)``.
    public func request(
        for identity: VerifiedIdentity, consents: PatientConsents,
        insurance: InsuranceCardNumber? = nil, now: Date = Date(),
        fileIdentifier: String? = nil
    ) throws -> QualificationRequest {
        let age = now.timeIntervalSince(identity.verifiedAt)
        if age < -5 { throw EligibilityError.verificationInFuture(secondsAhead: Int((-age).rounded(.up))) }
        if age > maximumVerificationAge {
            throw EligibilityError.verificationTooOld(ageSeconds: Int(age), limitSeconds: Int(maximumVerificationAge))
        }
        let staff = identity.staffID?.trimmingCharacters(in: .whitespaces)
        if identity.method == .visual, staff?.isEmpty ?? true { throw EligibilityError.visualCheckWithoutStaff }
        if let staff, staff.utf8.count > 64 {
            throw EligibilityError.invalidField(field: "StaffID", reason: "longer than 64 bytes")
        }
        guard medicalInstitutionCode.utf8.count == 10, medicalInstitutionCode.utf8.allSatisfy(Self.isDigit) else {
            throw EligibilityError.invalidField(field: "MedicalInstitutionCode", reason: "10 digits expected")
        }
        let identifier = fileIdentifier ?? Self.newFileIdentifier()
        guard isAcceptableIdentifier(identifier) else {
            throw EligibilityError.invalidField(
                field: "ArbitraryFileIdentifier",
                reason: "1–64 characters without control characters expected")
        }
        guard let holder = identity.holder, let birthdate = CalendarDate(holder.birthDate) else {
            throw EligibilityError.missingBirthDate
        }

        var reference = ReferenceClassification.myNumberCard
        var cardHolderKey: String?
        if let insurance {
            reference = .insuranceCard
            try Self.validate(insurance)
        } else {
            cardHolderKey = try Self.cardHolderKey(for: identity, policy: cardHolderKeyPolicy)
        }
        let tz = profile.timeZone
        return QualificationRequest(
            processExecutionTime: OQSTimestamp(now, timeZone: tz),
            qualificationConfirmationDate: CalendarDate(now, timeZone: tz),
            medicalInstitutionCode: medicalInstitutionCode,
            arbitraryFileIdentifier: identifier,
            referenceClassification: reference,
            insurerNumber: insurance?.insurerNumber,
            insuredCardSymbol: insurance?.symbol.flatMap { $0.isEmpty ? nil : $0 },
            insuredIdentificationNumber: insurance?.number,
            insuredBranchNumber: insurance?.branch.flatMap { $0.isEmpty ? nil : $0 },
            birthdate: birthdate,
            cardHolderKey: cardHolderKey,
            limitApplicationCertificateRelatedConsFlg: ConsentFlag(limitInformationConsent),
            consents: ConsentRecords(consents, timeZone: tz),
            verification: IdentityVerificationRecord(
                method: identity.method, isProxy: identity.isProxy,
                verifiedAt: OQSTimestamp(identity.verifiedAt, timeZone: tz),
                staffID: identity.method == .visual ? staff : nil))
    }

    /// Builds the request (``request(for:consents:insurance:now:fileIdentifier:)``) and asks the service.
    /// - Throws: every error of ``request(for:consents:insurance:now:fileIdentifier:)`` and of the service.
    public func check(
        _ identity: VerifiedIdentity, consents: PatientConsents,
        insurance: InsuranceCardNumber? = nil, now: Date = Date()
    ) async throws -> QualificationResult {
        let request = try request(for: identity, consents: consents, insurance: insurance, now: now)
        return try await service.check(request)
    }

    /// The card-holder key `policy` derives from `identity` (components joined by `-`).
    /// - Throws: ``EligibilityError/missingCardHolderKey(component:)`` when a component is absent or malformed.
    public static func cardHolderKey(for identity: VerifiedIdentity, policy: CardHolderKeyPolicy) throws -> String {
        guard !policy.components.isEmpty else {
            throw EligibilityError.missingCardHolderKey(component: "key components (policy is empty)")
        }
        return try policy.components.map { component -> String in
            switch component {
            case .birthDate:
                guard let holder = identity.holder else {
                    throw EligibilityError.missingCardHolderKey(component: "birth date")
                }
                return String(decoding: holder.birthDate.ascii, as: UTF8.self)
            case .cardExpiry:
                guard let holder = identity.holder else {
                    throw EligibilityError.missingCardHolderKey(component: "card expiry date")
                }
                return String(decoding: holder.cardExpiry.ascii, as: UTF8.self)
            case .sex:
                guard let holder = identity.holder else {
                    throw EligibilityError.missingCardHolderKey(component: "sex code")
                }
                return holder.sex.code
            }
        }.joined(separator: "-")
    }

    static func validate(_ insurance: InsuranceCardNumber) throws {
        let insurer = insurance.insurerNumber
        guard [6, 8].contains(insurer.utf8.count), insurer.utf8.allSatisfy(isDigit) else {
            throw EligibilityError.invalidField(field: "InsurerNumber", reason: "6 or 8 digits expected")
        }
        guard (1...20).contains(insurance.number.count) else {
            throw EligibilityError.invalidField(
                field: "InsuredIdentificationNumber", reason: "1–20 characters expected")
        }
        if let symbol = insurance.symbol, symbol.count > 20 {
            throw EligibilityError.invalidField(field: "InsuredCardSymbol", reason: "at most 20 characters expected")
        }
        if let branch = insurance.branch, !branch.isEmpty,
            !(branch.utf8.count == 2 && branch.utf8.allSatisfy(isDigit))
        {
            throw EligibilityError.invalidField(field: "InsuredBranchNumber", reason: "2 digits expected")
        }
    }

    static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }

    static func newFileIdentifier() -> String {
        UUID().uuidString.replacingOccurrences(of: "-", with: "")
    }
}
