import Foundation

/// One image of a labelled face set.
public struct LabelledImage: Sendable, Equatable, Hashable {
    /// The file on disk.
    public var url: URL
    /// The name written to `scores.csv` (the path as given in the input, or relative to the input folder).
    public var name: String
    /// The identity label.
    public var identity: String
    /// The subset the image belongs to (impostor pairs are drawn only within one set); "" when none.
    public var set: String

    public init(url: URL, name: String, identity: String, set: String = "") {
        self.url = url
        self.name = name
        self.identity = identity
        self.set = set
    }
}

/// A labelled comparison of two images (indices into ``FaceDataset/images``).
public struct ImagePair: Sendable, Equatable, Hashable {
    /// The reference image (the chip portrait under `--chip-sim`).
    public var a: Int
    /// The probe image.
    public var b: Int
    /// True for a genuine (same identity) comparison.
    public var same: Bool

    public init(a: Int, b: Int, same: Bool) {
        self.a = a
        self.b = b
        self.same = same
    }
}

/// The images of a run and, for pairs files, the explicit comparisons.
public struct FaceDataset: Sendable {
    /// The images, in input order (folder input: identities and files sorted by name).
    public var images: [LabelledImage]
    /// Explicit comparisons from a pairs file; nil when the protocol draws the pairs.
    public var explicitPairs: [ImagePair]?
    /// A one-line description for summaries ("labels.csv (set lfw)", "pairs.txt", …).
    public var description: String

    public init(images: [LabelledImage], explicitPairs: [ImagePair]? = nil, description: String) {
        self.images = images
        self.explicitPairs = explicitPairs
        self.description = description
    }

    /// The number of distinct identities.
    public var identityCount: Int { Set(images.map(\.identity)).count }

