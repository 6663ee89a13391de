/// ICAO 9303 data group 2 (encoded face): `75 { 7F61 { 02 count, 7F60 { A1 header, 5F2E | 7F2E } … } }`.
///
/// - `5F2E` holds an ISO/IEC 19794-5 record: `FAC\0`, version, record length (u32), face count (u16), then per
///   face a 20-byte facial information block, 8 bytes per feature point, 12 bytes of image information (face
///   image type, image data type 0 JPEG / 1 JPEG 2000, width, height, colour space, source, device, quality)
///   and the image bytes.
/// - `7F2E` holds an ISO/IEC 39794-5 face image data block (DER, context tags): version `[0]`, representation
///   blocks `[1]`, each with image representation `[1]` → base `[0]` → 2D block `[0]` { data `[0]`, image
///   information `[1]` { data format `[0]`, kind `[1]`, size `[7]` { width `[0]`, height `[1]` }, colour space `[9]` } }.
///   Parsed leniently: an optional `[APPLICATION 5]` wrapper, a single block without a SEQUENCE, codes given
///   directly or inside a choice, and absent optional fields are accepted.
public struct DG2: Sendable, Equatable {
    /// Which face-record standard a face came from.
    public enum Encoding: String, Sendable, Codable {
        /// ISO/IEC 19794-5 (`5F2E`).
        case iso19794_5 = "ISO/IEC 19794-5"
        /// ISO/IEC 39794-5 (`7F2E`).
        case iso39794_5 = "ISO/IEC 39794-5"
    }

    /// Compression of a face image.
    public enum ImageDataType: Sendable, Hashable {
        /// JPEG (19794-5 code 0, 39794-5 code 2).
        case jpeg
        /// JPEG 2000 (19794-5 code 1, 39794-5 codes 3 lossy and 4 lossless).
        case jpeg2000
        /// Another code (raw value as stored).
        case other(Int)

        /// Short name: `JPEG`, `JPEG 2000` or `code N`.
        public var name: String {
            switch self {
            case .jpeg: return "JPEG"
            case .jpeg2000: return "JPEG 2000"
            case .other(let c): return "code \(c)"
            }
        }
    }

    /// Colour space of a face image, normalised across the two standards.
    public enum ColourSpace: Sendable, Hashable {
        /// Not given / unknown.
        case unspecified
        /// 24-bit RGB.
        case rgb24
        /// YUV 4:2:2.
        case yuv422
        /// 8-bit greyscale.
        case grey8
        /// Another code (raw value as stored).
        case other(Int)

        /// Short name.
        public var name: String {
            switch self {
            case .unspecified: return "unspecified"
            case .rgb24: return "RGB24"
            case .yuv422: return "YUV422"
            case .grey8: return "GRAY8"
            case .other(let c): return "code \(c)"
            }
        }
    }

    /// The CBEFF biometric header template (`A1`) of one `7F60`.
    public struct BiometricHeader: Sendable, Equatable {
        /// Every primitive element of the template (tags `80`…`88`) with its value.
        public let elements: [TLVTag: [UInt8]]
        /// `81` biometric type (face = 2), if present.
        public var biometricType: Int? { elements[0x81].flatMap { tlvBigEndian($0, 0..<$0.count) } }
        /// `87` format owner, if present.
        public var formatOwner: Int? { elements[0x87].flatMap { tlvBigEndian($0, 0..<$0.count) } }
        /// `88` format type, if present.
        public var formatType: Int? { elements[0x88].flatMap { tlvBigEndian($0, 0..<$0.count) } }
    }

    /// One face image found in the data group.
    public struct Face: Sendable, Equatable {
        /// The record standard.
        public let encoding: Encoding
        /// Where it was found, e.g. `75/7F61/7F60[0]/5F2E/face[0]`.
        public let path: String
        /// The header of the enclosing `7F60`.
        public let header: BiometricHeader
        /// Face image type (19794-5: 0 basic, 1 full frontal, 2 token; 39794-5: face image kind, 0 MRTD).
        public let imageType: Int
        /// Compression.
        public let dataType: ImageDataType
        /// Declared width in pixels (0 when not declared).
        public let width: Int
        /// Declared height in pixels (0 when not declared).
        public let height: Int
        /// Declared colour space.
        public let colourSpace: ColourSpace
        /// Offset of the first image byte in the data group.
        public let imageOffset: Int
        /// The compressed image bytes.
        public let image: [UInt8]
    }

