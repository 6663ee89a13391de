import Eligibility
import Foundation
import MynaFaceTesting
import Reception
import Testing

/// The file-drop transport: atomic request files, result matching, timeout and error paths.
@Suite struct FileDropTests {
    struct Folders {
        let root: URL
        var requests: URL { root.appendingPathComponent("req") }
        var results: URL { root.appendingPathComponent("res") }

        init(_ name: String) throws {
            root = try Fixture.folder(name)
            try FileManager.default.createDirectory(at: requests, withIntermediateDirectories: true)
            try FileManager.default.createDirectory(at: results, withIntermediateDirectories: true)
        }

        func remove() { try? FileManager.default.removeItem(at: root) }

        func service(timeout: Duration = .seconds(30)) -> FileDropQualificationService {
            FileDropQualificationService(
                requestDirectory: requests, resultDirectory: results, timeout: timeout,
                pollInterval: .milliseconds(10))
        }

        func files(_ url: URL) -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []).sorted()
        }
    }

    func request(_ id: String) throws -> QualificationRequest {
        try Fixture.client().request(
            for: Fixture.identity(), consents: Fixture.consents, now: Fixture.now, fileIdentifier: id)
    }

    @Test func timesOutWithoutResponderAndWithdrawsTheRequest() async throws {
        let folders = try Folders("timeout")
        defer { folders.remove() }
        let clock = ContinuousClock()
        let start = clock.now
        await #expect(throws: EligibilityError.timedOut(fileIdentifier: "T1", afterMilliseconds: 150)) {
            _ = try await folders.service(timeout: .milliseconds(150)).check(try request("T1"))
        }
        let elapsed = start.duration(to: clock.now)
        // Upper bound generous: CPU-bound model tests share the 2-core pool; this checks the wait ends, not its speed.
        #expect(elapsed >= .milliseconds(150) && elapsed < .seconds(60), "elapsed \(elapsed)")
        #expect(folders.files(folders.requests).isEmpty, "the unanswered request file is removed")
    }

    @Test func malformedResultIsATypedError() async throws {
        let folders = try Folders("malformed")
        defer { folders.remove() }
        try Data("<XmlMsg><MessageHeader>".utf8).write(
            to: folders.results.appendingPathComponent("OQSsiquc01res_M1.xml"))
        do {
            _ = try await folders.service().check(try request("M1"))
            Issue.record("accepted a malformed result")
        } catch let EligibilityError.malformedResult(path, _) {
            #expect(path.hasSuffix("res/OQSsiquc01res_M1.xml"))
        }
    }

    @Test func errorSegmentIsATypedError() async throws {
        let folders = try Folders("segment")
        defer { folders.remove() }
        let xml = """
            <?xml version="1.0" encoding="UTF-8"?>
            <XmlMsg><MessageHeader><ArbitraryFileIdentifier>E1</ArbitraryFileIdentifier><SegmentOfResult>9</SegmentOfResult>
            <ErrorCode>EA0001</ErrorCode><ErrorMessage>照会エラー</ErrorMessage></MessageHeader></XmlMsg>
            """
        try Data(xml.utf8).write(to: folders.results.appendingPathComponent("OQSsiquc01res_E1.xml"))
        await #expect(throws: EligibilityError.serviceError(segment: "9", code: "EA0001", message: "照会エラー")) {
            _ = try await folders.service().check(try request("E1"))
        }
    }

    @Test func resultForAnotherIdentifierIsRefused() async throws {
        let folders = try Folders("mismatch")
        defer { folders.remove() }
        let xml =
            "<XmlMsg><MessageHeader><ArbitraryFileIdentifier>OTHER</ArbitraryFileIdentifier><SegmentOfResult>1</SegmentOfResult></MessageHeader></XmlMsg>"
        try Data(xml.utf8).write(to: folders.results.appendingPathComponent("OQSsiquc01res_X1.xml"))
        await #expect(throws: EligibilityError.resultMismatch(expected: "X1", found: "OTHER")) {
            _ = try await folders.service().check(try request("X1"))
        }
    }

    @Test func oversizedResultIsRefusedUnread() async throws {
        let folders = try Folders("large")
        defer { folders.remove() }
        try Data(repeating: 0x20, count: (1 << 20) + 1).write(
            to: folders.results.appendingPathComponent("OQSsiquc01res_L1.xml"))
        await #expect(
            throws: EligibilityError.fileTooLarge(
                path: folders.results.appendingPathComponent("OQSsiquc01res_L1.xml").path,
                bytes: (1 << 20) + 1, limit: 1 << 20)
        ) {
            _ = try await folders.service().check(try request("L1"))
        }
    }

    @Test func missingFolderIsATypedError() async throws {
        let service = FileDropQualificationService(
            requestDirectory: URL(fileURLWithPath: "/nonexistent/req"),
            resultDirectory: URL(fileURLWithPath: "/nonexistent/res"))
        await #expect(throws: EligibilityError.directoryUnavailable(path: "/nonexistent/req", reason: "does not exist"))
        {
            _ = try await service.check(try request("D1"))
        }
    }

    @Test func inProcessResponderAnswersFromTheRegistry() async throws {
        let folders = try Folders("inprocess")
        defer { folders.remove() }
        let responder = FileDropResponder(
            requestDirectory: folders.requests, resultDirectory: folders.results,
            service: try Fixture.registry())
        let task = Task {
            var r = responder
            return try await r.run(stopAfter: 1, timeout: .seconds(30), pollInterval: .milliseconds(10))
        }
        let result = try await folders.service().check(try request("P1"))
        #expect(try await task.value == 1)
        #expect(result.validity == .valid)
        #expect(result.header.arbitraryFileIdentifier == "P1")
        #expect(folders.files(folders.requests) == ["done"], "the request is moved to done/, not deleted")
        #expect(folders.files(folders.results).isEmpty, "the client consumes the result")
    }

    @Test func responderAnswersAMalformedRequestWithAnErrorResult() async throws {
        let folders = try Folders("badrequest")
        defer { folders.remove() }
        try Data("<XmlMsg/>".utf8).write(to: folders.requests.appendingPathComponent("OQSsiquc01req_B1.xml"))
        try Data("ignored".utf8).write(to: folders.requests.appendingPathComponent(".B2.xml.tmp"))
        var responder = FileDropResponder(
            requestDirectory: folders.requests, resultDirectory: folders.results,
            service: try Fixture.registry())
        #expect(try await responder.answerPending().isEmpty, "first sight: not yet known to be complete")
        #expect(try await responder.answerPending().map(\.answerName) == ["OQSsiquc01req_B1.err"])
        let data = try Data(contentsOf: folders.results.appendingPathComponent("OQSsiquc01req_B1.err"))
        let result = try QualificationXMLCodec().decodeResult(data)
        #expect(result.header.segmentOfResult == .error)
        #expect(result.header.errorCode == FileDropResponder.malformedRequestErrorCode)
        #expect(folders.files(folders.requests) == [".B2.xml.tmp", "quarantine"])
        #expect(
            folders.files(folders.requests.appendingPathComponent("quarantine"))
                == ["OQSsiquc01req_B1.xml", "OQSsiquc01req_B1.xml.reason.txt"])
    }
}

