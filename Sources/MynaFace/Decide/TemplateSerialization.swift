import FaceAlignment
import FaceEmbedding
import FaceImaging
import MynaCard

/// Why template bytes could not be written or read back.
public enum TemplateSerializationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The bytes do not start with the template magic `MFT1` (not a serialised template).
    case notATemplate
    /// The bytes end before the template does (`expected` bytes, `actual` given).
    case truncated(expected: Int, actual: Int)
    /// The format version is not one this library reads.
    case unsupportedVersion(UInt8)
    /// The checksum does not match: the bytes were altered or damaged.
    case checksumMismatch
    /// A field holds an impossible value (non-finite descriptor, channels other than 1 or 3, …).
    case invalidField(String)
    /// The template was accepted although its card-face chain did not verify (a test-setup waiver): such a
    /// template is never persisted.
    case unverifiedPortrait

    public var description: String {
        switch self {
        case .notATemplate: return "template: not a serialised MynaFace template (no MFT1 magic)"
        case .truncated(let e, let a): return "template: truncated (\(a) bytes, \(e) expected)"
        case .unsupportedVersion(let v): return "template: format version \(v) is not supported"
        case .checksumMismatch: return "template: checksum mismatch (altered or damaged bytes)"
        case .invalidField(let f): return "template: invalid \(f)"
        case .unverifiedPortrait: return "template: a portrait accepted unverified is never serialised"
        }
    }
}

extension PortraitTemplate {
    /// The format version written (format 1, before templates recorded their model, is read as dlib's ResNet).
    public static let serializationVersion: UInt8 = 2

    /// The serialised size of a dlib template, in bytes (format 2).
    public static let serializedByteCount = serializedByteCount(model: .dlibResNet, dimension: FaceEmbedding.dimension)

    /// The size of a format-1 template (dlib's 128-D descriptors, no model recorded), in bytes.
    public static let serializedByteCountVersion1 =
        4 + 1 + 1 + 1 + 1 + 2 * FaceEmbedding.dimension * 4 + 4 * 4 + 6 * 8 + 8 + 4

    /// The serialised size (format 2) of a template of `model` whose descriptors have `dimension` values, in bytes.
    public static func serializedByteCount(model: EmbeddingModelIdentity, dimension: Int) -> Int {
        8 + 1 + model.id.utf8.count + EmbeddingModelIdentity.prefixLength + 2 + 2 * dimension * 4 + 4 * 4 + 6 * 8 + 8
            + 4
    }

    /// The template as bytes (format 2): magic `MFT1`, version, channels, authenticity, flags, the model (id length,
    /// UTF-8 id, 12 hex digits of its SHA-256), the descriptor length (UInt16), both descriptors (float32,
    /// little-endian), the face box, the quality measurements, and a checksum (FNV-1a 32, against damage, not
    /// tampering).
    ///
    /// The bytes hold a biometric descriptor **in clear**: store them only as the patient's consent and your policy
    /// allow, encrypted at rest. The card-face data and the portrait's container details are not kept; the
    /// authenticity is kept as "verified" or "not applicable".
    /// - Throws: ``TemplateSerializationError/unverifiedPortrait`` for a template accepted unverified;
    ///   ``TemplateSerializationError/invalidField(_:)`` for a model id longer than 255 bytes.
    public func serialized() throws(TemplateSerializationError) -> [UInt8] {
        let id = Array(model.id.utf8)
        let prefix = Array(model.sha256Prefix.utf8)
        guard id.count <= 255, prefix.count == EmbeddingModelIdentity.prefixLength else {
            throw .invalidField("model \(model)")
        }
        var out: [UInt8] = []
        out.reserveCapacity(Self.serializedByteCount(model: model, dimension: embedding.count))
        out += Array("MFT1".utf8)
        out.append(Self.serializationVersion)
        out.append(UInt8(portraitChannels))
        switch authenticity {
        case .verified: out.append(1)
        case .notApplicable: out.append(0)
        case .acceptedUnverified: throw .unverifiedPortrait
        }
        var flags: UInt8 = quality.insideFrame ? 1 : 0
        if quality.secondFaceRatio != nil { flags |= 2 }
        out.append(flags)
        out.append(UInt8(id.count))
        out += id
        out += prefix
        Self.append(UInt16(embedding.count), to: &out)
        for v in embedding.values + mirrorAveragedEmbedding.values { Self.append(v.bitPattern, to: &out) }
        for v in [faceBox.left, faceBox.top, faceBox.right, faceBox.bottom] {
            Self.append(UInt32(bitPattern: Int32(clamping: v)), to: &out)
        }
        for v in [
            Double(quality.faceWidth), quality.meanLuma, quality.sharpness, quality.yaw, quality.rollDegrees,
            quality.pitchRatio,
        ] {
            Self.append(v.bitPattern, to: &out)
        }
        Self.append((quality.secondFaceRatio ?? 0).bitPattern, to: &out)
        Self.append(Self.checksum(out[...]), to: &out)
        return out
    }

