import FaceImaging
import Foundation
import MynaCard
import MynaFaceTesting
import Testing

@testable import CardAccess

@Suite struct SimulatedCardTests {
    private func send(
        _ card: SimulatedCard, _ cla: UInt8 = 0, _ ins: UInt8, _ p1: UInt8, _ p2: UInt8,
        _ data: [UInt8] = [], le: Int? = nil
    ) async throws -> ResponseAPDU {
        try await card.transmit(CommandAPDU(cla: cla, ins: ins, p1: p1, p2: p2, data: data, le: le))
    }

    @Test func userPINCounterFollowsTheMyNumberCard() async throws {
        let card = try Fixtures.card(pin: "8361")
        #expect(try await send(card, 0, 0xA4, 0x04, 0x0C, PINVerifier.jpkiAID).status == .success)
        #expect(try await send(card, 0, 0xA4, 0x02, 0x0C, [0x00, 0x18]).status == .success)
        #expect(try await send(card, 0, 0x20, 0x00, 0x80).status == .triesRemaining(3))
        #expect(try await send(card, 0, 0x20, 0x00, 0x80).status == .triesRemaining(3))  // queries cost nothing
        #expect(try await send(card, 0, 0x20, 0x00, 0x80, Array("0000".utf8)).status == .triesRemaining(2))
        #expect(try await send(card, 0, 0x20, 0x00, 0x80, Array("8361".utf8)).status == .success)  // resets
        #expect(card.state.userPINTriesLeft == 3)
        #expect(try await send(card, 0, 0x20, 0x00, 0x80).status == .success)  // already verified this session
        for expected in [2, 1, 0] {
            #expect(try await send(card, 0, 0x20, 0x00, 0x80, Array("1111".utf8)).status == .triesRemaining(expected))
        }
        #expect(try await send(card, 0, 0x20, 0x00, 0x80, Array("8361".utf8)).status == .referenceDataNotUsable)
        #expect(try await send(card, 0, 0x20, 0x00, 0x80).status == .referenceDataNotUsable)
        card.startSession()
        #expect(try await PINVerifier(channel: card).status() == .blocked)
        try card.administer { $0.userPINTriesLeft = SimulatedCardState.userPINMaximumTries }  // municipal office
        #expect(try await PINVerifier(channel: card).verify(try PIN("8361")) == .accepted)
    }

