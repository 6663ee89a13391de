/// An ISO/IEC 7816-4 command APDU: header (CLA INS P1 P2), optional data (Lc), optional expected length (Le).
///
/// The encoding uses short length fields whenever they fit (data ≤ 255 bytes and Le ≤ 256) and extended
/// length fields otherwise (data ≤ 65 535, Le ≤ 65 536), as ISO/IEC 7816-4 §5.1 allows.
///
/// Commands that carry secrets (VERIFY with a PIN) are built with `isSensitive: true`: their data lives in
/// a ``SensitiveBytes`` buffer shared by every copy of the command, so ``wipe()`` zeroes it for all of
/// them, and ``description`` never shows it.
public struct CommandAPDU: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// Class byte.
    public let cla: UInt8
    /// Instruction byte.
    public let ins: UInt8
    /// Parameter 1.
    public let p1: UInt8
    /// Parameter 2.
    public let p2: UInt8
    /// Expected response length (1…65 536), or nil when no response data is expected. 256 encodes as
    /// `00` in a short APDU.
    public let le: Int?
    /// True when the data is secret (a PIN): it is redacted from descriptions and can be wiped.
    public let isSensitive: Bool
    private let body: SensitiveBytes

    /// Creates a command.
    ///
    /// - Parameters:
    ///   - data: the command data (0…65 535 bytes).
    ///   - le: expected response length in bytes (1…65 536) or nil.
    ///   - isSensitive: mark secret data (PIN) so it is redacted and wipeable.
    /// - Throws: ``CardAccessError/invalidCommand(_:)`` (only) for a data field or Le outside those ranges.
    public init(
        cla: UInt8 = 0x00, ins: UInt8, p1: UInt8, p2: UInt8, data: some Collection<UInt8> = [UInt8](),
        le: Int? = nil, isSensitive: Bool = false
    ) throws {
        // Untyped `throws` on purpose: this initialiser is called from async code everywhere, and typed throws
        // with a payload-carrying error corrupted async frames in debug builds (Swift 6.3.1, Linux).
        guard data.count <= 0xFFFF else {
            throw CardAccessError.invalidCommand("data field of \(data.count) bytes exceeds 65535")
        }
        if let le, !(1...0x10000).contains(le) { throw CardAccessError.invalidCommand("Le \(le) outside 1...65536") }
        self.cla = cla
        self.ins = ins
        self.p1 = p1
        self.p2 = p2
        self.le = le
        self.isSensitive = isSensitive
        self.body = SensitiveBytes(copying: data)
    }

    /// The number of data bytes (Lc).
    public var dataCount: Int { body.count }

    /// A copy of the data. For sensitive commands prefer ``withData(_:)``, which makes no copy.
    public var data: [UInt8] { body.withBytes { Array($0) } }

    /// Calls `body` with the data bytes without copying them.
    public func withData<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        try self.body.withBytes(body)
    }

    /// Zeroes the data of this command and of every copy of it. Call after transmitting a PIN.
    public func wipe() { body.wipe() }

    /// True when the data has been wiped (all zeros).
    public var isWiped: Bool { body.isWiped }

    /// True when the short encoding cannot hold the data or Le.
    public var needsExtendedLength: Bool { dataCount > 255 || (le ?? 0) > 256 }

    /// The encoded bytes. The caller owns the array; for a sensitive command, zero it after sending
    /// (e.g. `encoded.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }`).
    public func encoded() -> [UInt8] {
        var out: [UInt8] = [cla, ins, p1, p2]
        let extended = needsExtendedLength
        let n = dataCount
        if n > 0 {
            if extended { out += [0x00, UInt8(n >> 8), UInt8(n & 0xFF)] } else { out.append(UInt8(n)) }
            body.withBytes { out.append(contentsOf: $0) }
        }
        if let le {
            if extended {
                let value = le == 0x10000 ? 0 : le
                if n == 0 { out.append(0x00) }
                out += [UInt8(value >> 8), UInt8(value & 0xFF)]
            } else {
                out.append(le == 256 ? 0x00 : UInt8(le))
            }
        }
        return out
    }

    /// Header, Lc and Le; the data bytes only when the command is not sensitive (hex).
    public var description: String {
        func hex(_ b: UInt8) -> String {
            b < 16 ? "0" + String(b, radix: 16, uppercase: true) : String(b, radix: 16, uppercase: true)
        }
        var s = "CommandAPDU(\(hex(cla)) \(hex(ins)) \(hex(p1)) \(hex(p2))"
        if dataCount > 0 {
            if isSensitive {
                s += ", data <redacted \(dataCount) bytes>"
            } else {
                s += ", data " + body.withBytes { $0.map(hex).joined() }
            }
        }
        if let le { s += ", Le \(le)" }
        return s + ")"
    }

    /// Same as ``description``.
    public var debugDescription: String { description }
    /// Reflection shows the header only, never the data.
    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "cla": cla, "ins": ins, "p1": p1, "p2": p2, "dataCount": dataCount,
                "le": le as Any, "isSensitive": isSensitive,
            ])
    }
}
