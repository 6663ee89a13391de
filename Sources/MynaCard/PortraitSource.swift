import FaceImaging

/// Recognising a portrait input by its content and getting the face image out of it.
///
/// Inputs: a My Number Card card-face file (`FF20`, portrait in `DF27`), an ICAO DG2 (`75`), a bare JP2, J2K,
/// JPEG or PNG. A card-verifiable certificate (`7F21`) is recognised but holds no portrait. The file name is
/// never consulted.

/// What kind of input a byte string is.
public enum PortraitSourceKind: String, Sendable, Codable, Equatable, CaseIterable {
    /// My Number Card card-face file (券面事項確認AP EF 0002, `FF20`).
    case cardFaceFile = "card-face file"
    /// Card-verifiable certificate (券面事項確認AP EF 0004, `7F21`): not a portrait.
    case cardVerifiableCertificate = "card-verifiable certificate"
    /// ICAO 9303 data group 2 (`75`).
    case dg2 = "DG2"
    /// Bare JPEG 2000 file (JP2 boxes).
    case jp2 = "JP2"
    /// Bare JPEG 2000 codestream.
    case j2k = "J2K"
    /// Bare JPEG.
    case jpeg = "JPEG"
    /// Bare PNG.
    case png = "PNG"
}

/// One element of a container, for display (`mynaface inspect`).
public struct ContainerNode: Sendable, Codable, Equatable {
    /// The tag in hex (`DF27`) or a label for non-TLV parts (`face[0]`, `image`).
    public var name: String
    /// What the element is (`portrait`, `offset table`, …), when known.
    public var meaning: String?
    /// Offset of the element's first byte in the input.
    public var offset: Int
    /// Encoded size in bytes (tag + length + value for a TLV).
    public var length: Int
    /// Value size in bytes for a TLV.
    public var valueLength: Int?
    /// A short, non-sensitive summary (format and size of an image, a date's validity, …).
    public var detail: String?
    /// Nested elements.
    public var children: [ContainerNode]

    /// Creates a node.
    public init(
        name: String, meaning: String? = nil, offset: Int, length: Int, valueLength: Int? = nil,
        detail: String? = nil, children: [ContainerNode] = []
    ) {
        self.name = name
        self.meaning = meaning
        self.offset = offset
        self.length = length
        self.valueLength = valueLength
        self.detail = detail
        self.children = children
    }
}

/// Where a face image sits inside an input, before decoding.
public struct PortraitLocation: Sendable, Codable, Equatable {
    /// Container path, e.g. `FF20/DF27` or `75/7F61/7F60[0]/5F2E/face[0]` (empty for a bare image).
    public var path: String
    /// Offset of the image's first byte in the input.
    public var offset: Int
    /// Compressed size in bytes.
    public var length: Int
    /// Format by content (`jpeg`, `jp2`, `j2k`, `png`), or nil when the bytes match none.
    public var format: String?
    /// Width in pixels declared by the container (DG2), if any.
    public var declaredWidth: Int?
    /// Height in pixels declared by the container (DG2), if any.
    public var declaredHeight: Int?
    /// Colour space declared by the container (DG2), if any.
    public var declaredColourSpace: String?
}

/// The structure of an input: its kind, element tree and the face images it holds.
public struct ContainerDescription: Sendable, Codable, Equatable {
    /// What the input is.
    public var kind: PortraitSourceKind
    /// Input size in bytes.
    public var byteCount: Int
    /// Top-level elements.
    public var nodes: [ContainerNode]
    /// Face images found (empty for a certificate).
    public var portraits: [PortraitLocation]
}

