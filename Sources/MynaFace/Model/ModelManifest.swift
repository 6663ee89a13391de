import FaceEmbedding
import Foundation
import NeuralCore
import ONNXFormat

/// The manifest of an external face-embedding model (`manifest.json` next to its `.onnx` in a model directory): what
/// the file is (name, SHA-256), what its input must be (size, layout, colour order, normalisation), how faces are
/// aligned for it, how long its embeddings are, and where its calibrated threshold is. Format: `docs/models.md`.
///
/// ```json
/// {
///   "format": "mynaface-model", "version": 1,
///   "id": "vendor-arcface-r50", "name": "Vendor ArcFace R50 (licensed)",
///   "file": "model.onnx", "sha256": "<64 hex digits>",
///   "input": { "width": 112, "height": 112, "layout": "NCHW", "channel_order": "RGB" },
///   "normalization": { "mean": [127.5, 127.5, 127.5], "std": [127.5, 127.5, 127.5] },
///   "alignment": "arcface-112", "embedding_size": 512, "threshold_file": "threshold.json"
/// }
/// ```
///
/// ``decode(_:path:)`` validates every field and names the one that is wrong (``ModelManifestError``).
public struct ModelManifest: Sendable, Codable, Equatable {
    /// The value of ``format``.
    public static let formatName = "mynaface-model"
    /// The version this build reads and writes.
    public static let currentVersion = 1
    /// The manifest's file name inside a model directory.
    public static let fileName = "manifest.json"

    /// The network's input.
    public struct Input: Sendable, Codable, Equatable {
        /// Width and height in pixels (16…1024 each).
        public var width: Int
        public var height: Int
        /// Tensor layout: `NCHW` (the only one supported; `NHWC` is refused).
        public var layout: String
        /// Order of the colour channels in the input: `RGB` or `BGR`.
        public var channelOrder: String
        /// Colour channels (3; optional in the file).
        public var channels: Int?

        enum CodingKeys: String, CodingKey {
            case width, height, layout, channels
            case channelOrder = "channel_order"
        }

        public init(width: Int, height: Int, layout: String = "NCHW", channelOrder: String = "RGB") {
            self.width = width
            self.height = height
            self.layout = layout
            self.channelOrder = channelOrder
        }
    }

    /// How pixel values (0…255) become input values: `(x − mean) / std` per channel (in the input's channel
    /// order; one value applies to all three), or equivalently `x · scale + offset`. Give one form, not both.
    public struct Normalization: Sendable, Codable, Equatable {
        public var mean: [Double]?
        public var std: [Double]?
        public var scale: Double?
        public var offset: Double?

        public init(mean: [Double], std: [Double]) {
            self.mean = mean
            self.std = std
        }

        public init(scale: Double, offset: Double) {
            self.scale = scale
            self.offset = offset
        }
    }

    /// Always ``formatName``.
    public var format = ModelManifest.formatName
    /// Always ``currentVersion`` when written.
    public var version = ModelManifest.currentVersion
    /// The model's identifier (1–64 characters of `A–Z a–z 0–9 . _ -`), recorded in templates and threshold files.
    public var id: String
    /// A human-readable name (optional).
    public var name: String?
    /// The `.onnx` file's name, in the model directory (no path separators).
    public var file: String
    /// The `.onnx` file's SHA-256, 64 hex digits; checked when the model is loaded.
    public var sha256: String
    /// The input.
    public var input: Input
    /// The normalisation.
    public var normalization: Normalization
    /// The alignment: `arcface-112` (the five-point ArcFace template, scaled to the input size).
    public var alignment: String
    /// Values per embedding (1…8192; the network's output must have exactly this many).
    public var embeddingSize: Int
    /// The calibrated threshold file (``ThresholdFile``, written by `mynaface eval --model`), relative to the model
    /// directory; nil for a model not yet calibrated (its verifier then needs an explicit threshold).
    public var thresholdFile: String?

    enum CodingKeys: String, CodingKey {
        case format, version, id, name, file, sha256, input, normalization, alignment
        case embeddingSize = "embedding_size"
        case thresholdFile = "threshold_file"
    }

    public init(
        id: String, name: String? = nil, file: String, sha256: String, input: Input, normalization: Normalization,
        alignment: String = "arcface-112", embeddingSize: Int, thresholdFile: String? = nil
    ) {
        self.id = id
        self.name = name
        self.file = file
        self.sha256 = sha256
        self.input = input
        self.normalization = normalization
        self.alignment = alignment
        self.embeddingSize = embeddingSize
        self.thresholdFile = thresholdFile
    }

    /// The alignments this build supports.
    public static let supportedAlignments = ["arcface-112"]

