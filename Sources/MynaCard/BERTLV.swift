/// BER-TLV (ISO/IEC 7816-4 / X.690 subset) as used by smart-card files and ICAO data groups.
///
/// Supported: tags of 1–4 bytes (multi-byte when the first byte's low five bits are all ones, e.g. `FF20`,
/// `DF27`, `7F61`, `5F2E`), definite lengths in short form (`00`–`7F`) and long form (`81`–`84`).
/// Rejected with a ``TLVError``: the indefinite length `80`, length forms `85`–`FF`, a value running past
/// the end of its enclosing value, nesting deeper than ``TLVLimits/maxDepth``, oversized elements or input.
///
/// The parser never recurses deeper than the depth limit, never allocates in proportion to a declared length
/// (nodes reference the input by offsets), and never traps on hostile input.

/// Limits applied while walking BER-TLV data.
public struct TLVLimits: Sendable, Equatable {
    /// Deepest allowed nesting of constructed elements (the top level is depth 1). Default 16; clamped to 1…512.
    public var maxDepth: Int
    /// Largest allowed value length of one element, in bytes. Default 16 MiB.
    public var maxElementLength: Int
    /// Largest allowed input, in bytes. Default 32 MiB.
    public var maxInputBytes: Int

    /// Creates limits (defaults: depth 16, element 16 MiB, input 32 MiB).
    public init(maxDepth: Int = 16, maxElementLength: Int = 16 << 20, maxInputBytes: Int = 32 << 20) {
        self.maxDepth = maxDepth
        self.maxElementLength = maxElementLength
        self.maxInputBytes = maxInputBytes
    }

    /// The default limits.
    public static let `default` = TLVLimits()
}

/// A BER-TLV tag, kept as the big-endian integer of its encoded bytes (`0xFF20`, `0xDF27`, `0x75`).
public struct TLVTag: Hashable, Sendable, Comparable, CustomStringConvertible, ExpressibleByIntegerLiteral {
    /// The tag bytes as a big-endian integer (`0x7F61` for the two bytes `7F 61`).
    public let rawValue: UInt32

    /// Creates a tag from its big-endian integer value.
    public init(_ rawValue: UInt32) { self.rawValue = rawValue }
    /// Creates a tag from an integer literal such as `0xDF27`.
    public init(integerLiteral value: UInt32) { self.rawValue = value }

    /// The encoded tag bytes (1–4 bytes).
    public var bytes: [UInt8] {
        var out: [UInt8] = []
        var started = false
        for shift in stride(from: 24, through: 0, by: -8) {
            let byte = UInt8(truncatingIfNeeded: rawValue >> UInt32(shift))
            if byte != 0 || started || shift == 0 {
                out.append(byte)
                started = true
            }
        }
        return out
    }

    /// True when bit 6 of the first tag byte is set (the value is itself a sequence of TLVs).
    public var isConstructed: Bool { (bytes[0] & 0x20) != 0 }

    /// Upper-case hex of the tag bytes, e.g. `DF27`.
    public var description: String { tlvHex(bytes) }

    public static func < (lhs: TLVTag, rhs: TLVTag) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// One parsed BER-TLV element. Offsets are into the parsed byte array.
public struct TLVNode: Sendable, Equatable {
    /// The element's tag.
    public let tag: TLVTag
    /// Offset of the first tag byte.
    public let offset: Int
    /// Number of tag + length bytes.
    public let headerLength: Int
    /// Number of value bytes.
    public let length: Int
    /// Children for a constructed element (empty for primitive ones).
    public let children: [TLVNode]

    /// Creates a node (normally made by ``BERTLV/parse(_:in:limits:stopAtFiller:)``).
    public init(tag: TLVTag, offset: Int, headerLength: Int, length: Int, children: [TLVNode]) {
        self.tag = tag
        self.offset = offset
        self.headerLength = headerLength
        self.length = length
        self.children = children
    }

    /// True when the tag says constructed.
    public var isConstructed: Bool { tag.isConstructed }
    /// Range of the value bytes.
    public var valueRange: Range<Int> { (offset + headerLength)..<(offset + headerLength + length) }
    /// Range of the whole encoded element (tag + length + value), exactly as written.
    public var encodedRange: Range<Int> { offset..<(offset + headerLength + length) }
    /// First child with the given tag.
    public func child(_ tag: TLVTag) -> TLVNode? { children.first { $0.tag == tag } }
}

/// What went wrong while walking BER-TLV data; every case says where (byte offset into the input).
public enum TLVError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The input is larger than ``TLVLimits/maxInputBytes``.
    case inputTooLarge(size: Int, limit: Int)
    /// The data ends inside a tag or length field starting at `offset`.
    case truncated(offset: Int)
    /// A tag at `offset` is longer than 4 bytes.
    case tagTooLong(offset: Int)
    /// The indefinite length form `80` at `offset` (not allowed here).
    case indefiniteLength(offset: Int)
    /// A length field at `offset` with an unsupported first byte (`85`…`FF`).
    case unsupportedLengthForm(offset: Int, byte: UInt8)
    /// The element `tag` at `offset` declares `length` value bytes but only `available` remain in its enclosing value.
    case lengthPastEnd(tag: TLVTag, offset: Int, length: Int, available: Int)
    /// The element `tag` at `offset` declares `length` value bytes, above ``TLVLimits/maxElementLength``.
    case elementTooLong(tag: TLVTag, offset: Int, length: Int, limit: Int)
    /// Constructed elements nest deeper than the limit; `depth` is the depth reached.
    case tooDeep(depth: Int)