/// The file-drop exchange against a separate responder process: the built `mynaface eligibility respond`.
@Suite struct ResponderProcessTests {
    /// The `mynaface` executable next to the test binary (or `$MYNAFACE_BIN`), if it has `eligibility respond`.
    static let responderBinary: (url: URL?, reason: String) = {
        var candidates: [URL] = []
        if let env = ProcessInfo.processInfo.environment["MYNAFACE_BIN"], !env.isEmpty {
            candidates.append(URL(fileURLWithPath: env))
        }
        var dir = (Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0]))
            .deletingLastPathComponent()
        for _ in 0..<5 {
            candidates.append(dir.appendingPathComponent("mynaface"))
            dir.deleteLastPathComponent()
        }
        guard let binary = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            return (
                nil, "the mynaface executable is not built next to the tests (run `swift build` or set MYNAFACE_BIN)"
            )
        }
        let probe = Process()
        probe.executableURL = binary
        probe.arguments = ["eligibility", "respond", "--help"]
        probe.standardOutput = FileHandle.nullDevice
        probe.standardError = FileHandle.nullDevice
        do { try probe.run() } catch { return (nil, "cannot start \(binary.path): \(error)") }
        probe.waitUntilExit()
        guard probe.terminationStatus == 0 else {
            return (
                nil,
                "\(binary.path) has no `eligibility respond` subcommand yet (EligibilityCommand not registered in the root command)"
            )
        }
        return (binary, "")
    }()

    @Test func exchangeWithResponderProcess() async throws {
        guard let binary = Self.responderBinary.url else {
            print("skipped: \(Self.responderBinary.reason)")
            return
        }
        let root = try Fixture.folder("process")
        defer { try? FileManager.default.removeItem(at: root) }
        let requests = root.appendingPathComponent("req")
        let results = root.appendingPathComponent("res")
        try FileManager.default.createDirectory(at: requests, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: results, withIntermediateDirectories: true)
        let registryPath = root.appendingPathComponent("registry.sqlite").path
        try DemoRegistry.seed(try LocalQualificationRegistry(path: registryPath))

        let responder = Process()
        responder.executableURL = binary
        responder.arguments = [
            "eligibility", "respond", "--requests", requests.path, "--results", results.path,
            "--registry", registryPath, "--count", "2", "--timeout", "120", "--poll-ms", "10",
        ]
        let output = Pipe()
        responder.standardOutput = output
        responder.standardError = FileHandle.nullDevice
        try responder.run()
        defer { if responder.isRunning { responder.terminate() } }

        let service = FileDropQualificationService(
            requestDirectory: requests, resultDirectory: results,
            timeout: .seconds(90), pollInterval: .milliseconds(10))
        let client = QualificationClient(service: service, medicalInstitutionCode: Fixture.institution)

        let card = try client.request(
            for: Fixture.identity(method: .pin, proxy: true), consents: Fixture.consents,
            now: Fixture.now, fileIdentifier: "PROC1")
        let valid = try await service.check(card)
        #expect(valid.validity == .valid)
        #expect(valid.header.arbitraryFileIdentifier == "PROC1")
        #expect(valid.qualification?.insuredIdentificationNumber == "678")
        #expect(valid.qualification?.diagnosisInfoConsent == nil, "consents do not travel in a request")

        let oldCard = try client.request(
            for: Fixture.identity(birthDate: DemoRegistry.changedInsurerBirthdate), consents: .none,
            insurance: DemoRegistry.changedInsurerOldCard, now: Fixture.now, fileIdentifier: "PROC2")
        let changed = try await service.check(oldCard)
        #expect(changed.validity == .invalidWithNewQualification)

        responder.waitUntilExit()
        #expect(responder.terminationStatus == 0)
        let log = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(log.contains("answered OQSsiquc01req_PROC1.xml: OQSsiquc01res_PROC1.xml, validity 1 valid"))
        #expect(log.contains("answered OQSsiquc01req_PROC2.xml: OQSsiquc01res_PROC2.xml, validity 3"))
        #expect(!log.contains("ヤマダ") && !log.contains("678"), "the responder log carries no personal data")
    }

    @Test func seedThenRespondOnceWithoutRequestExitsWithStatus1() throws {
        guard let binary = Self.responderBinary.url else {
            print("skipped: \(Self.responderBinary.reason)")
            return
        }
        let root = try Fixture.folder("cli")
        defer { try? FileManager.default.removeItem(at: root) }
        let registryPath = root.appendingPathComponent("demo.sqlite").path
        func run(_ arguments: [String]) throws -> Int32 {
            let process = Process()
            process.executableURL = binary
            process.arguments = arguments
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            return process.terminationStatus
        }
        #expect(try run(["eligibility", "seed", "--registry", registryPath]) == 0)
        #expect(try LocalQualificationRegistry(path: registryPath).personCount() == DemoRegistry.persons.count)
        let clock = ContinuousClock()
        let start = clock.now
        #expect(
            try run([
                "eligibility", "respond", "--requests", root.path, "--results", root.path,
                "--registry", registryPath, "--once", "--timeout", "0.2",
            ]) == 1)
        #expect(start.duration(to: clock.now) < .seconds(10))
        #expect(
            try run([
                "eligibility", "respond", "--requests", root.path, "--results", root.path,
                "--registry", root.appendingPathComponent("missing.sqlite").path, "--once",
            ]) != 0)
    }
}