/// What was decoded by ``PortraitContainer/extractPortrait(_:options:)``.
public struct PortraitInfo: Sendable, Codable, Equatable {
    /// What the input was.
    public var sourceKind: PortraitSourceKind
    /// Image format by content: `jpeg`, `jp2`, `j2k` or `png`.
    public var format: String
    /// Decoded width in pixels.
    public var width: Int
    /// Decoded height in pixels.
    public var height: Int
    /// Decoded channels (1 grey, 3 RGB).
    public var channels: Int
    /// Container path of the image (empty for a bare image).
    public var containerPath: String
    /// Compressed size in bytes.
    public var compressedBytes: Int
}

/// Options for ``PortraitContainer/extractPortrait(_:options:)``.
public struct PortraitOptions: Sendable, Equatable {
    /// Container limits.
    public var limits: ContainerLimits
    /// Decoder options (limits, reduction).
    public var decode: DecodeOptions
    /// Which face to decode when a DG2 holds several (0-based). Default 0.
    public var faceIndex: Int

    /// Creates options.
    public init(limits: ContainerLimits = .default, decode: DecodeOptions = DecodeOptions(), faceIndex: Int = 0) {
        self.limits = limits
        self.decode = decode
        self.faceIndex = faceIndex
    }
}

/// Why a portrait input was rejected.
public enum PortraitError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The input is empty.
    case empty
    /// The content matches no supported container or image format (up to 8 leading bytes shown).
    case unrecognised(leadingBytes: [UInt8])
    /// The input is a valid container of a kind that holds no portrait (a certificate).
    case notAPortrait(PortraitSourceKind)
    /// The container holds no face image.
    case noFace
    /// The requested face index is beyond the faces present.
    case faceIndexOutOfRange(index: Int, count: Int)
    /// The container is malformed.
    case container(kind: PortraitSourceKind, ContainerError)
    /// The image inside could not be decoded (`path` where it was found).
    case decode(path: String, ImageDecodeError)

    public var description: String {
        switch self {
        case .empty: return "the input is empty"
        case .unrecognised(let lead):
            return
                "unrecognised content (starts \(tlvHex(lead))): not a card-face file, certificate, DG2, JP2, J2K, JPEG or PNG"
        case .notAPortrait(let kind): return "the input is a \(kind.rawValue), which holds no portrait"
        case .noFace: return "the container holds no face image"
        case .faceIndexOutOfRange(let index, let count):
            return "face \(index) requested but the container holds \(count)"
        case .container(let kind, let error): return "invalid \(kind.rawValue): \(error.description)"
        case .decode(let path, let error):
            return path.isEmpty
                ? "image decode failed: \(error.description)" : "image at \(path) decode failed: \(error.description)"
        }
    }
}

/// Entry points: recognise, describe, extract.
public enum PortraitContainer {
    /// The kind of `bytes` by content, or nil. Containers are recognised by their outer tag
    /// (`FF20`, `7F21`, `75`), images by their magic bytes.
    public static func detect(_ bytes: [UInt8]) -> PortraitSourceKind? {
        if let format = ImageFormat.detect(bytes) {
            switch format {
            case .jpeg: return .jpeg
            case .jp2: return .jp2
            case .j2k: return .j2k
            case .png: return .png
            }
        }
        guard bytes.count >= 2 else { return nil }
        if bytes[0] == 0xFF && bytes[1] == 0x20 { return .cardFaceFile }
        if bytes[0] == 0x7F && bytes[1] == 0x21 { return .cardVerifiableCertificate }
        if bytes[0] == 0x75 { return .dg2 }
        return nil
    }