    public var description: String {
        switch self {
        case .inputTooLarge(let size, let limit):
            return "TLV input of \(size) bytes exceeds the limit of \(limit) bytes"
        case .truncated(let offset):
            return "TLV data truncated: tag or length at byte \(offset) runs past the end"
        case .tagTooLong(let offset):
            return "TLV tag at byte \(offset) is longer than 4 bytes"
        case .indefiniteLength(let offset):
            return "TLV indefinite length (80) at byte \(offset) is not allowed"
        case .unsupportedLengthForm(let offset, let byte):
            return "TLV length at byte \(offset) uses unsupported form \(tlvHex([byte]))"
        case .lengthPastEnd(let tag, let offset, let length, let available):
            return "TLV element \(tag) at byte \(offset) declares \(length) bytes but only \(available) remain"
        case .elementTooLong(let tag, let offset, let length, let limit):
            return "TLV element \(tag) at byte \(offset) declares \(length) bytes, above the limit of \(limit)"
        case .tooDeep(let depth):
            return "TLV nesting reaches depth \(depth), above the limit"
        }
    }
}

/// BER-TLV parsing and encoding.
public enum BERTLV {
    /// Parses the sequence of elements in `range` (default: all of `bytes`).
    ///
    /// Constructed elements are parsed recursively. With `stopAtFiller`, the top-level walk stops at the first
    /// `00` or `FF` byte where a tag would start (card files are padded with filler).
    /// - Throws: ``TLVError`` describing the first problem found and its offset.
    public static func parse(
        _ bytes: [UInt8], in range: Range<Int>? = nil, limits: TLVLimits = .default,
        stopAtFiller: Bool = false
    ) throws(TLVError) -> [TLVNode] {
        guard bytes.count <= limits.maxInputBytes else {
            throw .inputTooLarge(size: bytes.count, limit: limits.maxInputBytes)
        }
        let r = range ?? 0..<bytes.count
        precondition(r.lowerBound >= 0 && r.upperBound <= bytes.count, "range outside the input")
        let maxDepth = min(max(limits.maxDepth, 1), 512)
        return try bytes.withUnsafeBufferPointer { (buf) throws(TLVError) -> [TLVNode] in
            try parseSequence(buf, r, depth: 1, maxDepth: maxDepth, limits: limits, stopAtFiller: stopAtFiller)
        }
    }

    /// Parses exactly one element starting at `offset` (its value must end by `end`, default: end of input).
    /// - Throws: ``TLVError``.
    public static func parseElement(
        _ bytes: [UInt8], at offset: Int, end: Int? = nil,
        limits: TLVLimits = .default
    ) throws(TLVError) -> TLVNode {
        guard bytes.count <= limits.maxInputBytes else {
            throw .inputTooLarge(size: bytes.count, limit: limits.maxInputBytes)
        }
        let e = min(end ?? bytes.count, bytes.count)
        guard offset >= 0, offset < e else { throw .truncated(offset: offset) }
        let maxDepth = min(max(limits.maxDepth, 1), 512)
        return try bytes.withUnsafeBufferPointer { (buf) throws(TLVError) -> TLVNode in
            try parseOne(buf, offset, e, depth: 1, maxDepth: maxDepth, limits: limits)
        }
    }

    /// Reads the tag and length header at `offset`; returns the tag, header size and value length.
    /// - Throws: ``TLVError/truncated(offset:)``, ``TLVError/tagTooLong(offset:)``,
    ///   ``TLVError/indefiniteLength(offset:)``, ``TLVError/unsupportedLengthForm(offset:byte:)``.
    public static func readHeader(_ bytes: [UInt8], at offset: Int, end: Int? = nil) throws(TLVError)
        -> (tag: TLVTag, headerLength: Int, length: Int)
    {
        let e = min(end ?? bytes.count, bytes.count)
        return try bytes.withUnsafeBufferPointer { (buf) throws(TLVError) in try header(buf, offset, e) }
    }

