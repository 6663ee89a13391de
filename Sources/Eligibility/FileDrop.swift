import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// File operations of the file-drop exchange: atomic writes, size-limited reads, folder checks.
enum FileDrop {
    /// Checks that `url` is an existing folder.
    static func requireDirectory(_ url: URL) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw EligibilityError.directoryUnavailable(path: url.path, reason: "does not exist")
        }
        guard isDirectory.boolValue else {
            throw EligibilityError.directoryUnavailable(path: url.path, reason: "is not a folder")
        }
    }

    /// Writes `data` as `name` in `directory` atomically: a hidden temporary file in the same folder, then
    /// rename(2), so a reader of the folder sees either no file or the whole file.
    static func writeAtomically(_ data: Data, named name: String, in directory: URL) throws {
        let final = directory.appendingPathComponent(name)
        let temporary = directory.appendingPathComponent(".\(name).\(UUID().uuidString).tmp")
        do {
            try data.write(to: temporary)
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw EligibilityError.writeFailed(path: final.path, reason: "temporary file: \(error.localizedDescription)")
        }
        if rename(temporary.path, final.path) != 0 {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw EligibilityError.writeFailed(path: final.path, reason: "rename: \(reason)")
        }
    }

    /// Reads at most `limit` bytes of `url`; nil when the file does not exist.
    /// - Throws: ``EligibilityError/fileTooLarge(path:bytes:limit:)`` when the file is longer than `limit`.
    static func read(_ url: URL, limit: Int) throws -> Data? {
        guard let handle = try? FileHandle(forReadingFrom: url) else { return nil }
        defer { try? handle.close() }
        let data = (try? handle.read(upToCount: limit + 1)) ?? Data()
        if data.count > limit {
            let size = (try? FileManager.default.attributesOfItem(atPath: url.path))?[.size] as? Int
            throw EligibilityError.fileTooLarge(path: url.path, bytes: size ?? data.count, limit: limit)
        }
        return data
    }

    /// Clamps a polling interval to 5 ms…1 s.
    static func clamp(_ interval: Duration) -> Duration {
        min(max(interval, .milliseconds(5)), .seconds(1))
    }

    static func milliseconds(_ d: Duration) -> Int {
        Int(d.components.seconds) * 1000 + Int(d.components.attoseconds / 1_000_000_000_000_000)
    }
}

/// The file-drop transport clinics use with a 資格確認端末: the request XML is written atomically into a
/// request folder, and the result XML is awaited in a result folder under the same ArbitraryFileIdentifier
/// (file names from ``QualificationXMLProfile/requestFileName(for:)`` and
/// ``QualificationXMLProfile/resultFileName(for:)``).
///
/// The result folder is polled every ``pollInterval`` (clamped to 5 ms…1 s) until ``timeout``. A result file that
/// does not parse is read once more one interval later (in case a terminal writes non-atomically) before it is
/// reported as malformed. On timeout or cancellation the request file is removed if no one has taken it yet, so a
/// late responder does not answer a request nobody waits for.
public struct FileDropQualificationService: QualificationService {
    /// Where request files are written.
    public var requestDirectory: URL
    /// Where result files are awaited.
    public var resultDirectory: URL
    /// XML profile (element names, file naming, size limit).
    public var codec: QualificationXMLCodec
    /// How long to wait for the result.
    public var timeout: Duration
    /// How often to look for the result.
    public var pollInterval: Duration
    /// Delete the result file once it has been read (default true).
    public var removesResultAfterReading: Bool

    /// - Parameters:
    ///   - requestDirectory: an existing folder the terminal reads requests from.
    ///   - resultDirectory: an existing folder the terminal writes results to.
    ///   - timeout: how long ``check(_:)`` waits for a result.
    ///   - pollInterval: how often it looks (clamped to 5 ms…1 s).
    public init(requestDirectory: URL, resultDirectory: URL, profile: QualificationXMLProfile = .default,
                timeout: Duration = .seconds(30), pollInterval: Duration = .milliseconds(100),
                removesResultAfterReading: Bool = true) {
        self.requestDirectory = requestDirectory
        self.resultDirectory = resultDirectory
        self.codec = QualificationXMLCodec(profile: profile)
        self.timeout = timeout
        self.pollInterval = pollInterval
        self.removesResultAfterReading = removesResultAfterReading
    }