    /// Validates `bytes` and describes its structure (no pixel decoding; images are only probed for size).
    /// - Throws: ``PortraitError``: `.empty`, `.unrecognised`, `.container` for a malformed container.
    public static func parse(_ bytes: [UInt8], limits: ContainerLimits = .default) throws(PortraitError)
        -> ContainerDescription
    {
        guard !bytes.isEmpty else { throw .empty }
        guard let kind = detect(bytes) else { throw .unrecognised(leadingBytes: Array(bytes.prefix(8))) }
        switch kind {
        case .cardFaceFile:
            let file: CardFaceFile
            do { file = try CardFaceFile.parse(bytes, limits: limits) } catch { throw .container(kind: kind, error) }
            return describe(file, bytes)
        case .cardVerifiableCertificate:
            let cert: CardVerifiableCertificate
            do { cert = try CardVerifiableCertificate.parse(bytes, limits: limits) } catch {
                throw .container(kind: kind, error)
            }
            var nodes = tlvTree(bytes, limits: limits.tlv)
            if !nodes.isEmpty {
                nodes[0].detail =
                    "issuer key \(cert.issuerKeyID.prefix ?? "?"), subject key \(cert.subjectKeyID.prefix ?? "?"), RSA-\(significantBits(cert.publicKey.modulus))"
            }
            return ContainerDescription(kind: kind, byteCount: bytes.count, nodes: nodes, portraits: [])
        case .dg2:
            let dg2: DG2
            do { dg2 = try DG2.parse(bytes, limits: limits) } catch { throw .container(kind: kind, error) }
            return describe(dg2, bytes, limits: limits)
        case .jp2, .j2k, .jpeg, .png:
            let location = PortraitLocation(
                path: "", offset: 0, length: bytes.count, format: ImageFormat.detect(bytes)?.rawValue)
            let node = ContainerNode(
                name: "image", meaning: kind.rawValue, offset: 0, length: bytes.count,
                detail: probeSummary(bytes))
            return ContainerDescription(kind: kind, byteCount: bytes.count, nodes: [node], portraits: [location])
        }
    }

    /// Finds the face image bytes without decoding them.
    /// - Returns: the images in container order with their locations.
    /// - Throws: ``PortraitError`` as ``parse(_:limits:)``, `.notAPortrait` for a certificate, `.noFace` for an
    ///   empty DG2.
    public static func locatePortraits(_ bytes: [UInt8], limits: ContainerLimits = .default) throws(PortraitError)
        -> [(location: PortraitLocation, bytes: [UInt8])]
    {
        guard !bytes.isEmpty else { throw .empty }
        guard let kind = detect(bytes) else { throw .unrecognised(leadingBytes: Array(bytes.prefix(8))) }
        switch kind {
        case .cardFaceFile:
            let file: CardFaceFile
            do { file = try CardFaceFile.parse(bytes, limits: limits) } catch { throw .container(kind: kind, error) }
            return [(portraitLocation(file), file.portrait)]
        case .cardVerifiableCertificate:
            do { _ = try CardVerifiableCertificate.parse(bytes, limits: limits) } catch {
                throw .container(kind: kind, error)
            }
            throw .notAPortrait(kind)
        case .dg2:
            let dg2: DG2
            do { dg2 = try DG2.parse(bytes, limits: limits) } catch { throw .container(kind: kind, error) }
            guard !dg2.faces.isEmpty else { throw .noFace }
            return dg2.faces.map { (faceLocation($0), $0.image) }
        case .jp2, .j2k, .jpeg, .png:
            return [
                (
                    PortraitLocation(
                        path: "", offset: 0, length: bytes.count, format: ImageFormat.detect(bytes)?.rawValue), bytes
                )
            ]
        }
    }

    /// Recognises `bytes`, finds the portrait and decodes it.
    /// - Returns: the decoded image and what it was (format, size, channels, container path).
    /// - Throws: ``PortraitError``: `.empty`, `.unrecognised`, `.container` (malformed container), `.notAPortrait`
    ///   (certificate), `.noFace`, `.faceIndexOutOfRange`, `.decode` (the image inside is bad).
    public static func extractPortrait(_ bytes: [UInt8], options: PortraitOptions = PortraitOptions())
        throws(PortraitError)
        -> (image: Image, info: PortraitInfo)
    {
        let found = try locatePortraits(bytes, limits: options.limits)
        guard options.faceIndex >= 0 && options.faceIndex < found.count else {
            throw .faceIndexOutOfRange(index: options.faceIndex, count: found.count)
        }
        let (location, imageBytes) = found[options.faceIndex]
        let image: Image
        do { image = try ImageDecoder.decode(imageBytes, options: options.decode) } catch {
            throw .decode(path: location.path, error)
        }
        let kind = detect(bytes) ?? .jpeg
        let info = PortraitInfo(
            sourceKind: kind, format: ImageFormat.detect(imageBytes)?.rawValue ?? "unknown",
            width: image.width, height: image.height, channels: image.channels,
            containerPath: location.path, compressedBytes: imageBytes.count)
        return (image, info)
    }