    /// The count declared in `7F61/02`.
    public let declaredCount: Int
    /// Every face, in order.
    public let faces: [Face]

    /// Parses a DG2 (trailing `00`/`FF` filler allowed).
    /// - Throws: ``ContainerError``: malformed TLV, wrong outer tag, missing group/count/header/data block,
    ///   a count disagreeing with the templates, malformed 19794-5 record or 39794-5 block, declared image size
    ///   above ``ContainerLimits/maxImagePixels``, more faces than ``ContainerLimits/maxFaces``.
    public static func parse(_ bytes: [UInt8], limits: ContainerLimits = .default) throws(ContainerError) -> DG2 {
        guard !bytes.isEmpty else { throw .empty }
        let outer: TLVNode
        do { outer = try BERTLV.parseElement(bytes, at: 0, limits: limits.tlv) } catch { throw .tlv(error) }
        guard outer.tag == 0x75 else { throw .wrongOuterTag(expected: 0x75, found: outer.tag) }
        for i in outer.encodedRange.upperBound..<bytes.count where bytes[i] != 0x00 && bytes[i] != 0xFF {
            throw .trailingBytes(offset: i)
        }
        guard let group = outer.child(0x7F61) else { throw .missingElement(path: "75/7F61") }
        guard let countNode = group.child(0x02) else { throw .missingElement(path: "75/7F61/02") }
        guard countNode.length >= 1, let count = tlvBigEndian(bytes, countNode.valueRange) else {
            throw .badLength(path: "75/7F61/02", length: countNode.length, expected: "1…7")
        }
        let templates = group.children.filter { $0.tag == 0x7F60 }
        guard count <= limits.maxFaces else { throw .tooManyFaces(count: count, limit: limits.maxFaces) }
        guard templates.count == count else {
            throw .invalidValue(
                path: "75/7F61/02", offset: countNode.offset,
                reason: "count \(count) but \(templates.count) 7F60 templates")
        }
        var faces: [Face] = []
        for (t, template) in templates.enumerated() {
            let base = "75/7F61/7F60[\(t)]"
            guard let bht = template.child(0xA1) else { throw .missingElement(path: base + "/A1") }
            var elements: [TLVTag: [UInt8]] = [:]
            for e in bht.children where !e.isConstructed { elements[e.tag] = Array(bytes[e.valueRange]) }
            let header = BiometricHeader(elements: elements)
            if let bdb = template.child(0x5F2E) {
                faces += try parse19794(bytes, bdb.valueRange, path: base + "/5F2E", header: header, limits: limits)
            } else if let bdb = template.child(0x7F2E) {
                faces += try parse39794(bytes, bdb, path: base + "/7F2E", header: header, limits: limits)
            } else {
                throw .missingElement(path: base + "/5F2E")
            }
            guard faces.count <= limits.maxFaces else {
                throw .tooManyFaces(count: faces.count, limit: limits.maxFaces)
            }
        }
        return DG2(declaredCount: count, faces: faces)
    }

    // MARK: ISO/IEC 19794-5