    /// Writes the request, waits for its result and decodes it.
    /// - Throws: ``EligibilityError/directoryUnavailable(path:reason:)``, ``EligibilityError/writeFailed(path:reason:)``,
    ///   ``EligibilityError/timedOut(fileIdentifier:afterMilliseconds:)``, ``EligibilityError/fileTooLarge(path:bytes:limit:)``,
    ///   ``EligibilityError/malformedResult(path:reason:)``, ``EligibilityError/resultMismatch(expected:found:)``,
    ///   ``EligibilityError/serviceError(segment:code:message:)`` (SegmentOfResult other than 1), or
    ///   `CancellationError` when the task is cancelled.
    public func check(_ request: QualificationRequest) async throws -> QualificationResult {
        try FileDrop.requireDirectory(requestDirectory)
        try FileDrop.requireDirectory(resultDirectory)
        let profile = codec.profile
        let identifier = request.arbitraryFileIdentifier
        let requestURL = requestDirectory.appendingPathComponent(profile.requestFileName(for: identifier))
        let resultURL = resultDirectory.appendingPathComponent(profile.resultFileName(for: identifier))

        let data = try codec.encode(request)
        try FileDrop.writeAtomically(data, named: requestURL.lastPathComponent, in: requestDirectory)

        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        let interval = FileDrop.clamp(pollInterval)
        var previousBadContent: Data?
        var lastMalformed: EligibilityError?
        do {
            while true {
                if let content = try FileDrop.read(resultURL, limit: profile.maximumFileBytes) {
                    do {
                        let result = try decode(content, at: resultURL, expecting: identifier)
                        if removesResultAfterReading { try? FileManager.default.removeItem(at: resultURL) }
                        return result
                    } catch let error as EligibilityError {
                        guard case .malformedResult = error, previousBadContent != content else {
                            if removesResultAfterReading { try? FileManager.default.removeItem(at: resultURL) }
                            throw error
                        }
                        previousBadContent = content
                        lastMalformed = error
                    }
                } else {
                    previousBadContent = nil
                    lastMalformed = nil
                }
                if clock.now >= deadline {
                    if let lastMalformed { throw lastMalformed }
                    throw EligibilityError.timedOut(fileIdentifier: identifier,
                                                    afterMilliseconds: FileDrop.milliseconds(timeout))
                }
                try await Task.sleep(for: min(interval, clock.now.duration(to: deadline)))
            }
        } catch {
            try? FileManager.default.removeItem(at: requestURL)
            throw error
        }
    }

    private func decode(_ content: Data, at url: URL, expecting identifier: String) throws -> QualificationResult {
        let result: QualificationResult
        do {
            result = try codec.decodeResult(content)
        } catch EligibilityError.malformedResult(_, let reason) {
            throw EligibilityError.malformedResult(path: url.path, reason: reason)
        }
        if let found = result.header.arbitraryFileIdentifier, found != identifier {
            throw EligibilityError.resultMismatch(expected: identifier, found: String(found.prefix(64)))
        }
        guard result.header.segmentOfResult == .normal else {
            throw EligibilityError.serviceError(segment: result.header.segmentOfResult.code,
                                                code: result.header.errorCode, message: result.header.errorMessage)
        }
        return result
    }
}

/// The other side of the file-drop exchange: answers request files from a ``QualificationService`` (for the demo
/// and tests, a ``LocalQualificationRegistry``), the way a 資格確認端末 would.
///
/// Each request file (named by ``QualificationXMLProfile/requestFileNamePattern``; hidden temporary files are
/// ignored) is answered with a result file written atomically into the result folder, and then removed. A request
/// that does not parse, or that the service fails on, is answered with an error result: SegmentOfResult `9` and
/// ErrorCode ``malformedRequestErrorCode`` or ``serviceFailureErrorCode`` (local codes, not from 別紙6-1).
public struct FileDropResponder: Sendable {
    /// Local error code for a request that did not parse.
    public static let malformedRequestErrorCode = "MF0001"
    /// Local error code for a request the service failed on.
    public static let serviceFailureErrorCode = "MF0002"

    /// Where request files arrive.
    public var requestDirectory: URL
    /// Where results are written.
    public var resultDirectory: URL
    /// XML profile.
    public var codec: QualificationXMLCodec
    /// What answers the requests.
    public var service: any QualificationService

