import Eligibility
import Foundation
import Testing

@Suite struct XMLCodecTests {
    let codec = QualificationXMLCodec()

    func fixedRequest() throws -> QualificationRequest {
        try Fixture.client().request(
            for: Fixture.identity(proxy: true), consents: Fixture.consents,
            now: Fixture.now, fileIdentifier: "REQ0001")
    }

    @Test func requestEncodesToExactXML() throws {
        let xml = String(decoding: try codec.encode(try fixedRequest()), as: UTF8.self)
        let expected = """
            <?xml version="1.0" encoding="UTF-8" standalone="no"?>
            <XmlMsg>
              <MessageHeader>
                <ProcessExecutionTime>20261125093000</ProcessExecutionTime>
                <QualificationConfirmationDate>20261125</QualificationConfirmationDate>
                <MedicalInstitutionCode>1312345678</MedicalInstitutionCode>
                <ArbitraryFileIdentifier>REQ0001</ArbitraryFileIdentifier>
                <ReferenceClassification>1</ReferenceClassification>
                <CharacterCodeIdentifier>0</CharacterCodeIdentifier>
              </MessageHeader>
              <MessageBody>
                <QualificationConfirmSearchInfo>
                  <Birthdate>19800401</Birthdate>
                  <LimitApplicationCertificateRelatedConsFlg>0</LimitApplicationCertificateRelatedConsFlg>
                  <CardHolderKey>19800401-20310401</CardHolderKey>
                </QualificationConfirmSearchInfo>
              </MessageBody>
            </XmlMsg>

            """
        #expect(xml == expected)
        // Neither the consents nor how the identity was verified travel in the request.
        #expect(!xml.contains("ConsFlg>1") && !xml.contains("MynaFaceIdentityVerification"))
    }

    static func sameDocument(_ a: QualificationRequest, _ b: QualificationRequest) -> Bool {
        a.processExecutionTime == b.processExecutionTime
            && a.qualificationConfirmationDate == b.qualificationConfirmationDate
            && a.medicalInstitutionCode == b.medicalInstitutionCode
            && a.arbitraryFileIdentifier == b.arbitraryFileIdentifier
            && a.referenceClassification == b.referenceClassification && a.searchInfo == b.searchInfo
            && a.cardHolderKey == b.cardHolderKey
    }

    @Test func requestRoundTrips() throws {
        let request = try fixedRequest()
        let decoded = try codec.decodeRequest(try codec.encode(request))
        #expect(Self.sameDocument(decoded, request))
        #expect(decoded.verification == nil && decoded.consents == ConsentRecords())
        #expect(request.verification?.isProxy == true)
    }