    private static func parse19794(
        _ b: [UInt8], _ range: Range<Int>, path: String, header: BiometricHeader,
        limits: ContainerLimits
    ) throws(ContainerError) -> [Face] {
        let start = range.lowerBound
        guard range.count >= 14 else {
            throw .malformedRecord(
                path: path, offset: start, reason: "\(range.count) bytes, shorter than the 14-byte header")
        }
        guard b[start..<(start + 4)].elementsEqual([0x46, 0x41, 0x43, 0x00]) else {
            throw .malformedRecord(path: path, offset: start, reason: "does not start with FAC\\0")
        }
        let recordLength = tlvBigEndian(b, (start + 8)..<(start + 12)) ?? 0
        guard recordLength >= 14 && recordLength <= range.count else {
            throw .malformedRecord(
                path: path, offset: start + 8,
                reason: "record length \(recordLength) outside 14…\(range.count)")
        }
        let count = Int(b[start + 12]) << 8 | Int(b[start + 13])
        guard count <= limits.maxFaces else { throw .tooManyFaces(count: count, limit: limits.maxFaces) }
        let end = start + recordLength
        var p = start + 14
        var faces: [Face] = []
        for i in 0..<count {
            let facePath = path + "/face[\(i)]"
            guard end - p >= 20 else {
                throw .malformedRecord(path: facePath, offset: p, reason: "facial information block truncated")
            }
            let blockLength = tlvBigEndian(b, p..<(p + 4)) ?? 0
            let points = Int(b[p + 4]) << 8 | Int(b[p + 5])
            let infoOffset = p + 20 + 8 * points
            guard blockLength <= end - p else {
                throw .malformedRecord(
                    path: facePath, offset: p,
                    reason: "block length \(blockLength) exceeds the \(end - p) bytes left")
            }
            guard blockLength >= 20 + 8 * points + 12 else {
                throw .malformedRecord(
                    path: facePath, offset: p,
                    reason: "block length \(blockLength) too short for \(points) feature points and image information")
            }
            let imageType = Int(b[infoOffset])
            let dataCode = Int(b[infoOffset + 1])
            let width = Int(b[infoOffset + 2]) << 8 | Int(b[infoOffset + 3])
            let height = Int(b[infoOffset + 4]) << 8 | Int(b[infoOffset + 5])
            let colourCode = Int(b[infoOffset + 6])
            guard pixelsWithin(width, height, limits.maxImagePixels) else {
                throw .imageTooLarge(path: facePath, width: width, height: height, limit: limits.maxImagePixels)
            }
            let imageStart = infoOffset + 12
            let imageEnd = p + blockLength
            let dataType: ImageDataType = dataCode == 0 ? .jpeg : dataCode == 1 ? .jpeg2000 : .other(dataCode)
            let colour: ColourSpace
            switch colourCode {
            case 0: colour = .unspecified
            case 1: colour = .rgb24
            case 2: colour = .yuv422
            case 3: colour = .grey8
            default: colour = .other(colourCode)
            }
            faces.append(
                Face(
                    encoding: .iso19794_5, path: facePath, header: header, imageType: imageType, dataType: dataType,
                    width: width, height: height, colourSpace: colour, imageOffset: imageStart,
                    image: Array(b[imageStart..<imageEnd])))
            p = imageEnd
        }
        return faces
    }

    // MARK: ISO/IEC 39794-5

    private static func parse39794(
        _ b: [UInt8], _ node: TLVNode, path: String, header: BiometricHeader,
        limits: ContainerLimits
    ) throws(ContainerError) -> [Face] {
        var block = node
        if let wrapped = node.child(0x65), node.children.count == 1 { block = wrapped }
        guard let reps = block.child(0xA1) else { throw .missingElement(path: path + "/A1") }
        let repNodes: [TLVNode] =
            reps.children.allSatisfy({ $0.tag == 0x30 }) && !reps.children.isEmpty
            ? reps.children : [reps]
        guard repNodes.count <= limits.maxFaces else {
            throw .tooManyFaces(count: repNodes.count, limit: limits.maxFaces)
        }
        var faces: [Face] = []
        for (i, rep) in repNodes.enumerated() {
            let repPath = path + "/A1" + (repNodes.count == 1 && rep.tag == 0xA1 ? "" : "/30[\(i)]")
            guard let imageRep = rep.child(0xA1) else { throw .missingElement(path: repPath + "/A1") }
            guard let twoD = find2DBlock(imageRep) else {
                throw .missingElement(path: repPath + "/A1/A0/A0 (2D image representation)")
            }
            let twoDPath = repPath + "/A1/A0/A0"
            guard let data = twoD.child(0x80), !data.isConstructed, data.length > 0 else {
                throw .missingElement(path: twoDPath + "/80")
            }
            guard let info = twoD.child(0xA1) else { throw .missingElement(path: twoDPath + "/A1") }
            guard let formatCode = code(b, info, 0) else { throw .missingElement(path: twoDPath + "/A1/A0") }
            let kind = code(b, info, 1) ?? 0
            var width = 0
            var height = 0
            if let size = info.child(0xA7) {
                width = size.child(0x80).flatMap { int(b, $0) } ?? 0
                height = size.child(0x81).flatMap { int(b, $0) } ?? 0
            }
            guard pixelsWithin(width, height, limits.maxImagePixels) else {
                throw .imageTooLarge(path: twoDPath, width: width, height: height, limit: limits.maxImagePixels)
            }
            let colourCode = code(b, info, 9) ?? 0
            let colour: ColourSpace
            switch colourCode {
            case 0: colour = .unspecified
            case 2: colour = .rgb24
            case 4: colour = .yuv422
            case 5: colour = .grey8
            default: colour = .other(colourCode)
            }
            let dataType: ImageDataType =
                formatCode == 2 ? .jpeg : (formatCode == 3 || formatCode == 4) ? .jpeg2000 : .other(formatCode)
            faces.append(
                Face(
                    encoding: .iso39794_5, path: twoDPath, header: header, imageType: kind, dataType: dataType,
                    width: width, height: height, colourSpace: colour, imageOffset: data.valueRange.lowerBound,
                    image: Array(b[data.valueRange])))
        }
        return faces
    }

