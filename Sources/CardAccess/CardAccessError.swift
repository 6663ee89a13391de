/// Errors from talking to a card: transport failures and answers the protocol does not allow.
public enum CardAccessError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The reader or driver failed to exchange an APDU (the message comes from the driver).
    case transport(String)
    /// A response shorter than the two status bytes.
    case malformedResponse(byteCount: Int)
    /// A command whose fields cannot be encoded (data longer than 65 535 bytes, Le above 65 536, …).
    case invalidCommand(String)
    /// The card answered `status` to `step` (e.g. "SELECT JPKI AP") where success was required.
    case unexpectedStatus(step: String, status: StatusWord)
    /// The card returned data of the wrong size or shape for `step`.
    case unexpectedResponse(step: String, detail: String)
    /// A file on the card announced a length above the allowed maximum.
    case fileTooLarge(step: String, length: Int, maximum: Int)

    public var description: String {
        switch self {
        case .transport(let message): "card reader transport error: \(message)"
        case .malformedResponse(let n):
            "malformed card response: \(n) byte(s), a response needs at least the 2 status bytes"
        case .invalidCommand(let why): "cannot encode command APDU: \(why)"
        case .unexpectedStatus(let step, let sw): "\(step): the card answered status \(sw)"
        case .unexpectedResponse(let step, let detail): "\(step): unexpected card response (\(detail))"
        case .fileTooLarge(let step, let length, let maximum):
            "\(step): the file announces \(length) bytes, more than the \(maximum) allowed"
        }
    }
}