    // MARK: description helpers

    static let meanings: [TLVTag: String] = [
        0xFF20: "card-face file (券面事項確認AP EF 0002)", 0xDF21: "offset table", 0xDF22: "birth date", 0xDF23: "sex",
        0xDF24: "card public key", 0xDF25: "name image", 0xDF26: "address image", 0xDF27: "portrait",
        0xDF28: "signature", 0xDF29: "expiry date", 0xDF2A: "security-code image",
        0x7F21: "card-verifiable certificate (EF 0004)", 0x5F4E: "certificate body (signed)",
        0x5F37: "certificate signature",
        0x90: "public exponent", 0x91: "modulus",
        0x75: "DG2 (encoded face)", 0x7F61: "biometric information group", 0x02: "template count",
        0x7F60: "biometric information template", 0xA1: "biometric header template",
        0x5F2E: "biometric data block (ISO/IEC 19794-5)", 0x7F2E: "biometric data block (ISO/IEC 39794-5)",
    ]

    /// Elements of a CBEFF biometric header template (`A1` in `7F60`), ISO/IEC 7816-11.
    static let headerMeanings: [TLVTag: String] = [
        0x80: "header version", 0x81: "biometric type", 0x82: "biometric subtype", 0x83: "creation date",
        0x85: "validity period", 0x86: "creator", 0x87: "format owner", 0x88: "format type",
    ]

    private static func portraitLocation(_ file: CardFaceFile) -> PortraitLocation {
        PortraitLocation(
            path: "FF20/DF27", offset: file.portraitOffset, length: file.portrait.count,
            format: ImageFormat.detect(file.portrait)?.rawValue)
    }

    private static func faceLocation(_ face: DG2.Face) -> PortraitLocation {
        PortraitLocation(
            path: face.path, offset: face.imageOffset, length: face.image.count,
            format: ImageFormat.detect(face.image)?.rawValue, declaredWidth: face.width,
            declaredHeight: face.height, declaredColourSpace: face.colourSpace.name)
    }

    private static func describe(_ file: CardFaceFile, _ bytes: [UInt8]) -> ContainerDescription {
        var children: [ContainerNode] = []
        for e in file.elements {
            let detail: String?
            switch e.tag.rawValue {
            case 0xDF21: detail = "9 offsets, agree with the layout"
            case 0xDF22: detail = "valid date (value not shown)"
            case 0xDF23: detail = "JIS X 0303 code (value not shown)"
            case 0xDF24:
                detail = "RSA-\(significantBits(file.publicKey.modulus)), exponent \(tlvHex(file.publicKey.exponent))"
            case 0xDF25, 0xDF26, 0xDF27, 0xDF2A: detail = probeSummary(Array(e.value))
            case 0xDF28: detail = "\(file.signature.count) bytes"
            case 0xDF29: detail = file.expiry.description
            default: detail = nil
            }
            children.append(
                ContainerNode(
                    name: e.tag.description, meaning: meanings[e.tag], offset: e.offset,
                    length: e.encoded.count, valueLength: e.encoded.count - e.headerLength,
                    detail: detail))
        }
        let filler = bytes.count - (file.elements.last.map { $0.offset + $0.encoded.count } ?? 0)
        let root = ContainerNode(
            name: "FF20", meaning: meanings[0xFF20], offset: 0, length: file.outerRange.count,
            valueLength: file.outerRange.count - (file.elements.first?.offset ?? 0),
            detail: filler > 0 ? "\(filler) filler bytes after the last element" : nil,
            children: children)
        return ContainerDescription(
            kind: .cardFaceFile, byteCount: bytes.count, nodes: [root],
            portraits: [portraitLocation(file)])
    }

