/// The My Number Card card-face file: 券面事項確認AP, EF 0002.
///
/// Layout (BER-TLV, private tags): `FF20 { DF21 offset table, DF22 birth date, DF23 sex, DF24 public key,
/// DF25 name PNG, DF26 address PNG, DF27 portrait JP2, DF28 signature, DF29 expiry, DF2A security-code PNG }`,
/// optionally followed (inside or after `FF20`) by `00`/`FF` filler. DF21 holds nine big-endian u16 offsets,
/// the position of DF22…DF2A's tag counted from the file's first byte; the parser rejects a file whose table
/// disagrees with the TLV walk.
///
/// Every element's encoded bytes (tag + length + value, as written) stay available through
/// ``encodedElement(_:)``: the card-face signature covers DF22–DF24, DF25–DF26 and DF27 in that form.
public struct CardFaceFile: Sendable, Equatable {
    /// Sex code, JIS X 0303 (the top-level ``MynaCard/Sex``).
    public typealias Sex = MynaCard.Sex

    /// One element of the file as found.
    public struct Element: Sendable, Equatable {
        /// The element's tag (`DF21`…`DF2A`).
        public let tag: TLVTag
        /// Offset of the tag from the file's first byte.
        public let offset: Int
        /// Tag + length + value, exactly as written in the file.
        public let encoded: [UInt8]
        /// Number of tag + length bytes at the start of ``encoded``.
        public let headerLength: Int
        /// The value bytes.
        public var value: ArraySlice<UInt8> { encoded[headerLength...] }
    }

    /// The element tags after the offset table, in file order.
    public static let dataTags: [TLVTag] = [0xDF22, 0xDF23, 0xDF24, 0xDF25, 0xDF26, 0xDF27, 0xDF28, 0xDF29, 0xDF2A]
    /// The outer tag `FF20`.
    public static let outerTag: TLVTag = 0xFF20

    /// Elements DF21…DF2A in file order.
    public let elements: [Element]
    /// DF21: the nine offsets (DF22…DF2A), in bytes from the file's first byte.
    public let offsetTable: [Int]
    /// DF22: birth date.
    public let birthDate: CardDate
    /// DF23: sex.
    public let sex: Sex
    /// DF24: the card's own RSA public key.
    public let publicKey: CardRSAPublicKey
    /// DF25: name image (PNG bytes).
    public let nameImage: [UInt8]
    /// DF26: address image (PNG bytes).
    public let addressImage: [UInt8]
    /// DF27: the portrait (JPEG 2000 bytes, normally a JP2 file).
    public let portrait: [UInt8]
    /// Offset of DF27's value (the portrait's first byte) in the file.
    public let portraitOffset: Int
    /// DF28: the 256-byte signature over DF22–DF27.
    public let signature: [UInt8]
    /// DF29: card expiry date.
    public let expiry: CardDate
    /// DF2A: security-code image (PNG bytes).
    public let securityCodeImage: [UInt8]
    /// Byte range of the `FF20` element (tag + length + value).
    public let outerRange: Range<Int>
    /// Byte count of the whole input (including filler).
    public let byteCount: Int

    /// The element with `tag`, if present.
    public func element(_ tag: TLVTag) -> Element? { elements.first { $0.tag == tag } }

    /// The encoded bytes (tag + length + value, as written) of the element with `tag`, or nil.
    public func encodedElement(_ tag: TLVTag) -> [UInt8]? { element(tag)?.encoded }

    /// The three byte groups the DF28 signature digests: DF22‖DF23‖DF24, DF25‖DF26, DF27 (encoded TLVs).
    public var signedGroups: [[UInt8]] {
        let groups: [[TLVTag]] = [[0xDF22, 0xDF23, 0xDF24], [0xDF25, 0xDF26], [0xDF27]]
        return groups.map { $0.flatMap { encodedElement($0) ?? [] } }
    }

