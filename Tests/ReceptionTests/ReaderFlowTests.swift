import Foundation
import Reception
import Testing

/// The reader's screens after the identity check, and initial registration (初回登録).
@Suite struct ReaderFlowTests {
    let t0 = Date(timeIntervalSince1970: 1_795_566_600)

    @Test func consentsAndPrescriptionAreStatesWithTimedAnswers() {
        let screens = ReaderScreenConfiguration(asksConsents: true, asksLimitInformation: true, asksPrescription: true)
        var session = ReceptionSession(card: .standard, configuration: ReceptionConfiguration(screens: screens))
        #expect(session.handle(.faceResult(.match), at: t0) == .awaitingConsent(.medicationAndCheckups))
        #expect(
            session.handle(.consentAnswer(.diagnosisAndOperation, agreed: true), at: t0)
                == .awaitingConsent(.medicationAndCheckups))
        #expect(session.lastEventIgnored, "an answer for another screen is ignored")
        #expect(
            session.handle(.consentAnswer(.medicationAndCheckups, agreed: true), at: t0 + 1)
                == .awaitingConsent(.diagnosisAndOperation))
        #expect(
            session.handle(.consentAnswer(.diagnosisAndOperation, agreed: false), at: t0 + 2)
                == .awaitingConsent(.limitInformation))
        #expect(
            session.handle(.consentAnswer(.limitInformation, agreed: true), at: t0 + 3) == .awaitingPrescriptionChoice)
        guard case .verified(let identity) = session.handle(.prescriptionChoice(.electronic), at: t0 + 4) else {
            Issue.record("not verified: \(session.state)")
            return
        }
        #expect(identity.method == .face && identity.verifiedAt == t0)
        #expect(
            identity.readerAnswers
                == ReaderAnswers(
                    medicationAndCheckups: TimedAnswer(true, at: t0 + 1),
                    diagnosisAndOperation: TimedAnswer(false, at: t0 + 2),
                    limitInformation: TimedAnswer(true, at: t0 + 3), prescription: TimedAnswer(.electronic, at: t0 + 4))
        )
    }

    @Test func comprehensiveConsentAnswersEveryScreenAtOnce() {
        var session = ReceptionSession(card: .standard, configuration: ReceptionConfiguration(screens: .standard))
        session.handle(.faceResult(.match), at: t0)
        #expect(session.handle(.comprehensiveConsent(agreed: true), at: t0 + 5) == .awaitingPrescriptionChoice)
        session.handle(.prescriptionChoice(.paper), at: t0 + 6)
        guard case .verified(let identity) = session.state else {
            Issue.record("\(session.state)")
            return
        }
        #expect(identity.readerAnswers?.comprehensive == true)
        #expect(identity.readerAnswers?.diagnosisAndOperation == TimedAnswer(true, at: t0 + 5))
        #expect(identity.readerAnswers?.limitInformation == nil, "the 限度額 screen is off unless the clinic asks")
    }

    @Test func cancelOnAConsentScreenEndsWithoutIdentity() {
        var session = ReceptionSession(card: .standard, configuration: ReceptionConfiguration(screens: .standard))
        session.handle(.faceResult(.match), at: t0)
        #expect(session.handle(.cancel) == .refused(.cancelled))
    }

    @Test func unregisteredCardIsRegisteredWithThePINThenChecked() {
        var card = CardProfile.standard
        card.isRegisteredForInsurance = false
        var session = ReceptionSession(card: card, configuration: ReceptionConfiguration(screens: .standard))
        #expect(session.state == .awaitingRegistrationPIN(triesLeft: 3))
        // A face match alone cannot register.
        #expect(session.handle(.faceResult(.match), at: t0) == .awaitingRegistrationPIN(triesLeft: 3))
        #expect(session.lastEventIgnored)
        // A wrong PIN spends a try.
        #expect(session.handle(.pinResult(.wrong(triesLeft: 2)), at: t0) == .awaitingRegistrationPIN(triesLeft: 2))
        #expect(session.card.pinTriesLeft == 2)
        #expect(session.handle(.pinResult(.accepted), at: t0 + 10) == .awaitingConsent(.medicationAndCheckups))
        #expect(session.card.isRegisteredForInsurance)
        session.handle(.comprehensiveConsent(agreed: true), at: t0 + 11)
        session.handle(.prescriptionChoice(.electronic), at: t0 + 12)
        guard case .verified(let identity) = session.state else {
            Issue.record("\(session.state)")
            return
        }
        #expect(identity.method == .pin)
        #expect(identity.readerAnswers?.initialRegistration == t0 + 10)
    }

    @Test func unregisteredCardWithoutUsablePINCannotRegister() {
        var faceOnly = CardProfile.faceOnly
        faceOnly.isRegisteredForInsurance = false
        #expect(ReceptionSession(card: faceOnly).state == .refused(.registrationNeedsPIN))
        var card = CardProfile.standard
        card.isRegisteredForInsurance = false
        var session = ReceptionSession(card: card)
        session.handle(.pinResult(.wrong(triesLeft: 1)))
        #expect(session.handle(.pinResult(.blocked)) == .refused(.registrationNeedsPIN))
    }
}
