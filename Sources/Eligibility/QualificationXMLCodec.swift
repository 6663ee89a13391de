import Foundation
import XMLCoder

/// Encodes and decodes OQS request and result documents with XMLCoder, under a ``QualificationXMLProfile``.
///
/// Output is UTF-8 with an XML declaration, two-space indentation, elements in OQS order, and absent values
/// omitted. Decoding is strict about values it interprets (dates, times) and lenient about codes (unknown
/// codes are kept) and about elements it does not know (ignored).
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

    /// The result as an XML document.
    /// - Throws: ``EligibilityError/invalidField(field:reason:)`` if XMLCoder rejects a value.
    public func encode(_ result: QualificationResult) throws -> Data {
        try encodeDocument(ResultDocument(result: result, profile: profile))
    }

    /// Decodes a request document (responder side).
    /// - Throws: ``EligibilityError/malformedRequest(path:reason:)`` (path `<data>`) for anything not a request.
    public func decodeRequest(_ data: Data) throws -> QualificationRequest {
        do {
            return try makeDecoder().decode(RequestDocument.self, from: data).request
        } catch {
            throw EligibilityError.malformedRequest(path: "<data>", reason: Self.describe(error))
        }
    }

    /// Decodes a result document.
    /// - Throws: ``EligibilityError/malformedResult(path:reason:)`` (path `<data>`) for anything not a result.
    public func decodeResult(_ data: Data) throws -> QualificationResult {
        do {
            return try makeDecoder().decode(ResultDocument.self, from: data).result
        } catch {
            throw EligibilityError.malformedResult(path: "<data>", reason: Self.describe(error))
        }
    }

    private func encodeDocument<T: Encodable>(_ value: T) throws -> Data {
        let encoder = XMLEncoder()
        encoder.outputFormatting = [.prettyPrinted]
        encoder.prettyPrintIndentation = .spaces(2)
        do {
            var data = try encoder.encode(value, withRootKey: profile.rootElement,
                                          header: XMLHeader(version: 1.0, encoding: "UTF-8"))
            if data.last != UInt8(ascii: "\n") { data.append(UInt8(ascii: "\n")) }
            return data
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
        switch error {
        case DecodingError.keyNotFound(let key, let context):
            return "missing element \(pathText(context.codingPath + [key]))"
        case DecodingError.dataCorrupted(let context):
            let path = pathText(context.codingPath)
            return path.isEmpty ? "not well-formed XML (\(context.debugDescription.prefix(160)))"
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
            throw DecodingError.dataCorrupted(.init(codingPath: codingPath + [NameKey(name)],
                                                    debugDescription: "expected YYYYMMDD, found \(raw.count) characters"))
        }
        return value
    }
    func timestamp(_ name: String) throws -> OQSTimestamp? {
        guard let raw = try text(name) else { return nil }
        guard let value = OQSTimestamp(yyyymmddhhmmss: raw) else {
            throw DecodingError.dataCorrupted(.init(codingPath: codingPath + [NameKey(name)],
                                                    debugDescription: "expected YYYYMMDDHHmmss, found \(raw.count) characters"))
        }
        return value
    }
    func consent(_ prefix: String) throws -> ConsentRecord? {
        guard let flag: ConsentFlag = try code(prefix + "ConsFlg") else { return nil }
        return ConsentRecord(flag: flag, time: try timestamp(prefix + "ConsTime"),
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
        try header.put("CharacterCodeIdentifier", "0")

        var body = root.nestedContainer(keyedBy: NameKey.self, forKey: NameKey(profile.bodyElement))
        var search = body.nestedContainer(keyedBy: NameKey.self, forKey: NameKey(profile.searchInfoElement))
        try search.put("InsurerNumber", r.insurerNumber)
        try search.put("InsuredCardSymbol", r.insuredCardSymbol)
        try search.put("InsuredIdentificationNumber", r.insuredIdentificationNumber)
        try search.put("InsuredBranchNumber", r.insuredBranchNumber)
        try search.put("Birthdate", r.birthdate)
        if let name = profile.cardHolderKeyElement { try search.put(name, r.cardHolderKey) }

        try body.putConsent("PharmacistsInfo", r.consents.pharmacistsInfo)
        try body.putConsent("SpecificHealthCheckupsInfo", r.consents.specificHealthCheckupsInfo)
        try body.putConsent("DiagnosisInfo", r.consents.diagnosisInfo)
        try body.putConsent("OperationInfo", r.consents.operationInfo)

        if let name = profile.verificationElement {
            var v = body.nestedContainer(keyedBy: NameKey.self, forKey: NameKey(name))
            try v.put("Method", r.verification.method.rawValue)
            try v.put("Proxy", r.verification.isProxy ? "1" : "0")
            try v.put("VerifiedTime", r.verification.verifiedAt)
            try v.put("StaffID", r.verification.staffID)
        }
    }

    init(from decoder: any Decoder) throws {
        let profile = decodingProfile(of: decoder)
        let root = try decoder.container(keyedBy: NameKey.self)
        let header = try root.required(try root.nested(profile.headerElement), profile.headerElement)
        let body = try root.required(try root.nested(profile.bodyElement), profile.bodyElement)
        let search = try body.required(try body.nested(profile.searchInfoElement), profile.searchInfoElement)
        guard let verificationName = profile.verificationElement else {
            throw EligibilityError.malformedRequest(path: "<data>",
                reason: "the profile has no verification element, so a request cannot show how the identity was verified")
        }
        let v = try body.required(try body.nested(verificationName), verificationName)
        let methodText = try v.required(try v.text("Method"), "Method")
        guard let method = VerificationMethodCode(rawValue: methodText)?.method else {
            throw DecodingError.dataCorrupted(.init(codingPath: v.codingPath + [NameKey("Method")],
                                                    debugDescription: "unknown verification method (face, pin or visual expected)"))
        }
        let proxy = try v.text("Proxy")
        guard proxy == nil || proxy == "0" || proxy == "1" else {
            throw DecodingError.dataCorrupted(.init(codingPath: v.codingPath + [NameKey("Proxy")], debugDescription: "0 or 1 expected"))
        }
        let verification = IdentityVerificationRecord(
            method: method, isProxy: proxy == "1",
            verifiedAt: try v.required(try v.timestamp("VerifiedTime"), "VerifiedTime"), staffID: try v.text("StaffID"))
        let identifier = try header.required(try header.text("ArbitraryFileIdentifier"), "ArbitraryFileIdentifier")
        guard isSafeFileIdentifier(identifier) else {
            throw DecodingError.dataCorrupted(.init(codingPath: header.codingPath + [NameKey("ArbitraryFileIdentifier")],
                                                    debugDescription: "identifier must be 1–64 letters, digits, - or _"))
        }
        request = QualificationRequest(
            processExecutionTime: try header.required(try header.timestamp("ProcessExecutionTime"), "ProcessExecutionTime"),
            qualificationConfirmationDate: try header.required(try header.date("QualificationConfirmationDate"),
                                                               "QualificationConfirmationDate"),
            medicalInstitutionCode: try header.required(try header.text("MedicalInstitutionCode"), "MedicalInstitutionCode"),
            arbitraryFileIdentifier: identifier,
            referenceClassification: try header.required(try header.code("ReferenceClassification"), "ReferenceClassification"),
            insurerNumber: try search.text("InsurerNumber"),
            insuredCardSymbol: try search.text("InsuredCardSymbol"),
            insuredIdentificationNumber: try search.text("InsuredIdentificationNumber"),
            insuredBranchNumber: try search.text("InsuredBranchNumber"),
            birthdate: try search.date("Birthdate"),
            cardHolderKey: try profile.cardHolderKeyElement.flatMap { try search.text($0) },
            consents: ConsentRecords(pharmacistsInfo: try body.consent("PharmacistsInfo"),
                                     specificHealthCheckupsInfo: try body.consent("SpecificHealthCheckupsInfo"),
                                     diagnosisInfo: try body.consent("DiagnosisInfo"),
                                     operationInfo: try body.consent("OperationInfo")),
            verification: verification)
        self.profile = profile
    }
}

import Reception

/// The verification method as the request writes it.
private enum VerificationMethodCode: String {
    case face, pin, visual
    var method: VerificationMethod {
        switch self {
        case .face: .face
        case .pin: .pin
        case .visual: .visual
        }
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
        try header.put("CharacterCodeIdentifier", r.header.characterCodeIdentifier)

        guard r.processingResultStatus != nil || r.validity != nil || !r.qualifications.isEmpty
              || r.processingResultCode != nil || r.processingResultMessage != nil else { return }
        var body = root.nestedContainer(keyedBy: NameKey.self, forKey: NameKey(profile.bodyElement))
        try body.put("ProcessingResultStatus", r.processingResultStatus)
        try body.put("ProcessingResultCode", r.processingResultCode)
        try body.put("ProcessingResultMessage", r.processingResultMessage)
        try body.put("QualificationValidity", r.validity)
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
        var result = QualificationResult(header: ResultHeader(
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
            if let list = try body.nested("ResultList"), list.contains(NameKey("ResultOfQualificationConfirmation")) {
                result.qualifications = try list.decode([RecordWire].self, forKey: NameKey("ResultOfQualificationConfirmation"))
                    .map(\.record)
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
        try c.put("NameKana", q.nameKana)
        try c.put("Sex1", q.sex1)
        try c.put("Sex2", q.sex2)
        try c.put("Birthdate", q.birthdate)
        try c.put("QualificationDate", q.qualificationDate)
        try c.put("DisqualificationDate", q.disqualificationDate)
        try c.put("InsuredPartialContributionRatio", q.insuredPartialContributionRatio)
        try c.put("InsurerName", q.insurerName)
        if let e = q.elderlyRecipientCertificate {
            var n = c.nestedContainer(keyedBy: NameKey.self, forKey: NameKey("ElderlyRecipientCertificateInfo"))
            try n.put("ElderlyRecipientCertificateDate", e.certificateDate)
            try n.put("ElderlyRecipientValidStartDate", e.validStartDate)
            try n.put("ElderlyRecipientValidEndDate", e.validEndDate)
            try n.put("ElderlyRecipientContributionRatio", e.contributionRatio)
        }
        try c.putConsent("LimitApplicationCertificateRelated", q.limitApplicationCertificateConsent)
        if let l = q.limitApplicationCertificate {
            var n = c.nestedContainer(keyedBy: NameKey.self, forKey: NameKey("LimitApplicationCertificateRelatedInfo"))
            try n.put("LimitApplicationCertificateClassification", l.classification)
            try n.put("LimitApplicationCertificateClassificationFlag", l.classificationFlag)
            try n.put("LimitApplicationCertificateDate", l.certificateDate)
            try n.put("LimitApplicationCertificateValidStartDate", l.validStartDate)
            try n.put("LimitApplicationCertificateValidEndDate", l.validEndDate)
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
        q.limitApplicationCertificateConsent = try c.consent("LimitApplicationCertificateRelated")
        if let n = try c.nested("LimitApplicationCertificateRelatedInfo") {
            q.limitApplicationCertificate = LimitApplicationCertificateInfo(
                classification: try n.text("LimitApplicationCertificateClassification"),
                classificationFlag: try n.code("LimitApplicationCertificateClassificationFlag"),
                certificateDate: try n.date("LimitApplicationCertificateDate"),
                validStartDate: try n.date("LimitApplicationCertificateValidStartDate"),
                validEndDate: try n.date("LimitApplicationCertificateValidEndDate"))
        }
        q.specificHealthCheckupsInfoConsent = try c.consent("SpecificHealthCheckupsInfo")
        q.pharmacistsInfoConsent = try c.consent("PharmacistsInfo")
        q.diagnosisInfoConsent = try c.consent("DiagnosisInfo")
        q.operationInfoConsent = try c.consent("OperationInfo")
        record = q
    }
}