    /// Parses a card-face file.
    ///
    /// - Parameters:
    ///   - bytes: the file as read from the card (trailing `00`/`FF` filler allowed).
    ///   - limits: TLV and size limits.
    /// - Throws: ``ContainerError``: malformed TLV, wrong outer tag, missing/unexpected/misordered element,
    ///   offset-table mismatch, invalid date or sex, wrong signature length, non-filler trailing bytes.
    public static func parse(_ bytes: [UInt8], limits: ContainerLimits = .default) throws(ContainerError)
        -> CardFaceFile
    {
        guard !bytes.isEmpty else { throw .empty }
        let outer: (tag: TLVTag, headerLength: Int, length: Int)
        do { outer = try BERTLV.readHeader(bytes, at: 0) } catch { throw .tlv(error) }
        guard outer.tag == outerTag else { throw .wrongOuterTag(expected: outerTag, found: outer.tag) }
        guard outer.length <= bytes.count - outer.headerLength else {
            throw .tlv(
                .lengthPastEnd(
                    tag: outer.tag, offset: 0, length: outer.length,
                    available: bytes.count - outer.headerLength))
        }
        let valueRange = outer.headerLength..<(outer.headerLength + outer.length)
        let nodes: [TLVNode]
        do { nodes = try BERTLV.parse(bytes, in: valueRange, limits: limits.tlv, stopAtFiller: true) } catch {
            throw .tlv(error)
        }
        // After the outer element only filler may follow.
        for i in valueRange.upperBound..<bytes.count where bytes[i] != 0x00 && bytes[i] != 0xFF {
            throw .trailingBytes(offset: i)
        }
        // Inside the outer element, after the walk stopped, only filler may follow as well.
        let walkedEnd = nodes.last?.encodedRange.upperBound ?? valueRange.lowerBound
        for i in walkedEnd..<valueRange.upperBound where bytes[i] != 0x00 && bytes[i] != 0xFF {
            throw .trailingBytes(offset: i)
        }

        let expected: [TLVTag] = [0xDF21] + dataTags
        for (i, node) in nodes.enumerated() {
            guard i < expected.count, node.tag == expected[i] else {
                throw .unexpectedElement(path: "FF20/\(node.tag)", offset: node.offset)
            }
        }
        guard nodes.count == expected.count else { throw .missingElement(path: "FF20/\(expected[nodes.count])") }

        let elements = nodes.map {
            Element(
                tag: $0.tag, offset: $0.offset, encoded: Array(bytes[$0.encodedRange]), headerLength: $0.headerLength)
        }
        // DF21: offset table.
        let table = nodes[0]
        guard table.length == 2 * dataTags.count else {
            throw .badLength(path: "FF20/DF21", length: table.length, expected: "\(2 * dataTags.count)")
        }
        var offsets: [Int] = []
        for i in 0..<dataTags.count {
            let p = table.valueRange.lowerBound + 2 * i
            offsets.append(Int(bytes[p]) << 8 | Int(bytes[p + 1]))
        }
        for i in 0..<dataTags.count where offsets[i] != nodes[i + 1].offset {
            throw .offsetTableMismatch(index: i, tag: dataTags[i], declared: offsets[i], actual: nodes[i + 1].offset)
        }
        func value(_ i: Int) -> [UInt8] { Array(bytes[nodes[i].valueRange]) }

        guard let birth = CardDate(ascii: value(1)) else {
            throw .invalidValue(
                path: "FF20/DF22", offset: nodes[1].offset, reason: "birth date is not a valid YYYYMMDD date")
        }
        let sexValue = value(2)
        guard sexValue.count == 1 else { throw .badLength(path: "FF20/DF23", length: sexValue.count, expected: "1") }
        let sexCode = sexValue[0] >= 0x30 ? sexValue[0] &- 0x30 : sexValue[0]
        guard let sex = Sex(rawValue: sexCode) else {
            throw .invalidValue(
                path: "FF20/DF23", offset: nodes[2].offset, reason: "sex code is not 0, 1, 2 or 9 (JIS X 0303)")
        }
        let key = try CardRSAPublicKey.parse(bytes, nodes[3].valueRange, path: "FF20/DF24", limits: limits.tlv)
        let signature = value(7)
        guard signature.count == 256 else {
            throw .badLength(path: "FF20/DF28", length: signature.count, expected: "256")
        }
        guard let expiry = CardDate(ascii: value(8)) else {
            throw .invalidValue(
                path: "FF20/DF29", offset: nodes[8].offset, reason: "expiry is not a valid YYYYMMDD date")
        }
        guard nodes[6].length > 0 else { throw .badLength(path: "FF20/DF27", length: 0, expected: "a JPEG 2000 image") }

        return CardFaceFile(
            elements: elements, offsetTable: offsets, birthDate: birth, sex: sex, publicKey: key,
            nameImage: value(4), addressImage: value(5), portrait: value(6),
            portraitOffset: nodes[6].valueRange.lowerBound, signature: signature, expiry: expiry,
            securityCodeImage: value(9), outerRange: 0..<valueRange.upperBound, byteCount: bytes.count)
    }

