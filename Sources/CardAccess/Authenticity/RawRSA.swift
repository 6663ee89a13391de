import BigInt
import Foundation

/// The raw RSA operations the card-face signature needs and no listed package offers for a 96-byte digest:
/// `x^e mod n` (public) and, for simulated cards and test issuers only, `x^d mod n` (private).
/// All numbers are big-endian unsigned byte strings; the big-number arithmetic is attaswift/BigInt's.
package enum RawRSA {
    /// The SHA-256 DigestInfo prefix (`30 31 30 0D 06 09 60 86 48 01 65 03 04 02 01 05 00 04 20`) for one digest.
    package static let sha256DigestInfoPrefix: [UInt8] = [
        0x30, 0x31, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65,
        0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20,
    ]

    /// `signature^exponent mod modulus`, left-padded to the modulus length; nil when the signature is not
    /// exactly the modulus length or is not smaller than the modulus (RFC 8017 §5.2.2 RSAVP1).
    package static func publicOperation(_ signature: [UInt8], modulus: [UInt8], exponent: [UInt8]) -> [UInt8]? {
        let k = significantLength(modulus)
        guard k > 0, signature.count == k else { return nil }
        let n = BigUInt(Data(modulus))
        let s = BigUInt(Data(signature))
        guard s < n else { return nil }
        let e = BigUInt(Data(exponent))
        return leftPad(s.power(e, modulus: n).serialize(), to: k)
    }

    /// `message^d mod n` for a message smaller than n, left-padded to the modulus length (RSASP1).
    package static func privateOperation(_ message: [UInt8], modulus: [UInt8], privateExponent: [UInt8]) -> [UInt8]? {
        let k = significantLength(modulus)
        let n = BigUInt(Data(modulus))
        let m = BigUInt(Data(message))
        guard k > 0, m < n else { return nil }
        return leftPad(m.power(BigUInt(Data(privateExponent)), modulus: n).serialize(), to: k)
    }

    /// The PKCS#1 v1.5 signature block (EMSA-PKCS1-v1_5 encoding): `00 01 FF…FF 00 ‖ digestInfo`, `length`
    /// bytes long; nil when `digestInfo` leaves fewer than 8 padding bytes.
    package static func pkcs1Block(digestInfo: [UInt8], length: Int) -> [UInt8]? {
        let padding = length - 3 - digestInfo.count
        guard padding >= 8 else { return nil }
        return [0x00, 0x01] + [UInt8](repeating: 0xFF, count: padding) + [0x00] + digestInfo
    }

    /// Modulus length in bytes, ignoring leading zero bytes.
    package static func significantLength(_ bytes: [UInt8]) -> Int {
        bytes.count - (bytes.firstIndex { $0 != 0 } ?? bytes.count)
    }

    package static func leftPad(_ data: Data, to length: Int) -> [UInt8] {
        let bytes = [UInt8](data)
        return bytes.count >= length
            ? Array(bytes.suffix(length)) : [UInt8](repeating: 0, count: length - bytes.count) + bytes
    }
}

/// The numbers of a PKCS#1 `RSAPrivateKey` (RFC 8017 A.1.2) needed for the raw private operation.
///
/// Read with a minimal DER walk (SEQUENCE of INTEGERs) of the bytes swift-crypto's
/// `_RSA.Signing.PrivateKey.derRepresentation` returns. Used by simulated cards and test issuers only.
package struct RSAPrivateNumbers: Sendable {
    package let modulus: [UInt8]
    package let publicExponent: [UInt8]
    package let privateExponent: [UInt8]
    package let prime1: [UInt8]
    package let prime2: [UInt8]
    package let exponent1: [UInt8]
    package let exponent2: [UInt8]
    package let coefficient: [UInt8]

    /// `message^d mod n` through the Chinese remainder theorem (RFC 8017 §5.1.2, about 4× faster than
    /// ``RawRSA/privateOperation(_:modulus:privateExponent:)``), left-padded to the modulus length; nil
    /// when the message is not smaller than n.
    package func sign(_ message: [UInt8]) -> [UInt8]? {
        let k = RawRSA.significantLength(modulus)
        let n = BigUInt(Data(modulus))
        let m = BigUInt(Data(message))
        guard k > 0, m < n else { return nil }
        let p = BigUInt(Data(prime1))
        let q = BigUInt(Data(prime2))
        let m1 = m.power(BigUInt(Data(exponent1)), modulus: p)
        let m2 = m.power(BigUInt(Data(exponent2)), modulus: q)
        let difference = m1 >= m2 % p ? m1 - m2 % p : p - (m2 % p - m1)
        let h = (BigUInt(Data(coefficient)) * difference) % p
        return RawRSA.leftPad((m2 + h * q).serialize(), to: k)
    }

    enum DERError: Error { case malformed(String) }

    package init(pkcs1DER der: [UInt8]) throws {
        var reader = DERReader(bytes: der[...])
        var sequence = try reader.read(tag: 0x30)
        guard reader.isAtEnd else { throw DERError.malformed("bytes after the RSAPrivateKey SEQUENCE") }
        let version = try sequence.read(tag: 0x02)
        guard version.bytes.elementsEqual([0]) else { throw DERError.malformed("RSAPrivateKey version is not 0") }
        modulus = Self.unsigned(try sequence.read(tag: 0x02).bytes)
        publicExponent = Self.unsigned(try sequence.read(tag: 0x02).bytes)
        privateExponent = Self.unsigned(try sequence.read(tag: 0x02).bytes)
        prime1 = Self.unsigned(try sequence.read(tag: 0x02).bytes)
        prime2 = Self.unsigned(try sequence.read(tag: 0x02).bytes)
        exponent1 = Self.unsigned(try sequence.read(tag: 0x02).bytes)
        exponent2 = Self.unsigned(try sequence.read(tag: 0x02).bytes)
        coefficient = Self.unsigned(try sequence.read(tag: 0x02).bytes)
    }

    /// Strips the sign byte DER adds before a high bit.
    private static func unsigned(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
        Array(bytes.drop { $0 == 0 })
    }

    /// Reads definite-length DER elements; lengths up to 4 bytes, each bounded by what remains.
    struct DERReader {
        var bytes: ArraySlice<UInt8>
        var isAtEnd: Bool { bytes.isEmpty }

        mutating func read(tag: UInt8) throws -> DERReader {
            guard let first = bytes.first, first == tag else { throw DERError.malformed("expected DER tag \(tag)") }
            var i = bytes.index(after: bytes.startIndex)
            guard i < bytes.endIndex else { throw DERError.malformed("missing length") }
            var length = Int(bytes[i])
            i += 1
            if length & 0x80 != 0 {
                let count = length & 0x7F
                guard (1...4).contains(count), i + count <= bytes.endIndex else {
                    throw DERError.malformed("bad length")
                }
                length = 0
                for _ in 0..<count {
                    length = length << 8 | Int(bytes[i])
                    i += 1
                }
            }
            guard length <= bytes.endIndex - i else { throw DERError.malformed("length past end") }
            let content = bytes[i..<(i + length)]
            bytes = bytes[(i + length)...]
            return DERReader(bytes: content)
        }
    }
}