    /// Reads and validates `manifest.json` (``decode(_:path:)``).
    /// - Throws: ``ModelManifestError``.
    public static func load(from url: URL) throws(ModelManifestError) -> ModelManifest {
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw .unreadable(path: url.path) }
        return try decode(data, path: url.path)
    }

    /// Decodes and validates a manifest's bytes (`path` names it in errors): format and version first, then every
    /// field (``validate(path:)``).
    /// - Throws: ``ModelManifestError``.
    public static func decode(_ data: Data, path: String) throws(ModelManifestError) -> ModelManifest {
        guard data.count <= 1 << 20 else { throw .malformed(path: path, detail: "larger than 1 MiB") }
        guard let header = JSONFormatHeader.read(data) else {
            throw .malformed(path: path, detail: "not a JSON object")
        }
        guard header.format == formatName else { throw .wrongFormat(path: path, found: header.format ?? "none") }
        guard header.version == currentVersion else {
            throw .unsupportedVersion(path: path, found: header.version ?? 0, supported: currentVersion)
        }
        let manifest: ModelManifest
        do { manifest = try JSONDecoder().decode(ModelManifest.self, from: data) } catch {
            throw .malformed(path: path, detail: Self.describe(error))
        }
        try manifest.validate(path: path)
        return manifest
    }

    /// Checks every field's value.
    /// - Throws: ``ModelManifestError/invalidField(path:field:reason:)`` or
    ///   ``ModelManifestError/unsupported(path:field:value:)`` naming the first field that is wrong.
    public func validate(path: String) throws(ModelManifestError) {
        func bad(_ field: String, _ reason: String) -> ModelManifestError {
            .invalidField(path: path, field: field, reason: reason)
        }
        let idCharacters = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
        guard (1...64).contains(id.count), id.allSatisfy(idCharacters.contains), id != ".", id != ".." else {
            throw bad("id", "must be 1–64 characters of A–Z a–z 0–9 . _ -")
        }
        if let name, name.count > 200 { throw bad("name", "longer than 200 characters") }
        guard Self.isPlainRelativePath(file, allowSubfolders: false), file.lowercased().hasSuffix(".onnx") else {
            throw bad("file", "must be the .onnx file's name in the model directory (no path)")
        }
        let hex = Set("0123456789abcdefABCDEF")
        guard sha256.count == 64, sha256.allSatisfy(hex.contains) else {
            throw bad("sha256", "must be 64 hexadecimal digits")
        }
        guard (16...1024).contains(input.width) else {
            throw bad("input.width", "\(input.width) is not 16…1024 pixels")
        }
        guard (16...1024).contains(input.height) else {
            throw bad("input.height", "\(input.height) is not 16…1024 pixels")
        }
        if let c = input.channels, c != 3 { throw .unsupported(path: path, field: "input.channels", value: "\(c)") }
        guard input.layout.uppercased() == "NCHW" else {
            throw .unsupported(path: path, field: "input.layout", value: input.layout)
        }
        guard ["RGB", "BGR"].contains(input.channelOrder.uppercased()) else {
            throw .unsupported(path: path, field: "input.channel_order", value: input.channelOrder)
        }
        _ = try meanAndStd(path: path)
        guard Self.supportedAlignments.contains(alignment) else {
            throw .unsupported(path: path, field: "alignment", value: alignment)
        }
        guard (1...8192).contains(embeddingSize) else {
            throw bad("embedding_size", "\(embeddingSize) is not 1…8192")
        }
        if let thresholdFile, !Self.isPlainRelativePath(thresholdFile, allowSubfolders: true) {
            throw bad("threshold_file", "must be a path inside the model directory")
        }
    }

    /// The per-channel mean and standard deviation (input channel order), from either form.
    /// - Throws: ``ModelManifestError/invalidField(path:field:reason:)`` for a missing, mixed or absurd form.
    public func meanAndStd(path: String = ModelManifest.fileName) throws(ModelManifestError)
        -> (mean: [Double], std: [Double])
    {
        func bad(_ field: String, _ reason: String) -> ModelManifestError {
            .invalidField(path: path, field: field, reason: reason)
        }
        let n = normalization
        let meanStd = n.mean != nil || n.std != nil
        let scaleOffset = n.scale != nil || n.offset != nil
        guard meanStd != scaleOffset else {
            throw bad("normalization", "give mean and std, or scale and offset (one form)")
        }
        var mean: [Double]
        var std: [Double]
        if meanStd {
            guard let m = n.mean, m.count == 1 || m.count == 3 else {
                throw bad("normalization.mean", "must be 1 or 3 numbers")
            }
            guard let s = n.std, s.count == 1 || s.count == 3 else {
                throw bad("normalization.std", "must be 1 or 3 numbers")
            }
            mean = m.count == 1 ? Array(repeating: m[0], count: 3) : m
            std = s.count == 1 ? Array(repeating: s[0], count: 3) : s
        } else {
            guard let scale = n.scale, let offset = n.offset else {
                throw bad("normalization", "scale and offset go together")
            }
            guard scale.isFinite, abs(scale) >= 1e-6, abs(scale) <= 1e6 else {
                throw bad("normalization.scale", "\(scale) is zero, not finite or absurd")
            }
            guard offset.isFinite else { throw bad("normalization.offset", "not finite") }
            mean = Array(repeating: -offset / scale, count: 3)
            std = Array(repeating: 1 / scale, count: 3)
        }
        guard mean.allSatisfy({ $0.isFinite && abs($0) <= 1e4 }) else {
            throw bad("normalization.mean", "values must be finite and within ±10000")
        }
        guard std.allSatisfy({ $0.isFinite && $0 >= 1e-6 && $0 <= 1e6 }) else {
            throw bad("normalization.std", "values must be positive, finite and within 1e-6…1e6")
        }
        return (mean, std)
    }

    /// Writes the manifest (pretty-printed JSON, sorted keys, atomically).
    /// - Throws: ``ModelManifestError/unwritable(path:detail:)``.
    public func save(to url: URL) throws(ModelManifestError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        do { try encoder.encode(self).write(to: url, options: .atomic) } catch {
            throw .unwritable(path: url.path, detail: String(describing: error))
        }
    }

    /// A relative path with no `..`, no leading `/`, no empty component (and no `/` at all unless allowed).
    static func isPlainRelativePath(_ p: String, allowSubfolders: Bool) -> Bool {
        guard !p.isEmpty, p.count <= 255, !p.hasPrefix("/"), !p.contains("\\"), !p.contains("\0") else {
            return false
        }
        let parts = p.split(separator: "/", omittingEmptySubsequences: false)
        guard allowSubfolders || parts.count == 1 else { return false }
        return parts.allSatisfy { !$0.isEmpty && $0 != "." && $0 != ".." }
    }

    /// A decoding error as one line naming the field.
    static func describe(_ error: any Error) -> String {
        guard let e = error as? DecodingError else { return String(describing: error) }
        func path(_ c: [any CodingKey]) -> String { c.map(\.stringValue).joined(separator: ".") }
        switch e {
        case .keyNotFound(let key, let ctx):
            return "missing field \((ctx.codingPath + [key]).map(\.stringValue).joined(separator: "."))"
        case .typeMismatch(_, let ctx): return "field \(path(ctx.codingPath)) has the wrong type"
        case .valueNotFound(_, let ctx): return "field \(path(ctx.codingPath)) is null"
        case .dataCorrupted(let ctx): return "field \(path(ctx.codingPath)): \(ctx.debugDescription)"
        @unknown default: return String(describing: e)
        }
    }
}

