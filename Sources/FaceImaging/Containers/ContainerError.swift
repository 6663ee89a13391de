/// Limits applied when parsing portrait containers (card-face file, certificate, DG2).
public struct ContainerLimits: Sendable, Equatable {
    /// Limits for the BER-TLV walk (depth, element length, input size).
    public var tlv: TLVLimits
    /// Largest width × height a container header may declare for a face image. Default 40 megapixels.
    public var maxImagePixels: Int
    /// Largest number of face images a DG2 may declare. Default 16.
    public var maxFaces: Int

    /// Creates limits (defaults: ``TLVLimits/default``, 40 MP, 16 faces).
    public init(tlv: TLVLimits = .default, maxImagePixels: Int = 40_000_000, maxFaces: Int = 16) {
        self.tlv = tlv
        self.maxImagePixels = maxImagePixels
        self.maxFaces = maxFaces
    }

    /// The default limits.
    public static let `default` = ContainerLimits()
}

/// Why a portrait container (card-face file, card-verifiable certificate, DG2) was rejected.
/// Each case names the element and byte offset involved.
public enum ContainerError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The BER-TLV structure itself is malformed.
    case tlv(TLVError)
    /// The input is empty.
    case empty
    /// The first element is not the expected one (`expected` tag, `found` tag at byte 0).
    case wrongOuterTag(expected: TLVTag, found: TLVTag)
    /// A required element is missing (`path` like `FF20/DF27`).
    case missingElement(path: String)
    /// An element that is not allowed at this place (`path`, byte `offset`).
    case unexpectedElement(path: String, offset: Int)
    /// An element has the wrong length (`path`, actual `length`, `expected` description).
    case badLength(path: String, length: Int, expected: String)
    /// An element's value is invalid (`path`, byte `offset`, `reason`).
    case invalidValue(path: String, offset: Int, reason: String)
    /// The DF21 offset table entry `index` (for element `tag`) says `declared` but the element starts at `actual`.
    case offsetTableMismatch(index: Int, tag: TLVTag, declared: Int, actual: Int)
    /// Non-filler bytes follow the outer element, starting at `offset`.
    case trailingBytes(offset: Int)
    /// A binary record (ISO/IEC 19794-5) at `offset` is truncated or inconsistent.
    case malformedRecord(path: String, offset: Int, reason: String)
    /// A face image header declares `width` × `height`, above ``ContainerLimits/maxImagePixels``.
    case imageTooLarge(path: String, width: Int, height: Int, limit: Int)
    /// More face images declared than ``ContainerLimits/maxFaces``.
    case tooManyFaces(count: Int, limit: Int)

    public var description: String {
        switch self {
        case let .tlv(e): return e.description
        case .empty: return "the input is empty"
        case let .wrongOuterTag(expected, found):
            return "expected outer tag \(expected) but found \(found) at byte 0"
        case let .missingElement(path): return "required element \(path) is missing"
        case let .unexpectedElement(path, offset): return "unexpected element \(path) at byte \(offset)"
        case let .badLength(path, length, expected):
            return "element \(path) has \(length) bytes, expected \(expected)"
        case let .invalidValue(path, offset, reason):
            return "element \(path) at byte \(offset) is invalid: \(reason)"
        case let .offsetTableMismatch(index, tag, declared, actual):
            return "DF21 offset table entry \(index) (\(tag)) says byte \(declared) but \(tag) is at byte \(actual)"
        case let .trailingBytes(offset): return "unexpected non-filler bytes after the outer element at byte \(offset)"
        case let .malformedRecord(path, offset, reason):
            return "record \(path) at byte \(offset) is malformed: \(reason)"
        case let .imageTooLarge(path, width, height, limit):
            return "face image \(path) declares \(width)×\(height) pixels, above the limit of \(limit)"
        case let .tooManyFaces(count, limit):
            return "\(count) face images declared, above the limit of \(limit)"
        }
    }
}

/// A calendar date as stored on cards (`YYYYMMDD` ASCII), validated as a Gregorian date.
public struct CardDate: Sendable, Hashable, Comparable, CustomStringConvertible, Codable {
    /// Year (0…9999).
    public let year: Int
    /// Month (1…12).
    public let month: Int
    /// Day of month (1…31, valid for the month and year).
    public let day: Int

    /// Creates a date; nil when it is not a valid Gregorian date.
    public init?(year: Int, month: Int, day: Int) {
        guard (0...9999).contains(year), (1...12).contains(month), day >= 1,
              day <= CardDate.daysIn(month: month, year: year) else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    /// Parses 8 ASCII digits `YYYYMMDD`; nil when not digits or not a valid date.
    public init?(ascii: [UInt8]) {
        guard ascii.count == 8, ascii.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        let d = ascii.map { Int($0 - 0x30) }
        self.init(year: d[0] * 1000 + d[1] * 100 + d[2] * 10 + d[3], month: d[4] * 10 + d[5], day: d[6] * 10 + d[7])
    }

    /// The 8 ASCII digits `YYYYMMDD`.
    public var ascii: [UInt8] {
        let digits = [year / 1000, year / 100 % 10, year / 10 % 10, year % 10, month / 10, month % 10, day / 10, day % 10]
        return digits.map { UInt8(0x30 + $0) }
    }

    /// `YYYY-MM-DD`.
    public var description: String { String(decoding: ascii[0..<4] + [0x2D] + ascii[4..<6] + [0x2D] + ascii[6..<8], as: UTF8.self) }

    public static func < (a: CardDate, b: CardDate) -> Bool { (a.year, a.month, a.day) < (b.year, b.month, b.day) }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}

/// An RSA public key as stored in card TLV (`90` exponent, `91` modulus), big-endian unsigned bytes.
public struct CardRSAPublicKey: Sendable, Hashable {
    /// Public exponent, big-endian (usually `01 00 01`).
    public let exponent: [UInt8]
    /// Modulus, big-endian (256 bytes for RSA-2048).
    public let modulus: [UInt8]

    /// Creates a key from its big-endian exponent and modulus.
    public init(exponent: [UInt8], modulus: [UInt8]) {
        self.exponent = exponent
        self.modulus = modulus
    }

    /// The TLV encoding `90 <len> exponent 91 <len> modulus`.
    public var encoded: [UInt8] { BERTLV.encode(0x90, exponent) + BERTLV.encode(0x91, modulus) }

    /// Parses `90`/`91` TLVs from `bytes[range]`; `path` and offsets are used in errors.
    static func parse(_ bytes: [UInt8], _ range: Range<Int>, path: String, limits: TLVLimits) throws(ContainerError)
        -> CardRSAPublicKey {
        let nodes: [TLVNode]
        do { nodes = try BERTLV.parse(bytes, in: range, limits: limits) } catch { throw .tlv(error) }
        guard let e = nodes.first(where: { $0.tag == 0x90 }) else { throw .missingElement(path: path + "/90") }
        guard let m = nodes.first(where: { $0.tag == 0x91 }) else { throw .missingElement(path: path + "/91") }
        for n in nodes where n.tag != 0x90 && n.tag != 0x91 {
            throw .unexpectedElement(path: path + "/\(n.tag)", offset: n.offset)
        }
        guard e.length >= 1 && e.length <= 8 else { throw .badLength(path: path + "/90", length: e.length, expected: "1…8") }
        guard m.length >= 1 else { throw .badLength(path: path + "/91", length: m.length, expected: "at least 1") }
        return CardRSAPublicKey(exponent: Array(bytes[e.valueRange]), modulus: Array(bytes[m.valueRange]))
    }
}
