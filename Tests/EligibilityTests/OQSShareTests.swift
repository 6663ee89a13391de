import Eligibility
import Foundation
import MynaFaceTesting
import Reception
import Testing

/// The real file exchange: encodings, face/ results, req/res/.err, and files that are truncated, oversized,
/// wrongly encoded or half-written.
@Suite struct OQSShareTests {
    static let jst = QualificationXMLProfile.japanStandardTime

    func share(_ name: String) throws -> OQSShare {
        let share = OQSShare(root: try Fixture.folder(name))
        try share.create()
        return share
    }

    func files(_ url: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []).sorted()
    }

    @Test func shiftJISRoundTripsTheCharactersClinicsUse() throws {
        let text = #"<?xml version="1.0" encoding="UTF-8" standalone="no"?><a>髙橋 ～ ﾀﾞ Ⅲ ① 〜 −</a>"#
        let data = try OQSTextEncoding.shiftJIS.encode(text)
        #expect(Array(data.prefix(5)) == Array("<?xml".utf8))
        #expect(data.range(of: Data([0xFB, 0xFC])) != nil)  // 髙 in CP932
        #expect(data.range(of: Data([0x81, 0x60])) != nil)  // ～
        let (utf8, encoding) = try OQSTextEncoding.decode(data)
        #expect(encoding == .shiftJIS)
        #expect(
            String(decoding: utf8, as: UTF8.self)
                == #"<?xml version="1.0" encoding="UTF-8" standalone="no"?><a>髙橋 ～ ﾀﾞ Ⅲ ① ～ －</a>"#)
        #expect(throws: OQSTextEncodingError.unrepresentable(scalar: "U+1F600", encoding: .shiftJIS)) {
            try OQSTextEncoding.shiftJIS.encode("<a>😀</a>")
        }
        #expect(throws: OQSTextEncodingError.invalidBytes(declared: .shiftJIS)) {
            try OQSTextEncoding.decode(Data(#"<?xml version="1.0" encoding="Shift_JIS"?><a>"#.utf8) + Data([0x82]))
        }
        #expect(throws: OQSTextEncodingError.invalidBytes(declared: .utf8)) {
            try OQSTextEncoding.decode(Data([0x3C, 0x61, 0xFF]))
        }
        #expect(throws: OQSTextEncodingError.unsupportedDeclaration("EUC-JP")) {
            try OQSTextEncoding.decode(Data(#"<?xml version="1.0" encoding="EUC-JP"?><a/>"#.utf8))
        }
    }

    @Test func faceFileNamesMatchWhatClinicWatchersExpect() {
        let time = OQSTimestamp(yyyymmddhhmmss: "20261125093000")!
        #expect(
            OQSFileNames.faceResultFileName(identifier: "ArnHCeDfNjMCFzg=", at: time)
                == "OQSsiquc01res_face_ArnHCeDfNjMCFzg_3D_20261125093000.xml")
        #expect(OQSFileNames.isFaceResultFileName("OQSsiquc01res_face_x_20261125093000.xml"))
        #expect(!OQSFileNames.isFaceResultFileName("OQSsiquc01res_face_20261125093000.xml"))
        #expect(!OQSFileNames.isFaceResultFileName("OQSsiquc01res_face_x_2026112509300a.xml"))
        #expect(OQSFileNames.resultFileName(forRequest: "OQSsiquc01req_A.xml") == "OQSsiquc01res_A.xml")
        #expect(OQSFileNames.errorFileName(forRequest: "OQSsiquc01req_A.xml") == "OQSsiquc01req_A.err")
    }

    func faceResult() -> QualificationResult {
        var record = QualificationRecord(
            insuredCardClassification: .selfDefenseForces, insurerNumber: "123456",
            name: "髙橋 一郎", nameKana: "ﾀｶﾊｼ ｲﾁﾛｳ", sex1: .male,
            birthdate: CalendarDate(yyyymmdd: "19800401"))
        record.address = "東京都千代田区～1"
        record.postNumber = "100-0001"
        let result = QualificationResult(
            header: ResultHeader(
                processExecutionTime: OQSTimestamp(yyyymmddhhmmss: "20261125093001"),
                qualificationConfirmationDate: CalendarDate(yyyymmdd: "20261125"),
                medicalInstitutionCode: "1312345678", arbitraryFileIdentifier: "ArnHCeDfNjMCFzg=",
                segmentOfResult: .normal),
            processingResultStatus: .normal, processingResultCode: "W001",
            processingResultMessage: "マイナンバーカードの失効期限3か月前", validity: .valid, qualifications: [record])
        let at = Fixture.now
        let answers = ReaderAnswers(
            medicationAndCheckups: TimedAnswer(true, at: at), diagnosisAndOperation: TimedAnswer(false, at: at),
            limitInformation: TimedAnswer(true, at: at), prescription: TimedAnswer(.paper, at: at))
        return result.applyingReaderAnswers(answers, timeZone: Self.jst)
    }

    @Test(arguments: OQSTextEncoding.allCases)
    func faceResultIsWrittenAtomicallyAndRoundTripsThroughTheWatcher(encoding: OQSTextEncoding) throws {
        let share = try share("face-\(encoding.characterCodeIdentifier)")
        defer { try? FileManager.default.removeItem(at: share.root) }
        var profile = QualificationXMLProfile()
        profile.textEncoding = encoding
        let url = try FaceResultWriter(directory: share.face, profile: profile).write(faceResult(), at: Fixture.now)
        #expect(url.lastPathComponent == "OQSsiquc01res_face_ArnHCeDfNjMCFzg_3D_20261125093000.xml")
        #expect(files(share.face) == [url.lastPathComponent], "no temporary file is left")
        let text = String(data: try Data(contentsOf: url), encoding: encoding == .utf8 ? .utf8 : .shiftJIS) ?? ""
        #expect(text.contains("<ReferenceClassification>1</ReferenceClassification>"))
        #expect(text.contains("<CharacterCodeIdentifier>\(encoding.characterCodeIdentifier)</CharacterCodeIdentifier>"))
        #expect(text.contains("<PharmacistsInfoConsFlg>1</PharmacistsInfoConsFlg>"))
        #expect(text.contains("<PharmacistsInfoConsTime>20261125093000</PharmacistsInfoConsTime>"))
        #expect(text.contains("<PharmacistsInfoAvailableTime>20261126093000</PharmacistsInfoAvailableTime>"))
        #expect(
            text.contains("<DiagnosisInfoConsFlg>0</DiagnosisInfoConsFlg>")
                && !text.contains("DiagnosisInfoAvailableTime"))
        #expect(
            text.contains("<LimitApplicationCertificateRelatedConsFlg>1</LimitApplicationCertificateRelatedConsFlg>"))
        #expect(!text.contains("LimitApplicationCertificateRelatedAvailableTime") && !text.contains("MynaFace"))
        #expect(text.contains("<PrescriptionIssueSelect>2</PrescriptionIssueSelect>"))

        var watcher = FaceResultWatcher(folder: share.face)
        #expect(try watcher.poll().isEmpty, "first look: content not yet known to be stable")
        let delivered = try watcher.poll()
        var expected = faceResult()
        expected.header.characterCodeIdentifier = encoding.characterCodeIdentifier
        #expect(delivered == [.result(fileName: url.lastPathComponent, expected)])
        #expect(files(share.face) == ["done"])
        #expect(files(share.face.appendingPathComponent("done")) == [url.lastPathComponent])
    }

    @Test func watcherHandlesEveryBadFileWithoutLosingIt() throws {
        let share = try share("face-bad")
        defer { try? FileManager.default.removeItem(at: share.root) }
        var profile = QualificationXMLProfile()
        profile.maximumFileBytes = 4096
        let good = try QualificationXMLCodec(profile: profile).encode(faceResult())
        func put(_ name: String, _ data: Data) throws { try data.write(to: share.face.appendingPathComponent(name)) }
        let truncated = "OQSsiquc01res_face_T_20261125093000.xml"
        let oversized = "OQSsiquc01res_face_O_20261125093000.xml"
        let wrong = "OQSsiquc01res_face_W_20261125093000.xml"
        let half = "OQSsiquc01res_face_H_20261125093000.xml"
        try put(truncated, good.prefix(good.count / 2))
        try put(oversized, Data(repeating: 0x20, count: 5000))
        try put(wrong, Data(#"<?xml version="1.0" encoding="UTF-8"?><XmlMsg>"#.utf8) + Data([0x82, 0xA0]))
        try put(half, good.prefix(100))
        try put("notes.txt", Data("left alone".utf8))
        var watcher = FaceResultWatcher(folder: share.face, profile: profile)
        let first = try watcher.poll()
        #expect(
            first.map(\.self) == [
                .quarantined(
                    fileName: oversized,
                    reason: EligibilityError.fileTooLarge(
                        path: share.face.appendingPathComponent(oversized).path, bytes: 5000, limit: 4096
                    ).description)
            ])
        try put(half, good)  // the writer finishes
        let second = try watcher.poll()
        let quarantined = second.compactMap { if case .quarantined(let name, _) = $0 { name } else { nil } }
        #expect(quarantined == [truncated, wrong])
        #expect(
            second.allSatisfy { if case .result = $0 { false } else { true } },
            "the half-written file changed: not taken yet")
        #expect(try watcher.poll() == [.result(fileName: half, faceResult())])
        let q = share.face.appendingPathComponent("quarantine")
        #expect(
            files(q) == [
                oversized, oversized + ".reason.txt", truncated, truncated + ".reason.txt", wrong,
                wrong + ".reason.txt",
            ])
        #expect(
            try String(contentsOf: q.appendingPathComponent(wrong + ".reason.txt"), encoding: .utf8).contains(
                "not valid UTF-8"))
        #expect(files(share.face) == ["done", "notes.txt", "quarantine"])
    }

    @Test(arguments: OQSTextEncoding.allCases)
    func insuranceCardRouteEndToEndThroughReqAndRes(encoding: OQSTextEncoding) async throws {
        let share = try share("route-\(encoding.characterCodeIdentifier)")
        defer { try? FileManager.default.removeItem(at: share.root) }
        var profile = QualificationXMLProfile()
        profile.textEncoding = encoding
        let responder = FileDropResponder(
            requestDirectory: share.requests, resultDirectory: share.results,
            faceDirectory: share.face, service: try Fixture.registry(), profile: profile)
        let task = Task {
            var r = responder
            return try await r.run(stopAfter: 2, timeout: .seconds(60), pollInterval: .milliseconds(10))
        }
        // A malformed request, as another program would drop it: answered with .err and quarantined.
        try Data("<XmlMsg><MessageHeader>".utf8).write(
            to: share.requests.appendingPathComponent("OQSsiquc01req_BAD.xml"))
        let service = FileDropQualificationService(
            requestDirectory: share.requests, resultDirectory: share.results,
            profile: profile, timeout: .seconds(60), pollInterval: .milliseconds(10))
        let client = QualificationClient(
            service: service, medicalInstitutionCode: Fixture.institution, profile: profile)
        let request = try client.request(
            for: Fixture.identity(birthDate: DemoRegistry.changedInsurerBirthdate), consents: .none,
            insurance: DemoRegistry.changedInsurerOldCard, now: Fixture.now,
            fileIdentifier: "B4u_QfxBNjMCL4w=")
        let result = try await service.check(request)
        #expect(try await task.value == 2)
        #expect(result.validity == .invalidWithNewQualification)
        #expect(result.header.characterCodeIdentifier == encoding.characterCodeIdentifier)
        #expect(result.searchInfo?.insurerNumber == "06130011")
        #expect(result.searchInfo?.limitApplicationCertificateRelatedConsFlg == .notAgreed)
        #expect(files(share.results) == ["OQSsiquc01req_BAD.err"])
        #expect(files(share.requests.appendingPathComponent("done")) == ["OQSsiquc01req_B4u_5FQfxBNjMCL4w_3D.xml"])
        #expect(
            files(share.requests.appendingPathComponent("quarantine")) == [
                "OQSsiquc01req_BAD.xml", "OQSsiquc01req_BAD.xml.reason.txt",
            ])
        let err = try QualificationXMLCodec().decodeResult(
            Data(contentsOf: share.results.appendingPathComponent("OQSsiquc01req_BAD.err")))
        #expect(
            err.header.segmentOfResult == .error && err.header.errorCode == FileDropResponder.malformedRequestErrorCode)
    }

    @Test func aRefusedRequestIsATypedErrorForTheClient() async throws {
        let share = try share("refused")
        defer { try? FileManager.default.removeItem(at: share.root) }
        var profile = QualificationXMLProfile()
        profile.maximumFileBytes = 100  // every request is "oversized" for this responder
        let responder = FileDropResponder(
            requestDirectory: share.requests, resultDirectory: share.results,
            service: try Fixture.registry(), profile: profile)
        let task = Task {
            var r = responder
            return try await r.run(stopAfter: 1, timeout: .seconds(60), pollInterval: .milliseconds(10))
        }
        let service = FileDropQualificationService(
            requestDirectory: share.requests, resultDirectory: share.results,
            timeout: .seconds(60), pollInterval: .milliseconds(10))
        let request = try Fixture.client().request(
            for: Fixture.identity(), consents: .none,
            insurance: DemoRegistry.changedInsurerOldCard, now: Fixture.now, fileIdentifier: "R1")
        do {
            _ = try await service.check(request)
            Issue.record("an oversized request was answered")
        } catch let EligibilityError.requestRefused(id, reason) {
            #expect(id == "R1" && reason.hasPrefix("MF0001"))
        }
        _ = try await task.value
        #expect(files(share.requests.appendingPathComponent("quarantine")).count == 2)
    }

    @Test func responderRefusesWronglyEncodedAndWaitsForHalfWrittenRequests() async throws {
        let share = try share("req-bad")
        defer { try? FileManager.default.removeItem(at: share.root) }
        let request = try Fixture.client().request(
            for: Fixture.identity(birthDate: DemoRegistry.changedInsurerBirthdate),
            consents: .none, insurance: DemoRegistry.changedInsurerOldCard,
            now: Fixture.now, fileIdentifier: "H1")
        let good = try QualificationXMLCodec().encode(request)
        let wrong = "OQSsiquc01req_W1.xml"
        let half = "OQSsiquc01req_H1.xml"
        try (Data(#"<?xml version="1.0" encoding="Shift_JIS"?><XmlMsg>"#.utf8) + Data([0x82]))
            .write(to: share.requests.appendingPathComponent(wrong))
        try good.prefix(60).write(to: share.requests.appendingPathComponent(half))
        var responder = FileDropResponder(
            requestDirectory: share.requests, resultDirectory: share.results,
            service: try Fixture.registry())
        #expect(try await responder.answerPending().isEmpty)
        try good.write(to: share.requests.appendingPathComponent(half))  // the writer finishes
        let second = try await responder.answerPending()
        #expect(second.map(\.answerName) == ["OQSsiquc01req_W1.err"], "the changed file is not taken yet")
        let third = try await responder.answerPending()
        #expect(third.map(\.answerName) == ["OQSsiquc01res_H1.xml"])
        #expect(third.first?.validity == .invalidWithNewQualification)
        let reason = try String(
            contentsOf: share.requests.appendingPathComponent("quarantine/\(wrong).reason.txt"), encoding: .utf8)
        #expect(reason.contains("not valid Shift_JIS"))
    }

    @Test func resultFieldsAndCodeTablesFromAHandBuiltDocument() throws {
        let xml = """
            <?xml version="1.0" encoding="UTF-8" standalone="no"?>
            <XmlMsg><MessageHeader><ReferenceClassification>2</ReferenceClassification><SegmentOfResult>1</SegmentOfResult>
            <CharacterCodeIdentifier>0</CharacterCodeIdentifier></MessageHeader>
            <MessageBody><ProcessingResultStatus>1</ProcessingResultStatus><QualificationValidity>1</QualificationValidity>
            <PrescriptionIssueSelect>1</PrescriptionIssueSelect>
            <QualificationConfirmSearchInfo><InsurerNumber>06130011</InsurerNumber><Birthdate>19900220</Birthdate>
            <LimitApplicationCertificateRelatedConsFlg>1</LimitApplicationCertificateRelatedConsFlg><ArbitraryIdentifier>k=1</ArbitraryIdentifier></QualificationConfirmSearchInfo>
            <ResultList><ResultOfQualificationConfirmation>
            <InsuredCardClassification>05</InsuredCardClassification><InsurerNumber>  123456</InsurerNumber><NameOfOther>旧姓 花子</NameOfOther><NameOfOtherKana>ｷｭｳｾｲ</NameOfOtherKana>
            <InsuredCertificateIssuanceDate>20200101</InsuredCertificateIssuanceDate><InsuredCardValidDate>20200102</InsuredCardValidDate>
            <InsuredCardExpirationDate>20300101</InsuredCardExpirationDate><PreschoolClassification>1</PreschoolClassification>
            <ReasonOfLoss>99</ReasonOfLoss>
            <LimitApplicationCertificateRelatedInfo><LimitApplicationCertificateClassification>02</LimitApplicationCertificateClassification>
            <LimitApplicationCertificateClassificationFlag>B05</LimitApplicationCertificateClassificationFlag>
            <LimitApplicationCertificateLongTermDate>20250801</LimitApplicationCertificateLongTermDate></LimitApplicationCertificateRelatedInfo>
            <SpecificDiseasesCertificateRelatedConsFlg>2</SpecificDiseasesCertificateRelatedConsFlg>
            <SpecificDiseasesCertificateRelatedConsTime>20261101100000</SpecificDiseasesCertificateRelatedConsTime>
            <SpecificDiseasesCertificateList><SpecificDiseasesCertificateInfo><SpecificDiseasesDiseaseCategory>1</SpecificDiseasesDiseaseCategory>
            <SpecificDiseasesSelfPay>10000</SpecificDiseasesSelfPay></SpecificDiseasesCertificateInfo>
            <SpecificDiseasesCertificateInfo><SpecificDiseasesDiseaseCategory>9</SpecificDiseasesDiseaseCategory></SpecificDiseasesCertificateInfo></SpecificDiseasesCertificateList>
            <PublicExpenseResultList><MedicalTicketInfo><TicketType>1</TicketType><StatusOfInfecton>0</StatusOfInfecton><Remarks3>備考</Remarks3></MedicalTicketInfo></PublicExpenseResultList>
            </ResultOfQualificationConfirmation></ResultList></MessageBody></XmlMsg>
            """
        let codec = QualificationXMLCodec()
        let result = try codec.decodeResult(Data(xml.utf8))
        let q = try #require(result.qualification)
        #expect(q.insuredCardClassification == .qualificationCertificate)
        #expect(q.insurerNumber == "123456", "a space-padded 6-digit insurer number is read trimmed")
        #expect(q.nameOfOther == "旧姓 花子" && q.nameOfOtherKana == "ｷｭｳｾｲ")
        #expect(q.insuredCardExpirationDate?.yyyymmdd == "20300101")
        #expect(q.preschoolClassification?.japaneseLabel == "未就学" && q.reasonOfLoss?.japaneseLabel == "その他")
        #expect(q.limitApplicationCertificate?.classification?.japaneseLabel == "限度額適用・標準負担額減額認定証")
        #expect(q.limitApplicationCertificate?.classificationFlag?.japaneseName == "低所得Ⅱ")
        #expect(q.limitApplicationCertificate?.longTermDate?.yyyymmdd == "20250801")
        #expect(q.specificDiseasesConsentFlag?.japaneseLabel == "同意有効期限切れ")
        #expect(q.specificDiseasesCertificates.map { $0.category?.code } == ["1", "9"])
        #expect(q.specificDiseasesCertificates[1].category?.isKnown == false)
        #expect(q.medicalTickets.first?["StatusOfInfecton"] == "0" && q.medicalTickets.first?["Remarks3"] == "備考")
        #expect(result.prescriptionIssueSelect?.japaneseLabel == "電子処方箋")
        #expect(result.searchInfo?.arbitraryIdentifier == "k=1")
        #expect(try codec.decodeResult(try codec.encode(result)) == result, "every field and unknown code round-trips")
        let labels = Dictionary(result.labelledFields.map { ($0.label, $0.value) }, uniquingKeysWith: { a, _ in a })
        #expect(labels["被保険者証区分"] == "05 被保険者資格証明書")
        #expect(labels["限度額適用認定証適用区分"] == "B05 低所得Ⅱ")
        #expect(labels["特定疾病療養受療証1 認定疾病区分"] == "1 人工透析を要する慢性腎不全")
        #expect(labels["医療券1 備考3"] == "備考")
    }

    @Test func processingSegmentIsNotAnError() async throws {
        let share = try share("processing")
        defer { try? FileManager.default.removeItem(at: share.root) }
        let xml =
            "<XmlMsg><MessageHeader><ArbitraryFileIdentifier>P2</ArbitraryFileIdentifier><SegmentOfResult>2</SegmentOfResult></MessageHeader></XmlMsg>"
        try Data(xml.utf8).write(to: share.results.appendingPathComponent("OQSsiquc01res_P2.xml"))
        let service = FileDropQualificationService(
            requestDirectory: share.requests, resultDirectory: share.results,
            pollInterval: .milliseconds(10))
        let result = try await service.check(
            try Fixture.client().request(
                for: Fixture.identity(), consents: .none,
                now: Fixture.now, fileIdentifier: "P2"))
        #expect(result.isProcessing && !result.isEligible)
        #expect(result.labelledFields.contains(LabelledField(label: "処理結果区分", value: "2 処理中")))
    }

    @Test func registryKnowsUnregisteredCards() throws {
        let registry = try Fixture.registry()
        #expect(try registry.isRegistered(cardHolderKey: DemoRegistry.unregisteredKey) == false)
        #expect(try registry.isRegistered(cardHolderKey: DemoRegistry.validKey) == true)
        #expect(try registry.isRegistered(cardHolderKey: DemoRegistry.unknownKey) == nil)
        let parts = DemoRegistry.unregisteredKey.split(separator: "-").map(String.init)
        let request = try Fixture.client().request(
            for: Fixture.identity(birthDate: parts[0], cardExpiry: parts[1]),
            consents: .none, now: Fixture.now)
        #expect(try registry.answer(request).validity == .notFound)
        #expect(try registry.register(cardHolderKey: DemoRegistry.unregisteredKey))
        #expect(try registry.answer(request).validity == .valid)
    }

    /// Property: whatever bytes a file holds (mutations and truncations of a real document in both encodings), the
    /// decoders return a result or a typed error — never crash, never hang.
    @Test func decodersSurviveMutatedFiles() throws {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        var outcomes = (decoded: 0, refused: 0)
        for encoding in OQSTextEncoding.allCases {
            var profile = QualificationXMLProfile()
            profile.textEncoding = encoding
            let codec = QualificationXMLCodec(profile: profile)
            let good = [UInt8](try codec.encode(faceResult()))
            for _ in 0..<150 {
                var bytes = good
                switch next() % 3 {
                case 0: bytes = Array(bytes.prefix(Int(next() % UInt64(bytes.count))))
                case 1:
                    for _ in 0..<(1 + next() % 8) {
                        bytes[Int(next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: next())
                    }
                default: bytes.insert(contentsOf: [0x82, 0x3C, 0xFF], at: Int(next() % UInt64(bytes.count)))
                }
                do {
                    _ = try codec.decodeResult(Data(bytes))
                    outcomes.decoded += 1
                } catch is EligibilityError {
                    outcomes.refused += 1
                }
                #expect(throws: (any Error).self) { _ = try codec.decodeRequest(Data(bytes)) }
            }
        }
        #expect(outcomes.decoded + outcomes.refused == 300)
        #expect(outcomes.refused > 0)
    }
}
