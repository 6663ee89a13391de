import Eligibility
import Foundation
import Testing

@Suite struct XMLCodecTests {
    let codec = QualificationXMLCodec()

    func fixedRequest() throws -> QualificationRequest {
        try Fixture.client().request(for: Fixture.identity(proxy: true), consents: Fixture.consents,
                                     now: Fixture.now, fileIdentifier: "REQ0001")
    }

    @Test func requestEncodesToExactXML() throws {
        let xml = String(decoding: try codec.encode(try fixedRequest()), as: UTF8.self)
        let expected = """
            <?xml version="1.0" encoding="UTF-8"?>
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
                  <CardHolderKey>19800401-20310401</CardHolderKey>
                </QualificationConfirmSearchInfo>
                <PharmacistsInfoConsFlg>1</PharmacistsInfoConsFlg>
                <PharmacistsInfoConsTime>20261125092945</PharmacistsInfoConsTime>
                <SpecificHealthCheckupsInfoConsFlg>1</SpecificHealthCheckupsInfoConsFlg>
                <SpecificHealthCheckupsInfoConsTime>20261125092945</SpecificHealthCheckupsInfoConsTime>
                <DiagnosisInfoConsFlg>1</DiagnosisInfoConsFlg>
                <DiagnosisInfoConsTime>20261125092945</DiagnosisInfoConsTime>
                <OperationInfoConsFlg>1</OperationInfoConsFlg>
                <OperationInfoConsTime>20261125092945</OperationInfoConsTime>
                <MynaFaceIdentityVerification>
                  <Method>face</Method>
                  <Proxy>1</Proxy>
                  <VerifiedTime>20261125092930</VerifiedTime>
                </MynaFaceIdentityVerification>
              </MessageBody>
            </XmlMsg>

            """
        #expect(xml == expected)
    }

    @Test func requestRoundTrips() throws {
        let request = try fixedRequest()
        #expect(try codec.decodeRequest(try codec.encode(request)) == request)
    }

    @Test func insuranceRouteRequestRoundTrips() throws {
        let request = try Fixture.client().request(
            for: Fixture.identity(method: .visual, secondsBefore: 5, staffID: "staff-07"),
            consents: PatientConsents(medication: ConsentAnswer(agreed: false, answeredAt: Fixture.now)),
            insurance: InsuranceCardNumber(insurerNumber: "06130011", symbol: "記号1", number: "2345", branch: "00"),
            now: Fixture.now, fileIdentifier: "REQ-0002")
        let xml = String(decoding: try codec.encode(request), as: UTF8.self)
        #expect(xml.contains("<InsuredCardSymbol>記号1</InsuredCardSymbol>"))
        #expect(xml.contains("<Method>visual</Method>"))
        #expect(xml.contains("<StaffID>staff-07</StaffID>"))
        #expect(!xml.contains("CardHolderKey"))
        #expect(try codec.decodeRequest(try codec.encode(request)) == request)
    }

    @Test func customProfileRenamesElementsAndFiles() throws {
        var profile = QualificationXMLProfile()
        profile.verificationElement = "AuthMethod"
        profile.rootElement = "Request"
        profile.requestFileNamePattern = "req_{id}.xml"
        let custom = QualificationXMLCodec(profile: profile)
        let request = try fixedRequest()
        let xml = String(decoding: try custom.encode(request), as: UTF8.self)
        #expect(xml.contains("<Request>") && xml.contains("<AuthMethod>"))
        #expect(!xml.contains("MynaFaceIdentityVerification"))
        #expect(try custom.decodeRequest(try custom.encode(request)) == request)
        #expect(profile.requestFileName(for: "A1") == "req_A1.xml")
        // The default profile cannot find the verification element under the custom name.
        #expect(throws: EligibilityError.self) { try codec.decodeRequest(try custom.encode(request)) }
    }

    @Test func resultRoundTripsWithEveryField() throws {
        let consent = ConsentRecord(flag: .agreed, time: OQSTimestamp(yyyymmddhhmmss: "20261125092945"),
                                    availableTime: OQSTimestamp(yyyymmddhhmmss: "20261126092945"))
        let record = QualificationRecord(
            insuredCardClassification: .general, insurerNumber: "01130012", insurerName: "協会けんぽ",
            insuredCardSymbol: "12345", insuredIdentificationNumber: "678", insuredBranchNumber: "01",
            personalFamilyClassification: .insuredPerson, name: "山田 太郎", nameKana: "ヤマダ タロウ", sex1: .male,
            birthdate: CalendarDate(yyyymmdd: "19800401"), qualificationDate: CalendarDate(yyyymmdd: "20200401"),
            insuredPartialContributionRatio: ContributionRatio(code: "030"),
            elderlyRecipientCertificate: ElderlyRecipientCertificateInfo(contributionRatio: ContributionRatio(code: "020")),
            limitApplicationCertificateConsent: consent,
            limitApplicationCertificate: LimitApplicationCertificateInfo(classificationFlag: .underSeventy(3)),
            specificHealthCheckupsInfoConsent: consent, pharmacistsInfoConsent: consent,
            diagnosisInfoConsent: consent, operationInfoConsent: consent)
        let result = QualificationResult(
            header: ResultHeader(processExecutionTime: OQSTimestamp(yyyymmddhhmmss: "20261125093001"),
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
        ("<XmlMsg><MessageHeader><ArbitraryFileIdentifier>A</ArbitraryFileIdentifier></MessageHeader></XmlMsg>", "SegmentOfResult"),
        ("<XmlMsg><MessageHeader><SegmentOfResult>1</SegmentOfResult><QualificationConfirmationDate>2026-11-25</QualificationConfirmationDate></MessageHeader></XmlMsg>",
         "QualificationConfirmationDate"),
        ("<XmlMsg><MessageHeader><SegmentOfResult>1</SegmentOfResult></MessageHeader><MessageBody><ResultList><ResultOfQualificationConfirmation><Birthdate>19800231</Birthdate></ResultOfQualificationConfirmation></ResultList></MessageBody></XmlMsg>",
         "Birthdate"),
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
        xml += "]>\n<XmlMsg><MessageHeader><SegmentOfResult>1</SegmentOfResult><ErrorMessage>&a9;</ErrorMessage></MessageHeader></XmlMsg>"
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
        let hostname = (try? String(contentsOfFile: "/etc/hostname", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        if let result = try? QualificationXMLCodec().decodeResult(Data(xml.utf8)), !hostname.isEmpty {
            #expect(result.header.errorMessage?.contains(hostname) != true)
        }
    }
}