    /// A folder whose sub-folders are identities; every regular file inside (not hidden) is an image.
    /// - Throws: ``EvaluationError/unreadable(path:)``, ``EvaluationError/empty(detail:)``.
    public static func folder(_ root: URL) throws(EvaluationError) -> FaceDataset {
        let fm = FileManager.default
        let identities: [String]
        do { identities = try fm.contentsOfDirectory(atPath: root.path).filter { !$0.hasPrefix(".") }.sorted() } catch {
            throw .unreadable(path: root.path)
        }
        var images: [LabelledImage] = []
        for identity in identities {
            let dir = root.appendingPathComponent(identity)
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: dir.path, isDirectory: &isDir), isDir.boolValue else { continue }
            let files: [String]
            do { files = try fm.contentsOfDirectory(atPath: dir.path).filter { !$0.hasPrefix(".") }.sorted() } catch {
                throw .unreadable(path: dir.path)
            }
            for file in files {
                let url = dir.appendingPathComponent(file)
                var fileIsDir: ObjCBool = false
                guard fm.fileExists(atPath: url.path, isDirectory: &fileIsDir), !fileIsDir.boolValue else { continue }
                images.append(LabelledImage(url: url, name: identity + "/" + file, identity: identity))
            }
        }
        guard !images.isEmpty else { throw .empty(detail: "no identity sub-folders with files in \(root.path)") }
        return FaceDataset(images: images, description: root.lastPathComponent + "/")
    }

    /// A CSV with a header naming at least `path` and `identity` (optional `set`); paths are relative to
    /// the CSV's folder unless absolute. `sets`, when given, keeps only rows whose `set` is listed.
    /// - Throws: ``EvaluationError`` for an unreadable file, a missing column, a short row or no rows left.
    public static func labelsCSV(_ url: URL, sets: [String]? = nil) throws(EvaluationError) -> FaceDataset {
        let rows = try CSV.read(url)
        guard let header = rows.first else { throw .empty(detail: "\(url.path) is empty") }
        let columns = header.fields.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        guard let pathColumn = columns.firstIndex(of: "path") else {
            throw .missingColumn(path: url.path, column: "path")
        }
        guard let identityColumn = columns.firstIndex(of: "identity") else {
            throw .missingColumn(path: url.path, column: "identity")
        }
        let setColumn = columns.firstIndex(of: "set")
        if sets != nil, setColumn == nil { throw .missingColumn(path: url.path, column: "set") }
        let base = url.deletingLastPathComponent()
        var images: [LabelledImage] = []
        for row in rows.dropFirst() {
            let needed = max(pathColumn, identityColumn, setColumn ?? 0)
            guard row.fields.count > needed else {
                throw .malformedLine(
                    path: url.path, line: row.line,
                    detail: "expected at least \(needed + 1) fields, found \(row.fields.count)")
            }
            let path = row.fields[pathColumn]
            let identity = row.fields[identityColumn]
            guard !path.isEmpty, !identity.isEmpty else {
                throw .malformedLine(path: url.path, line: row.line, detail: "empty path or identity")
            }
            let set = setColumn.map { row.fields[$0] } ?? ""
            if let sets, !sets.contains(set) { continue }
            let file = path.hasPrefix("/") ? URL(fileURLWithPath: path) : base.appendingPathComponent(path)
            images.append(LabelledImage(url: file, name: path, identity: identity, set: set))
        }
        guard !images.isEmpty else {
            throw .empty(
                detail: "no rows in \(url.path)" + (sets.map { " for set(s) \($0.joined(separator: ","))" } ?? ""))
        }
        let suffix = sets.map { " (set \($0.joined(separator: ",")))" } ?? ""
        return FaceDataset(images: images, description: url.lastPathComponent + suffix)
    }

    /// An explicit pairs file: LFW `pairs.txt` (whitespace-separated; `name n1 n2` for a genuine pair,
    /// `name1 n1 name2 n2` for an impostor pair, images at `root/Name/Name_0001.jpg`; an optional first
    /// line of one or two integers is the header) or a CSV with header `path_a,path_b,same` (`same` is
    /// 1/0, true/false or yes/no; paths relative to the CSV's folder). The format is chosen by the first
    /// line: a CSV header containing `path_a`, otherwise LFW.
    /// - Parameter root: where LFW names resolve (default: the pairs file's folder).
    /// - Throws: ``EvaluationError`` for an unreadable file or a malformed line.
    public static func pairsFile(_ url: URL, root: URL? = nil) throws(EvaluationError) -> FaceDataset {
        let text: String
        do { text = try String(contentsOf: url, encoding: .utf8) } catch { throw .unreadable(path: url.path) }
        let firstLine = text.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        if firstLine.lowercased().contains("path_a") {
            return try pairsCSV(url)
        }
        return try lfwPairs(text: text, path: url.path, root: root ?? url.deletingLastPathComponent())
    }

    /// Parses LFW `pairs.txt` text (see ``pairsFile(_:root:)``). Images are not checked for existence.
    public static func lfwPairs(text: String, path: String, root: URL) throws(EvaluationError) -> FaceDataset {
        var builder = PairsBuilder()
        var lineNumber = 0
        var sawContent = false
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            lineNumber += 1
            let fields = rawLine.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            if fields.isEmpty { continue }
            defer { sawContent = true }
            if !sawContent, fields.count <= 2, fields.allSatisfy({ Int($0) != nil }) { continue }  // header
            func image(_ name: String, _ number: String) throws(EvaluationError) -> LabelledImage {
                guard let n = Int(number), n >= 0, n < 100_000 else {
                    throw .malformedLine(path: path, line: lineNumber, detail: "'\(number)' is not an image number")
                }
                guard !name.contains("/"), name != "..", name != "." else {
                    throw .malformedLine(path: path, line: lineNumber, detail: "'\(name)' is not an identity name")
                }
                let numberText = String(n)
                let padded = String(repeating: "0", count: max(0, 4 - numberText.count)) + numberText
                let relative = "\(name)/\(name)_\(padded).jpg"
                return LabelledImage(url: root.appendingPathComponent(relative), name: relative, identity: name)
            }
            switch fields.count {
            case 3:
                builder.add(try image(fields[0], fields[1]), try image(fields[0], fields[2]), same: true)
            case 4:
                builder.add(try image(fields[0], fields[1]), try image(fields[2], fields[3]), same: false)
            default:
                throw .malformedLine(
                    path: path, line: lineNumber,
                    detail: "expected 'name n1 n2' or 'name1 n1 name2 n2', found \(fields.count) fields")
            }
        }
        guard !builder.pairs.isEmpty else { throw .empty(detail: "no pairs in \(path)") }
        return FaceDataset(
            images: builder.images, explicitPairs: builder.pairs, description: (path as NSString).lastPathComponent)
    }

    /// Parses a `path_a,path_b,same` CSV pairs file.
    static func pairsCSV(_ url: URL) throws(EvaluationError) -> FaceDataset {
        let rows = try CSV.read(url)
        guard let header = rows.first else { throw .empty(detail: "\(url.path) is empty") }
        let columns = header.fields.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        guard let ca = columns.firstIndex(of: "path_a") else { throw .missingColumn(path: url.path, column: "path_a") }
        guard let cb = columns.firstIndex(of: "path_b") else { throw .missingColumn(path: url.path, column: "path_b") }
        guard let cs = columns.firstIndex(of: "same") else { throw .missingColumn(path: url.path, column: "same") }
        let base = url.deletingLastPathComponent()
        var builder = PairsBuilder()
        for row in rows.dropFirst() {
            guard row.fields.count > max(ca, cb, cs) else {
                throw .malformedLine(path: url.path, line: row.line, detail: "expected \(columns.count) fields")
            }
            let same: Bool
            switch row.fields[cs].lowercased() {
            case "1", "true", "yes", "same": same = true
            case "0", "false", "no", "different": same = false
            default:
                throw .malformedLine(path: url.path, line: row.line, detail: "'same' must be 1/0, true/false or yes/no")
            }
            func image(_ path: String) -> LabelledImage {
                let file = path.hasPrefix("/") ? URL(fileURLWithPath: path) : base.appendingPathComponent(path)
                // Identity is not known from a pairs CSV: the image's own name stands in for it.
                return LabelledImage(url: file, name: path, identity: path)
            }
            builder.add(image(row.fields[ca]), image(row.fields[cb]), same: same)
        }
        guard !builder.pairs.isEmpty else { throw .empty(detail: "no pairs in \(url.path)") }
        return FaceDataset(images: builder.images, explicitPairs: builder.pairs, description: url.lastPathComponent)
    }
}