    /// True when width × height does not overflow and is at most `limit`.
    private static func pixelsWithin(_ width: Int, _ height: Int, _ limit: Int) -> Bool {
        let (product, overflow) = width.multipliedReportingOverflow(by: height)
        return !overflow && product <= limit
    }

    /// Depth-first search for the node holding a primitive `80` (data) and a constructed `A1` (information).
    private static func find2DBlock(_ node: TLVNode) -> TLVNode? {
        if node.children.contains(where: { $0.tag == 0x80 && !$0.isConstructed }),
            node.children.contains(where: { $0.tag == 0xA1 })
        {
            return node
        }
        for c in node.children where c.isConstructed {
            if let found = find2DBlock(c) { return found }
        }
        return nil
    }

    /// A non-negative INTEGER of at most 4 bytes.
    private static func int(_ b: [UInt8], _ node: TLVNode) -> Int? {
        guard !node.isConstructed, (1...4).contains(node.length) else { return nil }
        return tlvBigEndian(b, node.valueRange)
    }

    /// A code given as context tag `n` either directly (primitive `80+n`) or as a choice (`A0+n { 80 code }`).
    private static func code(_ b: [UInt8], _ info: TLVNode, _ n: UInt32) -> Int? {
        if let direct = info.child(TLVTag(0x80 + n)) { return int(b, direct) }
        if let choice = info.child(TLVTag(0xA0 + n)), let inner = choice.child(0x80) { return int(b, inner) }
        return nil
    }

    // MARK: Builder

    /// Encodes data groups (for fixtures and tests). All faces go in one `7F60` template.
    public struct Builder: Sendable {
        /// One face to encode.
        public struct FaceSpec: Sendable {
            /// Face image type (19794-5) / face image kind (39794-5).
            public var imageType: Int
            /// Compression.
            public var dataType: ImageDataType
            /// Declared width in pixels (written as u16 for 19794-5).
            public var width: Int
            /// Declared height in pixels.
            public var height: Int
            /// Declared colour space.
            public var colourSpace: ColourSpace
            /// Number of (zeroed) feature points to write (19794-5 only).
            public var featurePoints: Int
            /// The compressed image.
            public var image: [UInt8]

            /// Creates a face description.
            public init(
                imageType: Int = 1, dataType: ImageDataType, width: Int, height: Int,
                colourSpace: ColourSpace, featurePoints: Int = 0, image: [UInt8]
            ) {
                self.imageType = imageType
                self.dataType = dataType
                self.width = width
                self.height = height
                self.colourSpace = colourSpace
                self.featurePoints = featurePoints
                self.image = image
            }
        }

        /// Which record standard to write.
        public var encoding: Encoding
        /// The faces.
        public var faces: [FaceSpec]

        /// Creates a builder.
        public init(encoding: Encoding, faces: [FaceSpec]) {
            self.encoding = encoding
            self.faces = faces
        }

