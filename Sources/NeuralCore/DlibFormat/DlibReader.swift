// The primitive values of dlib's `serialize.h` format: integers, portable floats, strings, bools,
// matrices and tensors. Every model reader (ResNet, MMOD, shape predictor) is built on this one cursor.

/// A failure while reading a dlib-serialized file. Every case says where (byte offset) it happened.
public enum DlibFormatError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file ended before a value was complete.
    case truncated(offset: Int, needed: Int)
    /// An integer's control byte announced an impossible width, or the value overflowed its type.
    case invalidInteger(offset: Int)
    /// A float was not in the portable binary format (for example dlib's old ASCII format).
    case invalidFloat(offset: Int)
    /// A tensor or matrix header held a negative, absurd or mismatching dimension.
    case invalidShape(offset: Int, detail: String)
    /// A layer record named something other than what the declared graph expects.
    case unexpectedRecord(offset: Int, expected: String, found: String)
    /// A structural value (version, count, flag) was not one the reader knows.
    case unsupported(offset: Int, detail: String)
    /// Bytes were left over after the last record.
    case trailingBytes(offset: Int, count: Int)

    public var description: String {
        switch self {
        case .truncated(let offset, let needed):
            return "dlib model file is truncated: needed \(needed) more byte(s) at offset \(offset)"
        case .invalidInteger(let offset):
            return "dlib model file has an invalid integer at offset \(offset)"
        case .invalidFloat(let offset):
            return "dlib model file has an invalid float at offset \(offset)"
        case .invalidShape(let offset, let detail):
            return "dlib model file has an invalid shape at offset \(offset): \(detail)"
        case .unexpectedRecord(let offset, let expected, let found):
            return "dlib model file has layer record '\(found)' at offset \(offset) where '\(expected)' was expected"
        case .unsupported(let offset, let detail):
            return "dlib model file is not supported at offset \(offset): \(detail)"
        case .trailingBytes(let offset, let count):
            return "dlib model file has \(count) unexpected trailing byte(s) from offset \(offset)"
        }
    }
}