    @Test func readBinaryNeedsCodeBAndUses15BitOffsets() async throws {
        let card = try Fixtures.card()
        let file = [UInt8](card.state.cardFaceFile!)
        #expect(try await send(card, 0, 0xA4, 0x04, 0x0C, SimulatedCard.cardFaceAID).status == .success)
        #expect(try await send(card, 0, 0xA4, 0x02, 0x0C, [0x00, 0x02]).status == .success)
        #expect(try await send(card, 0, 0xB0, 0x00, 0x00, le: 256).status == .securityStatusNotSatisfied)
        #expect(try await send(card, 0, 0xA4, 0x02, 0x0C, [0x00, 0x12]).status == .success)
        #expect(try await send(card, 0, 0x20, 0x00, 0x80).status == .triesRemaining(10))
        #expect(try await send(card, 0, 0x20, 0x00, 0x80, Array("55021720350000".utf8)).status == .triesRemaining(9))
        #expect(try await send(card, 0, 0x20, 0x00, 0x80, Fixtures.codeB).status == .success)
        #expect(card.state.verificationCodeBTriesLeft == 10)
        #expect(try await send(card, 0, 0xA4, 0x02, 0x0C, [0x00, 0x02]).status == .success)
        let first = try await send(card, 0, 0xB0, 0x00, 0x00, le: 256)
        #expect(first.status == .success && first.data == Array(file[0..<256]))
        let second = try await send(card, 0, 0xB0, 0x01, 0x00, le: 16)
        #expect(second.data == Array(file[256..<272]))
        #expect(try await send(card, 0, 0xB0, 0x80, 0x00, le: 16).status == .incorrectP1P2)  // short-EF form refused
        let last = try await send(card, 0, 0xB0, UInt8((file.count - 4) >> 8), UInt8((file.count - 4) & 0xFF), le: 256)
        #expect(last.status == .endOfFileReached && last.data == Array(file.suffix(4)))
        #expect(
            try await send(card, 0, 0xB0, UInt8(file.count >> 8), UInt8(file.count & 0xFF), le: 1).status
                == .wrongOffset)
        #expect(try await send(card, 0, 0xA4, 0x02, 0x0C, [0x00, 0x09]).status == .fileNotFound)
        #expect(try await send(card, 0, 0x0E, 0x00, 0x00).status == .instructionNotSupported)
        #expect(try await send(card, 0x90, 0xB0, 0x00, 0x00).status == .classNotSupported)
    }

    @Test func readerReadsBothFilesInChunks() async throws {
        let card = try Fixtures.card()
        let reader = CardFaceReader(channel: card)
        #expect(try await reader.open(verificationCodeB: Fixtures.codeB) == .success)
        let files = try await reader.readFiles()
        #expect(files.cardFace == [UInt8](card.state.cardFaceFile!))
        #expect(files.certificate == [UInt8](card.state.certificate!))
        let parsed = try CardFaceFile.parse(files.cardFace!)
        #expect(parsed.birthDate == Fixtures.birthDate)
        #expect(parsed.portrait == Fixtures.portrait)
        #expect(
            card.exchangeLog.filter { $0.hasPrefix("00 B0") }.count == (files.cardFace!.count + 255) / 256
                + (files.certificate!.count + 255) / 256)
    }

    @Test func tlvLengthFromHeader() {
        #expect(CardFaceReader.tlvTotalLength([0xFF, 0x20, 0x82, 0x01, 0x00]) == 5 + 256)
        #expect(CardFaceReader.tlvTotalLength([0x7F, 0x21, 0x82, 0x01, 0xB5]) == 5 + 0x1B5)
        #expect(CardFaceReader.tlvTotalLength([0x30, 0x05]) == 7)
        #expect(CardFaceReader.tlvTotalLength([0xFF, 0x20, 0x82, 0x01]) == nil)
        #expect(CardFaceReader.tlvTotalLength([0xFF, 0x20, 0x80]) == Int.max)  // indefinite: rejected by the reader
    }

    @Test func hostileLengthIsRejected() async throws {
        // A card whose EF 0002 announces 16 MB: the reader stops after the first chunk.
        let card = try Fixtures.card()
        try card.administer {
            $0.cardFaceFile = Data([0xFF, 0x20, 0x83, 0xFF, 0xFF, 0xFF] + [UInt8](repeating: 0, count: 300))
        }
        let reader = CardFaceReader(channel: card)
        _ = try await reader.open(verificationCodeB: Fixtures.codeB)
        await #expect(throws: CardAccessError.self) { try await reader.readFiles() }
    }

    @Test func faceFailureCounterLocksAtTenAndSuccessResetsIt() async throws {
        let card = try Fixtures.card()
        let reader = CardFaceReader(channel: card)
        #expect(try await reader.faceTriesLeft() == 10)
        for left in (5...9).reversed() { #expect(try await reader.recordFaceFailure() == left) }
        #expect(try await reader.recordFaceSuccess() == 10)
        #expect(card.state.faceFailures == 0)
        for left in (0...9).reversed() { #expect(try await reader.recordFaceFailure() == left) }
        #expect(card.state.isFaceLocked)
        #expect(try await reader.faceTriesLeft() == nil)
        #expect(try await reader.recordFaceSuccess() == nil)  // a locked face check cannot succeed
        #expect(card.state.faceFailures == 10)
    }

    @Test func variants() async throws {
        let faceOnly = try Fixtures.card(.faceOnly)
        #expect(try await PINVerifier(channel: faceOnly).status() == .notPresent)
        let infant = try Fixtures.card(.noPhoto)
        let reader = CardFaceReader(channel: infant)
        #expect(try await reader.open(verificationCodeB: Fixtures.codeB) == .success)
        #expect(try await reader.readFiles().cardFace == nil)
        #expect(try await PINVerifier(channel: infant).status() == .triesLeft(3))
    }

    @Test func countersPersistAcrossSessionsInAFile() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mynaface-card-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("card.json")
        do {
            let card = try Fixtures.card(pin: "8361", stateFile: url)
            #expect(try await PINVerifier(channel: card).verify(try PIN("0000")) == .wrong(triesLeft: 2))
            _ = try await CardFaceReader(channel: card).recordFaceFailure()
        }
        let reloaded = try SimulatedCard.load(from: url)
        #expect(reloaded.state.userPINTriesLeft == 2)
        #expect(reloaded.state.faceFailures == 1)
        #expect(try await PINVerifier(channel: reloaded).status() == .triesLeft(2))
        #expect(try await PINVerifier(channel: reloaded).verify(try PIN("8361")) == .accepted)
        #expect(try SimulatedCard.load(from: url).state.userPINTriesLeft == 3)
        #expect(throws: SimulatedCardError.self) {
            try SimulatedCard.load(from: dir.appendingPathComponent("missing.json"))
        }
    }

    @Test func verificationCodeBUsesTheJapaneseEraYear() {
        // 1980-02-17 is 昭和55; expiry 2035; code 2285 (card-and-standards.md §1).
        #expect(
            SimulatedCard.verificationCodeB(
                birthDate: CardDate(year: 1980, month: 2, day: 17)!,
                expiry: CardDate(year: 2035, month: 1, day: 1)!, securityCode: "2285")
                == "55021720352285")
        #expect(
            SimulatedCard.verificationCodeB(
                birthDate: CardDate(year: 2019, month: 5, day: 1)!,
                expiry: CardDate(year: 2030, month: 1, day: 1)!, securityCode: "0001")
                == "01050120300001")  // 令和元年
        #expect(
            SimulatedCard.verificationCodeB(
                birthDate: CardDate(year: 1989, month: 1, day: 7)!,
                expiry: CardDate(year: 2030, month: 1, day: 1)!, securityCode: "0001")
                == "64010720300001")  // 昭和64年
    }
}