        /// The whole data group.
        public func encode() -> [UInt8] {
            let header: [UInt8]
            let bdb: [UInt8]
            switch encoding {
            case .iso19794_5:
                header = BERTLV.encode(
                    0xA1,
                    children: [
                        BERTLV.encode(0x80, [0x01, 0x01]), BERTLV.encode(0x81, [0x02]),
                        BERTLV.encode(0x87, [0x01, 0x01]), BERTLV.encode(0x88, [0x00, 0x08]),
                    ])
                bdb = BERTLV.encode(0x5F2E, record19794())
            case .iso39794_5:
                header = BERTLV.encode(
                    0xA1,
                    children: [
                        BERTLV.encode(0x80, [0x01, 0x01]), BERTLV.encode(0x81, [0x02]),
                        BERTLV.encode(0x87, [0x01, 0x01]),
                    ])
                bdb = BERTLV.encode(0x7F2E, block39794())
            }
            let group = BERTLV.encode(
                0x7F61, children: [BERTLV.encode(0x02, [0x01]), BERTLV.encode(0x7F60, children: [header, bdb])])
            return BERTLV.encode(0x75, group)
        }

        private func u16(_ v: Int) -> [UInt8] { [UInt8(truncatingIfNeeded: v >> 8), UInt8(truncatingIfNeeded: v)] }
        private func u32(_ v: Int) -> [UInt8] { u16(v >> 16) + u16(v) }

        private func record19794() -> [UInt8] {
            var body: [UInt8] = []
            for f in faces {
                let blockLength = 20 + 8 * f.featurePoints + 12 + f.image.count
                body +=
                    u32(blockLength) + u16(f.featurePoints) + [0, 0, 0] + [0, 0, 0] + u16(0) + [0, 0, 0] + [0, 0, 0]
                body += [UInt8](repeating: 0, count: 8 * f.featurePoints)
                let dataCode: Int
                switch f.dataType {
                case .jpeg: dataCode = 0
                case .jpeg2000: dataCode = 1
                case .other(let c): dataCode = c
                }
                let colourCode: Int
                switch f.colourSpace {
                case .unspecified: colourCode = 0
                case .rgb24: colourCode = 1
                case .yuv422: colourCode = 2
                case .grey8: colourCode = 3
                case .other(let c): colourCode = c
                }
                body +=
                    [UInt8(truncatingIfNeeded: f.imageType), UInt8(truncatingIfNeeded: dataCode)] + u16(f.width)
                    + u16(f.height)
                body += [UInt8(truncatingIfNeeded: colourCode), 0x02] + u16(0) + u16(0)
                body += f.image
            }
            return [0x46, 0x41, 0x43, 0x00, 0x30, 0x31, 0x30, 0x00] + u32(14 + body.count) + u16(faces.count) + body
        }

        private func integer(_ tag: TLVTag, _ v: Int) -> [UInt8] {
            var bytes: [UInt8] = []
            var n = v
            repeat {
                bytes.insert(UInt8(n & 0xFF), at: 0)
                n >>= 8
            } while n > 0
            if bytes[0] & 0x80 != 0 { bytes.insert(0, at: 0) }
            return BERTLV.encode(tag, bytes)
        }

        private func block39794() -> [UInt8] {
            let version = BERTLV.encode(0xA0, children: [integer(0x80, 0), integer(0x81, 0)])
            var reps: [[UInt8]] = []
            for (i, f) in faces.enumerated() {
                let formatCode: Int
                switch f.dataType {
                case .jpeg: formatCode = 2
                case .jpeg2000: formatCode = 3
                case .other(let c): formatCode = c
                }
                let colourCode: Int
                switch f.colourSpace {
                case .unspecified: colourCode = 0
                case .rgb24: colourCode = 2
                case .yuv422: colourCode = 4
                case .grey8: colourCode = 5
                case .other(let c): colourCode = c
                }
                let info = BERTLV.encode(
                    0xA1,
                    children: [
                        BERTLV.encode(0xA0, integer(0x80, formatCode)),
                        BERTLV.encode(0xA1, integer(0x80, f.imageType)),
                        BERTLV.encode(0xA7, children: [integer(0x80, f.width), integer(0x81, f.height)]),
                        BERTLV.encode(0xA9, integer(0x80, colourCode)),
                    ])
                let twoD = BERTLV.encode(0xA0, children: [BERTLV.encode(0x80, f.image), info])
                let imageRep = BERTLV.encode(0xA1, BERTLV.encode(0xA0, twoD))
                reps.append(BERTLV.encode(0x30, children: [integer(0x80, i), imageRep]))
            }
            return version + BERTLV.encode(0xA1, children: reps)
        }
    }
}
