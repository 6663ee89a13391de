import ArgumentParser
import Eligibility
import Foundation
import MynaFaceTesting

/// `mynaface eligibility …`: the qualification-check (オンライン資格確認) side of the demo.
///
/// - `seed --registry DB`: create (or extend) a local registry with the fictional ``DemoRegistry`` persons.
/// - `respond --requests DIR --results DIR --registry DB [--once] [--timeout S]`: act as the 資格確認端末 of
///   the file-drop exchange, answering request XML files from the local registry.
struct EligibilityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eligibility",
        abstract: "Qualification check (オンライン資格確認): demo registry and file-drop responder.",
        subcommands: [Respond.self, Seed.self, Show.self, Watch.self])

    struct Watch: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "watch-face",
            abstract:
                "Pick up the terminal's face/ results as clinic software does (stable content, done/, quarantine/).",
            discussion: """
                Prints each result with Japanese labels (personal data: for the desk screen, not for logs), and one line \
                per quarantined file with its reason. With --count N, exits 0 after N files, or 1 if fewer arrived \
                before --timeout.
                """)

        @Option(name: .long, help: "The OQS share (watches DIR/face).")
        var oqsFolder: String

        @Option(name: .long, help: "Stop after this many files (results or quarantined).")
        var count: Int?

        @Option(name: .long, help: "Stop after this many seconds (default: run until interrupted).")
        var timeout: Double?

        @Option(name: .customLong("poll-ms"), help: "Polling interval in milliseconds (5…1000).")
        var pollMilliseconds = 200

        func validate() throws {
            guard (5...1000).contains(pollMilliseconds) else { throw ValidationError("--poll-ms must be 5…1000") }
            if let count, count < 1 { throw ValidationError("--count must be at least 1") }
        }

        func run() async throws {
            var watcher = FaceResultWatcher(folder: OQSShare(root: URL(fileURLWithPath: oqsFolder)).face)
            let clock = ContinuousClock()
            let deadline = timeout.map { clock.now.advanced(by: .milliseconds(Int64($0 * 1000))) }
            var seen = 0
            while true {
                let delivered: [FaceResultDelivery]
                do { delivered = try watcher.poll() } catch { throw ValidationError("\(error)") }
                for delivery in delivered {
                    switch delivery {
                    case .result(let name, let result):
                        print("== \(name)")
                        for field in result.labelledFields { print("\(field.label): \(field.value)") }
                    case .quarantined(let name, let reason):
                        print("quarantined \(name): \(reason)")
                    }
                }
                seen += delivered.count
                if let count, seen >= count { return }
                if let deadline, clock.now >= deadline {
                    if count != nil { throw ExitStatus.failure.exitCode }
                    return
                }
                try await Task.sleep(for: .milliseconds(pollMilliseconds))
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a result file (res/ or face/, UTF-8 or Shift_JIS) with Japanese labels.",
            discussion: "Exit status: 0 shown, 3 unreadable or not a result.")

        @Argument(help: "The result XML file.")
        var file: String

        func run() throws {
            let data = CLI.readFile(file, what: "result file", command: "mynaface eligibility show")
            do {
                let result = try QualificationXMLCodec().decodeResult(Data(data))
                for field in result.labelledFields { print("\(field.label): \(field.value)") }
            } catch {
                CLI.fail("mynaface eligibility show: \(error)", status: .unreadableInput)
            }
        }
    }

    struct Seed: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a local registry of fictional insured persons (one per validity outcome).",
            discussion: """
                Card-holder keys (birth date - card expiry): \(DemoRegistry.validKey) valid, \(DemoRegistry.invalidKey) \
                invalid, \(DemoRegistry.changedInsurerKey) changed insurer, \(DemoRegistry.duplicateKey) several found.
                """)

        @Option(name: .long, help: "The SQLite registry file (created when missing).")
        var registry: String

        func run() throws {
            do {
                let store = try LocalQualificationRegistry(path: registry)
                try DemoRegistry.seed(store)
                print("registry \(registry): \(try store.personCount()) persons")
            } catch let error as EligibilityError {
                throw ValidationError(error.description)
            }
        }
    }

    struct Respond: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Answer qualification request files from a local registry (the terminal side of the file drop).",
            discussion: """
                Plays the 資格確認端末: watches req/ for OQSsiquc01req_*.xml (taken once their content is stable), \
                answers each from --registry in res/ as OQSsiquc01res_*.xml (or OQSsiquc01req_*.err for a request \
                it cannot process), and writes card-route answers as face/OQSsiquc01res_face_*.xml. Consumed \
                requests move to req/done/, refused ones to req/quarantine/ with the reason. Prints one line per \
                answer (file names and validity; no personal data). With --once or --count N, exits 0 after N \
                answers, or 1 if fewer arrived before --timeout.
                """)

        @Option(name: .long, help: "The OQS share: uses DIR/req, DIR/res and DIR/face (created when missing).")
        var oqsFolder: String?

        @Option(name: .long, help: "Folder the requests arrive in (instead of --oqs-folder).")
        var requests: String?

        @Option(name: .long, help: "Folder the results are written to (instead of --oqs-folder).")
        var results: String?

        @Option(help: "Encoding of the answers: utf-8 or shift-jis.")
        var encoding: TextEncodingArgument = .utf8

        @Option(name: .long, help: "The SQLite registry file (see `eligibility seed`).")
        var registry: String

        @Flag(name: .long, help: "Stop after the first answered request (same as --count 1).")
        var once = false

        @Option(name: .long, help: "Stop after answering this many requests.")
        var count: Int?

        @Option(name: .long, help: "Stop after this many seconds (default: run until interrupted).")
        var timeout: Double?

        @Option(name: .customLong("poll-ms"), help: "Polling interval in milliseconds (5…1000).")
        var pollMilliseconds = 50

        func validate() throws {
            if let timeout, !(timeout > 0 && timeout < 1e7) {
                throw ValidationError("--timeout must be a positive number of seconds")
            }
            guard (5...1000).contains(pollMilliseconds) else { throw ValidationError("--poll-ms must be 5…1000") }
            if let count, count < 1 { throw ValidationError("--count must be at least 1") }
            if oqsFolder == nil, requests == nil || results == nil {
                throw ValidationError("give --oqs-folder, or --requests and --results")
            }
        }

        func run() async throws {
            let store: LocalQualificationRegistry
            do {
                guard FileManager.default.fileExists(atPath: registry) else {
                    throw ValidationError(
                        "registry \(registry) does not exist (create it with `mynaface eligibility seed`)")
                }
                store = try LocalQualificationRegistry(path: registry)
            } catch let error as EligibilityError {
                throw ValidationError(error.description)
            }
            var profile = QualificationXMLProfile.default
            profile.textEncoding = encoding.value
            var faceFolder: URL?
            var requestFolder = URL(fileURLWithPath: requests ?? ".")
            var resultFolder = URL(fileURLWithPath: results ?? ".")
            if let oqsFolder {
                let share = OQSShare(root: URL(fileURLWithPath: oqsFolder))
                do { try share.create() } catch { throw ValidationError("\(error)") }
                requestFolder = requests.map { URL(fileURLWithPath: $0) } ?? share.requests
                resultFolder = results.map { URL(fileURLWithPath: $0) } ?? share.results
                faceFolder = share.face
            }
            var responder = FileDropResponder(
                requestDirectory: requestFolder, resultDirectory: resultFolder,
                faceDirectory: faceFolder, service: store, profile: profile)
            let wanted = once ? 1 : count
            let poll = Duration.milliseconds(pollMilliseconds)
            let limit = timeout.map { Duration.milliseconds(Int64($0 * 1000)) }
            let answered: Int
            do {
                answered = try await responder.run(stopAfter: wanted, timeout: limit, pollInterval: poll) { answer in
                    print(
                        answer.refused
                            ? "refused \(answer.requestName): \(answer.answerName)"
                            : "answered \(answer.requestName): \(answer.answerName), validity \(answer.validity?.description ?? "none")"
                    )
                }
            } catch let error as EligibilityError {
                throw ValidationError(error.description)
            }
            if let wanted, answered < wanted {
                FileHandle.standardError.write(
                    Data("answered \(answered) of \(wanted) requests within \(timeout ?? 0) s\n".utf8))
                throw ExitStatus.failure.exitCode
            }
        }
    }
}
