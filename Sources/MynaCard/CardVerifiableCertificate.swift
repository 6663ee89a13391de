/// The card-verifiable certificate of 券面事項確認AP, EF 0004.
///
/// `7F21 { 5F4E body, 5F37 signature }`. The body (297 bytes on issued cards) is: a 16-byte issuer key id,
/// a 16-byte subject key id, then the certified RSA key as `90 03 010001` + `91 82 0100 <256-byte modulus>`.
/// `5F37` is an RSA PKCS#1 v1.5 / SHA-256 signature over exactly the body bytes, by the CA key the issuer id names.
/// This type only parses; checking the signature belongs to the card-access module.
public struct CardVerifiableCertificate: Sendable, Equatable {
    /// A 16-byte key identifier: 7 ASCII digits, `08 05`, 3 ASCII digits, 4 bytes of padding.
    public struct KeyID: Sendable, Hashable, CustomStringConvertible {
        /// All 16 bytes (compare these, not the prefix).
        public let bytes: [UInt8]
        /// Creates an id from its 16 bytes.
        public init(bytes: [UInt8]) { self.bytes = bytes }
        /// Builds the conventional id: `prefix` (7 digits) + `08 05` + `suffix` (3 digits) + 4 padding bytes.
        public init(prefix: String, suffix: String = "001", padding: [UInt8] = [0, 0, 0, 0]) {
            bytes = Array(prefix.utf8.prefix(7)) + [0x08, 0x05] + Array(suffix.utf8.prefix(3)) + padding.prefix(4)
        }
        /// The leading 7 ASCII digits (e.g. `"5000023"`), or nil when they are not 7 digits.
        public var prefix: String? {
            guard bytes.count >= 7, bytes[0..<7].allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
            return String(decoding: bytes[0..<7], as: UTF8.self)
        }
        /// The prefix if readable, else hex.
        public var description: String { prefix.map { "\($0) (\(tlvHex(bytes)))" } ?? tlvHex(bytes) }
    }

    /// Issuer (CA) key id, 16 bytes.
    public let issuerKeyID: KeyID
    /// Subject (certified) key id, 16 bytes.
    public let subjectKeyID: KeyID
    /// The certified public key.
    public let publicKey: CardRSAPublicKey
    /// The `5F4E` value, exactly as signed.
    public let body: [UInt8]
    /// The `5F37` value (the CA signature over ``body``).
    public let signature: [UInt8]
    /// The whole `7F21` element as read.
    public let encoded: [UInt8]

    /// The outer tag `7F21`.
    public static let outerTag: TLVTag = 0x7F21

    /// Parses a certificate (trailing `00`/`FF` filler allowed).
    /// - Throws: ``ContainerError``: malformed TLV, wrong outer tag, missing `5F4E`/`5F37`, body shorter than the
    ///   two key ids, missing or malformed `90`/`91`.
    public static func parse(_ bytes: [UInt8], limits: ContainerLimits = .default) throws(ContainerError)
        -> CardVerifiableCertificate
    {
        guard !bytes.isEmpty else { throw .empty }
        let outer: TLVNode
        do { outer = try BERTLV.parseElement(bytes, at: 0, limits: limits.tlv) } catch { throw .tlv(error) }
        guard outer.tag == outerTag else { throw .wrongOuterTag(expected: outerTag, found: outer.tag) }
        for i in outer.encodedRange.upperBound..<bytes.count where bytes[i] != 0x00 && bytes[i] != 0xFF {
            throw .trailingBytes(offset: i)
        }
        guard let bodyNode = outer.child(0x5F4E) else { throw .missingElement(path: "7F21/5F4E") }
        guard let sigNode = outer.child(0x5F37) else { throw .missingElement(path: "7F21/5F37") }
        for n in outer.children where n.tag != 0x5F4E && n.tag != 0x5F37 {
            throw .unexpectedElement(path: "7F21/\(n.tag)", offset: n.offset)
        }
        guard bodyNode.length > 32 else {
            throw .badLength(path: "7F21/5F4E", length: bodyNode.length, expected: "32 key-id bytes and a key")
        }
        guard sigNode.length > 0 else { throw .badLength(path: "7F21/5F37", length: 0, expected: "a signature") }
        let b = bodyNode.valueRange.lowerBound
        let key = try CardRSAPublicKey.parse(
            bytes, (b + 32)..<bodyNode.valueRange.upperBound,
            path: "7F21/5F4E", limits: limits.tlv)
        return CardVerifiableCertificate(
            issuerKeyID: KeyID(bytes: Array(bytes[b..<(b + 16)])),
            subjectKeyID: KeyID(bytes: Array(bytes[(b + 16)..<(b + 32)])),
            publicKey: key, body: Array(bytes[bodyNode.valueRange]), signature: Array(bytes[sigNode.valueRange]),
            encoded: Array(bytes[outer.encodedRange]))
    }

    /// Encodes certificates (for tests and simulated cards).
    public struct Builder: Sendable {
        /// Issuer key id (16 bytes).
        public var issuerKeyID: KeyID
        /// Subject key id (16 bytes).
        public var subjectKeyID: KeyID
        /// The certified key.
        public var publicKey: CardRSAPublicKey
        /// The signature bytes to store in `5F37` (normally 256).
        public var signature: [UInt8]

        /// Creates a builder.
        public init(issuerKeyID: KeyID, subjectKeyID: KeyID, publicKey: CardRSAPublicKey, signature: [UInt8]) {
            self.issuerKeyID = issuerKeyID
            self.subjectKeyID = subjectKeyID
            self.publicKey = publicKey
            self.signature = signature
        }

        /// The body bytes a CA signs: issuer id ‖ subject id ‖ `90`/`91` key TLVs.
        public func body() -> [UInt8] { issuerKeyID.bytes + subjectKeyID.bytes + publicKey.encoded }

        /// The whole `7F21` element.
        public func encode() -> [UInt8] {
            BERTLV.encode(
                CardVerifiableCertificate.outerTag,
                children: [BERTLV.encode(0x5F4E, body()), BERTLV.encode(0x5F37, signature)])
        }
    }
}
