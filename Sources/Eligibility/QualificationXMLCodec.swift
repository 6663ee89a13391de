import Foundation
import XMLCoder

/// Encodes and decodes OQS request and result documents with XMLCoder, under a ``QualificationXMLProfile``.
///
/// Output is in the profile's ``QualificationXMLProfile/textEncoding`` (UTF-8 or Shift_JIS, with the matching
/// declaration and CharacterCodeIdentifier), `standalone="no"`, two-space indentation, elements in OQS order, and
/// absent values omitted. Input may be in either encoding (the declaration decides). Decoding is strict about
/// values it interprets (dates, times) and lenient about codes (unknown codes are kept) and about elements it
/// does not know (ignored).
public struct QualificationXMLCodec: Sendable {
    /// The element names and file naming in use.
    public var profile: QualificationXMLProfile

    /// A codec for `profile`'s element names.
    public init(profile: QualificationXMLProfile = .default) { self.profile = profile }

    /// The request as an XML document.
    /// - Throws: ``EligibilityError/invalidField(field:reason:)`` if XMLCoder rejects a value.
    public func encode(_ request: QualificationRequest) throws -> Data {
        try encodeDocument(RequestDocument(request: request, profile: profile))
    }

    /// Decodes the bytes of a file into UTF-8 for the parser.
    private func utf8(_ data: Data, request: Bool) throws -> Data {
        do { return try OQSTextEncoding.decode(data).utf8 } catch let error as OQSTextEncodingError {
            throw request
                ? EligibilityError.malformedRequest(path: "<data>", reason: error.description)
                : EligibilityError.malformedResult(path: "<data>", reason: error.description)
        }
    }

    /// The result as an XML document.
    /// - Throws: ``EligibilityError/invalidField(field:reason:)`` if XMLCoder rejects a value.
    public func encode(_ result: QualificationResult) throws -> Data {
        try encodeDocument(ResultDocument(result: result, profile: profile))
    }

    /// Decodes a request document (responder side).
    /// - Throws: ``EligibilityError/malformedRequest(path:reason:)`` (path `<data>`) for anything not a request.
    public func decodeRequest(_ data: Data) throws -> QualificationRequest {
        do {
            return try makeDecoder().decode(RequestDocument.self, from: try utf8(data, request: true)).request
        } catch {
            throw EligibilityError.malformedRequest(path: "<data>", reason: Self.describe(error))
        }
    }

    /// Decodes a result document.
    /// - Throws: ``EligibilityError/malformedResult(path:reason:)`` (path `<data>`) for anything not a result.
    public func decodeResult(_ data: Data) throws -> QualificationResult {
        do {
            return try makeDecoder().decode(ResultDocument.self, from: try utf8(data, request: false)).result
        } catch {
            throw EligibilityError.malformedResult(path: "<data>", reason: Self.describe(error))
        }
    }

    private func encodeDocument<T: Encodable>(_ value: T) throws -> Data {
        let encoder = XMLEncoder()
        encoder.outputFormatting = [.prettyPrinted]
        encoder.prettyPrintIndentation = .spaces(2)
        let data: Data
        do {
            data = try encoder.encode(
                value, withRootKey: profile.rootElement,
                header: XMLHeader(version: 1.0, encoding: "UTF-8", standalone: "no"))
        } catch {
            throw EligibilityError.invalidField(field: "document", reason: Self.describe(error))
        }
        var text = String(decoding: data, as: UTF8.self)
        if !text.hasSuffix("\n") { text += "\n" }
        do {
            return try profile.textEncoding.encode(text)
        } catch {
            throw EligibilityError.invalidField(field: "document", reason: Self.describe(error))
        }
    }

    private func makeDecoder() -> XMLDecoder {
        let decoder = XMLDecoder(trimValueWhitespaces: true, removeWhitespaceElements: false)
        decoder.userInfo[profileKey] = profile
        return decoder
    }

