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
        -> CardRSAPublicKey
    {
        let nodes: [TLVNode]
        do { nodes = try BERTLV.parse(bytes, in: range, limits: limits) } catch { throw .tlv(error) }
        guard let e = nodes.first(where: { $0.tag == 0x90 }) else { throw .missingElement(path: path + "/90") }
        guard let m = nodes.first(where: { $0.tag == 0x91 }) else { throw .missingElement(path: path + "/91") }
        for n in nodes where n.tag != 0x90 && n.tag != 0x91 {
            throw .unexpectedElement(path: path + "/\(n.tag)", offset: n.offset)
        }
        guard e.length >= 1 && e.length <= 8 else {
            throw .badLength(path: path + "/90", length: e.length, expected: "1…8")
        }
        guard m.length >= 1 else { throw .badLength(path: path + "/91", length: m.length, expected: "at least 1") }
        return CardRSAPublicKey(exponent: Array(bytes[e.valueRange]), modulus: Array(bytes[m.valueRange]))
    }
}
