import Foundation
import Reception

extension PatientConsents {
    /// The viewing consents the patient gave on the reader's screens: 薬剤情報・特定健診情報 answers both
    /// PharmacistsInfo and SpecificHealthCheckupsInfo, 診療・手術情報 both DiagnosisInfo and OperationInfo.
    public init(_ answers: ReaderAnswers?) {
        func answer(_ a: TimedAnswer<Bool>?) -> ConsentAnswer? {
            a.map { ConsentAnswer(agreed: $0.value, answeredAt: $0.answeredAt) }
        }
        self.init(
            medication: answer(answers?.medicationAndCheckups),
            specificHealthCheckups: answer(answers?.medicationAndCheckups),
            diagnosis: answer(answers?.diagnosisAndOperation), operation: answer(answers?.diagnosisAndOperation))
    }
}

extension QualificationResult {
    /// The result as the terminal writes it into `face/` after a reader's check: ReferenceClassification 1, every
    /// qualification carrying the consents given on the reader (…ConsFlg, …ConsTime, and …AvailableTime = the
    /// consent time + 24 h for an agreed viewing consent, the 包括同意's validity), the 限度額 consent (flag and time)
    /// when its screen was shown, and PrescriptionIssueSelect (1 electronic, 2 paper) when it was asked.
    /// - Parameters:
    ///   - answers: the session's recorded answers (nil: none shown).
    ///   - timeZone: the zone of the written times (JST).
    public func applyingReaderAnswers(
        _ answers: ReaderAnswers?,
        timeZone: TimeZone = QualificationXMLProfile.japanStandardTime
    ) -> QualificationResult {
        var result = self
        result.header.referenceClassification = .myNumberCard
        guard let answers else { return result }
        func record(_ a: TimedAnswer<Bool>?, available: Bool) -> ConsentRecord? {
            guard let a else { return nil }
            let time = OQSTimestamp(a.answeredAt, timeZone: timeZone)
            let until =
                available && a.value ? OQSTimestamp(a.answeredAt.addingTimeInterval(86_400), timeZone: timeZone) : nil
            return ConsentRecord(flag: ConsentFlag(a.value), time: time, availableTime: until)
        }
        for i in result.qualifications.indices {
            if let c = record(answers.medicationAndCheckups, available: true) {
                result.qualifications[i].pharmacistsInfoConsent = c
                result.qualifications[i].specificHealthCheckupsInfoConsent = c
            }
            if let c = record(answers.diagnosisAndOperation, available: true) {
                result.qualifications[i].diagnosisInfoConsent = c
                result.qualifications[i].operationInfoConsent = c
            }
            if let c = record(answers.limitInformation, available: false) {
                result.qualifications[i].limitApplicationCertificateConsent = c
            }
        }
        if let choice = answers.prescription?.value {
            result.prescriptionIssueSelect = PrescriptionIssueSelect(code: choice == .electronic ? "1" : "2")
        }
        return result
    }
}
