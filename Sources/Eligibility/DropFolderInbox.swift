import Foundation

/// A file that arrived in a watched folder, read once its content stopped changing.
public struct InboxFile: Sendable, Equatable {
    /// The file's name in the folder.
    public var name: String
    /// Its bytes, or why they were not read (``EligibilityError/fileTooLarge(path:bytes:limit:)``).
    public var content: Result<Data, EligibilityError>
}

/// A watched folder of the OQS share (`req/` or `face/`), read the way clinic software reads it: writers are not
/// atomic, so a file is taken only when two successive looks (``poll()`` calls) see the same bytes; consumed
/// files are moved to `done/`, and files that could not be used to `quarantine/` next to a `<name>.reason.txt`
/// saying why. Nothing is deleted.
///
/// Hidden files (a leading `.`, such as a writer's temporary file) and sub-folders are ignored. A file longer
/// than ``maximumFileBytes`` is reported at once (its length does not have to settle) without being read whole.
public struct DropFolderInbox: Sendable {
    /// The watched folder.
    public let folder: URL
    /// Where consumed files go (`<folder>/done`).
    public var doneFolder: URL { folder.appendingPathComponent("done", isDirectory: true) }
    /// Where unusable files go (`<folder>/quarantine`).
    public var quarantineFolder: URL { folder.appendingPathComponent("quarantine", isDirectory: true) }
    /// Largest file read, in bytes.
    public var maximumFileBytes: Int
    /// Which names are taken (others are left alone).
    public var accepts: @Sendable (String) -> Bool
    private var lastSeen: [String: Data] = [:]

    /// - Parameters:
    ///   - folder: an existing folder.
    ///   - maximumFileBytes: the largest file read.
    ///   - accepts: the names to take.
    public init(folder: URL, maximumFileBytes: Int = 1 << 20, accepts: @escaping @Sendable (String) -> Bool) {
        self.folder = folder
        self.maximumFileBytes = maximumFileBytes
        self.accepts = accepts
    }

    /// Looks at the folder once and returns the files whose content is the same as at the previous look
    /// (and those too large to read), sorted by name. The caller must ``markDone(_:)`` or
    /// ``quarantine(_:reason:)`` each; a file left in place is returned again at the next look.
    /// - Throws: ``EligibilityError/directoryUnavailable(path:reason:)``.
    public mutating func poll() throws -> [InboxFile] {
        try FileDrop.requireDirectory(folder)
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        } catch {
            throw EligibilityError.directoryUnavailable(path: folder.path, reason: error.localizedDescription)
        }
        var ready: [InboxFile] = []
        var seen: [String: Data] = [:]
        for name in names where !name.hasPrefix(".") && accepts(name) {
            let url = folder.appendingPathComponent(name)
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue
            else { continue }
            do {
                guard let data = try FileDrop.read(url, limit: maximumFileBytes) else { continue }
                if let previous = lastSeen[name], previous == data {
                    ready.append(InboxFile(name: name, content: .success(data)))
                } else {
                    seen[name] = data
                }
            } catch let error as EligibilityError {
                ready.append(InboxFile(name: name, content: .failure(error)))
            } catch {
                continue
            }
        }
        lastSeen = seen
        return ready
    }

    /// Moves `name` into `done/` (a numbered name when one exists there already).
    /// - Throws: ``EligibilityError/writeFailed(path:reason:)`` (the file then stays where it was).
    public func markDone(_ name: String) throws {
        try move(name, into: doneFolder)
    }

    /// Moves `name` into `quarantine/` and writes `<name>.reason.txt` (UTF-8, one line) beside it.
    /// - Throws: ``EligibilityError/writeFailed(path:reason:)`` (the file then stays where it was).
    public func quarantine(_ name: String, reason: String) throws {
        let moved = try move(name, into: quarantineFolder)
        let line = reason.replacingOccurrences(of: "\n", with: " ").prefix(2000) + "\n"
        try FileDrop.writeAtomically(Data(line.utf8), named: moved + ".reason.txt", in: quarantineFolder)
    }

    @discardableResult
    private func move(_ name: String, into target: URL) throws -> String {
        do {
            try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
        } catch {
            throw EligibilityError.writeFailed(
                path: target.path, reason: "cannot create the folder: \(error.localizedDescription)")
        }
        var destination = name
        var n = 1
        while FileManager.default.fileExists(atPath: target.appendingPathComponent(destination).path) {
            destination = "\(name).\(n)"
            n += 1
        }
        do {
            try FileManager.default.moveItem(
                at: folder.appendingPathComponent(name), to: target.appendingPathComponent(destination))
        } catch {
            throw EligibilityError.writeFailed(
                path: target.appendingPathComponent(destination).path, reason: error.localizedDescription)
        }
        return destination
    }
}
