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
        case .tlv(let e): return e.description
        case .empty: return "the input is empty"
        case .wrongOuterTag(let expected, let found):
            return "expected outer tag \(expected) but found \(found) at byte 0"
        case .missingElement(let path): return "required element \(path) is missing"
        case .unexpectedElement(let path, let offset): return "unexpected element \(path) at byte \(offset)"
        case .badLength(let path, let length, let expected):
            return "element \(path) has \(length) bytes, expected \(expected)"
        case .invalidValue(let path, let offset, let reason):
            return "element \(path) at byte \(offset) is invalid: \(reason)"
        case .offsetTableMismatch(let index, let tag, let declared, let actual):
            return "DF21 offset table entry \(index) (\(tag)) says byte \(declared) but \(tag) is at byte \(actual)"
        case .trailingBytes(let offset): return "unexpected non-filler bytes after the outer element at byte \(offset)"
        case .malformedRecord(let path, let offset, let reason):
            return "record \(path) at byte \(offset) is malformed: \(reason)"
        case .imageTooLarge(let path, let width, let height, let limit):
            return "face image \(path) declares \(width)×\(height) pixels, above the limit of \(limit)"
        case .tooManyFaces(let count, let limit):
            return "\(count) face images declared, above the limit of \(limit)"
        }
    }
}
