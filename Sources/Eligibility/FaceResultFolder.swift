import Foundation

/// Writes the result the 資格確認端末 writes after a reader's check: `OQSsiquc01res_face_<token>_<yyyyMMddHHmmss>.xml`
/// in the share's `face/` folder, ReferenceClassification 1, in the profile's encoding, atomically (a hidden
/// temporary name in the same folder, then rename(2)), so a watcher never sees half a file from this writer.
public struct FaceResultWriter: Sendable {
    /// The `face/` folder (must exist).
    public var directory: URL
    /// Encoding, element names, time zone.
    public var codec: QualificationXMLCodec

    /// A writer into `directory`.
    public init(directory: URL, profile: QualificationXMLProfile = .default) {
        self.directory = directory
        self.codec = QualificationXMLCodec(profile: profile)
    }

    /// Writes `result` (its ReferenceClassification set to 1, a random ArbitraryFileIdentifier when it has none).
    /// - Parameter time: the file name's `yyyyMMddHHmmss` (JST).
    /// - Returns: the file written.
    /// - Throws: ``EligibilityError/directoryUnavailable(path:reason:)``, ``EligibilityError/writeFailed(path:reason:)``,
    ///   ``EligibilityError/invalidField(field:reason:)`` (a character the encoding cannot write).
    @discardableResult
    public func write(_ result: QualificationResult, at time: Date = Date()) throws -> URL {
        try FileDrop.requireDirectory(directory)
        var document = result
        document.header.referenceClassification = .myNumberCard
        let identifier = document.header.arbitraryFileIdentifier ?? QualificationClient.newFileIdentifier()
        document.header.arbitraryFileIdentifier = identifier
        let name = OQSFileNames.faceResultFileName(
            identifier: identifier,
            at: OQSTimestamp(time, timeZone: codec.profile.timeZone))
        try FileDrop.writeAtomically(try codec.encode(document), named: name, in: directory)
        return directory.appendingPathComponent(name)
    }
}

/// What a ``FaceResultWatcher`` did with one file.
public enum FaceResultDelivery: Sendable, Hashable {
    /// A result was read and the file moved to `done/`.
    case result(fileName: String, QualificationResult)
    /// The file could not be used and was moved to `quarantine/` with this reason.
    case quarantined(fileName: String, reason: String)
}

/// The clinic side of `face/`: what a レセコン runs to pick up the terminal's card-route results.
///
/// Takes `OQSsiquc01res_face_*_<14 digits>.xml` files once their content is stable over two looks (the terminal's
/// writes are not atomic), reads Shift_JIS or UTF-8 by the declaration, moves each consumed file to `face/done/` and
/// each unusable one (too large, wrongly encoded, truncated, not a result) to `face/quarantine/` with a
/// `.reason.txt`. Nothing is deleted. Other names are left alone.
public struct FaceResultWatcher: Sendable {
    private var inbox: DropFolderInbox
    /// Element names, size limit.
    public var codec: QualificationXMLCodec

    /// A watcher of `folder`.
    public init(folder: URL, profile: QualificationXMLProfile = .default) {
        self.codec = QualificationXMLCodec(profile: profile)
        self.inbox = DropFolderInbox(
            folder: folder, maximumFileBytes: profile.maximumFileBytes,
            accepts: OQSFileNames.isFaceResultFileName)
    }

    /// Looks once; returns what was consumed or quarantined (a file seen for the first time or still changing is
    /// left for the next look).
    /// - Throws: ``EligibilityError/directoryUnavailable(path:reason:)``, ``EligibilityError/writeFailed(path:reason:)``.
    public mutating func poll() throws -> [FaceResultDelivery] {
        var out: [FaceResultDelivery] = []
        for file in try inbox.poll() {
            do {
                let result = try codec.decodeResult(try file.content.get())
                try inbox.markDone(file.name)
                out.append(.result(fileName: file.name, result))
            } catch let error as EligibilityError {
                if case .writeFailed = error { throw error }
                try inbox.quarantine(file.name, reason: error.description)
                out.append(.quarantined(fileName: file.name, reason: error.description))
            }
        }
        return out
    }
}

/// The folders of an OQS share: `req/`, `res/`, `face/` under one root.
public struct OQSShare: Sendable, Hashable {
    /// The share's root.
    public var root: URL
    /// Requests (`req/`).
    public var requests: URL { root.appendingPathComponent("req", isDirectory: true) }
    /// Results and refusals (`res/`).
    public var results: URL { root.appendingPathComponent("res", isDirectory: true) }
    /// Card-route results (`face/`).
    public var face: URL { root.appendingPathComponent("face", isDirectory: true) }

    /// The share at `root`.
    public init(root: URL) { self.root = root }

    /// Creates the three folders when missing.
    /// - Throws: ``EligibilityError/directoryUnavailable(path:reason:)``.
    public func create() throws {
        for folder in [requests, results, face] {
            do { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) } catch {
                throw EligibilityError.directoryUnavailable(path: folder.path, reason: error.localizedDescription)
            }
        }
    }
}