    /// A responder answering requests from `requestDirectory` into `resultDirectory` with `service`.
    public init(requestDirectory: URL, resultDirectory: URL, service: any QualificationService,
                profile: QualificationXMLProfile = .default) {
        self.requestDirectory = requestDirectory
        self.resultDirectory = resultDirectory
        self.service = service
        self.codec = QualificationXMLCodec(profile: profile)
    }

    /// Answers every request file present now, oldest name first.
    /// - Returns: the ArbitraryFileIdentifiers answered (including those answered with an error result).
    /// - Throws: ``EligibilityError/directoryUnavailable(path:reason:)`` or ``EligibilityError/writeFailed(path:reason:)``.
    public func answerPending(now: @Sendable () -> Date = { Date() }) async throws -> [String] {
        try FileDrop.requireDirectory(requestDirectory)
        try FileDrop.requireDirectory(resultDirectory)
        let profile = codec.profile
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: requestDirectory.path).sorted()
        } catch {
            throw EligibilityError.directoryUnavailable(path: requestDirectory.path, reason: error.localizedDescription)
        }
        var answered: [String] = []
        for name in names where !name.hasPrefix(".") {
            guard let identifier = QualificationXMLProfile.identifier(inFileName: name, pattern: profile.requestFileNamePattern)
            else { continue }
            let url = requestDirectory.appendingPathComponent(name)
            let result = await answer(url, identifier: identifier, now: now())
            let data = try codec.encode(result)
            try FileDrop.writeAtomically(data, named: profile.resultFileName(for: identifier), in: resultDirectory)
            try? FileManager.default.removeItem(at: url)
            answered.append(identifier)
        }
        return answered
    }

    /// Watches the request folder, answering requests as they arrive.
    /// - Parameters:
    ///   - stopAfter: stop once at least this many requests were answered (nil: no limit).
    ///   - timeout: stop after this long (nil: run until cancelled).
    ///   - pollInterval: how often to look (clamped to 5 ms…1 s).
    /// - Returns: how many requests were answered.
    /// - Throws: the errors of ``answerPending(now:)``, or `CancellationError`.
    public func run(stopAfter: Int? = nil, timeout: Duration?, pollInterval: Duration = .milliseconds(50)) async throws -> Int {
        let clock = ContinuousClock()
        let deadline = timeout.map { clock.now.advanced(by: $0) }
        var count = 0
        while true {
            count += try await answerPending().count
            if let stopAfter, count >= stopAfter { return count }
            if let deadline, clock.now >= deadline { return count }
            try await Task.sleep(for: FileDrop.clamp(pollInterval))
        }
    }

    private func answer(_ url: URL, identifier: String, now: Date) async -> QualificationResult {
        let tz = codec.profile.timeZone
        func failure(_ code: String, _ message: String) -> QualificationResult {
            QualificationResult(header: ResultHeader(processExecutionTime: OQSTimestamp(now, timeZone: tz),
                                                     arbitraryFileIdentifier: identifier, segmentOfResult: .error,
                                                     errorCode: code, errorMessage: message))
        }
        let request: QualificationRequest
        do {
            guard let data = try FileDrop.read(url, limit: codec.profile.maximumFileBytes) else {
                return failure(Self.malformedRequestErrorCode, "request file vanished")
            }
            request = try codec.decodeRequest(data)
        } catch let error as EligibilityError {
            if case .malformedRequest(_, let reason) = error {
                return failure(Self.malformedRequestErrorCode, "request \(url.lastPathComponent) is malformed: \(reason)")
            }
            return failure(Self.malformedRequestErrorCode, error.description)
        } catch {
            return failure(Self.malformedRequestErrorCode, "request could not be read")
        }
        guard request.arbitraryFileIdentifier == identifier else {
            return failure(Self.malformedRequestErrorCode,
                           "file name says \(identifier) but ArbitraryFileIdentifier is \(request.arbitraryFileIdentifier)")
        }
        do {
            return try await service.check(request)
        } catch let error as EligibilityError {
            return failure(Self.serviceFailureErrorCode, error.description)
        } catch {
            return failure(Self.serviceFailureErrorCode, "qualification service failed")
        }
    }
}