    @Test func insuranceRouteRequestRoundTripsInBothEncodings() throws {
        var client = Fixture.client()
        client.limitInformationConsent = true
        let request = try client.request(
            for: Fixture.identity(method: .visual, secondsBefore: 5, staffID: "staff-07"),
            consents: PatientConsents(medication: ConsentAnswer(agreed: false, answeredAt: Fixture.now)),
            insurance: InsuranceCardNumber(insurerNumber: "06130011", symbol: "髙～1", number: "2345", branch: "00"),
            now: Fixture.now, fileIdentifier: "ArnHCeDfNjMCFzg=")
        for encoding in OQSTextEncoding.allCases {
            var profile = QualificationXMLProfile()
            profile.textEncoding = encoding
            let c = QualificationXMLCodec(profile: profile)
            let data = try c.encode(request)
            if encoding == .shiftJIS {
                #expect(String(data: data, encoding: .utf8) == nil)  // really Shift_JIS bytes
                #expect(data.starts(with: Array(#"<?xml version="1.0" encoding="Shift_JIS" standalone="no"?>"#.utf8)))
            }
            let xml = String(data: data, encoding: encoding == .utf8 ? .utf8 : .shiftJIS) ?? ""
            #expect(xml.contains("<InsuredCardSymbol>髙～1</InsuredCardSymbol>"))
            #expect(
                xml.contains("<LimitApplicationCertificateRelatedConsFlg>1</LimitApplicationCertificateRelatedConsFlg>")
            )
            #expect(
                xml.contains("<CharacterCodeIdentifier>\(encoding.characterCodeIdentifier)</CharacterCodeIdentifier>"))
            #expect(!xml.contains("CardHolderKey") && !xml.contains("StaffID") && !xml.contains("PharmacistsInfo"))
            // Either codec reads either encoding (the declaration decides).
            #expect(Self.sameDocument(try codec.decodeRequest(data), request))
        }
        #expect(profileName(for: request) == "OQSsiquc01req_ArnHCeDfNjMCFzg_3D.xml")
    }

    func profileName(for request: QualificationRequest) -> String {
        QualificationXMLProfile().requestFileName(for: request.arbitraryFileIdentifier)
    }

    @Test func customProfileRenamesElementsAndFiles() throws {
        var profile = QualificationXMLProfile()
        profile.rootElement = "Request"
        profile.requestFileNamePattern = "req_{id}.xml"
        let custom = QualificationXMLCodec(profile: profile)
        let request = try fixedRequest()
        let xml = String(decoding: try custom.encode(request), as: UTF8.self)
        #expect(xml.contains("<Request>"))
        #expect(Self.sameDocument(try custom.decodeRequest(try custom.encode(request)), request))
        #expect(profile.requestFileName(for: "A1") == "req_A1.xml")
        #expect(profile.requestFileName(for: "../x") == "req__2E_2E_2Fx.xml")
    }

    @Test func resultRoundTripsWithEveryField() throws {
        let consent = ConsentRecord(
            flag: .agreed, time: OQSTimestamp(yyyymmddhhmmss: "20261125092945"),
            availableTime: OQSTimestamp(yyyymmddhhmmss: "20261126092945"))
        let record = QualificationRecord(
            insuredCardClassification: .general, insurerNumber: "01130012", insurerName: "協会けんぽ",
            insuredCardSymbol: "12345", insuredIdentificationNumber: "678", insuredBranchNumber: "01",
            personalFamilyClassification: .insuredPerson, name: "山田 太郎", nameKana: "ヤマダ タロウ", sex1: .male,
            birthdate: CalendarDate(yyyymmdd: "19800401"), qualificationDate: CalendarDate(yyyymmdd: "20200401"),
            insuredPartialContributionRatio: ContributionRatio(code: "030"),
            elderlyRecipientCertificate: ElderlyRecipientCertificateInfo(
                contributionRatio: ContributionRatio(code: "020")),
            limitApplicationCertificateConsent: ConsentRecord(flag: .agreed, time: consent.time),
            limitApplicationCertificate: LimitApplicationCertificateInfo(classificationFlag: .underSeventy(3)),
            specificHealthCheckupsInfoConsent: consent, pharmacistsInfoConsent: consent,
            diagnosisInfoConsent: consent, operationInfoConsent: consent)
        let result = QualificationResult(
            header: ResultHeader(
                processExecutionTime: OQSTimestamp(yyyymmddhhmmss: "20261125093001"),
                qualificationConfirmationDate: CalendarDate(yyyymmdd: "20261125"),
                medicalInstitutionCode: "1312345678", arbitraryFileIdentifier: "REQ0001",
                referenceClassification: .myNumberCard, segmentOfResult: .normal),
            processingResultStatus: .normal, validity: .severalFound, qualifications: [record, record])
        let data = try codec.encode(result)
        let decoded = try codec.decodeResult(data)
        #expect(decoded == result)
        #expect(decoded.qualifications.count == 2)
        #expect(decoded.qualification?.insuredPartialContributionRatio?.percent == 30)
        #expect(decoded.qualification?.limitApplicationCertificate?.classificationFlag?.japaneseName == "ウ")
    }

    @Test func unknownCodesArePreserved() throws {
        let xml = """
            <?xml version="1.0" encoding="UTF-8"?>
            <XmlMsg><MessageHeader><SegmentOfResult>1</SegmentOfResult><ArbitraryFileIdentifier>X1</ArbitraryFileIdentifier></MessageHeader>
            <MessageBody><ProcessingResultStatus>1</ProcessingResultStatus><QualificationValidity>7</QualificationValidity>
            <ResultList><ResultOfQualificationConfirmation><InsuredCardClassification>Z9</InsuredCardClassification>
            <LimitApplicationCertificateRelatedInfo><LimitApplicationCertificateClassificationFlag>B11</LimitApplicationCertificateClassificationFlag></LimitApplicationCertificateRelatedInfo>
            <NewElementFromAFutureSpec>x</NewElementFromAFutureSpec>
            </ResultOfQualificationConfirmation></ResultList></MessageBody></XmlMsg>
            """
        let result = try codec.decodeResult(Data(xml.utf8))
        #expect(result.validity == .unrecognized("7"))
        #expect(result.qualification?.insuredCardClassification == .unrecognized("Z9"))
        #expect(result.qualification?.limitApplicationCertificate?.classificationFlag == .unrecognized("B11"))
        #expect(LimitApplicationClass(code: "B10") == .seventyAndOver(10))
        #expect(LimitApplicationClass(code: "A06").code == "A06")
        let again = try codec.decodeResult(try codec.encode(result))
        #expect(again.validity?.code == "7")
    }

    @Test(arguments: [
        ("not xml at all", "not well-formed"),
        ("<XmlMsg><MessageBody/></XmlMsg>", "MessageHeader"),
        (
            "<XmlMsg><MessageHeader><ArbitraryFileIdentifier>A</ArbitraryFileIdentifier></MessageHeader></XmlMsg>",
            "SegmentOfResult"
        ),
        (
            "<XmlMsg><MessageHeader><SegmentOfResult>1</SegmentOfResult><QualificationConfirmationDate>2026-11-25</QualificationConfirmationDate></MessageHeader></XmlMsg>",
            "QualificationConfirmationDate"
        ),
        (
            "<XmlMsg><MessageHeader><SegmentOfResult>1</SegmentOfResult></MessageHeader><MessageBody><ResultList><ResultOfQualificationConfirmation><Birthdate>19800231</Birthdate></ResultOfQualificationConfirmation></ResultList></MessageBody></XmlMsg>",
            "Birthdate"
        ),
    ])
    func malformedResultIsATypedError(xml: String, mentions: String) throws {
        do {
            _ = try codec.decodeResult(Data(xml.utf8))
            Issue.record("decoded a malformed result")
        } catch let EligibilityError.malformedResult(_, reason) {
            #expect(reason.contains(mentions), "reason: \(reason)")
        }
    }

    @Test func datesParseStrictly() {
        #expect(CalendarDate(yyyymmdd: "20240229")?.day == 29)
        #expect(CalendarDate(yyyymmdd: "20230229") == nil)
        #expect(CalendarDate(yyyymmdd: "2024022") == nil)
        #expect(CalendarDate(yyyymmdd: "2024-2-29") == nil)
        #expect(OQSTimestamp(yyyymmddhhmmss: "20261125240000") == nil)
        #expect(OQSTimestamp(Fixture.now, timeZone: QualificationXMLProfile.japanStandardTime).text == "20261125093000")
        #expect(ContributionRatio(percent: 10).code == "010")
    }
}

