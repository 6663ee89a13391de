/// A connection to a card: send one command APDU, receive its response.
///
/// The requirement is `async` because real reader drivers (PC/SC `SCardTransmit`, USB CCID) block for
/// tens to hundreds of milliseconds per exchange; an async requirement lets a driver run the blocking
/// call on its own thread or queue without stalling the caller's executor, and lets in-process
/// implementations such as ``SimulatedCard`` return at once. Implementations must serialise exchanges
/// (one APDU at a time, in order), as a card does.
///
/// A channel must not log command data: a VERIFY carries the PIN in clear (see ``CommandAPDU/isSensitive``).
public protocol CardChannel: Sendable {
    /// Sends `command` and returns the card's response.
    ///
    /// - Throws: a transport error (``CardAccessError/transport(_:)`` or the driver's own), never for
    ///   a status word: a refused command is a normal ``ResponseAPDU`` with its ``StatusWord``.
    func transmit(_ command: CommandAPDU) async throws -> ResponseAPDU
}
