import ArgumentParser
import Eligibility
import MynaFaceTesting
import Foundation

/// `mynaface eligibility …`: the qualification-check (オンライン資格確認) side of the demo.
///
/// - `seed --registry DB`: create (or extend) a local registry with the fictional ``DemoRegistry`` persons.
/// - `respond --requests DIR --results DIR --registry DB [--once] [--timeout S]`: act as the 資格確認端末 of
///   the file-drop exchange, answering request XML files from the local registry.
struct EligibilityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eligibility",
        abstract: "Qualification check (オンライン資格確認): demo registry and file-drop responder.",
        subcommands: [Respond.self, Seed.self])

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
                Watches --requests for request XML files ({id}.xml, hidden temporary files ignored), answers each \
                from --registry and writes the result XML atomically into --results under the same name, then \
                removes the request. A malformed request is answered with SegmentOfResult 9. Prints one line per \
                answer (identifier and validity; no personal data). With --once or --count N, exits 0 after N \
                answers, or 1 if fewer arrived before --timeout.
                """)

        @Option(name: .long, help: "Folder the requests arrive in.")
        var requests: String

        @Option(name: .long, help: "Folder the results are written to.")
        var results: String

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
            if let timeout, !(timeout > 0 && timeout < 1e7) { throw ValidationError("--timeout must be a positive number of seconds") }
            guard (5...1000).contains(pollMilliseconds) else { throw ValidationError("--poll-ms must be 5…1000") }
            if let count, count < 1 { throw ValidationError("--count must be at least 1") }
        }

        func run() async throws {
            let store: LocalQualificationRegistry
            do {
                guard FileManager.default.fileExists(atPath: registry) else {
                    throw ValidationError("registry \(registry) does not exist (create it with `mynaface eligibility seed`)")
                }
                store = try LocalQualificationRegistry(path: registry)
            } catch let error as EligibilityError {
                throw ValidationError(error.description)
            }
            let responder = FileDropResponder(requestDirectory: URL(fileURLWithPath: requests),
                                              resultDirectory: URL(fileURLWithPath: results),
                                              service: LoggingService(base: store))
            let wanted = once ? 1 : count, poll = Duration.milliseconds(pollMilliseconds)
            let limit = timeout.map { Duration.milliseconds(Int64($0 * 1000)) }
            let answered: Int
            do {
                answered = try await responder.run(stopAfter: wanted, timeout: limit, pollInterval: poll)
            } catch let error as EligibilityError {
                throw ValidationError(error.description)
            }
            if let wanted, answered < wanted {
                FileHandle.standardError.write(Data("answered \(answered) of \(wanted) requests within \(timeout ?? 0) s\n".utf8))
                throw ExitStatus.failure.exitCode
            }
        }
    }
}

/// Prints one line per answered request: the identifier and the validity, never names or numbers.
private struct LoggingService: QualificationService {
    let base: LocalQualificationRegistry

    func check(_ request: QualificationRequest) async throws -> QualificationResult {
        let result = try await base.check(request)
        print("answered \(request.arbitraryFileIdentifier): validity \(result.validity?.description ?? "none")")
        return result
    }
}