    static func describe(_ error: any Error) -> String {
        if let e = error as? EligibilityError { return e.description }
        if let e = error as? OQSTextEncodingError { return e.description }
        switch error {
        case DecodingError.keyNotFound(let key, let context):
            return "missing element \(pathText(context.codingPath + [key]))"
        case DecodingError.dataCorrupted(let context):
            let path = pathText(context.codingPath)
            return path.isEmpty
                ? "not well-formed XML (\(context.debugDescription.prefix(160)))"
                : "bad value at \(path): \(context.debugDescription.prefix(160))"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            return "unexpected content at \(pathText(context.codingPath))"
        default:
            let ns = error as NSError
            if ns.domain.contains("XMLParser") { return "not well-formed XML (parser error \(ns.code))" }
            return String(String(describing: error).prefix(200))
        }
    }

    private static func pathText(_ path: [any CodingKey]) -> String {
        path.map(\.stringValue).joined(separator: "/")
    }
}

let profileKey = CodingUserInfoKey(rawValue: "MynaFace.QualificationXMLProfile")!

/// A coding key with any name (element names come from the profile).
struct NameKey: CodingKey {
    let stringValue: String
    var intValue: Int? { nil }
    init(_ name: String) { stringValue = name }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

// MARK: - Field helpers

extension KeyedEncodingContainer where K == NameKey {
    mutating func put(_ name: String, _ value: String?) throws {
        if let value, !value.isEmpty { try encode(value, forKey: NameKey(name)) }
    }
    mutating func put<C: OQSCodedValue>(_ name: String, _ value: C?) throws { try put(name, value?.code) }
    mutating func put(_ name: String, _ value: CalendarDate?) throws { try put(name, value?.yyyymmdd) }
    mutating func put(_ name: String, _ value: OQSTimestamp?) throws { try put(name, value?.text) }
    mutating func putConsent(_ prefix: String, _ value: ConsentRecord?, timeSuffix: String = "ConsTime") throws {
        guard let value else { return }
        try put(prefix + "ConsFlg", value.flag)
        try put(prefix + timeSuffix, value.time)
        try put(prefix + "AvailableTime", value.availableTime)
    }
}

extension KeyedDecodingContainer where K == NameKey {
    func text(_ name: String) throws -> String? {
        let key = NameKey(name)
        guard contains(key) else { return nil }
        let value = try decodeIfPresent(String.self, forKey: key)
        guard let value, !value.isEmpty else { return nil }
        return value
    }
    func code<C: OQSCodedValue>(_ name: String, as type: C.Type = C.self) throws -> C? {
        try text(name).map(C.init(code:))
    }
    func date(_ name: String) throws -> CalendarDate? {
        guard let raw = try text(name) else { return nil }
        guard let value = CalendarDate(yyyymmdd: raw) else {
            throw DecodingError.dataCorrupted(
                .init(
                    codingPath: codingPath + [NameKey(name)],
                    debugDescription: "expected YYYYMMDD, found \(raw.count) characters"))
        }
        return value
    }
    func timestamp(_ name: String) throws -> OQSTimestamp? {
        guard let raw = try text(name) else { return nil }
        guard let value = OQSTimestamp(yyyymmddhhmmss: raw) else {
            throw DecodingError.dataCorrupted(
                .init(
                    codingPath: codingPath + [NameKey(name)],
                    debugDescription: "expected YYYYMMDDHHmmss, found \(raw.count) characters"))
        }
        return value
    }
    func consent(_ prefix: String) throws -> ConsentRecord? {
        guard let flag: ConsentFlag = try code(prefix + "ConsFlg") else { return nil }
        return ConsentRecord(
            flag: flag, time: try timestamp(prefix + "ConsTime"),
            availableTime: try timestamp(prefix + "AvailableTime"))
    }
    func required<T>(_ value: T?, _ name: String) throws -> T {
        guard let value else {
            throw DecodingError.keyNotFound(NameKey(name), .init(codingPath: codingPath, debugDescription: "required"))
        }
        return value
    }
    func nested(_ name: String) throws -> KeyedDecodingContainer<NameKey>? {
        contains(NameKey(name)) ? try nestedContainer(keyedBy: NameKey.self, forKey: NameKey(name)) : nil
    }
}

private func decodingProfile(of decoder: any Decoder) -> QualificationXMLProfile {
    decoder.userInfo[profileKey] as? QualificationXMLProfile ?? .default
}

// MARK: - Request document

private struct RequestDocument: Codable {
    var request: QualificationRequest
    var profile: QualificationXMLProfile

