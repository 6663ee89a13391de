/// A card's response: the data field and the ``StatusWord``.
public struct ResponseAPDU: Sendable, Hashable, CustomStringConvertible {
    /// The response data (may be empty).
    public var data: [UInt8]
    /// The status word that ended the response.
    public var status: StatusWord

    /// Creates a response from its parts.
    public init(data: [UInt8] = [], status: StatusWord) {
        self.data = data
        self.status = status
    }

    /// Parses a raw response (data followed by SW1 SW2).
    ///
    /// - Throws: ``CardAccessError/malformedResponse(byteCount:)`` when fewer than two bytes arrive.
    public init(bytes: [UInt8]) throws(CardAccessError) {
        guard bytes.count >= 2 else { throw .malformedResponse(byteCount: bytes.count) }
        data = Array(bytes[..<(bytes.count - 2)])
        status = StatusWord(sw1: bytes[bytes.count - 2], sw2: bytes[bytes.count - 1])
    }

    /// The raw encoding: data then SW1 SW2.
    public var encoded: [UInt8] { data + [status.sw1, status.sw2] }

    /// The status word and the data length only: response data (portraits, signatures) is not printed.
    public var description: String { "ResponseAPDU(\(data.count) bytes, SW \(status))" }
}
