import ArgumentParser
import CardAccess
import Eligibility
import FaceImaging
import FaceReception
import Foundation
import MynaCard
import MynaFace
import MynaFaceTesting
import Reception

/// `mynaface session --portrait CARD_OR_IMAGE --probe CAMERA_IMAGE [--pin-stdin] [--card-state FILE]`:
/// the whole reception flow against a ``SimulatedCard``.
///
/// Without `--card-state`, or when the file does not exist yet, a simulated card is issued (generated keys)
/// with the portrait as DF27: a card-face file's DF27 as is, a bare JPEG 2000 as is, any other image
/// converted to a greyscale JP2 of about 10 KB like a chip copy. With `--card-state` the card, its counters
/// and its issuer are kept in that JSON file between runs, so face failures and PIN errors accumulate across
/// visits as on a real card.
///
/// Exit status: 0 identity verified, 1 refused, 3 unreadable input, 4 models or pipeline failure.
struct SessionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "session",
        abstract: "Run a reception identity check (face → PIN → staff) against a simulated My Number Card.",
        discussion: """
            PINs are read from standard input with --pin-stdin, one line per attempt (never echoed or logged). \
            Exit status: 0 verified, 1 refused, 3 unreadable input, 4 models missing or pipeline failure.
            """)

    @Option(help: "The card portrait: a card-face file (EF 0002), a JPEG 2000 file or an image.")
    var portrait: String

    @Option(
        help:
            "A camera frame (JPEG or PNG); repeat for several frames of one attempt (fused, one decision). Every face attempt uses these frames."
    )
    var probe: [String]

    @OptionGroup var operatingPoint: OperatingPointOptions

    @OptionGroup var modelOptions: ModelOptions

    @Option(
        help:
            "Liveness check of each face attempt: off, passive, challenge:left or challenge:right (a suspected attack counts as a face failure and goes on to the PIN or staff)."
    )
    var liveness: LivenessPolicy = .off

    @Flag(help: "Read PIN attempts from standard input, one per line.")
    var pinStdin = false

    @Option(help: "A JSON file holding the simulated card and its counters (created when absent).")
    var cardState: String?

    @Option(help: "Card variant when a card is issued: standard, face-only or no-photo.")
    var variant: SimulatedCardState.Variant = .standard

    @Option(help: "The simulated card's PIN when a card is issued.")
    var cardPIN: String = "1234"

    @Flag(help: "A guardian operates for the card holder (no face check).")
    var proxy = false

    @Option(help: "Face attempts per visit.")
    var faceAttempts: Int = 3

    @Option(help: "Staff visual check when it is the only method left: confirm or reject (default: none offered).")
    var staffCheck: StaffDecision?

    @Option(
        help: "Local insured-person registry (SQLite) for the eligibility check; default: an in-memory demo registry.")
    var registry: String?

    @Option(
        help:
            "Exchange the qualification request through a file-drop folder pair REQUESTS:RESULTS instead of the registry."
    )
    var fileDrop: String?

    @Option(help: "Seconds to wait for a file-drop result.")
    var fileDropTimeout: Double = 30

    @Flag(
        inversion: .prefixedNo,
        help: "The patient agrees to share medication, check-up, diagnosis and operation information.")
    var consent = true

    @Option(help: "Medical institution code (10 digits) of the request.")
    var institution: String = "1312345678"

    @Option(
        help: "An OQS share folder: the terminal's card-route result is written to DIR/face/ (req/, res/ created too).")
    var oqsFolder: String?

    @Option(help: "Encoding of the face/ result: utf-8 or shift-jis.")
    var encoding: TextEncodingArgument = .utf8

    @Option(help: "Answer on the 薬剤情報・特定健診情報 screen: yes or no (default: --consent).")
    var consentMedication: YesNo?

    @Option(help: "Answer on the 診療情報・手術情報 screen: yes or no (default: --consent).")
    var consentDiagnosis: YesNo?

    @Option(help: "The clinic asks for 限度額 information; the patient's answer: yes or no.")
    var consentLimit: YesNo?

    @Option(help: "Prescription choice: electronic or paper (default electronic).")
    var prescription: PrescriptionChoice = .electronic

    @Flag(help: "Ask the consent and prescription screens on standard input (y / n / a = agree to all / q).")
    var ask = false

    @Flag(help: "Issue the simulated card not registered for insurance use (初回登録 with the PIN is then offered).")
    var unregistered = false

    @Flag(help: "Print one JSON object.")
    var json = false

    struct Report: Encodable {
        var outcome: String
        var method: String?
        var proxy: Bool?
        var verifiedAt: Date?
        var birthDate: String?
        var sex: String?
        var cardExpiry: String?
        var staffID: String?
        var refusal: String?
        var authenticity: String?
        var faceAttempts: [String]
        var cardFaceFailures: Int
        var cardPINTriesLeft: Int
        var eligibility: String?
        var qualificationValidity: String?
        var initialRegistration: Bool?
        var consents: [String: Bool]?
        var prescription: String?
        var faceResultFile: String?
    }

    static let demoStaff = StaffCredential(staffID: "staff-demo", secret: "demo")

    func validate() throws {
        guard !probe.isEmpty else { throw ValidationError("give at least one --probe") }
    }

    func run() async throws {
        let command = "mynaface session"
        let frames = probe.map { CLI.readFile($0, what: "camera frame", command: command) }
        let card = openCard(command: command)
        guard let anchor = card.state.issuerAnchor else {
            CLI.fail(
                "\(command): the card state has no issuer anchor (not made by mynaface session)",
                status: .unreadableInput)
        }
        let authenticator = CardFaceAuthenticator(anchors: TrustAnchors([anchor]))
        let screens = ReaderScreenConfiguration(
            asksConsents: true, asksLimitInformation: consentLimit != nil,
            asksPrescription: true)
        let driver = ReceptionDriver(
            channel: card, authenticator: authenticator,
            configuration: ReceptionConfiguration(
                faceAttemptsPerVisit: faceAttempts,
                staffCredentials: staffCheck == nil ? [] : [Self.demoStaff],
                screens: screens))
        let registry: LocalQualificationRegistry
        do { registry = try makeRegistry() } catch { CLI.fail("\(command): \(error)", status: .unreadableInput) }
        var reading: ReceptionDriver.CardReading
        do {
            // A reader gets 照合番号B by scanning the card surface; the simulation keeps it in the state.
            reading = try await driver.readCard(verificationCodeB: Array(card.state.verificationCodeB.utf8))
        } catch {
            CLI.fail("\(command): cannot read the card: \(error)", status: .unreadableInput)
        }
        // Registration for insurance use: the card simulation and the registry both know it.
        var holderKey: String?
        if let holder = reading.profile.holder {
            holderKey = try? QualificationClient.cardHolderKey(
                for: VerifiedIdentity(method: .pin, holder: holder), policy: .default)
        }
        if let holderKey, !card.state.isRegisteredForInsurance {
            _ = try? registry.register(cardHolderKey: holderKey, registered: false)
        }
        let registryKnows = holderKey.flatMap { try? registry.isRegistered(cardHolderKey: $0) } ?? true
        reading.profile.isRegisteredForInsurance = card.state.isRegisteredForInsurance && registryKnows
        if let rejection = reading.portraitRejection {
            CLI.note("\(command): portrait refused (\(rejection)); face check disabled")
        }

        let log = AttemptLog()
        let face: any FaceCheck
        if let cardFace = card.state.cardFaceFile, reading.profile.hasUsablePortrait, !proxy {
            var configuration = FaceVerifier.Configuration()
            configuration.authenticator = authenticator
            let external = modelOptions.loadExternal(command: command)
            operatingPoint.apply(to: &configuration, command: command, model: ModelOptions.identity(external))
            configuration.liveness = liveness
            let verifier = ModelOptions.verifier(
                external: external, configuration: configuration, command: command, livenessShape: liveness != .off)
            do {
                face = try VerifierFaceCheck(
                    verifier: verifier, portrait: [UInt8](cardFace),
                    certificate: card.state.certificate.map { [UInt8]($0) },
                    frames: { frames }, observe: log.record)
            } catch {
                CLI.fail("\(command): cannot enrol the card portrait: \(error)", status: .modelsOrPipeline)
            }
        } else {
            face = FaceCheckClosure { .notAcquired(reason: "no usable portrait") }
        }
        let pad = StdinPINPad(enabled: pinStdin)
        let desk: (any StaffDesk)? = staffCheck.map { StaffDecisionDesk(confirmed: $0 == .confirm) }

        let outcome: ReceptionOutcome
        do {
            let answers: any ReaderScreensPad =
                ask
                ? StdinScreens()
                : ScriptedScreens(
                    medication: consentMedication?.value, diagnosis: consentDiagnosis?.value,
                    limit: consentLimit?.value,
                    fallback: consent, prescription: prescription)
            outcome = try await driver.run(
                reading: reading, isProxy: proxy, face: face, pinPad: pad, staff: desk,
                screens: answers)
        } catch {
            CLI.fail("\(command): \(error)", status: .modelsOrPipeline)
        }
        let state = card.state
        var report = Report(
            outcome: "refused", faceAttempts: log.lines, cardFaceFailures: state.faceFailures,
            cardPINTriesLeft: state.userPINTriesLeft)
        switch outcome {
        case .verified(let id, let authenticity):
            report.outcome = "verified"
            report.method = id.method.rawValue
            report.proxy = id.isProxy
            report.verifiedAt = id.verifiedAt
            report.birthDate = id.holder.map { String(decoding: $0.birthDate.ascii, as: UTF8.self) }
            report.sex = id.holder?.sex.code
            report.cardExpiry = id.holder.map { String(decoding: $0.cardExpiry.ascii, as: UTF8.self) }
            report.staffID = id.staffID
            report.authenticity = authenticity?.description
        case .refused(let reason):
            report.refusal = reason.description
            report.authenticity = reading.authenticity?.description ?? reading.portraitRejection?.description
        }
        var labelled: [LabelledField] = []
        if case .verified(let identity, _) = outcome {
            let answers = identity.readerAnswers
            report.initialRegistration = answers?.initialRegistration != nil
            report.prescription = answers?.prescription?.value.rawValue
            var consents: [String: Bool] = [:]
            for screen in ConsentScreen.allCases {
                if let a = answers?.answer(for: screen) { consents[screen.rawValue] = a.value }
            }
            report.consents = consents
            if answers?.initialRegistration != nil, let holderKey {
                // 初回登録: the PIN was accepted; the card and the registry record the registration.
                _ = try? registry.register(cardHolderKey: holderKey)
                try? card.administer { $0.registeredForInsurance = true }
            }
            // Only a verified identity reaches the qualification check.
            do {
                var profile = QualificationXMLProfile.default
                profile.textEncoding = encoding.value
                let service: any QualificationService =
                    oqsFolder == nil ? try makeQualificationService(registry) : registry
                var result = try await QualificationClient(
                    service: service, medicalInstitutionCode: institution, profile: profile
                )
                .check(identity, consents: PatientConsents(answers))
                if let oqsFolder {
                    // The terminal's answer to a reader's check: a face/ result with the reader's consents.
                    let share = OQSShare(root: URL(fileURLWithPath: oqsFolder))
                    try share.create()
                    result = result.applyingReaderAnswers(answers, timeZone: profile.timeZone)
                    report.faceResultFile = try FaceResultWriter(directory: share.face, profile: profile).write(result)
                        .path
                }
                report.eligibility = result.description
                report.qualificationValidity = result.validity.map { String(describing: $0) }
                labelled = result.labelledFields
            } catch {
                report.eligibility = "qualification check failed: \(error)"
            }
        }
        if json {
            try CLI.printJSON(report)
        } else {
            for line in log.lines { print("face attempt: \(line)") }
            if report.outcome == "verified" {
                print("outcome:      verified by \(report.method ?? "?")\(report.proxy == true ? " (proxy)" : "")")
                print(
                    "card data:    birth date \(report.birthDate ?? "-"), sex \(report.sex ?? "-"), expiry \(report.cardExpiry ?? "-")"
                )
            } else {
                print("outcome:      refused: \(report.refusal ?? "")")
            }
            print("portrait:     \(report.authenticity ?? "none")")
            if report.initialRegistration == true { print("registration: 初回登録 done with the PIN") }
            if let c = report.consents, !c.isEmpty {
                print(
                    "consents:     "
                        + ConsentScreen.allCases.compactMap { s in
                            c[s.rawValue].map { "\(s.japaneseTitle) \($0 ? "同意" : "同意しない")" }
                        }.joined(separator: ", "))
            }
            if let p = report.prescription { print("prescription: \(p)") }
            if let e = report.eligibility { print("eligibility:  \(e)") }
            if let f = report.faceResultFile { print("face result:  \(f)") }
            for field in labelled { print("  \(field.label): \(field.value)") }
            print(
                "card:         face failures \(report.cardFaceFailures)/\(SimulatedCardState.faceFailureLimit), PIN tries left \(report.cardPINTriesLeft)"
            )
        }
        if report.outcome != "verified" { throw ExitStatus.failure.exitCode }
    }

    /// Loads the card from `--card-state` or issues a new one for the portrait (``PhotoCard``'s recipe).
    private func openCard(command: String) -> SimulatedCard {
        let url = cardState.map { URL(fileURLWithPath: $0) }
        if let url, FileManager.default.fileExists(atPath: url.path) {
            do { return try SimulatedCard.load(from: url) } catch {
                CLI.fail("\(command): \(error)", status: .unreadableInput)
            }
        }
        let portraitBytes = CLI.readFile(portrait, what: "portrait", command: command)
        do {
            let card = try PhotoCard.issue(photo: portraitBytes, variant: variant, userPIN: cardPIN, stateFile: url)
            if unregistered { try card.administer { $0.registeredForInsurance = false } }
            return card
        } catch let error as PhotoCard.Failure {
            CLI.fail("\(command): portrait: \(error)", status: .unreadableInput)
        } catch {
            CLI.fail("\(command): cannot issue the simulated card: \(error)", status: .unreadableInput)
        }
    }

    /// The local registry: `--registry`, or the seeded in-memory demo registry.
    private func makeRegistry() throws -> LocalQualificationRegistry {
        if let registry { return try LocalQualificationRegistry(path: registry) }
        let demo = try LocalQualificationRegistry()
        try DemoRegistry.seed(demo)
        return demo
    }

    /// The qualification service: a file-drop folder pair, or the registry.
    private func makeQualificationService(_ registry: LocalQualificationRegistry) throws -> any QualificationService {
        if let fileDrop {
            let parts = fileDrop.split(separator: ":", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw ValidationError("--file-drop takes REQUESTS:RESULTS") }
            return FileDropQualificationService(
                requestDirectory: URL(fileURLWithPath: parts[0]),
                resultDirectory: URL(fileURLWithPath: parts[1]),
                timeout: .milliseconds(Int(fileDropTimeout * 1000)))
        }
        return registry
    }
}