    init(request: QualificationRequest, profile: QualificationXMLProfile) {
        self.request = request
        self.profile = profile
    }

    func encode(to encoder: any Encoder) throws {
        let r = request
        var root = encoder.container(keyedBy: NameKey.self)
        var header = root.nestedContainer(keyedBy: NameKey.self, forKey: NameKey(profile.headerElement))
        try header.put("ProcessExecutionTime", r.processExecutionTime)
        try header.put("QualificationConfirmationDate", r.qualificationConfirmationDate)
        try header.put("MedicalInstitutionCode", r.medicalInstitutionCode)
        try header.put("ArbitraryFileIdentifier", r.arbitraryFileIdentifier)
        try header.put("ReferenceClassification", r.referenceClassification)
        try header.put("CharacterCodeIdentifier", profile.textEncoding.characterCodeIdentifier)

        var body = root.nestedContainer(keyedBy: NameKey.self, forKey: NameKey(profile.bodyElement))
        var search = body.nestedContainer(keyedBy: NameKey.self, forKey: NameKey(profile.searchInfoElement))
        try search.putSearchInfo(r.searchInfo)
        if r.referenceClassification == .myNumberCard, let name = profile.cardHolderKeyElement {
            try search.put(name, r.cardHolderKey)
        }
    }

    init(from decoder: any Decoder) throws {
        let profile = decodingProfile(of: decoder)
        let root = try decoder.container(keyedBy: NameKey.self)
        let header = try root.required(try root.nested(profile.headerElement), profile.headerElement)
        let body = try root.required(try root.nested(profile.bodyElement), profile.bodyElement)
        let search = try body.required(try body.nested(profile.searchInfoElement), profile.searchInfoElement)
        let identifier = try header.required(try header.text("ArbitraryFileIdentifier"), "ArbitraryFileIdentifier")
        guard isAcceptableIdentifier(identifier) else {
            throw DecodingError.dataCorrupted(
                .init(
                    codingPath: header.codingPath + [NameKey("ArbitraryFileIdentifier")],
                    debugDescription: "identifier must be 1–64 characters without control characters"))
        }
        let arbitrary = try search.text("ArbitraryIdentifier")
        if let arbitrary, !isAcceptableIdentifier(arbitrary) {
            throw DecodingError.dataCorrupted(
                .init(
                    codingPath: search.codingPath + [NameKey("ArbitraryIdentifier")],
                    debugDescription: "at most 64 characters without control characters"))
        }
        let reference: ReferenceClassification = try header.required(
            try header.code("ReferenceClassification"),
            "ReferenceClassification")
        let limitFlag: ConsentFlag? = try search.code("LimitApplicationCertificateRelatedConsFlg")
        if reference == .insuranceCard {
            _ = try search.required(limitFlag, "LimitApplicationCertificateRelatedConsFlg")
            _ = try search.required(try search.date("Birthdate"), "Birthdate")
        }
        request = QualificationRequest(
            processExecutionTime: try header.required(
                try header.timestamp("ProcessExecutionTime"), "ProcessExecutionTime"),
            qualificationConfirmationDate: try header.required(
                try header.date("QualificationConfirmationDate"),
                "QualificationConfirmationDate"),
            medicalInstitutionCode: try header.required(
                try header.text("MedicalInstitutionCode"), "MedicalInstitutionCode"),
            arbitraryFileIdentifier: identifier,
            referenceClassification: reference,
            insurerNumber: try search.text("InsurerNumber"),
            insuredCardSymbol: try search.text("InsuredCardSymbol"),
            insuredIdentificationNumber: try search.text("InsuredIdentificationNumber"),
            insuredBranchNumber: try search.text("InsuredBranchNumber"),
            birthdate: try search.date("Birthdate"),
            cardHolderKey: reference == .myNumberCard
                ? try profile.cardHolderKeyElement.flatMap { try search.text($0) } : nil,
            limitApplicationCertificateRelatedConsFlg: limitFlag ?? .notAgreed,
            arbitraryIdentifier: arbitrary,
            consents: ConsentRecords(), verification: nil)
        self.profile = profile
    }
}

// MARK: - Result document

private struct ResultDocument: Codable {
    var result: QualificationResult
    var profile: QualificationXMLProfile

