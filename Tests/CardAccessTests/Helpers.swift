import CardAccess
import FaceImaging
import Foundation
import Logging
import MynaCard
import MynaFaceTesting

/// A channel that answers from a script (by instruction) and keeps every command it saw.
final class ScriptedChannel: CardChannel, @unchecked Sendable {
    private let lock = NSLock()
    private var answers: [(UInt8, StatusWord)]
    private var _commands: [CommandAPDU] = []
    private var _dataSeen: [[UInt8]] = []

    /// `answers`: for each instruction byte in order, the status to return; unmatched commands answer 9000.
    init(_ answers: [(ins: UInt8, status: StatusWord)]) { self.answers = answers.map { ($0.ins, $0.status) } }

    var commands: [CommandAPDU] { lock.withLock { _commands } }
    /// The data of each command as it was when transmitted.
    var dataSeen: [[UInt8]] { lock.withLock { _dataSeen } }

    func transmit(_ command: CommandAPDU) async throws -> ResponseAPDU {
        lock.withLock {
            _commands.append(command)
            _dataSeen.append(command.data)
            if let i = answers.firstIndex(where: { $0.0 == command.ins }) {
                return ResponseAPDU(status: answers.remove(at: i).1)
            }
            return ResponseAPDU(status: .success)
        }
    }
}

/// A log handler that keeps every rendered message and metadata value.
final class CapturingLogHandler: LogHandler, @unchecked Sendable {
    final class Store: @unchecked Sendable {
        let lock = NSLock()
        var lines: [String] = []
        var text: String { lock.withLock { lines.joined(separator: "\n") } }
    }
    let store: Store
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace
    init(store: Store) { self.store = store }
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
    func log(
        level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String,
        file: String, function: String, line: UInt
    ) {
        let all = self.metadata.merging(metadata ?? [:]) { $1 }
        store.lock.withLock { store.lines.append("\(message) \(all)") }
    }
}

func capturingLogger(_ store: CapturingLogHandler.Store) -> Logger {
    Logger(label: "test") { _ in CapturingLogHandler(store: store) }
}

/// One generated issuer for the whole test process (RSA key generation is slow in debug builds).
enum Fixtures {
    static let issuer: SimulatedIssuer = try! SimulatedIssuer.generate()
    /// A stand-in portrait: the JP2 signature box followed by fixed bytes (the chain does not decode it).
    static let portrait: [UInt8] =
        [0x00, 0x00, 0x00, 0x0C, 0x6A, 0x50, 0x20, 0x20, 0x0D, 0x0A, 0x87, 0x0A]
        + (0..<200).map { UInt8(truncatingIfNeeded: $0 &* 37) }
    static let birthDate = CardDate(year: 1980, month: 2, day: 17)!
    static let expiry = CardDate(year: 2035, month: 2, day: 17)!

    static func card(
        _ variant: SimulatedCardState.Variant = .standard, pin: String = "8361",
        stateFile: URL? = nil
    ) throws -> SimulatedCard {
        try SimulatedCard.issue(
            by: issuer, variant: variant, portrait: portrait, birthDate: birthDate, sex: .female,
            expiry: expiry, userPIN: pin, securityCode: "2285", stateFile: stateFile)
    }
    static let codeB = Array("55021720352285".utf8)
}

func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02X", $0) }.joined() }