/// Collects images once each (by name) and the pairs between them.
struct PairsBuilder {
    var images: [LabelledImage] = []
    var index: [String: Int] = [:]
    var pairs: [ImagePair] = []

    mutating func add(_ a: LabelledImage, _ b: LabelledImage, same: Bool) {
        pairs.append(ImagePair(a: indexOf(a), b: indexOf(b), same: same))
    }

    private mutating func indexOf(_ image: LabelledImage) -> Int {
        if let i = index[image.name] { return i }
        images.append(image)
        index[image.name] = images.count - 1
        return images.count - 1
    }
}

/// A minimal RFC 4180 CSV reader (quoted fields, doubled quotes, CRLF or LF).
enum CSV {
    struct Row {
        var line: Int
        var fields: [String]
    }

    /// Refuses files larger than this (a labels file of a million images is ~100 MB).
    static let maximumBytes = 512 << 20

    static func read(_ url: URL) throws(EvaluationError) -> [Row] {
        let data: Data
        do {
            let attributes = try FileManager.default.attributesOfItem(atPath: url.path)
            if let size = attributes[.size] as? Int, size > maximumBytes {
                throw EvaluationError.invalidOption(
                    name: "input", detail: "\(url.path) is larger than \(maximumBytes) bytes")
            }
            data = try Data(contentsOf: url)
        } catch let error as EvaluationError { throw error } catch { throw .unreadable(path: url.path) }
        guard let text = String(data: data, encoding: .utf8) else {
            throw .malformedLine(path: url.path, line: 1, detail: "not UTF-8 text")
        }
        return parse(text)
    }

    static func parse(_ text: String) -> [Row] {
        var rows: [Row] = []
        var fields: [String] = []
        var field = ""
        var inQuotes = false
        var line = 1
        var rowLine = 1
        var chars = Array(text.unicodeScalars)[...]
        if chars.first == "\u{FEFF}" { chars = chars.dropFirst() }
        var i = chars.startIndex
        func endRow() {
            fields.append(field)
            field = ""
            if !(fields.count == 1 && fields[0].isEmpty) { rows.append(Row(line: rowLine, fields: fields)) }
            fields = []
        }
        while i < chars.endIndex {
            let c = chars[i]
            if inQuotes {
                if c == "\"" {
                    if chars.index(after: i) < chars.endIndex, chars[chars.index(after: i)] == "\"" {
                        field.unicodeScalars.append("\"")
                        i = chars.index(after: i)
                    } else {
                        inQuotes = false
                    }
                } else {
                    if c == "\n" { line += 1 }
                    field.unicodeScalars.append(c)
                }
            } else {
                switch c {
                case "\"": inQuotes = true
                case ",":
                    fields.append(field)
                    field = ""
                case "\r": break
                case "\n":
                    endRow()
                    line += 1
                    rowLine = line
                default: field.unicodeScalars.append(c)
                }
            }
            i = chars.index(after: i)
        }
        if !field.isEmpty || !fields.isEmpty { endRow() }
        return rows
    }

    /// Quotes a field when it contains a comma, quote or newline.
    static func escape(_ field: String) -> String {
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