/// `yes` / `no`.
enum YesNo: String, ExpressibleByArgument {
    case yes, no
    var value: Bool { self == .yes }
}

/// `utf-8` / `shift-jis`.
enum TextEncodingArgument: String, ExpressibleByArgument {
    case utf8 = "utf-8"
    case shiftJIS = "shift-jis"
    var value: OQSTextEncoding { self == .utf8 ? .utf8 : .shiftJIS }
}

extension PrescriptionChoice: ExpressibleByArgument {}

/// The reader's screens answered from command-line flags.
struct ScriptedScreens: ReaderScreensPad {
    var medication: Bool?, diagnosis: Bool?, limit: Bool?, fallback: Bool
    var prescription: PrescriptionChoice
    func consent(_ screen: ConsentScreen) async throws -> ConsentPadInput {
        switch screen {
        case .medicationAndCheckups: .answer(medication ?? fallback)
        case .diagnosisAndOperation: .answer(diagnosis ?? fallback)
        case .limitInformation: .answer(limit ?? fallback)
        }
    }
    func prescription() async throws -> PrescriptionChoice? { prescription }
}

/// The reader's screens asked on standard input.
struct StdinScreens: ReaderScreensPad {
    func consent(_ screen: ConsentScreen) async throws -> ConsentPadInput {
        FileHandle.standardError.write(Data("\(screen.japaneseTitle) — y (同意する) / n (同意しない) / a (すべて同意) / q: ".utf8))
        switch readLine(strippingNewline: true)?.lowercased() {
        case "y"?, "yes"?: return .answer(true)
        case "n"?, "no"?: return .answer(false)
        case "a"?, "all"?: return .comprehensive(true)
        case nil, "q"?: return .cancel
        default: return try await consent(screen)
        }
    }
    func prescription() async throws -> PrescriptionChoice? {
        FileHandle.standardError.write(Data("処方箋 — e (電子処方箋) / p (紙) / q: ".utf8))
        switch readLine(strippingNewline: true)?.lowercased() {
        case "e"?, "electronic"?: return .electronic
        case "p"?, "paper"?: return .paper
        case nil, "q"?: return nil
        default: return try await prescription()
        }
    }
}