@Suite struct HostileXMLTests {
    @Test func entityExpansionIsRefusedQuickly() throws {
        var xml = "<?xml version=\"1.0\"?>\n<!DOCTYPE XmlMsg [\n<!ENTITY a0 \"lollollollollollollollollollol\">\n"
        for i in 1...9 { xml += "<!ENTITY a\(i) \"" + String(repeating: "&a\(i - 1);", count: 10) + "\">\n" }
        xml +=
            "]>\n<XmlMsg><MessageHeader><SegmentOfResult>1</SegmentOfResult><ErrorMessage>&a9;</ErrorMessage></MessageHeader></XmlMsg>"
        let clock = ContinuousClock()
        let start = clock.now
        let outcome = Result { try QualificationXMLCodec().decodeResult(Data(xml.utf8)) }
        #expect(start.duration(to: clock.now) < .seconds(5))
        if case .success(let result) = outcome {
            // If the parser did not refuse it, it must not have expanded 3·10^10 characters.
            #expect((result.header.errorMessage?.utf8.count ?? 0) < 1_000_000)
        }
    }

    @Test func externalEntitiesAreNotRead() throws {
        let xml = """
            <?xml version="1.0"?>
            <!DOCTYPE XmlMsg [<!ENTITY x SYSTEM "file:///etc/hostname">]>
            <XmlMsg><MessageHeader><SegmentOfResult>1</SegmentOfResult><ErrorMessage>&x;</ErrorMessage></MessageHeader></XmlMsg>
            """
        let hostname =
            (try? String(contentsOfFile: "/etc/hostname", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        if let result = try? QualificationXMLCodec().decodeResult(Data(xml.utf8)), !hostname.isEmpty {
            #expect(result.header.errorMessage?.contains(hostname) != true)
        }
    }
}