    private static func describe(_ dg2: DG2, _ bytes: [UInt8], limits: ContainerLimits) -> ContainerDescription {
        var nodes = tlvTree(bytes, limits: limits.tlv)
        // Attach each 19794-5 face under its 5F2E node; annotate each 39794-5 image data element.
        func attach(_ node: inout ContainerNode) {
            let range = node.offset..<(node.offset + node.length)
            let valueStart = node.offset + node.length - (node.valueLength ?? node.length)
            if node.name == "5F2E" {
                for face in dg2.faces where face.encoding == .iso19794_5 && range.contains(face.imageOffset) {
                    node.children.append(faceNode(face))
                }
            } else if node.name == "80",
                let face = dg2.faces.first(where: { $0.encoding == .iso39794_5 && $0.imageOffset == valueStart })
            {
                node.meaning = "face image data"
                node.detail = faceSummary(face)
            }
            for i in node.children.indices { attach(&node.children[i]) }
        }
        for i in nodes.indices { attach(&nodes[i]) }
        return ContainerDescription(
            kind: .dg2, byteCount: bytes.count, nodes: nodes, portraits: dg2.faces.map(faceLocation))
    }

    private static func faceNode(_ face: DG2.Face) -> ContainerNode {
        ContainerNode(
            name: String(face.path.split(separator: "/").last ?? "face"), meaning: "face image",
            offset: face.imageOffset, length: face.image.count, detail: faceSummary(face))
    }

    private static func faceSummary(_ face: DG2.Face) -> String {
        "\(face.encoding.rawValue): type \(face.imageType), \(face.dataType.name), declared \(face.width)×\(face.height) \(face.colourSpace.name); content: \(probeSummary(face.image))"
    }

    /// A generic TLV tree (used for DG2 and the certificate, which parse cleanly as BER-TLV).
    private static func tlvTree(_ bytes: [UInt8], limits: TLVLimits) -> [ContainerNode] {
        guard let nodes = try? BERTLV.parse(bytes, limits: limits, stopAtFiller: true) else { return [] }
        func convert(_ n: TLVNode, parent: TLVTag?) -> ContainerNode {
            let meaning = parent == 0xA1 ? headerMeanings[n.tag] ?? meanings[n.tag] : meanings[n.tag]
            return ContainerNode(
                name: n.tag.description, meaning: meaning, offset: n.offset, length: n.encodedRange.count,
                valueLength: n.length, children: n.children.map { convert($0, parent: n.tag) })
        }
        return nodes.map { convert($0, parent: nil) }
    }

    /// `JPEG 2000 (JP2) 240×320, 1 channel` from the header, or why it could not be read.
    static func probeSummary(_ bytes: [UInt8]) -> String {
        guard let format = ImageFormat.detect(bytes) else { return "\(bytes.count) bytes, unrecognised format" }
        do {
            let info = try ImageDecoder.probe(bytes)
            return
                "\(format.description) \(info.width)×\(info.height), \(info.channels) channel\(info.channels == 1 ? "" : "s"), \(bytes.count) bytes"
        } catch {
            return "\(format.description), \(bytes.count) bytes, header unreadable: \(error.description)"
        }
    }

    /// Bit length of a big-endian unsigned integer.
    static func significantBits(_ bytes: [UInt8]) -> Int {
        guard let first = bytes.firstIndex(where: { $0 != 0 }) else { return 0 }
        return (bytes.count - first - 1) * 8 + (8 - bytes[first].leadingZeroBitCount)
    }
}
