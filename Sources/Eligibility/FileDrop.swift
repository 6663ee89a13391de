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
            throw EligibilityError.writeFailed(
                path: final.path, reason: "temporary file: \(error.localizedDescription)")
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

/// The file-drop transport clinics use with a 資格確認端末: the request XML (`OQSsiquc01req_<token>.xml`) is written
/// atomically into `req/`, and the answer is awaited in `res/`: the result `OQSsiquc01res_<token>.xml`, or a refusal
/// `OQSsiquc01req_<token>.err` (file names from ``QualificationXMLProfile``; `<token>` is the escaped
/// ArbitraryFileIdentifier). A result with SegmentOfResult 2 (処理中) is returned, not thrown: check
/// ``QualificationResult/isProcessing``.
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
    public init(
        requestDirectory: URL, resultDirectory: URL, profile: QualificationXMLProfile = .default,
        timeout: Duration = .seconds(30), pollInterval: Duration = .milliseconds(100),
        removesResultAfterReading: Bool = true
    ) {
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
        let errorURL = resultDirectory.appendingPathComponent(profile.errorFileName(for: identifier))

        let data = try codec.encode(request)
        try FileDrop.writeAtomically(data, named: requestURL.lastPathComponent, in: requestDirectory)

        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        let interval = FileDrop.clamp(pollInterval)
        var previousBadContent: Data?
        var lastMalformed: EligibilityError?
        do {
            while true {
                if let refusal = try FileDrop.read(errorURL, limit: profile.maximumFileBytes) {
                    if removesResultAfterReading { try? FileManager.default.removeItem(at: errorURL) }
                    throw EligibilityError.requestRefused(
                        fileIdentifier: identifier, reason: Self.refusalReason(refusal, codec: codec))
                }
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
                    throw EligibilityError.timedOut(
                        fileIdentifier: identifier,
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
        guard result.header.segmentOfResult == .normal || result.isProcessing else {
            throw EligibilityError.serviceError(
                segment: result.header.segmentOfResult.code,
                code: result.header.errorCode, message: result.header.errorMessage)
        }
        return result
    }

    /// The message of a `.err` answer: its ErrorCode/ErrorMessage when it is a result document, else its first
    /// 200 characters.
    static func refusalReason(_ data: Data, codec: QualificationXMLCodec) -> String {
        if let result = try? codec.decodeResult(data) {
            return [result.header.errorCode, result.header.errorMessage].compactMap { $0 }.joined(separator: ": ")
        }
        let text =
            (try? OQSTextEncoding.decode(data)).map { String(decoding: $0.utf8, as: UTF8.self) } ?? "(unreadable)"
        return String(text.prefix(200))
    }
}

/// The other side of the file-drop exchange: answers request files from a ``QualificationService`` (for the demo
/// and tests, a ``LocalQualificationRegistry``), the way a 資格確認端末 would.
///
/// Requests (`OQSsiquc01req_*.xml`, by ``QualificationXMLProfile/requestFileNamePattern``) are read through a
/// ``DropFolderInbox``: a file is taken once two successive looks see the same bytes (writers are not atomic).
/// Each is answered in the result folder under its own name with `req` → `res`, written atomically in the
/// profile's encoding, and moved to `req/done/`. A request that is too large, wrongly encoded, truncated or
/// otherwise malformed, or that the service fails on, is answered with `<request base name>.err` (an error result:
/// SegmentOfResult 9, ErrorCode ``malformedRequestErrorCode`` or ``serviceFailureErrorCode``, local codes) and moved
/// to `req/quarantine/` with its reason. With ``faceDirectory`` set, a card-route request (ReferenceClassification 1,
/// this package's local extension) is answered as the terminal answers a reader's check: a result in `face/`.
public struct FileDropResponder: Sendable {
    /// Local error code for a request that did not parse.
    public static let malformedRequestErrorCode = "MF0001"
    /// Local error code for a request the service failed on.
    public static let serviceFailureErrorCode = "MF0002"

    /// Where request files arrive.
    public var requestDirectory: URL { inbox.folder }
    /// Where results are written.
    public var resultDirectory: URL
    /// Where card-route results go (`face/`); nil answers them in ``resultDirectory``.
    public var faceDirectory: URL?
    /// XML profile.
    public var codec: QualificationXMLCodec
    /// What answers the requests.
    public var service: any QualificationService
    private var inbox: DropFolderInbox

    /// A responder answering requests from `requestDirectory` into `resultDirectory` (and card-route ones into
    /// `faceDirectory` when given) with `service`.
    public init(
        requestDirectory: URL, resultDirectory: URL, faceDirectory: URL? = nil, service: any QualificationService,
        profile: QualificationXMLProfile = .default
    ) {
        self.resultDirectory = resultDirectory
        self.faceDirectory = faceDirectory
        self.service = service
        self.codec = QualificationXMLCodec(profile: profile)
        let pattern = profile.requestFileNamePattern
        self.inbox = DropFolderInbox(
            folder: requestDirectory, maximumFileBytes: profile.maximumFileBytes,
            accepts: { QualificationXMLProfile.token(inFileName: $0, pattern: pattern) != nil })
    }

    /// One answer.
    public struct Answer: Sendable, Hashable {
        /// The request file's name.
        public var requestName: String
        /// The name written: a result (`…res_….xml`, or a `face/` name) or a refusal (`….err`).
        public var answerName: String
        /// True for a refusal (`.err`).
        public var refused: Bool
        /// The validity answered (nil for a refusal).
        public var validity: QualificationValidity?
    }

    /// Looks at the request folder once and answers every request whose content is stable (seen unchanged since
    /// the previous call), oldest name first.
    /// - Returns: the answers written.
    /// - Throws: ``EligibilityError/directoryUnavailable(path:reason:)`` or ``EligibilityError/writeFailed(path:reason:)``.
    public mutating func answerPending(now: @Sendable () -> Date = { Date() }) async throws -> [Answer] {
        try FileDrop.requireDirectory(resultDirectory)
        let profile = codec.profile
        var answers: [Answer] = []
        for file in try inbox.poll() {
            let date = now()
            switch await answer(file, now: date) {
            case .success(let result):
                var name = OQSFileNames.resultFileName(forRequest: file.name) ?? file.name
                var folder = resultDirectory
                if let faceDirectory, result.header.referenceClassification == .myNumberCard {
                    let writer = FaceResultWriter(directory: faceDirectory, profile: profile)
                    name = try writer.write(result, at: date).lastPathComponent
                    folder = faceDirectory
                } else {
                    try FileDrop.writeAtomically(try codec.encode(result), named: name, in: folder)
                }
                try inbox.markDone(file.name)
                answers.append(
                    Answer(requestName: file.name, answerName: name, refused: false, validity: result.validity))
            case .failure(let refusal):
                let name = OQSFileNames.errorFileName(forRequest: file.name)
                let tz = profile.timeZone
                let result = QualificationResult(
                    header: ResultHeader(
                        processExecutionTime: OQSTimestamp(date, timeZone: tz), segmentOfResult: .error,
                        errorCode: refusal.code, errorMessage: refusal.message))
                try FileDrop.writeAtomically(try codec.encode(result), named: name, in: resultDirectory)
                try inbox.quarantine(file.name, reason: "\(refusal.code): \(refusal.message)")
                answers.append(Answer(requestName: file.name, answerName: name, refused: true, validity: nil))
            }
        }
        return answers
    }

    /// Watches the request folder, answering requests as they arrive.
    /// - Parameters:
    ///   - stopAfter: stop once at least this many requests were answered (nil: no limit).
    ///   - timeout: stop after this long (nil: run until cancelled).
    ///   - pollInterval: how often to look (clamped to 5 ms…1 s).
    ///   - onAnswer: called for each answer (for printing).
    /// - Returns: how many requests were answered.
    /// - Throws: the errors of ``answerPending(now:)``, or `CancellationError`.
    public mutating func run(
        stopAfter: Int? = nil, timeout: Duration?, pollInterval: Duration = .milliseconds(50),
        onAnswer: @Sendable (Answer) -> Void = { _ in }
    ) async throws -> Int {
        let clock = ContinuousClock()
        let deadline = timeout.map { clock.now.advanced(by: $0) }
        var count = 0
        while true {
            let answered = try await answerPending()
            answered.forEach(onAnswer)
            count += answered.count
            if let stopAfter, count >= stopAfter { return count }
            if let deadline, clock.now >= deadline { return count }
            try await Task.sleep(for: FileDrop.clamp(pollInterval))
        }
    }

    struct Refusal: Error {
        var code: String
        var message: String
    }

    private func answer(_ file: InboxFile, now: Date) async -> Result<QualificationResult, Refusal> {
        let request: QualificationRequest
        switch file.content {
        case .failure(let error):
            return .failure(Refusal(code: Self.malformedRequestErrorCode, message: error.description))
        case .success(let data):
            do {
                request = try codec.decodeRequest(data)
            } catch let error as EligibilityError {
                if case .malformedRequest(_, let reason) = error {
                    return .failure(
                        Refusal(
                            code: Self.malformedRequestErrorCode,
                            message: "request \(file.name) is malformed: \(reason)"))
                }
                return .failure(Refusal(code: Self.malformedRequestErrorCode, message: error.description))
            } catch {
                return .failure(Refusal(code: Self.malformedRequestErrorCode, message: "request could not be read"))
            }
        }
        do {
            var result = try await service.check(request)
            if request.referenceClassification == .insuranceCard { result.searchInfo = request.searchInfo }
            return .success(result)
        } catch let error as EligibilityError {
            return .failure(Refusal(code: Self.serviceFailureErrorCode, message: error.description))
        } catch {
            return .failure(Refusal(code: Self.serviceFailureErrorCode, message: "qualification service failed"))
        }
    }
}