    init(result: QualificationResult, profile: QualificationXMLProfile) {
        self.result = result
        self.profile = profile
    }

    func encode(to encoder: any Encoder) throws {
        let r = result
        var root = encoder.container(keyedBy: NameKey.self)
        var header = root.nestedContainer(keyedBy: NameKey.self, forKey: NameKey(profile.headerElement))
        try header.put("ProcessExecutionTime", r.header.processExecutionTime)
        try header.put("QualificationConfirmationDate", r.header.qualificationConfirmationDate)
        try header.put("MedicalInstitutionCode", r.header.medicalInstitutionCode)
        try header.put("ArbitraryFileIdentifier", r.header.arbitraryFileIdentifier)
        try header.put("ReferenceClassification", r.header.referenceClassification)
        try header.put("SegmentOfResult", r.header.segmentOfResult)
        try header.put("ErrorCode", r.header.errorCode)
        try header.put("ErrorMessage", r.header.errorMessage)
        try header.put("CharacterCodeIdentifier", profile.textEncoding.characterCodeIdentifier)

        guard
            r.processingResultStatus != nil || r.validity != nil || !r.qualifications.isEmpty
                || r.processingResultCode != nil || r.processingResultMessage != nil
                || r.prescriptionIssueSelect != nil || r.searchInfo != nil
        else { return }
        var body = root.nestedContainer(keyedBy: NameKey.self, forKey: NameKey(profile.bodyElement))
        try body.put("ProcessingResultStatus", r.processingResultStatus)
        try body.put("ProcessingResultCode", r.processingResultCode)
        try body.put("ProcessingResultMessage", r.processingResultMessage)
        try body.put("QualificationValidity", r.validity)
        try body.put("PrescriptionIssueSelect", r.prescriptionIssueSelect)
        if let info = r.searchInfo {
            var search = body.nestedContainer(keyedBy: NameKey.self, forKey: NameKey(profile.searchInfoElement))
            try search.putSearchInfo(info)
        }
        if !r.qualifications.isEmpty {
            var list = body.nestedContainer(keyedBy: NameKey.self, forKey: NameKey("ResultList"))
            try list.encode(r.qualifications.map(RecordWire.init), forKey: NameKey("ResultOfQualificationConfirmation"))
        }
    }

    init(from decoder: any Decoder) throws {
        let profile = decodingProfile(of: decoder)
        let root = try decoder.container(keyedBy: NameKey.self)
        let header = try root.required(try root.nested(profile.headerElement), profile.headerElement)
        let segment: SegmentOfResult = try header.required(try header.code("SegmentOfResult"), "SegmentOfResult")
        let identifier = try header.text("ArbitraryFileIdentifier")
        var result = QualificationResult(
            header: ResultHeader(
                processExecutionTime: try header.timestamp("ProcessExecutionTime"),
                qualificationConfirmationDate: try header.date("QualificationConfirmationDate"),
                medicalInstitutionCode: try header.text("MedicalInstitutionCode"),
                arbitraryFileIdentifier: identifier,
                referenceClassification: try header.code("ReferenceClassification"),
                segmentOfResult: segment,
                errorCode: try header.text("ErrorCode"), errorMessage: try header.text("ErrorMessage"),
                characterCodeIdentifier: try header.text("CharacterCodeIdentifier")))
        if let body = try root.nested(profile.bodyElement) {
            result.processingResultStatus = try body.code("ProcessingResultStatus")
            result.processingResultCode = try body.text("ProcessingResultCode")
            result.processingResultMessage = try body.text("ProcessingResultMessage")
            result.validity = try body.code("QualificationValidity")
            result.prescriptionIssueSelect = try body.code("PrescriptionIssueSelect")
            if let search = try body.nested(profile.searchInfoElement) {
                result.searchInfo = QualificationConfirmSearchInfo(
                    insurerNumber: try search.text("InsurerNumber"),
                    insuredCardSymbol: try search.text("InsuredCardSymbol"),
                    insuredIdentificationNumber: try search.text("InsuredIdentificationNumber"),
                    insuredBranchNumber: try search.text("InsuredBranchNumber"),
                    birthdate: try search.date("Birthdate"),
                    limitApplicationCertificateRelatedConsFlg: try search.code(
                        "LimitApplicationCertificateRelatedConsFlg"),
                    arbitraryIdentifier: try search.text("ArbitraryIdentifier"))
            }
            if let list = try body.nested("ResultList"), list.contains(NameKey("ResultOfQualificationConfirmation")) {
                result.qualifications = try list.decode(
                    [RecordWire].self, forKey: NameKey("ResultOfQualificationConfirmation")
                )
                .map(\.record)
            }
            // Some parsers place the 特定疾病 list at body level: attach it to the first record.
            if let list = try body.nested("SpecificDiseasesCertificateList"), !result.qualifications.isEmpty,
                result.qualifications[0].specificDiseasesCertificates.isEmpty
            {
                result.qualifications[0].specificDiseasesCertificates = try RecordWire.diseases(list)
            }
        }
        self.result = result
        self.profile = profile
    }
}

/// One ResultOfQualificationConfirmation element (element names as the OQS result uses them).
private struct RecordWire: Codable {
    var record: QualificationRecord