    /// Encodes card-face files from element values (for tests, simulated cards and fixtures).
    ///
    /// The offset table is computed from the actual layout. Individual element values can be replaced with
    /// arbitrary bytes (``valueOverrides``) and the table forced (``offsetTableOverride``) to build invalid files.
    public struct Builder: Sendable {
        /// DF22.
        public var birthDate: CardDate
        /// DF23 (written as one ASCII digit).
        public var sex: Sex
        /// DF24.
        public var publicKey: CardRSAPublicKey
        /// DF25 (PNG bytes).
        public var nameImage: [UInt8]
        /// DF26 (PNG bytes).
        public var addressImage: [UInt8]
        /// DF27 (JPEG 2000 bytes).
        public var portrait: [UInt8]
        /// DF28 (256 bytes for a valid file).
        public var signature: [UInt8]
        /// DF29.
        public var expiry: CardDate
        /// DF2A (PNG bytes).
        public var securityCodeImage: [UInt8]
        /// Number of `FF` filler bytes appended after the outer element. Default 0.
        public var trailingFiller: Int = 0
        /// Number of `FF` filler bytes placed inside the outer element, after DF2A. Default 0.
        public var innerFiller: Int = 0
        /// Raw replacement values keyed by tag (DF21…DF2A), written instead of the typed value.
        public var valueOverrides: [TLVTag: [UInt8]] = [:]
        /// A forced offset table (nine entries) instead of the computed one.
        public var offsetTableOverride: [Int]? = nil

        /// Creates a builder from typed element values.
        public init(
            birthDate: CardDate, sex: Sex, publicKey: CardRSAPublicKey, nameImage: [UInt8],
            addressImage: [UInt8], portrait: [UInt8], signature: [UInt8], expiry: CardDate,
            securityCodeImage: [UInt8]
        ) {
            self.birthDate = birthDate
            self.sex = sex
            self.publicKey = publicKey
            self.nameImage = nameImage
            self.addressImage = addressImage
            self.portrait = portrait
            self.signature = signature
            self.expiry = expiry
            self.securityCodeImage = securityCodeImage
        }

        /// The encoded elements DF22…DF2A (tag + length + value), in order.
        public func encodedDataElements() -> [[UInt8]] {
            let values: [[UInt8]] = [
                birthDate.ascii, [0x30 + sex.rawValue], publicKey.encoded, nameImage, addressImage,
                portrait, signature, expiry.ascii, securityCodeImage,
            ]
            return zip(CardFaceFile.dataTags, values).map { BERTLV.encode($0, valueOverrides[$0] ?? $1) }
        }

        /// The three signed groups (DF22‖DF23‖DF24, DF25‖DF26, DF27) as this builder encodes them.
        public func signedGroups() -> [[UInt8]] {
            let e = encodedDataElements()
            return [e[0] + e[1] + e[2], e[3] + e[4], e[5]]
        }

        /// The whole file. Offsets are written as u16, so the elements must end below 65 536 bytes
        /// (real files stay below 32 KiB, the card's 15-bit READ BINARY range).
        public func encode() -> [UInt8] {
            let data = encodedDataElements()
            let tableLength = 2 * CardFaceFile.dataTags.count
            let tableElementSize =
                valueOverrides[0xDF21].map { BERTLV.encode(0xDF21, $0).count }
                ?? (2 + BERTLV.encodeLength(tableLength).count + tableLength)
            let contentLength = tableElementSize + data.reduce(0) { $0 + $1.count } + innerFiller
            let header = CardFaceFile.outerTag.bytes + BERTLV.encodeLength(contentLength)
            var offsets: [Int] = []
            var p = header.count + tableElementSize
            for e in data {
                offsets.append(p)
                p += e.count
            }
            let table = (offsetTableOverride ?? offsets).flatMap {
                [UInt8(truncatingIfNeeded: $0 >> 8), UInt8(truncatingIfNeeded: $0)]
            }
            var out = header + BERTLV.encode(0xDF21, valueOverrides[0xDF21] ?? table)
            for e in data { out += e }
            out += [UInt8](repeating: 0xFF, count: innerFiller)
            out += [UInt8](repeating: 0xFF, count: trailingFiller)
            return out
        }
    }
}
