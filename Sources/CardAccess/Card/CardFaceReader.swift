import Logging

/// Reads the card-face file (EF 0002) and its certificate (EF 0004) from 券面事項確認AP, and keeps the
/// card-side face-failure counter.
///
/// The files are opened with 照合番号B (key EF 0012), which a face reader derives from the printed card
/// surface. 照合番号B crosses the interface in clear (the card has no secure messaging); it is not logged
/// and the APDU that carried it is wiped.
public struct CardFaceReader: Sendable {
    /// The AID of 券面事項確認AP (the card-face application).
    public static let cardFaceAID: [UInt8] = [0xD3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x04, 0x02]
    /// Consecutive face-check failures after which the card refuses face checks (reported as tries left).
    public static let faceFailureLimit = 10

    /// The largest file this reader accepts (the 15-bit READ BINARY offset space plus one last chunk).
    public static let maximumFileSize = 0x7FFF + 256

    private let channel: any CardChannel
    private let logger: Logger

    /// - Parameters:
    ///   - channel: the card connection.
    ///   - logger: steps and status words only.
    public init(channel: any CardChannel, logger: Logger = Logger(label: "mynaface.cardaccess.cardface")) {
        self.channel = channel
        self.logger = logger
    }

    /// What the card holds in 券面事項確認AP.
    public struct Files: Sendable, Equatable {
        /// EF 0002 bytes (up to the end of the outer TLV), or nil when the card has no card-face file
        /// (a card without a photo).
        public var cardFace: [UInt8]?
        /// EF 0004 bytes, or nil when absent.
        public var certificate: [UInt8]?
    }

    /// Selects 券面事項確認AP and verifies 照合番号B.
    ///
    /// - Parameter verificationCodeB: the 14 ASCII digits (not validated beyond being non-empty and ≤ 32 bytes).
    /// - Returns: the VERIFY status (`9000` when opened, `63Cx` wrong, `6984` blocked).
    /// - Throws: ``CardAccessError`` when the AP cannot be selected; transport errors.
    public func open(verificationCodeB: some Collection<UInt8>) async throws -> StatusWord {
        guard !verificationCodeB.isEmpty, verificationCodeB.count <= 32 else {
            throw CardAccessError.invalidCommand("照合番号B must be 1...32 bytes")
        }
        try await expectSuccess(CommandAPDU(ins: 0xA4, p1: 0x04, p2: 0x0C, data: Self.cardFaceAID), "SELECT 券面事項確認AP")
        try await expectSuccess(
            CommandAPDU(ins: 0xA4, p1: 0x02, p2: 0x0C, data: [0x00, 0x12]), "SELECT EF 0012 (照合番号B)")
        let verify = try CommandAPDU(ins: 0x20, p1: 0x00, p2: 0x80, data: verificationCodeB, isSensitive: true)
        defer { verify.wipe() }
        let response = try await channel.transmit(verify)
        logger.info("VERIFY 照合番号B", metadata: ["sw": "\(response.status)"])
        return response.status
    }

    /// Reads EF 0002 and EF 0004 (after ``open(verificationCodeB:)`` answered `9000`).
    ///
    /// - Throws: ``CardAccessError`` for refused reads, a malformed TLV header, or a file longer than
    ///   ``maximumFileSize``; transport errors.
    public func readFiles() async throws -> Files {
        Files(
            cardFace: try await readFile([0x00, 0x02], name: "EF 0002 (card face)"),
            certificate: try await readFile([0x00, 0x04], name: "EF 0004 (certificate)"))
    }