    init(_ record: QualificationRecord) { self.record = record }

    func encode(to encoder: any Encoder) throws {
        let q = record
        var c = encoder.container(keyedBy: NameKey.self)
        try c.put("InsuredCardClassification", q.insuredCardClassification)
        try c.put("InsurerNumber", q.insurerNumber)
        try c.put("InsuredCardSymbol", q.insuredCardSymbol)
        try c.put("InsuredIdentificationNumber", q.insuredIdentificationNumber)
        try c.put("InsuredBranchNumber", q.insuredBranchNumber)
        try c.put("PersonalFamilyClassification", q.personalFamilyClassification)
        try c.put("InsuredName", q.insuredName)
        try c.put("Name", q.name)
        try c.put("NameOfOther", q.nameOfOther)
        try c.put("NameKana", q.nameKana)
        try c.put("NameOfOtherKana", q.nameOfOtherKana)
        try c.put("Sex1", q.sex1)
        try c.put("Sex2", q.sex2)
        try c.put("Birthdate", q.birthdate)
        try c.put("Address", q.address)
        try c.put("PostNumber", q.postNumber)
        try c.put("QualificationDate", q.qualificationDate)
        try c.put("DisqualificationDate", q.disqualificationDate)
        try c.put("InsuredCertificateIssuanceDate", q.insuredCertificateIssuanceDate)
        try c.put("InsuredCardValidDate", q.insuredCardValidDate)
        try c.put("InsuredCardExpirationDate", q.insuredCardExpirationDate)
        try c.put("InsuredPartialContributionRatio", q.insuredPartialContributionRatio)
        try c.put("PreschoolClassification", q.preschoolClassification)
        try c.put("ReasonOfLoss", q.reasonOfLoss)
        try c.put("InsurerName", q.insurerName)
        if let e = q.elderlyRecipientCertificate {
            var n = c.nestedContainer(keyedBy: NameKey.self, forKey: NameKey("ElderlyRecipientCertificateInfo"))
            try n.put("ElderlyRecipientCertificateDate", e.certificateDate)
            try n.put("ElderlyRecipientValidStartDate", e.validStartDate)
            try n.put("ElderlyRecipientValidEndDate", e.validEndDate)
            try n.put("ElderlyRecipientContributionRatio", e.contributionRatio)
        }
        // The 限度額 consent has a flag and a time only (no AvailableTime in any source).
        if let consent = q.limitApplicationCertificateConsent {
            try c.put("LimitApplicationCertificateRelatedConsFlg", consent.flag)
            try c.put("LimitApplicationCertificateRelatedConsTime", consent.time)
        }
        if let l = q.limitApplicationCertificate {
            var n = c.nestedContainer(keyedBy: NameKey.self, forKey: NameKey("LimitApplicationCertificateRelatedInfo"))
            try n.put("LimitApplicationCertificateClassification", l.classification)
            try n.put("LimitApplicationCertificateClassificationFlag", l.classificationFlag)
            try n.put("LimitApplicationCertificateDate", l.certificateDate)
            try n.put("LimitApplicationCertificateValidStartDate", l.validStartDate)
            try n.put("LimitApplicationCertificateValidEndDate", l.validEndDate)
            try n.put("LimitApplicationCertificateLongTermDate", l.longTermDate)
        }
        try c.put("SpecificDiseasesCertificateRelatedConsFlg", q.specificDiseasesConsentFlag)
        try c.put("SpecificDiseasesCertificateRelatedConsTime", q.specificDiseasesConsentTime)
        if !q.specificDiseasesCertificates.isEmpty {
            var list = c.nestedContainer(keyedBy: NameKey.self, forKey: NameKey("SpecificDiseasesCertificateList"))
            try list.encode(
                q.specificDiseasesCertificates.map(DiseaseWire.init),
                forKey: NameKey("SpecificDiseasesCertificateInfo"))
        }
        if !q.medicalTickets.isEmpty {
            var list = c.nestedContainer(keyedBy: NameKey.self, forKey: NameKey("PublicExpenseResultList"))
            try list.encode(q.medicalTickets.map(TicketWire.init), forKey: NameKey("MedicalTicketInfo"))
        }
        try c.putConsent("SpecificHealthCheckupsInfo", q.specificHealthCheckupsInfoConsent)
        try c.putConsent("PharmacistsInfo", q.pharmacistsInfoConsent)
        try c.putConsent("DiagnosisInfo", q.diagnosisInfoConsent)
        try c.putConsent("OperationInfo", q.operationInfoConsent)
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: NameKey.self)
        var q = QualificationRecord()
        q.insuredCardClassification = try c.code("InsuredCardClassification")
        q.insurerNumber = try c.text("InsurerNumber")
        q.insuredCardSymbol = try c.text("InsuredCardSymbol")
        q.insuredIdentificationNumber = try c.text("InsuredIdentificationNumber")
        q.insuredBranchNumber = try c.text("InsuredBranchNumber")
        q.personalFamilyClassification = try c.code("PersonalFamilyClassification")
        q.insuredName = try c.text("InsuredName")
        q.name = try c.text("Name")
        q.nameKana = try c.text("NameKana")
        q.nameOfOther = try c.text("NameOfOther")
        q.nameOfOtherKana = try c.text("NameOfOtherKana")
        q.address = try c.text("Address")
        q.postNumber = try c.text("PostNumber")
        q.insuredCertificateIssuanceDate = try c.date("InsuredCertificateIssuanceDate")
        q.insuredCardValidDate = try c.date("InsuredCardValidDate")
        q.insuredCardExpirationDate = try c.date("InsuredCardExpirationDate")
        q.preschoolClassification = try c.code("PreschoolClassification")
        q.reasonOfLoss = try c.code("ReasonOfLoss")
        q.specificDiseasesConsentFlag = try c.code("SpecificDiseasesCertificateRelatedConsFlg")
        q.specificDiseasesConsentTime = try c.timestamp("SpecificDiseasesCertificateRelatedConsTime")
        if let list = try c.nested("SpecificDiseasesCertificateList") {
            q.specificDiseasesCertificates = try Self.diseases(list)
        }
        if let list = try c.nested("PublicExpenseResultList"), list.contains(NameKey("MedicalTicketInfo")) {
            q.medicalTickets = try list.decode([TicketWire].self, forKey: NameKey("MedicalTicketInfo")).map(\.ticket)
        }
        q.sex1 = try c.code("Sex1")
        q.sex2 = try c.code("Sex2")
        q.birthdate = try c.date("Birthdate")
        q.qualificationDate = try c.date("QualificationDate")
        q.disqualificationDate = try c.date("DisqualificationDate")
        q.insuredPartialContributionRatio = try c.code("InsuredPartialContributionRatio")
        q.insurerName = try c.text("InsurerName")
        if let n = try c.nested("ElderlyRecipientCertificateInfo") {
            q.elderlyRecipientCertificate = ElderlyRecipientCertificateInfo(
                certificateDate: try n.date("ElderlyRecipientCertificateDate"),
                validStartDate: try n.date("ElderlyRecipientValidStartDate"),
                validEndDate: try n.date("ElderlyRecipientValidEndDate"),
                contributionRatio: try n.code("ElderlyRecipientContributionRatio"))
        }
        if let consent = try c.consent("LimitApplicationCertificateRelated") {
            q.limitApplicationCertificateConsent = ConsentRecord(flag: consent.flag, time: consent.time)
        }
        if let n = try c.nested("LimitApplicationCertificateRelatedInfo") {
            q.limitApplicationCertificate = LimitApplicationCertificateInfo(
                classification: try n.code("LimitApplicationCertificateClassification"),
                classificationFlag: try n.code("LimitApplicationCertificateClassificationFlag"),
                certificateDate: try n.date("LimitApplicationCertificateDate"),
                validStartDate: try n.date("LimitApplicationCertificateValidStartDate"),
                validEndDate: try n.date("LimitApplicationCertificateValidEndDate"),
                longTermDate: try n.date("LimitApplicationCertificateLongTermDate"))
        }
        q.specificHealthCheckupsInfoConsent = try c.consent("SpecificHealthCheckupsInfo")
        q.pharmacistsInfoConsent = try c.consent("PharmacistsInfo")
        q.diagnosisInfoConsent = try c.consent("DiagnosisInfo")
        q.operationInfoConsent = try c.consent("OperationInfo")
        record = q
    }