    private static func header(_ b: UnsafeBufferPointer<UInt8>, _ offset: Int, _ end: Int) throws(TLVError)
        -> (tag: TLVTag, headerLength: Int, length: Int)
    {
        var p = offset
        guard p < end else { throw .truncated(offset: offset) }
        var tag = UInt32(b[p])
        p += 1
        if b[p - 1] & 0x1F == 0x1F {
            var count = 1
            while true {
                guard p < end else { throw .truncated(offset: offset) }
                let byte = b[p]
                p += 1
                count += 1
                guard count <= 4 else { throw .tagTooLong(offset: offset) }
                tag = (tag << 8) | UInt32(byte)
                if byte & 0x80 == 0 { break }
            }
        }
        guard p < end else { throw .truncated(offset: offset) }
        let first = b[p]
        let lengthOffset = p
        p += 1
        var length = 0
        if first < 0x80 {
            length = Int(first)
        } else if first == 0x80 {
            throw .indefiniteLength(offset: lengthOffset)
        } else if first <= 0x84 {
            let n = Int(first & 0x7F)
            guard end - p >= n else { throw .truncated(offset: offset) }
            for _ in 0..<n {
                length = (length << 8) | Int(b[p])
                p += 1
            }
        } else {
            throw .unsupportedLengthForm(offset: lengthOffset, byte: first)
        }
        return (TLVTag(tag), p - offset, length)
    }

    private static func parseOne(
        _ b: UnsafeBufferPointer<UInt8>, _ offset: Int, _ end: Int, depth: Int,
        maxDepth: Int, limits: TLVLimits
    ) throws(TLVError) -> TLVNode {
        let (tag, headerLength, length) = try header(b, offset, end)
        let valueStart = offset + headerLength
        let available = end - valueStart
        guard length <= limits.maxElementLength else {
            throw .elementTooLong(tag: tag, offset: offset, length: length, limit: limits.maxElementLength)
        }
        guard length <= available else {
            throw .lengthPastEnd(tag: tag, offset: offset, length: length, available: available)
        }
        var children: [TLVNode] = []
        if tag.isConstructed && length > 0 {
            guard depth < maxDepth else { throw .tooDeep(depth: depth + 1) }
            children = try parseSequence(
                b, valueStart..<(valueStart + length), depth: depth + 1,
                maxDepth: maxDepth, limits: limits, stopAtFiller: false)
        }
        return TLVNode(tag: tag, offset: offset, headerLength: headerLength, length: length, children: children)
    }

    private static func parseSequence(
        _ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, depth: Int,
        maxDepth: Int, limits: TLVLimits, stopAtFiller: Bool
    ) throws(TLVError)
        -> [TLVNode]
    {
        var nodes: [TLVNode] = []
        var p = range.lowerBound
        while p < range.upperBound {
            if stopAtFiller && (b[p] == 0x00 || b[p] == 0xFF) { break }
            let node = try parseOne(b, p, range.upperBound, depth: depth, maxDepth: maxDepth, limits: limits)
            nodes.append(node)
            p = node.encodedRange.upperBound
        }
        return nodes
    }

    /// Encodes a definite length (short form below 128, else `81`–`84` long form).
    public static func encodeLength(_ length: Int) -> [UInt8] {
        precondition(length >= 0 && length <= Int(UInt32.max), "TLV length out of range")
        if length < 0x80 { return [UInt8(length)] }
        var bytes: [UInt8] = []
        var n = length
        while n > 0 {
            bytes.insert(UInt8(n & 0xFF), at: 0)
            n >>= 8
        }
        return [0x80 | UInt8(bytes.count)] + bytes
    }

    /// Encodes one element: tag bytes, definite length, value.
    public static func encode(_ tag: TLVTag, _ value: [UInt8]) -> [UInt8] {
        tag.bytes + encodeLength(value.count) + value
    }

    /// Encodes a constructed element from already encoded children.
    public static func encode(_ tag: TLVTag, children: [[UInt8]]) -> [UInt8] {
        encode(tag, children.flatMap { $0 })
    }
}

/// Upper-case hex without separators.
func tlvHex<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
    let digits = Array("0123456789ABCDEF")
    var s = ""
    s.reserveCapacity(bytes.count * 2)
    for b in bytes {
        s.append(digits[Int(b >> 4)])
        s.append(digits[Int(b & 0xF)])
    }
    return s
}

/// Big-endian unsigned integer of up to 8 bytes from `bytes[range]` (nil when longer).
func tlvBigEndian(_ bytes: [UInt8], _ range: Range<Int>) -> Int? {
    guard range.count <= 7 else { return nil }
    var v = 0
    for i in range { v = (v << 8) | Int(bytes[i]) }
    return v
}