    /// Reads one transparent EF in 256-byte chunks, stopping at the end of its outer TLV.
    /// - Returns: nil when the EF does not exist (`6A82`).
    func readFile(_ fid: [UInt8], name: String) async throws -> [UInt8]? {
        let select = try await channel.transmit(CommandAPDU(ins: 0xA4, p1: 0x02, p2: 0x0C, data: fid))
        if select.status == .fileNotFound { return nil }
        guard select.status == .success else {
            throw CardAccessError.unexpectedStatus(step: "SELECT \(name)", status: select.status)
        }
        var bytes: [UInt8] = []
        var total: Int?
        while total.map({ bytes.count < $0 }) ?? true {
            let offset = bytes.count
            guard offset <= 0x7FFF else {
                throw CardAccessError.fileTooLarge(
                    step: "READ BINARY \(name)", length: total ?? offset, maximum: Self.maximumFileSize)
            }
            let wanted = min(256, (total ?? Int.max) - offset)
            let read = try CommandAPDU(ins: 0xB0, p1: UInt8(offset >> 8), p2: UInt8(offset & 0xFF), le: wanted)
            let response = try await channel.transmit(read)
            guard response.status.isSuccess, !response.data.isEmpty, response.data.count <= wanted else {
                if response.status == .wrongOffset, total == nil { break }
                throw CardAccessError.unexpectedStatus(
                    step: "READ BINARY \(name) at \(offset)", status: response.status)
            }
            bytes += response.data
            if total == nil, let length = Self.tlvTotalLength(bytes) {
                guard length <= Self.maximumFileSize else {
                    throw CardAccessError.fileTooLarge(
                        step: "READ BINARY \(name)", length: length, maximum: Self.maximumFileSize)
                }
                total = length
            }
            if response.status == .endOfFileReached { break }
        }
        if let total, bytes.count > total { bytes.removeLast(bytes.count - total) }
        if let total, bytes.count < total {
            throw CardAccessError.unexpectedResponse(
                step: "READ BINARY \(name)", detail: "file ends at \(bytes.count) of \(total) bytes")
        }
        logger.debug("READ BINARY done", metadata: ["file": "\(name)", "bytes": "\(bytes.count)"])
        return bytes
    }

    /// Tag + length + value size of the TLV at the start of `bytes`, once its header is complete; nil before.
    static func tlvTotalLength(_ bytes: [UInt8]) -> Int? {
        var i = 0
        guard bytes.count > i else { return nil }
        if bytes[i] & 0x1F == 0x1F {  // multi-byte tag
            repeat {
                i += 1
                guard bytes.count > i else { return nil }
            } while bytes[i] & 0x80 != 0 && i < 3
        }
        i += 1
        guard bytes.count > i else { return nil }
        let first = Int(bytes[i])
        i += 1
        if first < 0x80 { return i + first }
        let count = first & 0x7F
        guard (1...3).contains(count) else { return Int.max }  // indefinite or absurd: rejected by the caller
        guard bytes.count >= i + count else { return nil }
        var length = 0
        for k in 0..<count { length = length << 8 | Int(bytes[i + k]) }
        return i + count + length
    }

    // MARK: face-failure counter (simulation command 80 FA, see SimulatedCard)

    /// Selects 券面事項確認AP and reads the card-side face-failure counter: failures left before face authentication locks, or nil when locked.
    public func faceTriesLeft() async throws -> Int? { try await faceCommand(p1: 0x00, step: "FACE RESULT query") }

    /// Records one failed face check on the card. Returns the failures left (0 = now locked) or nil when it was locked.
    public func recordFaceFailure() async throws -> Int? {
        try await faceCommand(p1: 0x01, step: "FACE RESULT failure")
    }

    /// Records a successful face check (resets the consecutive-failure count). Returns nil when locked.
    public func recordFaceSuccess() async throws -> Int? {
        try await faceCommand(p1: 0x02, step: "FACE RESULT success").map { _ in Self.faceFailureLimit }
    }

    private func faceCommand(p1: UInt8, step: String) async throws -> Int? {
        try await expectSuccess(CommandAPDU(ins: 0xA4, p1: 0x04, p2: 0x0C, data: Self.cardFaceAID), "SELECT 券面事項確認AP")
        let response = try await channel.transmit(CommandAPDU(cla: 0x80, ins: 0xFA, p1: p1, p2: 0x00))
        logger.debug("\(step)", metadata: ["sw": "\(response.status)"])
        switch response.status {
        case .success: return Self.faceFailureLimit
        case .triesRemaining(let n): return n
        case .referenceDataNotUsable, .authenticationMethodBlocked: return nil
        default: throw CardAccessError.unexpectedStatus(step: step, status: response.status)
        }
    }

    private func expectSuccess(_ command: CommandAPDU, _ step: String) async throws {
        let response = try await channel.transmit(command)
        logger.debug("\(step)", metadata: ["sw": "\(response.status)"])
        guard response.status == .success else {
            throw CardAccessError.unexpectedStatus(step: step, status: response.status)
        }
    }
}