/// Why a model directory or its manifest could not be used. Each case names the file and, where it applies, the field.
public enum ModelManifestError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The model directory or its manifest could not be read.
    case unreadable(path: String)
    /// The manifest is not valid JSON of the manifest format (the detail names the field).
    case malformed(path: String, detail: String)
    /// The `format` field is not `mynaface-model`.
    case wrongFormat(path: String, found: String)
    /// The `version` field is one this build does not read.
    case unsupportedVersion(path: String, found: Int, supported: Int)
    /// A field holds an impossible value.
    case invalidField(path: String, field: String, reason: String)
    /// A field holds a value this build does not support (e.g. layout `NHWC`, alignment `dlib-150`).
    case unsupported(path: String, field: String, value: String)
    /// The `.onnx` file named by the manifest is missing.
    case modelFileMissing(path: String)
    /// The `.onnx` file's SHA-256 is not the manifest's.
    case checksumMismatch(path: String, expected: String, actual: String)
    /// The `.onnx` file was refused by the ONNX reader (malformed, hostile sizes, an unsupported operator or
    /// attribute — the cause names the node).
    case onnx(path: String, ONNXModelError)
    /// The graph could not be planned for the manifest's input size (the cause names the node).
    case plan(path: String, GraphError)
    /// The network does not fit the manifest (e.g. its output is not `embedding_size` floats).
    case embedder(path: String, FaceEmbeddingError)
    /// The threshold file the manifest names cannot be read or is invalid.
    case thresholdFile(ThresholdFileError)
    /// The manifest could not be written.
    case unwritable(path: String, detail: String)

    public var description: String {
        switch self {
        case .unreadable(let path): "cannot read model manifest \(path)"
        case .malformed(let path, let detail): "model manifest \(path) is not valid: \(detail)"
        case .wrongFormat(let path, let found):
            "\(path) is not a model manifest: format is '\(found)', expected '\(ModelManifest.formatName)'"
        case .unsupportedVersion(let path, let found, let supported):
            "model manifest \(path) has version \(found); this build reads version \(supported)"
        case .invalidField(let path, let field, let reason): "model manifest \(path): field \(field): \(reason)"
        case .unsupported(let path, let field, let value):
            "model manifest \(path): field \(field): '\(value)' is not supported (docs/models.md)"
        case .modelFileMissing(let path): "model file \(path) is missing"
        case .checksumMismatch(let path, let expected, let actual):
            "model file \(path) has SHA-256 \(actual), but its manifest says \(expected) (wrong or damaged file)"
        case .onnx(let path, let e): "model \(path): \(e)"
        case .plan(let path, let e): "model \(path): \(e)"
        case .embedder(let path, let e): "model \(path): \(e)"
        case .thresholdFile(let e): "model threshold: \(e)"
        case .unwritable(let path, let detail): "cannot write model manifest \(path): \(detail)"
        }
    }
}