    static func diseases(_ list: KeyedDecodingContainer<NameKey>) throws -> [SpecificDiseasesCertificate] {
        guard list.contains(NameKey("SpecificDiseasesCertificateInfo")) else { return [] }
        return try list.decode([DiseaseWire].self, forKey: NameKey("SpecificDiseasesCertificateInfo")).map(
            \.certificate)
    }
}

/// One SpecificDiseasesCertificateInfo element.
private struct DiseaseWire: Codable {
    var certificate: SpecificDiseasesCertificate
    init(_ certificate: SpecificDiseasesCertificate) { self.certificate = certificate }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: NameKey.self)
        try c.put("SpecificDiseasesDiseaseCategory", certificate.category)
        try c.put("SpecificDiseasesCertificateDate", certificate.certificateDate)
        try c.put("SpecificDiseasesValidStartDate", certificate.validStartDate)
        try c.put("SpecificDiseasesValidEndDate", certificate.validEndDate)
        try c.put("SpecificDiseasesSelfPay", certificate.selfPay)
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: NameKey.self)
        certificate = SpecificDiseasesCertificate(
            category: try c.code("SpecificDiseasesDiseaseCategory"),
            certificateDate: try c.date("SpecificDiseasesCertificateDate"),
            validStartDate: try c.date("SpecificDiseasesValidStartDate"),
            validEndDate: try c.date("SpecificDiseasesValidEndDate"), selfPay: try c.text("SpecificDiseasesSelfPay"))
    }
}