/// A forward-only cursor over the bytes of a dlib-serialized file.
///
/// Reads never trap: each read checks the remaining length and throws ``DlibFormatError``.
/// Dimensions read from the file are bounded by ``maxElements`` before anything is allocated.
package struct DlibReader: Sendable {
    /// The whole file.
    package let bytes: [UInt8]
    /// The offset of the next unread byte.
    package private(set) var offset: Int
    /// The largest element count a tensor or matrix may announce (guards against hostile sizes).
    package var maxElements: Int = 64 << 20

    /// Creates a reader at the start of `bytes`.
    package init(bytes: [UInt8]) {
        self.bytes = bytes
        self.offset = 0
    }

    /// The number of unread bytes.
    package var remaining: Int { bytes.count - offset }
    /// True when every byte has been read.
    package var isAtEnd: Bool { offset >= bytes.count }

    private func require(_ count: Int) throws(DlibFormatError) {
        if count < 0 || remaining < count { throw .truncated(offset: offset, needed: count - remaining) }
    }

    /// Reads one raw byte.
    package mutating func byte() throws(DlibFormatError) -> UInt8 {
        try require(1)
        defer { offset += 1 }
        return bytes[offset]
    }

    /// Reads `count` raw bytes.
    package mutating func rawBytes(_ count: Int) throws(DlibFormatError) -> ArraySlice<UInt8> {
        try require(count)
        defer { offset += count }
        return bytes[offset..<(offset + count)]
    }

    /// Skips `count` bytes.
    package mutating func skip(_ count: Int) throws(DlibFormatError) {
        try require(count)
        offset += count
    }

    /// Looks at the next integer without consuming it.
    package func peekInt() throws(DlibFormatError) -> Int64 {
        var copy = self
        return try copy.int64()
    }

    /// Reads a dlib integer: a control byte (bit 7 = negative, low nibble = byte count 1…8),
    /// then the magnitude as little-endian bytes.
    package mutating func int64() throws(DlibFormatError) -> Int64 {
        let start = offset
        let control = try byte()
        let count = Int(control & 0x0F)
        guard (1...8).contains(count), control & 0x70 == 0 else { throw .invalidInteger(offset: start) }
        try require(count)
        var magnitude: UInt64 = 0
        for i in 0..<count { magnitude |= UInt64(bytes[offset + i]) << (8 * UInt64(i)) }
        offset += count
        if control & 0x80 != 0 {
            guard magnitude <= UInt64(Int64.max) + 1 else { throw .invalidInteger(offset: start) }
            return magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude)
        }
        guard magnitude <= UInt64(Int64.max) else { throw .invalidInteger(offset: start) }
        return Int64(magnitude)
    }

    /// Reads a dlib integer that must fit in `Int` and lie in `range`.
    package mutating func int(in range: ClosedRange<Int> = Int.min...Int.max) throws(DlibFormatError) -> Int {
        let start = offset
        let value = try int64()
        guard let v = Int(exactly: value), range.contains(v) else {
            throw .unsupported(offset: start, detail: "integer \(value) outside \(range)")
        }
        return v
    }

    /// Reads a dlib portable float (int64 mantissa, then int16 exponent; value = m·2^e) as Double.
    package mutating func double() throws(DlibFormatError) -> Double {
        let start = offset
        guard remaining >= 1 else { throw .truncated(offset: offset, needed: 1) }
        if bytes[offset] & 0x70 != 0 { throw .invalidFloat(offset: start) }  // old ASCII format
        let mantissa = try int64()
        let exponent = try int64()
        switch exponent {
        case 32000: return .infinity
        case 32001: return -.infinity
        case 32002: return .nan
        default:
            guard let e = Int(exactly: exponent), abs(e) < 2200 else { throw .invalidFloat(offset: start) }
            return Double(
                sign: mantissa < 0 ? .minus : .plus,
                exponent: e,
                significand: Double(mantissa.magnitude))
        }
    }

    /// Reads a dlib portable float as Float.
    package mutating func float() throws(DlibFormatError) -> Float { Float(try double()) }

    /// Reads a dlib bool (ASCII `'1'` or `'0'`).
    package mutating func bool() throws(DlibFormatError) -> Bool {
        let start = offset
        switch try byte() {
        case UInt8(ascii: "1"): return true
        case UInt8(ascii: "0"): return false
        default: throw .unsupported(offset: start, detail: "bool byte is neither '0' nor '1'")
        }
    }

    /// Reads a dlib string (integer length, then bytes), bounded to `maxLength` bytes.
    package mutating func string(maxLength: Int = 4096) throws(DlibFormatError) -> String {
        let start = offset
        let length = try int(in: 0...maxLength)
        let raw = try rawBytes(length)
        guard let s = String(validating: raw, as: UTF8.self) else {
            throw .unsupported(offset: start, detail: "string is not UTF-8")
        }
        return s
    }

    /// Reads a string and checks it equals `expected` (a layer record name).
    package mutating func expectString(_ expected: String) throws(DlibFormatError) {
        let start = offset
        let found = try string()
        if found != expected { throw .unexpectedRecord(offset: start, expected: expected, found: found) }
    }

    /// Reads a dlib `matrix<float or double>`: int(−nr), int(−nc), then nr·nc portable floats row-major.
    package mutating func matrix() throws(DlibFormatError) -> (rows: Int, columns: Int, values: [Float]) {
        let start = offset
        let nr = -(try int64())
        let nc = -(try int64())
        guard nr >= 0, nc >= 0, nr.multipliedReportingOverflow(by: nc).partialValue <= Int64(maxElements),
            !nr.multipliedReportingOverflow(by: nc).overflow
        else {
            throw .invalidShape(offset: start, detail: "matrix \(nr)×\(nc)")
        }
        let count = Int(nr * nc)
        var values = [Float]()
        values.reserveCapacity(count)
        for _ in 0..<count { values.append(try float()) }
        return (Int(nr), Int(nc), values)
    }

    /// A dlib tensor read from the file: shape (n, k, nr, nc) and float32 data in NCHW order.
    package struct TensorRecord: Sendable, Equatable {
        /// Samples, channels, rows, columns.
        package var n, k, nr, nc: Int
        /// n·k·nr·nc values.
        package var data: [Float]
        package var count: Int { n * k * nr * nc }
    }

    /// Reads a dlib `resizable_tensor`: int 2, four dimensions, then raw little-endian float32 data.
    package mutating func tensor() throws(DlibFormatError) -> TensorRecord {
        let start = offset
        let version = try int64()
        guard version == 2 else { throw .unsupported(offset: start, detail: "tensor version \(version)") }
        let dims = [try int64(), try int64(), try int64(), try int64()]
        var total: Int64 = 1
        for d in dims {
            guard d >= 0, d <= Int64(maxElements) else {
                throw .invalidShape(offset: start, detail: "tensor dims \(dims)")
            }
            total *= d
            guard total <= Int64(maxElements) else { throw .invalidShape(offset: start, detail: "tensor dims \(dims)") }
        }
        let count = Int(total)
        try require(count * 4)
        let dataStart = offset
        var data = [Float](unsafeUninitializedCapacity: count) { dst, initialized in
            bytes.withUnsafeBytes { src in
                UnsafeMutableRawBufferPointer(dst).copyMemory(
                    from: UnsafeRawBufferPointer(rebasing: src[dataStart..<(dataStart + count * 4)]))
            }
            initialized = count
        }
        #if _endian(big)
            for i in data.indices { data[i] = Float(bitPattern: data[i].bitPattern.byteSwapped) }
        #endif
        offset += count * 4
        return TensorRecord(n: Int(dims[0]), k: Int(dims[1]), nr: Int(dims[2]), nc: Int(dims[3]), data: data)
    }

    /// Reads a dlib `alias_tensor` header (int 1 and four dimensions, no data) and returns its dimensions.
    @discardableResult
    package mutating func aliasTensor() throws(DlibFormatError) -> (n: Int, k: Int, nr: Int, nc: Int) {
        let start = offset
        let version = try int64()
        guard version == 1 else { throw .unsupported(offset: start, detail: "alias_tensor version \(version)") }
        let n = try int(in: 0...maxElements)
        let k = try int(in: 0...maxElements)
        let nr = try int(in: 0...maxElements)
        let nc = try int(in: 0...maxElements)
        return (n, k, nr, nc)
    }

    /// Throws unless every byte has been consumed.
    package func expectEnd() throws(DlibFormatError) {
        if !isAtEnd { throw .trailingBytes(offset: offset, count: remaining) }
    }
}