    /// Reads a template written by ``serialized()`` (format 2), or by an earlier release (format 1: dlib's ResNet).
    ///
    /// The result compares like the original (same descriptors, same model); its ``info`` and ``cardFace`` are nil
    /// and a verified authenticity reads `verified("serialised template")`.
    /// - Throws: ``TemplateSerializationError`` for bytes that are not an intact format-1 or format-2 template.
    public init(serialized bytes: [UInt8]) throws(TemplateSerializationError) {
        guard bytes.count >= 5, bytes[0..<4].elementsEqual("MFT1".utf8) else {
            throw bytes.count < 4 && bytes.elementsEqual("MFT1".utf8.prefix(bytes.count)) && !bytes.isEmpty
                ? .truncated(expected: Self.serializedByteCount, actual: bytes.count) : .notATemplate
        }
        let version = bytes[4]
        guard version == 1 || version == 2 else { throw .unsupportedVersion(version) }
        let model: EmbeddingModelIdentity
        let dimension: Int
        var at = 8
        let expected: Int
        if version == 1 {
            model = .dlibResNet
            dimension = FaceEmbedding.dimension
            expected = Self.serializedByteCountVersion1
        } else {
            // The model and descriptor length come before the descriptors: check each read stays inside the bytes.
            guard bytes.count >= 9 else { throw .truncated(expected: Self.serializedByteCount, actual: bytes.count) }
            let idLength = Int(bytes[8])
            let headerEnd = 9 + idLength + EmbeddingModelIdentity.prefixLength + 2
            guard bytes.count >= headerEnd else { throw .truncated(expected: headerEnd, actual: bytes.count) }
            guard idLength > 0, let id = String(validating: bytes[9..<(9 + idLength)], as: UTF8.self) else {
                throw .invalidField("model id")
            }
            let prefixBytes = bytes[(9 + idLength)..<(9 + idLength + EmbeddingModelIdentity.prefixLength)]
            guard prefixBytes.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }),
                let prefix = String(validating: prefixBytes, as: UTF8.self)
            else { throw .invalidField("model SHA-256 prefix") }
            model = EmbeddingModelIdentity(id: id, sha256: prefix)
            dimension = Int(bytes[headerEnd - 2]) | Int(bytes[headerEnd - 1]) << 8
            guard (1...FaceEmbedding.maximumDimension).contains(dimension) else {
                throw .invalidField("descriptor length \(dimension)")
            }
            at = headerEnd
            expected = Self.serializedByteCount(model: model, dimension: dimension)
        }
        guard bytes.count == expected else {
            throw bytes.count < expected
                ? .truncated(expected: expected, actual: bytes.count)
                : .invalidField("length \(bytes.count) (\(expected) expected)")
        }
        let body = bytes[0..<(bytes.count - 4)]
        guard Self.checksum(body) == Self.read32(bytes, at: bytes.count - 4) else { throw .checksumMismatch }
        let channels = Int(bytes[5])
        guard channels == 1 || channels == 3 else { throw .invalidField("channels \(channels)") }
        let authenticity: PortraitAuthenticity
        switch bytes[6] {
        case 0: authenticity = .notApplicable(nil)
        case 1: authenticity = .verified("serialised template")
        default: throw .invalidField("authenticity \(bytes[6])")
        }
        let flags = bytes[7]
        var values: [Float] = []
        values.reserveCapacity(2 * dimension)
        for _ in 0..<(2 * dimension) {
            values.append(Float(bitPattern: Self.read32(bytes, at: at)))
            at += 4
        }
        let embedding: FaceEmbedding
        let mirror: FaceEmbedding
        do {
            embedding = try FaceEmbedding(values: Array(values[0..<dimension]), dimension: dimension)
            mirror = try FaceEmbedding(values: Array(values[dimension...]), dimension: dimension)
        } catch {
            throw .invalidField("descriptor (\(error))")
        }
        for i in values.indices { values[i] = 0 }
        var box: [Int] = []
        for _ in 0..<4 {
            box.append(Int(Int32(bitPattern: Self.read32(bytes, at: at))))
            at += 4
        }
        var q: [Double] = []
        for _ in 0..<7 {
            q.append(Double(bitPattern: Self.read64(bytes, at: at)))
            at += 8
        }
        guard q.allSatisfy(\.isFinite), q[0] >= 0, q[0] <= 1e6 else { throw .invalidField("quality") }
        let quality = FaceQuality(
            faceWidth: Int(q[0]), meanLuma: q[1], sharpness: q[2], yaw: q[3], rollDegrees: q[4],
            pitchRatio: q[5], insideFrame: flags & 1 != 0,
            secondFaceRatio: flags & 2 != 0 ? q[6] : nil)
        self.init(
            embedding: embedding, mirrorAveragedEmbedding: mirror, quality: quality,
            faceBox: FaceRect(left: box[0], top: box[1], right: box[2], bottom: box[3]), info: nil,
            portraitChannels: channels, authenticity: authenticity, cardFace: nil, model: model)
    }

    private static func append<T: FixedWidthInteger>(_ v: T, to out: inout [UInt8]) {
        withUnsafeBytes(of: v.littleEndian) { out += $0 }
    }

    private static func read32(_ b: [UInt8], at i: Int) -> UInt32 {
        (0..<4).reduce(UInt32(0)) { $0 | UInt32(b[i + $1]) << (8 * UInt32($1)) }
    }

    private static func read64(_ b: [UInt8], at i: Int) -> UInt64 {
        (0..<8).reduce(UInt64(0)) { $0 | UInt64(b[i + $1]) << (8 * UInt64($1)) }
    }

    /// FNV-1a, 32 bits.
    private static func checksum(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        var h: UInt32 = 0x811c_9dc5
        for b in bytes { h = (h ^ UInt32(b)) &* 0x0100_0193 }
        return h
    }
}