/// One MedicalTicketInfo element (its 26 fields by name, in document order).
private struct TicketWire: Codable {
    var ticket: MedicalTicketInfo
    init(_ ticket: MedicalTicketInfo) { self.ticket = ticket }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: NameKey.self)
        for (name, _) in MedicalTicketInfo.elementNames { try c.put(name, ticket[name]) }
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: NameKey.self)
        var ticket = MedicalTicketInfo()
        for (name, _) in MedicalTicketInfo.elementNames { ticket[name] = try c.text(name) }
        self.ticket = ticket
    }
}

extension KeyedEncodingContainer where K == NameKey {
    /// The search key's elements in OQS order (LimitApplicationCertificateRelatedConsFlg is always written).
    mutating func putSearchInfo(_ info: QualificationConfirmSearchInfo) throws {
        try put("InsurerNumber", info.insurerNumber)
        try put("InsuredCardSymbol", info.insuredCardSymbol)
        try put("InsuredIdentificationNumber", info.insuredIdentificationNumber)
        try put("InsuredBranchNumber", info.insuredBranchNumber)
        try put("Birthdate", info.birthdate)
        try put(
            "LimitApplicationCertificateRelatedConsFlg", info.limitApplicationCertificateRelatedConsFlg ?? .notAgreed)
        try put("ArbitraryIdentifier", info.arbitraryIdentifier)
    }
}