/// The staff member's answer in a visual check (`--staff-check`).
enum StaffDecision: String, ExpressibleByArgument {
    case confirm, reject
}

extension SimulatedCardState.Variant: ExpressibleByArgument {
    public init?(argument: String) {
        switch argument.replacingOccurrences(of: "-", with: "").lowercased() {
        case "standard": self = .standard
        case "faceonly": self = .faceOnly
        case "nophoto": self = .noPhoto
        default: return nil
        }
    }

    public static var allValueStrings: [String] { ["standard", "face-only", "no-photo"] }
}

/// Face-attempt lines for the report (scores only, never images or embeddings).
final class AttemptLog: @unchecked Sendable {
    private let lock = NSLock()
    private var _lines: [String] = []
    var lines: [String] { lock.withLock { _lines } }
    func append(_ line: String) { lock.withLock { _lines.append(line) } }

    private func frames(_ result: AttemptResult) -> String {
        result.frames.count > 1 ? " (\(result.framesFused) of \(result.frames.count) frames fused)" : ""
    }

    /// Records one attempt's decision and score.
    func record(_ result: AttemptResult) {
        let score =
            result.threshold.metric == .euclidean
            ? result.distance.map { String(format: " distance %.4f", $0) } ?? ""
            : result.similarity.map { String(format: " cosine %.4f", $0) } ?? ""
        switch result.decision {
        case .match: append("match" + score + frames(result))
        case .noMatch: append("no match" + score + frames(result))
        case .notAcquired(let reason): append("not acquired: \(reason)")
        case .presentationAttackSuspected: append("presentation attack suspected" + frames(result))
        }
    }
}

/// PIN pad on standard input: one attempt per line; end of input asks for staff.
struct StdinPINPad: PINPad {
    var enabled: Bool
    func enterPIN(triesLeft: Int) async throws -> PINPadInput {
        guard enabled else { return .requestStaff }
        FileHandle.standardError.write(Data("PIN (\(triesLeft) tr\(triesLeft == 1 ? "y" : "ies") left): ".utf8))
        guard var line = readLine(strippingNewline: true) else { return .requestStaff }
        var bytes = Array(line.utf8)
        line = ""
        defer { bytes.withUnsafeMutableBufferPointer { $0.update(repeating: 0) } }
        do { return .pin(try PIN(asciiBytes: bytes)) } catch {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            return try await enterPIN(triesLeft: triesLeft)
        }
    }
}

/// The staff desk of the demo: always available, with a fixed decision.
struct StaffDecisionDesk: StaffDesk {
    var confirmed: Bool
    func visualCheck() async throws -> (credential: StaffCredential, confirmed: Bool)? {
        (SessionCommand.demoStaff, confirmed)
    }
}
